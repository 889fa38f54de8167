// Whether the CPU's time-stamp counter can time nodes (asked once per process), and the
// fixed-point scale that maps its readings onto steady_clock; tick_clock.hpp says why.

#include "tick_clock.hpp"

#include <algorithm>
#include <cstdint>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace sluice::detail {

bool tick_counter_usable() noexcept {
#if defined(__x86_64__)
  // CPUID traps to the hypervisor on a VM (microseconds): once per process.
  static const bool usable = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx) == 0)
      return false;
    return (edx & (1u << 8)) != 0; // invariant TSC
  }();
  return usable;
#else
  return false;
#endif
}

std::optional<std::uint64_t> tick_scale_of(Clock::duration span,
                                           std::uint64_t span_ticks) noexcept {
  if (span_ticks == 0 || span.count() < 0)
    return std::nullopt;
  const auto span_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(span).count());
  __extension__ using Wide = unsigned __int128;
  const Wide scale = (Wide{span_ns} << 32) / span_ticks;
  if (scale > Wide{UINT64_MAX})
    return std::nullopt;
  return static_cast<std::uint64_t>(scale);
}

TickSpan::TickSpan(Clock::time_point start, std::uint64_t start_ticks, Clock::time_point end,
                   std::uint64_t end_ticks) noexcept
    : from_start_(start, start_ticks,
                  // No tick between the ends: every reading maps to the start or the end. A
                  // tick longer than 4 seconds: stamps collapse to the end.
                  end_ticks > start_ticks
                      ? tick_scale_of(std::max(start, end) - start, end_ticks - start_ticks)
                            .value_or(UINT64_MAX)
                      : 0),
      end_(std::max(start, end)), end_ticks_(end_ticks) {
}

void TickRate::observe(Clock::time_point at, std::uint64_t ticks) noexcept {
  // Nearly every run ends before the next measurement is due: one load. (The call_once
  // first was 90 instructions of a ten-node run.) A due time is set only after the origin.
  if (ticks < next_ticks_.load(std::memory_order_relaxed))
    return;
  std::call_once(origin_set_, [&] {
    origin_ = at;
    origin_ticks_ = ticks;
  });
  if (at - origin_ < trusted_span || ticks <= origin_ticks_)
    return;
  const std::optional<std::uint64_t> scale = tick_scale_of(at - origin_, ticks - origin_ticks_);
  if (!scale)
    return; // a tick longer than 4 s: not a counter to time nodes with
  scale_.store(*scale - (*scale >> 16), std::memory_order_relaxed);
  next_ticks_.store(ticks + (ticks - origin_ticks_) / 8, std::memory_order_relaxed);
}

TickRate& TickRate::process() noexcept {
  static TickRate rate;
  return rate;
}

} // namespace sluice::detail
