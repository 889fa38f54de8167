#pragma once
// Owns what makes a run dry (RunOptions::dry_run): the interceptor that holds back the requests
// a dry run may not send and keeps them for the plan, and the verdict on which nodes may run.

#include <sluice/http_interceptor.hpp>
#include <sluice/node.hpp>
#include <sluice/run.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::detail {

/// Why a dry run in `mode` does not run a node of reach `reach` at all (`side_effects`: the
/// node's, after its type's side-effects rule), or nothing when it may run.
std::optional<std::string> dry_run_refusal(DryRun mode, Reach reach, bool side_effects);

/// Installed as the run's interceptor in a dry run, in front of the caller's own (if any),
/// which sees every request this one lets through.
class DryRunGuard final : public HttpInterceptor {
public:
  DryRunGuard(DryRun mode, std::shared_ptr<HttpInterceptor> next);

  HttpDecision before_send(const HttpExchange& exchange) override;
  void after_receive(const HttpExchange& exchange, const HttpResponse& response) override;
  void after_failure(const HttpExchange& exchange, const std::string& message) override;

  /// Whether a request of node `node` was held back (of its element `index`, or of any
  /// element when `index` is -1).
  bool held(std::string_view node, std::int64_t index = -1) const;
  /// For a node that held(): what it would have sent, e.g. "would send POST
  /// https://api.example.com/v2/users/me/meetings".
  std::string describe(std::string_view node) const;
  /// The requests held back, in the order they were tried; empties the record.
  std::vector<PlannedRequest> take_planned();

  /// Marks `node` as running on values only a real run knows (it depends on a planned
  /// node): every request it tries is held back, reads too, as they would carry stand-ins.
  void taint(std::string_view node);
  bool tainted(std::string_view node) const;
  /// The output a planned node of `node`'s type stands in with, so that its dependents can
  /// still show what they would send: each declared integer or text output becomes a
  /// stand-in that the plan prints as `{node.output}`; the others are null.
  Value stand_in_output(std::string_view node, const std::vector<OutputSpec>& outputs);
  /// Whether reading `path` of planned node `node`'s output reads something meaningful: a
  /// stand-in whole, or anything of an output the node made itself from stand-ins. A field
  /// inside a stand-in, or a stand-in left null, would be read as null, silently.
  bool reads_stand_in(std::string_view node, const Path& path) const;

private:
  bool holds(const HttpExchange& exchange) const;
  // The request as the plan shows it: stand-ins replaced by what they stand for.
  HttpRequest shown(HttpRequest request) const;

  const DryRun mode_;
  const std::shared_ptr<HttpInterceptor> next_;
  mutable std::mutex mutex_;
  std::vector<PlannedRequest> planned_;
  std::vector<std::string> tainted_;
  // Each stand-in's text (as it appears in a URL or a JSON body) and what it stands for,
  // e.g. {"8000000000000000001", "{create.id}"}.
  std::vector<std::pair<std::string, std::string>> stand_ins_;
  // The planned nodes whose output is stand-ins, each with the outputs that have one.
  std::vector<std::pair<std::string, std::vector<std::string>>> stand_in_outputs_;
};

} // namespace sluice::detail
