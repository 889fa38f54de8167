#pragma once
/// @file
/// What makes a pipeline run by itself under `sluice serve`, as its file declares it and
/// validation checked it: `triggers:` (schedules and webhooks), `concurrency:` and
/// `on_restart:`. `Pipeline::triggers()` and `Pipeline::run_policy()` give them.
///
/// ```yaml
/// triggers:
///   - schedule: { cron: "0 9 * * 1-5", timezone: Europe/Berlin, missed: last, overlap: skip }
///   - webhook: { path: /hooks/standup, auth: { hmac: { connection: standup-hook } } }
/// concurrency: { limit: 2, when_full: queue }
/// on_restart: interrupted
/// ```

#include <sluice/diagnostic.hpp>
#include <sluice/schedule.hpp>
#include <sluice/value.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sluice {

/// What happens to the fire times that passed while the server was down.
enum class MissedRuns {
  none, ///< skipped
  last, ///< one catch-up run, for the latest of them (the default)
  all,  ///< one run each, oldest first, at most `max_catch_up`
};

/// What happens at a fire time while the previous run of the same schedule is still going.
enum class Overlap {
  skip,  ///< that fire time is skipped, and recorded as skipped (the default)
  queue, ///< the run waits for the previous one
  allow, ///< both run
};

struct ScheduleTrigger {
  Schedule schedule;
  MissedRuns missed = MissedRuns::last;
  /// With `missed: all`: the most catch-up runs (the latest ones).
  std::uint32_t max_catch_up = 10;
  Overlap overlap = Overlap::skip;
  /// Input values of the runs it starts (the pipeline's defaults fill the rest).
  Value inputs = Value(Object{});
  /// Where its `schedule:` key is.
  SourceMark mark;
};

/// How a webhook delivery proves it comes from who may start the pipeline.
enum class WebhookAuth {
  none,   ///< anyone who can reach the server (declared explicitly, never a default)
  bearer, ///< `Authorization: Bearer SECRET`
  hmac,   ///< `HEADER: t=UNIX-SECONDS,v1=HEX(HMAC-SHA256(SECRET, "UNIX-SECONDS." + BODY))`
};

struct WebhookTrigger {
  /// Where it is served: `/hooks/...`.
  std::string path;
  WebhookAuth auth = WebhookAuth::none;
  /// The connection whose secret signs (hmac) or is (bearer) the delivery's credential.
  std::string connection;
  /// hmac: the header with the timestamp and signature.
  std::string signature_header = "X-Signature";
  /// hmac: how far the delivery's timestamp may be from the server's clock.
  std::chrono::seconds tolerance{300};
  /// Request headers that become inputs: header name -> input name.
  std::vector<std::pair<std::string, std::string>> header_inputs;
  /// How long the request waits for the run's outputs; 0: answer 202 with the run id.
  std::chrono::milliseconds wait{0};
  /// Where its path is.
  SourceMark mark;
};

struct Triggers {
  std::vector<ScheduleTrigger> schedules;
  std::vector<WebhookTrigger> webhooks;
  bool empty() const noexcept { return schedules.empty() && webhooks.empty(); }
};

/// What a trigger does when the pipeline already has `limit` runs going.
enum class WhenFull {
  queue, ///< the run waits for a free slot (the default)
  skip,  ///< the run is recorded as skipped
  fail,  ///< the run is refused (a webhook answers 429)
};

/// What `sluice serve` does with runs that were going when it stopped without finishing them
/// (a crash, kill -9, a power cut).
enum class OnRestart {
  interrupted, ///< recorded as interrupted, not run again (the default)
  rerun,       ///< run again from the start: only for pipelines whose effectful nodes reconcile
};

struct RunPolicy {
  /// The most runs of the pipeline at once; 0: no limit.
  std::uint32_t concurrency_limit = 0;
  WhenFull when_full = WhenFull::queue;
  OnRestart on_restart = OnRestart::interrupted;
};

} // namespace sluice
