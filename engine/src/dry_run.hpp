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

private:
  bool holds(const HttpRequest& request) const noexcept;

  const DryRun mode_;
  const std::shared_ptr<HttpInterceptor> next_;
  mutable std::mutex mutex_;
  std::vector<PlannedRequest> planned_;
};

} // namespace sluice::detail
