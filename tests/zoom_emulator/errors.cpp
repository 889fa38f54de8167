// Zoom's error bodies (errors.hpp): `{code, message}` for the API, `{reason, error}` for
// OAuth.

#include "errors.hpp"

namespace sluice::zoom_emulator {

Response json_response(int status, const Value& body) {
  Response response;
  response.status = status;
  response.body = body.to_json();
  return response;
}

Response empty_response(int status) {
  Response response;
  response.status = status;
  response.content_type.clear(); // Zoom's 204 answers carry no body and no content type
  return response;
}

Response zoom_error(int status, int code, std::string message) {
  return json_response(status, Value(Object{{"code", code}, {"message", std::move(message)}}));
}

Response validation_error(const std::vector<FieldError>& errors) {
  Array items;
  for (const FieldError& error : errors)
    items.push_back(Value(Object{{"field", error.field}, {"message", error.message}}));
  return json_response(400, Value(Object{{"code", code::validation_failed},
                                         {"message", "Validation Failed."},
                                         {"errors", Value(std::move(items))}}));
}

Response oauth_error(int status, std::string error, std::string reason) {
  return json_response(status,
                       Value(Object{{"reason", std::move(reason)}, {"error", std::move(error)}}));
}

} // namespace sluice::zoom_emulator
