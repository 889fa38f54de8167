// Pipeline: read-only views of a compiled plan, input parsing and graph export.

#include "executor.hpp"
#include "plan.hpp"

#include <sluice/encoding.hpp>

#include <charconv>

namespace sluice {

std::string_view Pipeline::name() const noexcept {
  // Not `plan_ ? plan_->name : ""`: that makes a temporary std::string and returns a view of it.
  if (!plan_)
    return {};
  return plan_->name;
}
std::string_view Pipeline::description() const noexcept {
  // Not `plan_ ? plan_->description : ""`: that makes a temporary std::string and returns a view of
  // it.
  if (!plan_)
    return {};
  return plan_->description;
}
std::string_view Pipeline::file() const noexcept {
  // Not `plan_ ? plan_->file : ""`: that makes a temporary std::string and returns a view of it.
  if (!plan_)
    return {};
  return plan_->file;
}

const std::vector<InputInfo>& Pipeline::inputs() const noexcept {
  static const std::vector<InputInfo> none;
  return plan_ ? plan_->inputs : none;
}

void Pipeline::check_inputs(const Value& inputs) const {
  if (!plan_)
    throw InputError("an empty Pipeline takes no inputs");
  (void)detail::resolve_inputs(*plan_, inputs);
}

const Triggers& Pipeline::triggers() const noexcept {
  static const Triggers none;
  return plan_ ? plan_->triggers : none;
}

const RunPolicy& Pipeline::run_policy() const noexcept {
  static const RunPolicy defaults;
  return plan_ ? plan_->run_policy : defaults;
}

std::vector<std::string_view> Pipeline::node_ids() const {
  std::vector<std::string_view> ids;
  if (plan_)
    for (const auto& node : plan_->nodes)
      ids.push_back(node.id);
  return ids;
}

std::vector<std::string_view> Pipeline::output_names() const {
  std::vector<std::string_view> names;
  if (plan_)
    for (const auto& output : plan_->outputs)
      names.push_back(output.name);
  return names;
}

std::size_t Pipeline::node_count() const noexcept {
  return plan_ ? plan_->nodes.size() : 0;
}

namespace {

const detail::PlanNode& node_of(const detail::Plan* plan, std::string_view node_id) {
  if (plan)
    for (const auto& node : plan->nodes)
      if (node.id == node_id)
        return node;
  throw std::out_of_range("the pipeline has no node '" + std::string(node_id) + "'");
}

} // namespace

std::string_view Pipeline::node_type(std::string_view node_id) const {
  return node_of(plan_.get(), node_id).type->spec.type;
}

bool Pipeline::has_side_effects(std::string_view node_id) const {
  return node_of(plan_.get(), node_id).side_effects;
}

bool Pipeline::is_idempotent(std::string_view node_id) const {
  return node_of(plan_.get(), node_id).type->spec.idempotent;
}

std::vector<std::string_view> Pipeline::dependencies(std::string_view node_id) const {
  const detail::PlanNode& node = node_of(plan_.get(), node_id);
  const auto n = static_cast<std::uint32_t>(&node - plan_->nodes.data());
  std::vector<std::string_view> ids;
  for (const std::uint32_t dependency : plan_->dependencies(n))
    ids.push_back(plan_->nodes[dependency].id);
  return ids;
}

namespace {

[[noreturn]] void bad_input(std::string_view name, SettingType type, std::string_view text,
                            std::string_view detail = {}) {
  std::string message = "input '" + std::string(name) + "' expects " +
                        std::string(to_string(type)) + ", got '" + std::string(text) + "'";
  if (!detail.empty())
    message += " (" + std::string(detail) + ")";
  throw InputError(message);
}

} // namespace

Value Pipeline::parse_input(std::string_view name, std::string_view text) const {
  const InputInfo* input = nullptr;
  for (const InputInfo& candidate : inputs())
    if (candidate.name == name)
      input = &candidate;
  if (!input) {
    std::string known;
    for (const InputInfo& i : inputs())
      known += (known.empty() ? "" : ", ") + i.name;
    throw InputError(
        "unknown input '" + std::string(name) + "'" +
        (known.empty() ? "; this pipeline has no inputs" : "; declared inputs: " + known));
  }
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  switch (input->type) {
  case SettingType::string:
  case SettingType::any:
    return Value(text);
  case SettingType::integer: {
    std::int64_t i = 0;
    auto [ptr, ec] = std::from_chars(begin, end, i);
    if (ec == std::errc::result_out_of_range)
      bad_input(name, input->type, text, "out of the int64 range");
    if (ec != std::errc() || ptr != end || text.empty())
      bad_input(name, input->type, text);
    return Value(i);
  }
  case SettingType::number: {
    double d = 0;
    auto [ptr, ec] = std::from_chars(begin, end, d);
    if (ec != std::errc() || ptr != end || text.empty())
      bad_input(name, input->type, text);
    return Value(d);
  }
  case SettingType::boolean:
    if (text == "true" || text == "yes" || text == "1")
      return Value(true);
    if (text == "false" || text == "no" || text == "0")
      return Value(false);
    bad_input(name, input->type, text, "use true or false");
  case SettingType::array:
  case SettingType::object: {
    Value parsed;
    try {
      parsed = Value::parse_json(text);
    } catch (const JsonError& e) {
      bad_input(name, input->type, text, std::string("invalid JSON: ") + e.what());
    }
    if (!accepts(input->type, parsed))
      bad_input(name, input->type, text, "JSON " + std::string(to_string(parsed.type())));
    return parsed;
  }
  }
  bad_input(name, input->type, text);
}

namespace {

// Text inside a DOT quoted string: `"` and `\` escaped (so a name ending in a backslash cannot
// swallow the closing quote); control bytes and invalid UTF-8 spelled out first (printable), so
// Graphviz reads every name the YAML can hold.
std::string dot_escaped(std::string_view text) {
  std::string out;
  for (const char c : printable(text)) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

std::string dot_quoted(std::string_view text) {
  return '"' + dot_escaped(text) + '"';
}

} // namespace

std::string Pipeline::to_dot() const {
  std::string out = "digraph " + dot_quoted(name().empty() ? "pipeline" : name()) + " {\n";
  out += "  rankdir=LR;\n  node [shape=box, style=rounded];\n";
  if (!plan_)
    return out + "}\n";
  // Each part of a label is escaped on its own; the line break between them is DOT's `\n`.
  for (const auto& node : plan_->nodes)
    out += "  " + dot_quoted(node.id) + " [label=\"" + dot_escaped(node.id) + "\\n" +
           dot_escaped(node.type->spec.type) + "\"];\n";
  for (std::uint32_t i = 0; i < plan_->nodes.size(); ++i)
    for (std::uint32_t succ : plan_->successors(i))
      out += "  " + dot_quoted(plan_->nodes[i].id) + " -> " + dot_quoted(plan_->nodes[succ].id) +
             ";\n";
  return out + "}\n";
}

std::string Pipeline::to_mermaid() const {
  std::string out = "flowchart LR\n";
  if (!plan_)
    return out;
  // Mermaid ids must be simple; node ids may hold '-', so number them.
  for (std::size_t i = 0; i < plan_->nodes.size(); ++i) {
    const auto& node = plan_->nodes[i];
    out += "  n" + std::to_string(i) + "[\"" + std::string(node.id) + "<br/><small>" +
           node.type->spec.type + "</small>\"]\n";
  }
  for (std::uint32_t i = 0; i < plan_->nodes.size(); ++i)
    for (std::uint32_t succ : plan_->successors(i))
      out += "  n" + std::to_string(i) + " --> n" + std::to_string(succ) + "\n";
  return out;
}

} // namespace sluice
