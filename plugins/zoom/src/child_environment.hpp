#pragma once
// The environment a child process of the plugin (the user's browser) is started with: the
// caller's, minus everything that may carry a secret.

#include <string>
#include <string_view>
#include <vector>

namespace sluice::zoom {

/// True for a variable that must not reach a child process: every `SLUICE_*` variable (the
/// credential key, the client secret) and any whose name says it holds a secret (`SECRET`,
/// `TOKEN`, `PASSWORD`, `PASSWD`, `CREDENTIAL` anywhere; `KEY`, `PASS`, `PAT` as a whole
/// `_`-separated part; any case).
bool is_secret_variable(std::string_view name);

/// `environment` (NAME=VALUE entries, e.g. `environ`) without the secret variables.
std::vector<std::string> scrubbed_environment(char** environment);

} // namespace sluice::zoom
