// PipelineSpec -> Plan: resolves node types, type-checks settings, parses templates, binds
// references to node and input indices, builds the DAG and rejects cycles. Every problem is
// collected so that one load reports all of them.

#include "compiler.hpp"

#include "execution_options.hpp"
#include "input_declarations.hpp"
#include "limit_text.hpp"
#include "message_text.hpp"
#include "name_index.hpp"
#include "plan_graph.hpp"
#include "registry.hpp"
#include "settings_check.hpp"
#include "suggest.hpp"
#include "trigger_declarations.hpp"

#include <sluice/detail/name_chars.hpp>
#include <sluice/detail/same_key.hpp>
#include <sluice/encoding.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace sluice::detail {

namespace {

constexpr std::uint32_t no_node = std::numeric_limits<std::uint32_t>::max();

// Each suggestion scans every node id; a generated file with thousands of bad references
// would make that quadratic. Past this many, errors come without "did you mean".
constexpr std::size_t suggestion_budget = 25;

bool is_valid_node_id(std::string_view id) {
  return is_name(id);
}

std::string quoted_reference(const Reference& reference) {
  return "'{{ " + reference.text + " }}'";
}

// "character 8": 1-based, as editors count.
std::string syntax_message(const TemplateSyntaxError& e, const std::string& where) {
  return std::string(e.what()) + " in " + where + " (character " + std::to_string(e.offset() + 1) +
         ")";
}

// Where a reference appears decides what it may name.
struct ReferenceSite {
  std::uint32_t node = no_node; ///< the referring node, or no_node for `outputs:`
  bool item_allowed = false;    ///< settings of a for_each node
  SourceMark mark;
};

// Which of a node's settings are given: a word for the few that types declare, a vector past
// that (a per-node heap block was a tenth of compiling a node).
class GivenSettings {
public:
  void reset(std::size_t count) {
    word_ = 0;
    many_.clear();
    if (count > 64)
      many_.assign(count, false);
  }
  void set(std::size_t slot) {
    if (many_.empty())
      word_ |= std::uint64_t{1} << slot;
    else
      many_[slot] = true;
  }
  bool test(std::size_t slot) const {
    return many_.empty() ? (word_ >> slot & 1) != 0 : many_[slot];
  }

private:
  std::uint64_t word_ = 0;
  std::vector<bool> many_;
};

// What the registry holds for a node type, looked up once per type.
struct TypeRules {
  std::shared_ptr<const NodeType> type;
  std::shared_ptr<const SettingsCheck> settings_check;
  std::shared_ptr<const SideEffectsRule> side_effects;
};

class PlanCompiler {
public:
  PlanCompiler(const PipelineSpec& spec, const Registry& registry, const Limits& limits,
               SpecOrigin origin)
      : spec_(spec), registry_(registry), limits_(limits), origin_(origin),
        plan_(std::make_shared<Plan>()) {}

  std::shared_ptr<const Plan> compile() {
    // A YAML file never gets here with too many nodes (the loader stops first); a spec
    // built in code may.
    if (spec_.nodes.size() > limits_.nodes) {
      error(spec_.nodes[limits_.nodes].mark, too_many_nodes(limits_.nodes),
            how_to_raise(LimitKind::nodes));
      throw LoadError(std::move(diagnostics_));
    }
    if (spec_.version != 1)
      error(spec_.mark, "unsupported version " + std::to_string(spec_.version),
            "this Sluice reads 'version: 1'");
    plan_->file = spec_.file;
    plan_->name = spec_.name;
    plan_->description = spec_.description;

    compile_input_declarations(spec_.inputs, plan_->inputs, input_index_,
                               [this](SourceMark mark, std::string message, std::string hint) {
                                 error(mark, std::move(message), std::move(hint));
                               });
    compile_triggers(spec_, plan_->inputs, input_index_, plan_->triggers, plan_->run_policy,
                     [this](SourceMark mark, std::string message, std::string hint) {
                       error(mark, std::move(message), std::move(hint));
                     });
    index_nodes();
    plan_->nodes.resize(spec_.nodes.size());
    lay_out_ids();
    dependency_stamp_.assign(spec_.nodes.size(), no_node);
    for (std::uint32_t i = 0; i < spec_.nodes.size(); ++i) {
      node_index_.note_recent(i);
      compile_node(i);
    }
    compile_outputs();
    link_edges(*plan_, std::move(dependencies_));
    plan_->all_inline = std::all_of(plan_->nodes.begin(), plan_->nodes.end(),
                                    [](const PlanNode& node) { return node.inline_fast_path; });
    report_cycles();

    if (!diagnostics_.empty()) {
      std::stable_sort(
          diagnostics_.begin(), diagnostics_.end(), [](const Diagnostic& a, const Diagnostic& b) {
            return std::pair(a.mark.line, a.mark.column) < std::pair(b.mark.line, b.mark.column);
          });
      throw LoadError(std::move(diagnostics_));
    }
    // Every reference is bound and checked: drop what only diagnostics needed.
    for (ValueTemplate& setting : plan_->setting_slots)
      setting.compact(plan_->paths);
    for (PlanOutput& output : plan_->outputs)
      output.value.compact(plan_->paths);
    return plan_;
  }

private:
  const PipelineSpec& spec_;
  const Registry& registry_;
  const Limits& limits_;
  const SpecOrigin origin_;
  std::shared_ptr<Plan> plan_;
  std::vector<Diagnostic> diagnostics_;
  NameIndex node_index_;
  std::unordered_map<std::string_view, std::uint32_t> input_index_;
  /// The resolved type of each node; null when unknown or missing. Plain pointers (type_rules_
  /// holds the types): a reference count per node was an atomic add and subtract each.
  std::vector<const NodeType*> types_;
  /// Which nodes have `for_each`, as bits: has_output() asks of every reference's target, and
  /// in a plan of 100k nodes a target's NodeDecl is far away in memory (a join of them all
  /// touched each one).
  std::vector<bool> for_each_nodes_;
  /// dependency_stamp_[d] == i when node i already depends on d: dedupes in O(1).
  std::vector<std::uint32_t> dependency_stamp_;
  /// Every node's dependencies, node after node as they are compiled (node i's start at its
  /// PlanNode::dependencies_begin); link_edges() adds the successors.
  std::vector<std::uint32_t> dependencies_;
  std::size_t suggestions_left_ = suggestion_budget;
  /// check_references()'s list, kept between calls so that a plan's references cost no
  /// allocation each.
  std::vector<Reference*> references_;
  std::vector<TypeRules> type_rules_; // few: one per type the plan uses
  /// error() for the helpers that report through a ReportProblem: made once, not per node.
  const ReportProblem report_problem_ = [this](SourceMark mark, std::string message) {
    error(mark, std::move(message));
  };

  // Messages quote the file's text: escaped here, once for every message, so none shows a
  // raw control byte (printable() leaves text without one as it is).
  void error(SourceMark mark, const std::string& message, const std::string& hint = {}) {
    diagnostics_.push_back(Diagnostic{spec_.file, mark, printable(message), printable(hint)});
  }

  // A template's syntax error, or its breach of Limits::template_bytes.
  void template_error(SourceMark mark, const TemplateSyntaxError& e, const std::string& where) {
    const auto* too_long = dynamic_cast<const TemplateTooLong*>(&e);
    if (!too_long) {
      error(mark, syntax_message(e, where));
      return;
    }
    error(mark,
          "the template in " + where + " is " + std::to_string(too_long->length()) +
              " bytes long, more than " +
              limit_value_text(LimitKind::template_bytes, too_long->limit()) +
              ", the limit for one template",
          how_to_raise(LimitKind::template_bytes));
  }

  // ---- inputs ----------------------------------------------------------------------------

  // ---- nodes -----------------------------------------------------------------------------

  // First pass: ids and types of every node, so that references may point forward.
  void index_nodes() {
    node_index_.reserve(spec_.nodes.size());
    types_.resize(spec_.nodes.size());
    for_each_nodes_.assign(spec_.nodes.size(), false);
    // Each name's slot is asked for a few names ahead, so that its cache miss overlaps the
    // work on the names before it; the hash computed then is kept for its emplace().
    constexpr std::uint32_t ahead = 8;
    const std::size_t count = spec_.nodes.size();
    std::array<std::uint64_t, ahead> hashes{};
    for (std::uint32_t i = 0; i < ahead && i < count; ++i)
      hashes[i] = node_index_.prefetch(spec_.nodes[i].id);
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint64_t hash = hashes[i % ahead];
      if (i + ahead < count)
        hashes[i % ahead] = node_index_.prefetch(spec_.nodes[i + ahead].id);
      const NodeDecl& decl = spec_.nodes[i];
      if (!is_valid_node_id(decl.id))
        error(decl.mark, "invalid node id '" + decl.id + "'",
              "use letters, digits, '_' and '-', starting with a letter or '_'");
      else if (is_reserved_word(decl.id)) // it could never be referenced
        error(decl.mark, "node id '" + decl.id + "' is reserved",
              "'inputs', 'item', 'index', 'true', 'false' and 'null' have a meaning in "
              "references; pick another id");
      const auto [first, inserted] = node_index_.emplace(decl.id, i, hash);
      if (!inserted) {
        const SourceMark first_mark = spec_.nodes[first].mark;
        error(decl.mark, "duplicate node id '" + decl.id + "'",
              first_mark.line > 0 ? "first defined on line " + std::to_string(first_mark.line)
                                  : std::string());
      }
      types_[i] = resolve_type(decl);
      if (decl.for_each)
        for_each_nodes_[i] = true;
    }
  }

  const NodeType* resolve_type(const NodeDecl& decl) {
    if (decl.type.empty()) {
      // The loader has reported a missing, malformed or empty `type:` of a node it read; a
      // spec built in code (whatever positions it carries) needs the message here.
      if (origin_ == SpecOrigin::code)
        error(decl.mark, "node '" + decl.id + "' has no 'type'");
      return nullptr;
    }
    // Each type the plan uses is asked of the registry (and its lock) once.
    for (const TypeRules& rules : type_rules_)
      if (same_key(decl.type, rules.type->spec.type))
        return rules.type.get();
    if (auto type = registry_.find(decl.type)) {
      // The plan keeps every type its nodes use, in the order of first use.
      plan_->types.push_back(type);
      type_rules_.push_back(TypeRules{
          type, registry_.find_settings_check(type->spec.type),
          type->spec.side_effects ? registry_.find_side_effects_rule(type->spec.type) : nullptr});
      return type.get();
    }
    const std::vector<std::string> names = registry_.names();
    NearestName nearest(decl.type);
    for (const std::string& name : names)
      nearest.consider(name);
    std::string otherwise;
    if (names.empty())
      otherwise = "no node types are registered";
    else if (names.size() <= 8)
      otherwise = "known types: " + join_names(names);
    else
      otherwise = "run `sluice nodes` to list node types";
    error(decl.type_mark, "unknown node type '" + decl.type + "'",
          nearest.best() ? did_you_mean(nearest.best()) : otherwise);
    return nullptr;
  }

  // `node` is the node being compiled: its dependencies are appended to dependencies_.
  void add_dependency(std::uint32_t node, std::uint32_t dependency) {
    if (dependency_stamp_[dependency] == node)
      return;
    dependency_stamp_[dependency] = node;
    dependencies_.push_back(dependency);
    ++plan_->nodes[node].dependency_count;
  }

  // Every id in one buffer, so that a node holds a view instead of a std::string.
  void lay_out_ids() {
    std::size_t total = 0;
    for (const NodeDecl& decl : spec_.nodes)
      total += decl.id.size();
    std::string& text = plan_->id_text;
    text.reserve(total);
    for (const NodeDecl& decl : spec_.nodes)
      text += decl.id;
    std::size_t at = 0;
    for (std::size_t i = 0; i < spec_.nodes.size(); ++i) {
      plan_->nodes[i].id = std::string_view(text).substr(at, spec_.nodes[i].id.size());
      at += spec_.nodes[i].id.size();
    }
  }

  void compile_node(std::uint32_t index) {
    const NodeDecl& decl = spec_.nodes[index];
    PlanNode& node = plan_->nodes[index];
    // add_dependency() appends this node's dependencies from here on.
    node.dependencies_begin = static_cast<std::uint32_t>(dependencies_.size());
    if (!decl.description.empty())
      node.edit_extra().description = decl.description;
    node.type = types_[index];
    const bool has_for_each = decl.for_each.has_value();

    compile_settings(index, decl, node, has_for_each);
    if (!decl.needs.empty())
      compile_needs(index, decl);
    if (decl.condition)
      if (auto condition = compile_condition(index, decl, *decl.condition))
        node.edit_extra().condition = std::move(condition);
    if (decl.for_each)
      if (auto for_each = compile_for_each(index, decl, *decl.for_each))
        node.edit_extra().for_each = std::move(for_each);
    compile_execution_options(decl, node, has_for_each, report_problem_);

    const NodeExtras& extra = node.extra();
    node.inline_fast_path = node.type && node.type->run_sync && extra.retry.attempts == 1 &&
                            !extra.timeout && !extra.for_each;
    node.plain = node.inline_fast_path && !extra.condition;
  }

  void compile_settings(std::uint32_t index, const NodeDecl& decl, PlanNode& node,
                        bool has_for_each) {
    const NodeType* type = node.type;
    const std::size_t problems_before = diagnostics_.size();
    const std::size_t unknown_slot = type ? type->spec.settings.size() : 0;
    // A setting counts as given once it is stored, or once a problem with it is reported
    // (so a bad value is not also reported as missing).
    GivenSettings given;
    std::vector<ValueTemplate>& slots = plan_->setting_slots;
    node.settings_begin = static_cast<std::uint32_t>(slots.size());
    if (type) {
      if (type->spec.settings.size() > std::numeric_limits<std::uint16_t>::max())
        throw std::length_error("node type " + type->spec.type + " declares too many settings");
      node.setting_count = static_cast<std::uint16_t>(type->spec.settings.size());
      // Null for now: the defaults go into the slots nothing was given for, at the end (a
      // default built first and then replaced was 6 % of a chain node's compile).
      slots.resize(slots.size() + type->spec.settings.size());
      given.reset(type->spec.settings.size());
    }
    // Duplicates: a scan over the few settings most nodes have, a hash set past that (made
    // only then: an empty one still cost a bucket's set-up and tear-down per node).
    constexpr std::size_t few_settings = 16;
    std::optional<std::unordered_set<std::string_view>> seen;
    if (decl.with.size() > few_settings)
      seen.emplace();
    const auto set_before = [&](std::size_t i) {
      if (seen)
        return !seen->insert(decl.with[i].name).second;
      for (std::size_t j = 0; j < i; ++j)
        if (same_key(decl.with[j].name, decl.with[i].name))
          return true;
      return false;
    };
    for (std::size_t i = 0; i < decl.with.size(); ++i) {
      const SettingDecl& setting = decl.with[i];
      if (set_before(i)) {
        error(setting.mark,
              "setting '" + setting.name + "' is set twice in node '" + decl.id + "'");
        continue;
      }
      const std::size_t slot = type ? find_setting(type->spec, setting.name) : unknown_slot;
      if (type && slot == unknown_slot)
        report_unknown_setting(type->spec, setting);
      const ReferenceSite site{index, has_for_each, setting.mark};
      bool syntax_error = false;
      ValueTemplate parsed = parse_setting(setting, site, syntax_error);
      if (syntax_error) {
        if (slot != unknown_slot)
          given.set(slot);
        continue;
      }
      // References are checked even when the type or setting is unknown: they still make
      // edges, and their mistakes are worth reporting in the same pass.
      check_references(parsed, site);
      // An explicit null reads as "not set": the default, or the required-setting error.
      if (slot == unknown_slot || setting.value.is_null())
        continue;
      given.set(slot);
      const SettingSpec& setting_spec = type->spec.settings[slot];
      // Only the shape of a constant is known now; a string template is checked when it
      // runs (`{{ x }}` keeps x's type), but a list or map stays a list or map.
      const bool shape_known = parsed.is_constant() || !setting.value.is_string();
      if (shape_known && !accepts(setting_spec.type, setting.value)) {
        error(setting.mark, "setting '" + setting.name + "' of " + type->spec.type + " expects " +
                                std::string(to_string(setting_spec.type)) + ", got " +
                                std::string(to_string(setting.value.type())));
        continue;
      }
      slots[node.settings_begin + slot] = std::move(parsed);
    }
    if (!type)
      return;
    for (std::size_t slot = 0; slot < type->spec.settings.size(); ++slot) {
      const SettingSpec& setting_spec = type->spec.settings[slot];
      if (given.test(slot))
        continue;
      slots[node.settings_begin + slot] = ValueTemplate::from_constant(setting_spec.default_value);
      if (setting_spec.required && setting_spec.default_value.is_null())
        error(decl.mark,
              "node '" + decl.id + "' (" + type->spec.type + ") is missing required setting '" +
                  setting_spec.name + "'",
              "add '" + setting_spec.name + "' (" + std::string(to_string(setting_spec.type)) +
                  ") under 'with:'");
    }
    // The type's own checks see settings that passed the engine's: a setting of the wrong type
    // or a missing one is reported once, by the engine.
    const auto node_slots =
        std::span(plan_->setting_slots).subspan(node.settings_begin, node.setting_count);
    const TypeRules& rules = rules_of(*type);
    if (diagnostics_.size() == problems_before && rules.settings_check)
      run_settings_check(*rules.settings_check, decl, *type, node_slots, report_problem_);
    node.side_effects = node_has_side_effects(*type, rules.side_effects.get(), node_slots);
  }

  // A setting's template, its plain references bound from `site`; a syntax error is reported
  // and sets `syntax_error`. Returned whole, so that the template is made where the caller
  // keeps it (a default-made one assigned afterwards was two moves and two destructions of
  // its variant per setting).
  ValueTemplate parse_setting(const SettingDecl& setting, const ReferenceSite& site,
                              bool& syntax_error) {
    try {
      EarlyBinder binder(*this, site);
      return ValueTemplate::parse(setting.value, limits_.template_bytes, &binder);
    } catch (const TemplateSyntaxError& e) {
      template_error(setting.mark, e, "setting '" + setting.name + "'");
      syntax_error = true;
      return ValueTemplate();
    }
  }

  // resolve_type() recorded every type a node has.
  const TypeRules& rules_of(const NodeType& type) const {
    return *std::find_if(type_rules_.begin(), type_rules_.end(),
                         [&](const TypeRules& rules) { return rules.type.get() == &type; });
  }

  static std::size_t find_setting(const NodeSpec& spec, std::string_view name) {
    for (std::size_t i = 0; i < spec.settings.size(); ++i)
      if (same_key(spec.settings[i].name, name))
        return i;
    return spec.settings.size();
  }

  void report_unknown_setting(const NodeSpec& spec, const SettingDecl& setting) {
    std::vector<std::string> names;
    NearestName nearest(setting.name);
    for (const SettingSpec& candidate : spec.settings) {
      names.push_back(candidate.name);
      nearest.consider(candidate.name);
    }
    const std::string allowed = names.empty()
                                    ? spec.type + " takes no settings"
                                    : "settings of " + spec.type + ": " + join_names(names);
    error(setting.key_mark.line > 0 ? setting.key_mark : setting.mark,
          "unknown setting '" + setting.name + "' for " + spec.type,
          did_you_mean(nearest.best(), allowed));
  }

  void compile_needs(std::uint32_t index, const NodeDecl& decl) {
    for (const SpecField& need : decl.needs) {
      if (!need.value.is_string()) {
        error(need.mark,
              "'needs' of node '" + decl.id + "' must list node ids, got " + shown(need.value));
        continue;
      }
      const std::string_view target = need.value.as_string();
      const std::optional<std::uint32_t> found = node_index_.find(target);
      if (!found) {
        error(need.mark, "node '" + decl.id + "' needs unknown node '" + std::string(target) + "'",
              did_you_mean(suggest_node(target)));
        continue;
      }
      if (*found == index) {
        error(need.mark, "node '" + decl.id + "' needs itself");
        continue;
      }
      add_dependency(index, *found);
    }
  }

  std::shared_ptr<Template> compile_condition(std::uint32_t index, const NodeDecl& decl,
                                              const SpecField& field) {
    const std::string expected = "'if' of node '" + decl.id +
                                 "' must be true, false or a template such as "
                                 "'{{ inputs.enabled }}', got ";
    // A constant becomes a one-literal template, so the executor sees one kind of condition.
    if (field.value.is_bool())
      return std::make_shared<Template>(
          Template::parse(field.value.as_bool() ? "{{ true }}" : "{{ false }}"));
    if (!field.value.is_string()) {
      error(field.mark, expected + shown(field.value));
      return nullptr;
    }
    auto parsed = parse_template(field, "'if'");
    if (!parsed)
      return nullptr;
    if (parsed->is_constant()) {
      error(field.mark, expected + "'" + shown(field.value) + "'");
      return nullptr;
    }
    check_references(*parsed, ReferenceSite{index, false, field.mark});
    return parsed;
  }

  std::shared_ptr<Template> compile_for_each(std::uint32_t index, const NodeDecl& decl,
                                             const SpecField& field) {
    const std::string expected = "'for_each' of node '" + decl.id +
                                 "' must be a template that yields a list, such as "
                                 "'{{ inputs.items }}'";
    if (!field.value.is_string()) {
      error(field.mark, expected + ", got " + shown(field.value));
      return nullptr;
    }
    auto parsed = parse_template(field, "'for_each'");
    if (!parsed)
      return nullptr;
    if (parsed->is_constant()) {
      error(field.mark, expected + ", got '" + shown(field.value) + "'");
      return nullptr;
    }
    check_references(*parsed, ReferenceSite{index, false, field.mark});
    return parsed;
  }

  std::shared_ptr<Template> parse_template(const SpecField& field, const std::string& where) {
    try {
      return std::make_shared<Template>(
          Template::parse(field.value.as_string(), limits_.template_bytes));
    } catch (const TemplateSyntaxError& e) {
      template_error(field.mark, e, where);
      return nullptr;
    }
  }

  // ---- references ------------------------------------------------------------------------

  // Binds a setting's `{{ node.field }}` (and the other plain references) while it is parsed,
  // when nothing is wrong with it; one with a problem is declined, kept as a Reference and
  // reported by check_reference() with everything a message needs.
  class EarlyBinder final : public ReferenceBinder {
  public:
    EarlyBinder(PlanCompiler& compiler, ReferenceSite site) : compiler_(compiler), site_(site) {}
    std::optional<BoundReference> bind(const PlainReference& reference) override {
      return compiler_.bind_early(reference, site_);
    }
    std::span<const BoundReference> keep(std::span<const BoundReference> list) override {
      return compiler_.plan_->bound_lists.add(list);
    }
    void prefetch(const PlainReference& reference) noexcept override {
      if (reference.root == Reference::Root::node)
        compiler_.node_index_.prefetch(reference.name);
    }

  private:
    PlanCompiler& compiler_;
    ReferenceSite site_;
  };

  std::optional<BoundReference> bind_early(const PlainReference& reference,
                                           const ReferenceSite& site) {
    const Resolution resolved =
        // A plain reference's path is `.name` segments: its first field is the first name.
        resolve(reference.root, reference.name,
                reference.path.substr(0, name_end(reference.path, 0)), site);
    if (resolved.problem != ReferenceProblem::none)
      return std::nullopt;
    if (reference.root == Reference::Root::node && site.node != no_node)
      add_dependency(site.node, resolved.target);
    return BoundReference{plan_->paths.intern_plain(reference.path), resolved.target,
                          reference.root};
  }

  // What a reference from `site` names, and what is wrong with it if anything: the one
  // judgement behind both bind_early(), which declines any problem, and check_reference(),
  // which reports it. `field` is the first member name of its path (empty if none).
  enum class ReferenceProblem {
    none,
    unknown_input,
    outside_for_each,
    unknown_node,
    itself,
    no_output
  };
  struct Resolution {
    ReferenceProblem problem = ReferenceProblem::none;
    std::uint32_t target = 0;
  };

  Resolution resolve(Reference::Root root, std::string_view name, std::string_view field,
                     const ReferenceSite& site) const {
    switch (root) {
    case Reference::Root::input: {
      const auto found = input_index_.find(name);
      if (found == input_index_.end())
        return {ReferenceProblem::unknown_input};
      return {ReferenceProblem::none, found->second};
    }
    case Reference::Root::item:
    case Reference::Root::index:
      return {site.item_allowed ? ReferenceProblem::none : ReferenceProblem::outside_for_each};
    case Reference::Root::node: {
      const std::optional<std::uint32_t> found = node_index_.find(name);
      if (!found)
        return {ReferenceProblem::unknown_node};
      if (*found == site.node)
        return {ReferenceProblem::itself, *found};
      return {has_output(*found, field) ? ReferenceProblem::none : ReferenceProblem::no_output,
              *found};
    }
    }
    return {};
  }

  template <typename Parsed> void check_references(Parsed& parsed, const ReferenceSite& site) {
    references_.clear();
    parsed.collect(references_);
    for (Reference* reference : references_)
      check_reference(*reference, site);
  }

  void check_reference(Reference& reference, const ReferenceSite& site) {
    const std::string* field = reference.path.empty()
                                   ? nullptr
                                   : std::get_if<std::string>(&reference.path.segments().front());
    const Resolution resolved =
        resolve(reference.root, reference.name, field ? std::string_view(*field) : "", site);
    switch (resolved.problem) {
    case ReferenceProblem::none:
    case ReferenceProblem::no_output:
      // A missing output still makes its edge, so that a cycle through it is reported too.
      reference.target = resolved.target;
      if (reference.root == Reference::Root::node && site.node != no_node)
        add_dependency(site.node, resolved.target);
      if (resolved.problem == ReferenceProblem::no_output)
        report_missing_output(reference, site, resolved.target, *field);
      return;
    case ReferenceProblem::unknown_input:
      report_unknown_input(reference, site);
      return;
    case ReferenceProblem::outside_for_each:
      error(site.mark,
            std::string(reference.root == Reference::Root::item ? "'item'" : "'index'") +
                " used outside 'for_each' in " + quoted_reference(reference),
            "'item' and 'index' exist only in the settings of a node with 'for_each:'");
      return;
    case ReferenceProblem::unknown_node:
      error(site.mark, "unknown node '" + reference.name + "' in " + quoted_reference(reference),
            did_you_mean(suggest_node(reference.name)));
      return;
    case ReferenceProblem::itself:
      error(site.mark,
            "node '" + reference.name + "' refers to itself in " + quoted_reference(reference));
      return;
    }
  }

  void report_unknown_input(const Reference& reference, const ReferenceSite& site) {
    std::vector<std::string> names;
    NearestName nearest(reference.name);
    for (const InputDecl& input : spec_.inputs) {
      names.push_back(input.name);
      nearest.consider(input.name);
    }
    error(site.mark, "unknown input '" + reference.name + "' in " + quoted_reference(reference),
          did_you_mean(nearest.best(), names.empty() ? "the pipeline declares no inputs"
                                                     : "declared inputs: " + join_names(names)));
  }

  // With declared outputs, `{{ node.field }}` must name one of them.
  void report_missing_output(const Reference& reference, const ReferenceSite& site,
                             std::uint32_t target, const std::string& field) {
    const NodeType* type = types_[target];
    std::vector<std::string> names;
    NearestName nearest(field);
    for (const OutputSpec& output : type->spec.outputs) {
      names.push_back(output.name);
      nearest.consider(output.name);
    }
    error(site.mark,
          "node '" + reference.name + "' (" + type->spec.type + ") has no output '" + field +
              "'; outputs: " + join_names(names),
          did_you_mean(nearest.best()));
  }

  // Whether `{{ target.field }}` may be read: the field is one of the declared outputs, or
  // there is nothing to check it against (no type, no declared outputs, a for_each node, whose
  // output is a list of them, or no field).
  bool has_output(std::uint32_t target, std::string_view field) const {
    const NodeType* type = types_[target];
    if (!type || type->spec.outputs.empty() || for_each_nodes_[target] || field.empty())
      return true;
    return std::any_of(type->spec.outputs.begin(), type->spec.outputs.end(),
                       [&](const OutputSpec& output) { return same_key(output.name, field); });
  }

  std::optional<std::string> suggest_node(std::string_view wanted) {
    if (suggestions_left_ == 0)
      return std::nullopt;
    --suggestions_left_;
    NearestName nearest(wanted);
    for (const NodeDecl& node : spec_.nodes)
      nearest.consider(node.id);
    return nearest.best();
  }

  // ---- outputs ---------------------------------------------------------------------------

  void compile_outputs() {
    std::unordered_map<std::string_view, int> seen;
    for (const OutputDecl& decl : spec_.outputs) {
      if (!seen.emplace(decl.name, 0).second) {
        error(decl.mark, "duplicate output '" + decl.name + "'");
        continue;
      }
      PlanOutput output;
      output.name = decl.name;
      try {
        output.value = ValueTemplate::parse(decl.value, limits_.template_bytes);
      } catch (const TemplateSyntaxError& e) {
        template_error(decl.mark, e, "output '" + decl.name + "'");
        continue;
      }
      check_references(output.value, ReferenceSite{no_node, false, decl.mark});
      std::vector<Reference*> references;
      output.value.collect(references);
      for (const Reference* reference : references)
        if (reference->root == Reference::Root::node)
          output.nodes.push_back(reference->target);
      plan_->outputs.push_back(std::move(output));
    }
  }

  // ---- graph -----------------------------------------------------------------------------

  void report_cycles() {
    for (const std::vector<std::uint32_t>& cycle : find_cycles(*plan_)) {
      std::string text = "cycle: ";
      for (std::uint32_t v : cycle)
        text.append(plan_->nodes[v].id).append(" -> ");
      text += plan_->nodes[cycle.front()].id;
      error(spec_.nodes[cycle.front()].mark, std::move(text));
    }
  }
};

} // namespace

std::shared_ptr<const Plan> compile_plan(const PipelineSpec& spec, const Registry& registry,
                                         const Limits& limits, SpecOrigin origin) {
  return PlanCompiler(spec, registry, limits, origin).compile();
}

} // namespace sluice::detail
