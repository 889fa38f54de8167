// Fuzz target: what the PostgreSQL credential store reads back from its database, which it
// does not trust (engine/src/credentials/sealed_secret.cpp and the hex text of hex_text.hpp):
// a column's hex text decodes to bytes, or to nothing when it is not hex; bytes that this key
// did not seal for this place never open (the fuzzer cannot forge the tag, so an open that
// succeeds means the check is broken); what is sealed opens to itself, and not once any byte
// of it changes or the place differs.

#include "credentials/sealed_secret.hpp"
#include "hex_text.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using sluice::credentials::SecretSealer;
using sluice::credentials::StoreKey;

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz_sealed_secret: %s\n", what);
  std::abort();
}

const SecretSealer& sealer() {
  static const SecretSealer sealer(StoreKey::from_hex(std::string(64, '7'), "fuzz"));
  return sealer;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view place = "connection 0123 access_token";

  // As the store reads a column: hex text, then the sealed bytes.
  if (const auto bytes = sluice::detail::bytes_of_hex(input)) {
    if (bytes->size() * 2 != input.size())
      broken("hex text decoded to the wrong number of bytes");
    const std::string again = sluice::detail::lower_hex(
        reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size());
    if (sluice::detail::bytes_of_hex(again) != bytes)
      broken("bytes written as hex do not read back");
    if (sealer().open(*bytes, place))
      broken("bytes this key never sealed opened");
  }
  if (sealer().open(input, place))
    broken("bytes this key never sealed opened");

  // What is sealed opens to itself, only where it was sealed for, and only whole.
  const std::string sealed = sealer().seal(input, place);
  const auto opened = sealer().open(sealed, place);
  if (!opened || opened->reveal() != input)
    broken("a sealed value did not open to itself");
  if (sealer().open(sealed, "connection 0123 refresh_token"))
    broken("a sealed value opened for another place");
  std::string changed = sealed;
  changed[size % changed.size()] ^= 0x01;
  if (sealer().open(changed, place))
    broken("a changed sealed value opened");
  if (sealer().open(std::string_view(sealed).substr(0, sealed.size() - 1), place))
    broken("a truncated sealed value opened");
  return 0;
}
