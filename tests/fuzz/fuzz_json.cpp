// Fuzz target: Value::parse_json (sdk/src/json.cpp) and its round trip. Any text either
// throws JsonError or parses into a Value whose JSON, compact or pretty, parses back into an
// equal Value; writing that Value again gives the same text, byte for byte.

#include <sluice/value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

// A broken property is a finding: say which, and abort so libFuzzer (or the replay driver)
// keeps the input.
[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_json: %s\n%s\n", what, detail.c_str());
  std::abort();
}

sluice::Value reparse(const std::string& json, const char* what) {
  try {
    return sluice::Value::parse_json(json);
  } catch (const sluice::JsonError& e) {
    broken(what, std::string(e.what()) + "\n" + json);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  sluice::Value value;
  try {
    value = sluice::Value::parse_json(text);
  } catch (const sluice::JsonError& e) {
    if (e.offset() != sluice::JsonError::npos && e.offset() > size)
      broken("JsonError offset past the end of the text", e.what());
    return 0; // the documented refusal
  }

  const std::string compact = value.to_json();
  const sluice::Value again = reparse(compact, "to_json() does not parse back");
  if (!(again == value))
    broken("to_json() parses back into a different value", compact);
  if (again.to_json() != compact)
    broken("to_json() of the reparsed value differs", compact + "\n" + again.to_json());

  const std::string pretty = value.to_json(true);
  if (!(reparse(pretty, "to_json(pretty) does not parse back") == value))
    broken("to_json(pretty) parses back into a different value", pretty);

  (void)value.to_text();
  return 0;
}
