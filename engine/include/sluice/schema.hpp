#pragma once
/// @file
/// A JSON Schema of the pipeline format, including every node type an engine knows, for
/// editors (YAML language servers) and tools.

#include <sluice/engine.hpp>
#include <sluice/export.hpp>
#include <sluice/value.hpp>

namespace sluice {

/// JSON Schema (draft 2020-12) of a pipeline file whose nodes use `engine`'s node types:
/// per-type settings with their types, required ones and descriptions. Settings also accept
/// `{{ ... }}` templates, which are only checked when the pipeline loads.
SLUICE_API Value pipeline_schema(const Engine& engine);

} // namespace sluice
