#pragma once
// A throw-away test CA and server certificates, made with the `openssl` command once per
// test process, for TLS tests against the emulator (which serves any of them with
// --tls-cert/--tls-key).

#include <filesystem>
#include <string>

namespace sluice::zoom_emulator::test {

struct TestCertificates {
  std::filesystem::path directory;
  std::string ca;                    // the CA certificate (PEM): what a client trusts
  std::string good_cert, good_key;   // SAN IP:127.0.0.1, DNS:localhost, signed by the CA
  std::string wrong_cert, wrong_key; // SAN DNS:wrong.example only, signed by the CA
  std::string self_cert, self_key;   // self-signed, right names, unknown to every client

  /// Made on first use; throws std::runtime_error when openssl fails.
  static const TestCertificates& get();
  ~TestCertificates();

private:
  TestCertificates();
};

} // namespace sluice::zoom_emulator::test
