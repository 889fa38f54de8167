#pragma once
// Owns what a running node sees: its Context (NodeContext; OwnedContext for nodes that wait)
// and the slots its settings are evaluated into (SettingSlots, SettingVector).

#include <sluice/detail/borrowed_array.hpp>
#include <sluice/http.hpp>
#include <sluice/node.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::detail {

class RunState;
struct Invocation;

// Settings held on the stack for inline nodes; more spill to the heap.
constexpr std::size_t inline_settings = 8;

// Settings of an inline node, on the stack: room for inline_settings Values, constructed one
// by one straight from their evaluation (no null first, then an assignment: both are calls
// into the SDK). Lists of references among them may borrow their elements
// (ValueTemplate::eval_borrowing): the slots end the borrow when the node is done, while
// the run's results are alive.
class SettingSlots {
public:
  SettingSlots() noexcept = default;
  ~SettingSlots() {
    // end() releases any value and leaves it null, so no ~Value call is needed after it.
    for (Value& value : std::span<Value>(slots(), count_))
      detail::BorrowedArray::end(value);
  }
  SettingSlots(const SettingSlots&) = delete;
  SettingSlots& operator=(const SettingSlots&) = delete;
  /// Constructs the next slot from `make()`; at most inline_settings times.
  template <class Make> const Value& emplace(Make&& make) {
    Value* slot = ::new (slots() + count_) Value(make());
    ++count_;
    return *slot;
  }
  std::span<const Value> values() noexcept { return {slots(), count_}; }

private:
  Value* slots() noexcept { return std::launder(reinterpret_cast<Value*>(storage_)); }
  alignas(Value) std::byte storage_[inline_settings * sizeof(Value)];
  std::size_t count_ = 0;
};

// Settings on the heap: an inline node with more than inline_settings of them, or a
// waiting node (whose context owns them: take()).
class SettingVector {
public:
  explicit SettingVector(std::size_t count) { values_.reserve(count); }
  template <class Make> const Value& emplace(Make&& make) { return values_.emplace_back(make()); }
  std::span<const Value> values() const noexcept { return values_; }
  std::vector<Value> take() && noexcept { return std::move(values_); }

private:
  std::vector<Value> values_;
};

// Hidden explicitly: -fvisibility=hidden covers definitions only, so run_state.cpp, which builds
// a NodeContext per inline node, would read its vtable (defined in node_context.cpp) through the
// GOT: 4 more instructions per node in callgrind than when it was all one file.
//
// It is also the node's HTTP client when the run has an interceptor (http() returns the
// engine's client itself otherwise): it adds who sends the request.
class [[gnu::visibility("hidden")]] NodeContext final : public Context, private HttpClient {
public:
  /// `item` must outlive the context (a null Value for a node that is not a for_each element).
  NodeContext(RunState & run, std::uint32_t node, std::span<const Value> settings,
              const Value& item, std::int64_t index, int attempt, Invocation* invocation)
      : run_(run), node_(node), settings_(settings), item_(item), index_(index), attempt_(attempt),
        invocation_(invocation) {
  }

  /// Points the context at another inline node: a drainer binds its one context to each
  /// node it runs (RunState::drain()).
  void bind(std::uint32_t node, std::span<const Value> settings) noexcept {
    node_ = node;
    settings_ = settings;
  }

  std::string_view node_id() const noexcept override;
  const Value& setting(std::string_view name) const noexcept override;
  Value settings() const override;
  int attempt() const noexcept override {
    return attempt_;
  }
  const Value& item() const noexcept override {
    return item_;
  }
  std::int64_t index() const noexcept override {
    return index_;
  }
  boost::asio::any_io_executor executor() const override;
  bool cancelled() const noexcept override;
  void log(LogLevel level, std::string_view message) override;
  CredentialStore& credentials() override;
  HttpClient& http() override;
  boost::asio::any_io_executor blocking_executor() override;
  std::optional<std::chrono::system_clock::time_point> earlier_attempt_started() const override;

private:
  boost::asio::awaitable<HttpResponse> send(HttpRequest request) override;

  RunState& run_;
  std::uint32_t node_;
  std::span<const Value> settings_;
  const Value& item_;
  std::int64_t index_;
  int attempt_;
  Invocation* invocation_;
};

// A context that owns its settings, for coroutines that outlive the caller's frame.
struct OwnedContext {
  OwnedContext(RunState& run, std::uint32_t node, std::vector<Value> values, Value element,
               std::int64_t index, int attempt, Invocation* invocation)
      : settings(std::move(values)), item(std::move(element)),
        context(run, node, settings, item, index, attempt, invocation) {}
  std::vector<Value> settings;
  Value item;
  NodeContext context;
};

} // namespace sluice::detail
