#pragma once
// The node types an engine knows, by type name.

#include <sluice/node.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::detail {

class Registry final : public Registrar {
public:
  void add(NodeType type) override;
  /// The type named `name`, or nullptr. Types stay alive while a plan holds them.
  std::shared_ptr<const NodeType> find(std::string_view name) const;
  /// All types, sorted by name.
  std::vector<std::shared_ptr<const NodeType>> all() const;
  /// Registered names, sorted: for "did you mean" suggestions.
  std::vector<std::string> names() const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const NodeType>, std::less<>> types_;
};

/// Registers core.template, core.json, core.delay, core.log, core.fail, core.merge.
void register_core_nodes(Registrar& registrar);

} // namespace sluice::detail
