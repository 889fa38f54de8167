#pragma once
// The scalars of YAML 1.2's core schema (null, booleans, integers, floats), which the loader
// uses to type plain scalars the way the specification does rather than as yaml-cpp guesses.

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::detail {

/// The prefix of the standard tags (`!!int` is `tag:yaml.org,2002:int`).
inline constexpr std::string_view core_tag_prefix = "tag:yaml.org,2002:";

/// `~`, `null`, `Null`, `NULL` or nothing at all.
bool is_core_null(std::string_view s);

/// `true`/`True`/`TRUE` or `false`/`False`/`FALSE`; nullopt for anything else.
std::optional<bool> core_bool(std::string_view s);

enum class IntegerParse { not_an_integer, too_big, ok };

/// Integers: `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`. Sets `out` when the answer is ok;
/// too_big when the text is an integer that int64 cannot hold.
IntegerParse core_integer(std::string_view s, std::int64_t& out);

/// Floats, including `.inf` and `.nan` in their three spellings; a float too large for a
/// double reads as infinity. nullopt when the text is not a float.
std::optional<double> core_float(std::string_view s);

} // namespace sluice::detail
