#pragma once
// The node types and connection providers an engine knows, by name.

#include <sluice/node.hpp>
#include <sluice/provider.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::detail {

/// Named entries (node types, connection providers), each with where it came from. Not
/// synchronised: the Registry holds the lock.
template <typename T> class NamedTable {
public:
  /// Throws std::invalid_argument when `name` is taken, naming who took it; `kind` is what
  /// the table holds, for the message ("node type").
  void require_free(std::string_view kind, const std::string& name) const {
    if (auto it = entries_.find(name); it != entries_.end())
      throw std::invalid_argument(std::string(kind) + " '" + name + "' is already registered (" +
                                  it->second.origin + ")");
  }
  /// Adds `item` under `name`, or throws as require_free() does.
  void insert(std::string_view kind, std::string name, std::shared_ptr<const T> item,
              std::string origin) {
    require_free(kind, name);
    entries_.emplace(std::move(name), Entry{std::move(item), std::move(origin)});
  }
  std::shared_ptr<const T> find(std::string_view name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : it->second.item;
  }
  std::string origin_of(std::string_view name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? std::string() : it->second.origin;
  }
  /// Every entry, sorted by name.
  std::vector<std::shared_ptr<const T>> items() const {
    std::vector<std::shared_ptr<const T>> out;
    out.reserve(entries_.size());
    for (const auto& [name, entry] : entries_)
      out.push_back(entry.item);
    return out;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& [name, entry] : entries_)
      out.push_back(name);
    return out;
  }

private:
  struct Entry {
    std::shared_ptr<const T> item;
    std::string origin;
  };
  std::map<std::string, Entry, std::less<>> entries_;
};

class Registry final : public Registrar {
public:
  /// Registers an in-process type (core nodes, embedding applications).
  void add(NodeType type) override;
  /// Registers a type and remembers where it came from, e.g. "plugin 'zoom' (libzoom.so)".
  void add(NodeType type, std::string origin);
  /// Throws std::invalid_argument when `type` could not be added (bad name, no run
  /// function, bad default, or the name is taken — naming who took it).
  void check(const NodeType& type) const;
  /// Where type `name` came from, or empty when unknown.
  std::string origin_of(std::string_view name) const;
  /// The type named `name`, or nullptr. Types stay alive while a plan holds them.
  std::shared_ptr<const NodeType> find(std::string_view name) const;
  /// All types, sorted by name.
  std::vector<std::shared_ptr<const NodeType>> all() const;
  /// Registered names, sorted: for "did you mean" suggestions.
  std::vector<std::string> names() const;

  /// Connection providers (plugins' `add_provider`).
  void add_provider(ConnectionProvider provider) override;
  void add_provider(ConnectionProvider provider, std::string origin);
  /// Throws std::invalid_argument when `provider` could not be added.
  void check_provider(const ConnectionProvider& provider) const;
  std::shared_ptr<const ConnectionProvider> find_provider(std::string_view name) const;
  std::vector<std::shared_ptr<const ConnectionProvider>> providers() const;

  /// Settings checks (`add_settings_check`), by node type.
  void add_settings_check(std::string_view type, SettingsCheck check) override;
  void add_settings_check(std::string_view type, SettingsCheck check, std::string origin);
  /// Throws std::invalid_argument when a check for `type` could not be added: no such type
  /// (`known_type` says whether the caller's own staging has it), no function, one already.
  void check_settings_check(std::string_view type, const SettingsCheck& check,
                            bool known_type) const;
  /// The check of node type `type`, or nullptr.
  std::shared_ptr<const SettingsCheck> find_settings_check(std::string_view type) const;

  /// Side-effects rules (`add_side_effects_rule`), by node type.
  void add_side_effects_rule(std::string_view type, SideEffectsRule rule) override;
  void add_side_effects_rule(std::string_view type, SideEffectsRule rule, std::string origin);
  /// Throws std::invalid_argument when `rule` cannot be the rule of the type `spec` declares:
  /// the type declares no side effects to take away, the rule names no setting of it or no
  /// value, or the type has a rule already.
  void check_side_effects_rule(const NodeSpec& spec, const SideEffectsRule& rule) const;
  /// The rule of node type `type`, or nullptr.
  std::shared_ptr<const SideEffectsRule> find_side_effects_rule(std::string_view type) const;

  /// Reach declarations (`declare_reach`), by node type.
  void declare_reach(std::string_view type, Reach reach) override;
  void declare_reach(std::string_view type, Reach reach, std::string origin);
  /// Throws std::invalid_argument when type `type` has declared its reach already.
  void check_reach(std::string_view type) const;
  /// What type `type` declared; Reach::unknown when it declared nothing.
  Reach find_reach(std::string_view type) const;

  /// Reconciliation declarations (`declare_reconciles`), by node type.
  void declare_reconciles(std::string_view type) override;
  void declare_reconciles(std::string_view type, std::string origin);
  /// Throws std::invalid_argument when type `type` declared it already, or is idempotent
  /// (nothing to reconcile).
  void check_reconciles(const NodeSpec& spec) const;
  /// Whether type `type` declared it.
  bool reconciles(std::string_view type) const;

private:
  mutable std::mutex mutex_;
  NamedTable<NodeType> types_;
  NamedTable<ConnectionProvider> providers_;
  NamedTable<SettingsCheck> settings_checks_;
  NamedTable<SideEffectsRule> side_effects_rules_;
  NamedTable<Reach> reaches_;
  NamedTable<bool> reconciling_;
};

/// Registers core.time, core.template, core.json, core.delay, core.log, core.fail, core.merge.
void register_core_nodes(Registrar& registrar);

} // namespace sluice::detail
