#pragma once
// A validator for the subset of JSON Schema that Zoom's OpenAPI documents use: type,
// enum, required, properties, items, minimum/maximum, minLength/maxLength, maxItems,
// pattern and the formats int64, date-time and email. Unknown keywords are ignored, as
// the standard asks. The emulator validates request bodies with it, and the tests use it
// to check answers against Zoom's own schemas.

#include "errors.hpp"

#include <sluice/value.hpp>

#include <string>
#include <vector>

namespace sluice::zoom_emulator {

// Appends one error per violation to `errors`; `path` names `value` ("" for the root).
void validate_schema(const Value& schema, const Value& value, const std::string& path,
                     std::vector<FieldError>& errors);

// The request body schema of create and update meeting (patched as plugins/zoom/spec/README.md
// describes, tightened by the limits docs/zoom-api.md §2 documents).
const Value& meeting_request_schema();

} // namespace sluice::zoom_emulator
