// The `http` plugin's entry point.
#include "request_node.hpp"
#include "token_connection.hpp"

#include <sluice/plugin.hpp>

namespace {
void register_http(sluice::Registrar& registrar) {
  sluice::http_plugin::register_request_node(registrar);
  sluice::http_plugin::register_token_provider(registrar);
}
} // namespace

SLUICE_PLUGIN("http", "0.1.0",
              "Calls any HTTP(S) API from a pipeline (http.request; token connections)",
              register_http)
