#pragma once
// The node types an engine knows, by type name.

#include <sluice/node.hpp>
#include <sluice/provider.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::detail {

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

private:
  mutable std::mutex mutex_;
  struct Entry {
    std::shared_ptr<const NodeType> type;
    std::string origin;
  };
  std::map<std::string, Entry, std::less<>> types_;
  struct ProviderEntry {
    std::shared_ptr<const ConnectionProvider> provider;
    std::string origin;
  };
  std::map<std::string, ProviderEntry, std::less<>> providers_;
};

/// Registers core.time, core.template, core.json, core.delay, core.log, core.fail, core.merge.
void register_core_nodes(Registrar& registrar);

} // namespace sluice::detail
