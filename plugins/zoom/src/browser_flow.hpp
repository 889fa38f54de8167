#pragma once
// The authorization-code flow of a native app (RFC 8252): PKCE and `state`, a loopback
// listener as the redirect target, the user's browser, then the code exchange.

#include "endpoints.hpp"
#include "oauth.hpp"

#include <sluice/provider.hpp>

#include <chrono>
#include <string>

namespace sluice::zoom {

struct BrowserFlow {
  /// The redirect URI registered with the app (loopback http); empty: 127.0.0.1, a free
  /// port, /callback.
  std::string redirect_uri;
  /// Start a browser on the URL (else only print it).
  bool open_browser = true;
  /// The command that opens the URL (the URL is appended); empty: xdg-open.
  std::string browser_command;
  std::chrono::seconds timeout{300};
};

/// Prints the authorize URL (and opens the browser), waits for the redirect, checks
/// `state`, exchanges the code with the PKCE verifier. Blocking; throws with a message for
/// the user (denied, timed out, state mismatch, token endpoint refusal).
TokenAnswer authorize_in_browser(ProviderContext& ctx, const Endpoints& endpoints,
                                 const ClientCredentials& client, const BrowserFlow& flow);

} // namespace sluice::zoom
