// How a breached limit reads in a message: its value in the unit people think in, and the
// command-line flag and the `Limits` member that raise it.

#include "limit_text.hpp"

namespace sluice::detail {

namespace {

struct LimitNames {
  const char* flag;   // on `sluice run`, `validate` and `graph`
  const char* member; // of sluice::Limits
  const char* unit;   // for counts; nullptr for bytes
};

LimitNames names_of(LimitKind kind) noexcept {
  switch (kind) {
  case LimitKind::input_bytes:
    return {"--max-input-bytes", "input_bytes", nullptr};
  case LimitKind::expanded_bytes:
    return {"--max-expanded-bytes", "expanded_bytes", nullptr};
  case LimitKind::nodes:
    return {"--max-nodes", "nodes", "nodes"};
  case LimitKind::template_bytes:
    return {"--max-template-bytes", "template_bytes", nullptr};
  case LimitKind::for_each_items:
    return {"--max-for-each-items", "for_each_items", "items"};
  case LimitKind::output_bytes:
    return {"--max-output-bytes", "output_bytes", nullptr};
  }
  return {"", "", nullptr};
}

} // namespace

std::string limit_value_text(LimitKind kind, std::size_t value) {
  if (const char* unit = names_of(kind).unit)
    return std::to_string(value) + " " + unit;
  // Whole KiB and MiB as such (the defaults are), anything else exactly.
  constexpr std::size_t kib = 1024;
  if (value >= kib * kib && value % (kib * kib) == 0)
    return std::to_string(value / (kib * kib)) + " MiB";
  if (value >= kib && value % kib == 0)
    return std::to_string(value / kib) + " KiB";
  return std::to_string(value) + (value == 1 ? " byte" : " bytes");
}

std::string how_to_raise(LimitKind kind) {
  const LimitNames names = names_of(kind);
  return std::string("raise the limit with ") + names.flag + " (Limits::" + names.member +
         " when embedding)";
}

std::string too_many_nodes(std::size_t limit) {
  return "the pipeline has more than " + limit_value_text(LimitKind::nodes, limit) +
         ", the limit for one pipeline";
}

std::string output_too_large(bool elements, std::size_t limit) {
  return std::string(elements ? "the outputs of the elements so far add up to more than "
                              : "the output is larger than ") +
         limit_value_text(LimitKind::output_bytes, limit) + ", the limit for one node's output; " +
         how_to_raise(LimitKind::output_bytes);
}

std::string too_many_items(std::size_t items, std::size_t limit) {
  return "'for_each' has " + std::to_string(items) + " items, more than " +
         limit_value_text(LimitKind::for_each_items, limit) + ", the limit for one list; " +
         how_to_raise(LimitKind::for_each_items);
}

} // namespace sluice::detail
