// Fuzz target: schedules (sluice/schedule.hpp). The input is a cron expression, a newline and
// a time zone name. Either parse() throws ScheduleError with an offset inside the expression,
// or the schedule's fire times move strictly forward from any instant, and what a stop
// missed is in order and inside its window.

#include <sluice/schedule.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void broken(const char* what, std::string_view cron) {
  std::fprintf(stderr, "fuzz_schedule: %s\n%.*s\n", what, static_cast<int>(cron.size()),
               cron.data());
  std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view cron = input.substr(0, newline);
  const std::string_view zone =
      newline == std::string_view::npos ? std::string_view("UTC") : input.substr(newline + 1);
  if (zone.size() > 64 || zone.find('\0') != std::string_view::npos)
    return 0; // zone names are short; the database is files, not our parser
  std::optional<sluice::Schedule> schedule;
  try {
    schedule = sluice::Schedule::parse(cron, zone);
  } catch (const sluice::ScheduleError& e) {
    if (e.part() == sluice::ScheduleError::Part::cron && e.offset() > cron.size())
      broken("an offset past the end of the expression", cron);
    return 0;
  }
  // From a few instants, including both sides of 2027's daylight-saving changes in Europe.
  for (const std::int64_t start : {0LL, 1'806'800'000LL, 1'809'000'000LL, 1'824'600'000LL}) {
    sluice::SysSeconds at{std::chrono::seconds(start)};
    for (int i = 0; i < 5; ++i) {
      const auto next = schedule->next_after(at);
      if (!next)
        break;
      if (*next <= at)
        broken("next_after() did not move forward", cron);
      at = *next;
    }
  }
  const sluice::SysSeconds from{std::chrono::seconds(1'806'800'000LL)};
  const sluice::SysSeconds to = from + std::chrono::hours(30);
  const auto missed = schedule->missed_between(from, to, 5);
  for (std::size_t i = 0; i < missed.size(); ++i)
    if (missed[i] <= from || missed[i] > to || (i > 0 && missed[i] <= missed[i - 1]))
      broken("missed_between() out of order or outside its window", cron);
  return 0;
}
