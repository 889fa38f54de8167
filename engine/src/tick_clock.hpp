#pragma once
// Cheap node time stamps for runs that nobody observes while they run.
//
// steady_clock::now() costs about 30 ns per call inside a run on the 2-core VMs we build on
// (a fenced counter read plus the vDSO's arithmetic; tests/bench/README.md has the
// measurements), as much as the rest of a small node's scheduling: ten of them were 0.3 us
// of a 2 us diamond run. A plain read of the CPU's time-stamp counter costs a third of that.
//
// A run whose node times are only read from its result stamps nodes with the counter. Until
// the process has measured the counter's rate over 100 ms of runs (TickRate), a run keeps raw
// readings and maps them onto steady_clock when it finishes, linearly between two (clock,
// counter) pairs taken when it started and finished (TickSpan): exact at both ends. After
// that, each stamp is converted when it is taken, from the run's start with the measured rate
// (TickScale): exact at the start, a few parts per million slow, and no walk over the records
// at the end (a tenth of a 1M-node run). Either way a stamp never lies outside the run's own
// window, and readings in order stay in order.

#include <sluice/run.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace sluice::detail {

/// True when the time-stamp counter runs at a constant rate in every power state (x86-64
/// "invariant TSC"); checked once per process. False on other architectures.
bool tick_counter_usable() noexcept;

/// The counter; meaningful only when tick_counter_usable().
inline std::uint64_t read_ticks() noexcept {
#if defined(__x86_64__)
  return __rdtsc();
#else
  return 0;
#endif
}

/// A raw counter reading kept in a time_point until TickSpan::to_time() converts it.
inline Clock::time_point raw_ticks(std::uint64_t ticks) noexcept {
  return Clock::time_point(Clock::duration(static_cast<Clock::rep>(ticks)));
}

/// The counter's rate, measured over a process's runs: each run that used the counter reports
/// a (clock, counter) pair read together when it finished, and the rate is the span from the
/// first pair to the latest once that span is long enough to trust. A run that starts after
/// then converts each stamp as it takes it (TickScale) instead of walking all its records when
/// it finishes: for a 1M-node run that walk was a tenth of the run. Thread-safe.
class TickRate {
public:
  /// How long the measured span must be: clock and counter are read a few tens of
  /// nanoseconds apart, so over 100 ms the rate is good to a part per million or so.
  static constexpr std::chrono::milliseconds trusted_span{100};

  /// Records a pair read together (counter first, then clock).
  void observe(Clock::time_point at, std::uint64_t ticks) noexcept;
  /// Nanoseconds per tick times 2^32, made a little slow (by 2^-16, 15 parts per million)
  /// so that a stamp converted with it lands before the run's end rather than after; 0 until
  /// the span is trusted.
  std::uint64_t scale() const noexcept { return scale_.load(std::memory_order_relaxed); }

  /// The process's measurement, shared by every run.
  static TickRate& process() noexcept;

private:
  std::once_flag origin_set_;
  Clock::time_point origin_{};
  std::uint64_t origin_ticks_ = 0;
  std::atomic<std::uint64_t> scale_{0};
  // The rate is computed again only once the span has grown by an eighth (a division per
  // run was a hundred instructions of a ten-node run): about a hundred times in a day.
  std::atomic<std::uint64_t> next_ticks_{0};
};

/// Nanoseconds per tick times 2^32 over a measured span, or nullopt when it does not fit in
/// 64 bits (a tick longer than 4 seconds) or no tick passed.
std::optional<std::uint64_t> tick_scale_of(Clock::duration span, std::uint64_t span_ticks) noexcept;

/// Converts counter readings with a rate known before the run started (TickRate): at
/// `start_ticks` the clock read `start`. A reading before the start is the start.
class TickScale {
public:
  TickScale() noexcept = default;
  TickScale(Clock::time_point start, std::uint64_t start_ticks, std::uint64_t scale) noexcept
      : start_(start), start_ticks_(start_ticks), scale_(scale) {}
  std::uint64_t start_ticks() const noexcept { return start_ticks_; }
  Clock::time_point to_time(std::uint64_t ticks) const noexcept {
    if (ticks <= start_ticks_)
      return start_;
    __extension__ using Wide = unsigned __int128;
    const auto ns = static_cast<std::uint64_t>((Wide{ticks - start_ticks_} * scale_) >> 32);
    return start_ + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::nanoseconds(static_cast<std::int64_t>(ns)));
  }

private:
  Clock::time_point start_{};
  std::uint64_t start_ticks_ = 0;
  std::uint64_t scale_ = 0;
};

/// Maps counter readings taken between (start, start_ticks) and (end, end_ticks) onto the
/// clock, in fixed point (a run converts two readings per node: no division, no libm): the
/// rate of that span, from its start (TickScale), never past its end.
class TickSpan {
public:
  TickSpan(Clock::time_point start, std::uint64_t start_ticks, Clock::time_point end,
           std::uint64_t end_ticks) noexcept;

  /// A reading stored with raw_ticks(), as a time in [start, end]. A reading from before
  /// the start (a counter that differs between cores after the thread moved) is the start;
  /// one from after the end is the end.
  Clock::time_point to_time(Clock::time_point raw) const noexcept {
    const auto ticks = static_cast<std::uint64_t>(raw.time_since_epoch().count());
    if (ticks > from_start_.start_ticks() && ticks >= end_ticks_)
      return end_;
    return std::min(from_start_.to_time(ticks), end_);
  }

private:
  TickScale from_start_;
  Clock::time_point end_;
  std::uint64_t end_ticks_;
};

} // namespace sluice::detail
