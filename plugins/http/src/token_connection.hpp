#pragma once
// `token` connections: a fixed secret (an API key, a personal access token) that http.request
// sends in a header. `sluice connect token NAME` stores one, encrypted like every connection;
// a node names it with its `connection` setting.

#include <sluice/credentials.hpp>
#include <sluice/http.hpp>
#include <sluice/node.hpp>

#include <string>

namespace sluice::http_plugin {

/// Adds the `token` connection provider: connect, check.
void register_token_provider(Registrar& registrar);

/// Adds the header of `connection` (a `token` connection) to `request` and declares its
/// secret. Throws NodeError when the connection is of another provider, needs a new token, or
/// is kept to an origin the request does not go to.
void authorise(HttpRequest& request, const Connection& connection);

} // namespace sluice::http_plugin
