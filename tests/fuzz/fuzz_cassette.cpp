// Fuzz target: reading a cassette (engine/src/cassette/cassette_file.cpp) and replaying it
// (player.cpp). Any text either throws CassetteError or reads into a Cassette that writes back
// into text reading into the same cassette; then every recorded request, sent to a player of
// that cassette, is answered (each matches at least itself), and a request nothing matches is
// refused with the nearest recorded one named.

#include "cassette/player.hpp"

#include <sluice/cassette.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_cassette: %s\n%s\n", what, detail.c_str());
  std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  sluice::Cassette cassette;
  try {
    cassette = sluice::cassette_from_json(text);
  } catch (const sluice::CassetteError&) {
    return 0; // the documented refusal
  }
  const std::string written = sluice::cassette_to_json(cassette);
  sluice::Cassette again;
  try {
    again = sluice::cassette_from_json(written);
  } catch (const sluice::CassetteError& e) {
    broken("cassette_to_json() does not read back", std::string(e.what()) + "\n" + written);
  }
  if (sluice::cassette_to_json(again) != written)
    broken("a cassette read back writes different text", written);

  sluice::detail::CassettePlayer player(cassette);
  for (const sluice::CassetteExchange& recorded : cassette.exchanges) {
    sluice::HttpExchange exchange;
    exchange.node = recorded.node;
    exchange.request = recorded.request;
    if (player.before_send(exchange).kind != sluice::HttpDecision::Kind::answer)
      broken("a recorded request is not answered by its own cassette", written);
  }
  if (!player.unused().empty())
    broken("every recorded exchange was asked for, yet some are unused", written);
  sluice::HttpExchange stranger;
  stranger.node = "fuzz";
  stranger.request.method = "PURGE";
  stranger.request.url = "http://127.0.0.1/never/recorded";
  if (player.before_send(stranger).kind != sluice::HttpDecision::Kind::refuse ||
      player.unmatched().empty())
    broken("a request nothing matches was not refused", written);
  return 0;
}
