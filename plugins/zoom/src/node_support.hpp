#pragma once
// What every zoom.* node does around its own request: validate, pick the connection, run
// the Zoom calls on the node's own strand, log what happened, map errors.

#include "api.hpp"

#include <sluice/node.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

namespace sluice::zoom {

/// The settings every zoom.* node has (`connection`).
std::vector<SettingSpec> common_settings();

/// The body of a node: given the API of the chosen connection and the node's settings,
/// the node's output. Runs on the node's strand; must not touch the Context (its notes go
/// through the API and reach the log when it ends).
using NodeBody = std::function<boost::asio::awaitable<Value>(ZoomApi&, const Value& settings)>;

/// Runs `body` for the node in `ctx`: validation errors (InputError) become
/// invalid_input, the connection is the `connection` setting or the only Zoom connection,
/// the API's notes go to the node's log.
boost::asio::awaitable<Value> run_zoom_node(Context& ctx, NodeBody body);

/// The name of the connection to use: `requested` when set, otherwise the only stored Zoom
/// connection. Blocking (reads the store); throws NodeError listing the choices.
std::string choose_connection(CredentialStore& store, const std::string& requested);

} // namespace sluice::zoom
