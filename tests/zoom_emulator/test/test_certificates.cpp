// A throw-away test CA and server certificates made with `openssl` (test_certificates.hpp).

#include "test_certificates.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace sluice::zoom_emulator::test {

namespace {

void shell(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("test certificates: command failed: " + command);
}

} // namespace

TestCertificates::TestCertificates() {
  directory = std::filesystem::temp_directory_path() /
              ("sluice-test-certificates-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  const auto path = [this](const std::string& name) { return (directory / name).string(); };
  // EC keys: fast to make, so every test process can have its own CA.
  const std::string key_options = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  ca = path("ca.pem");
  shell("openssl req -x509" + key_options + " -days 1 -subj '/CN=Sluice test CA' -keyout '" +
        path("ca.key") + "' -out '" + ca +
        "' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign");
  const auto issue = [&](const std::string& name, const std::string& alt_names, std::string& cert,
                         std::string& key) {
    cert = path(name + ".pem");
    key = path(name + ".key");
    std::ofstream(path(name + ".ext")) << "basicConstraints=CA:FALSE\n"
                                          "extendedKeyUsage=serverAuth\n"
                                          "subjectAltName="
                                       << alt_names << "\n";
    shell("openssl req -new" + key_options + " -subj /CN=" + name + " -keyout '" + key +
          "' -out '" + path(name + ".csr") + "'");
    shell("openssl x509 -req -days 1 -in '" + path(name + ".csr") + "' -CA '" + ca + "' -CAkey '" +
          path("ca.key") + "' -CAcreateserial -extfile '" + path(name + ".ext") + "' -out '" +
          cert + "'");
  };
  issue("good", "IP:127.0.0.1,DNS:localhost", good_cert, good_key);
  issue("wrong", "DNS:wrong.example", wrong_cert, wrong_key);
  self_cert = path("self.pem");
  self_key = path("self.key");
  shell("openssl req -x509" + key_options + " -days 1 -subj /CN=localhost -keyout '" + self_key +
        "' -out '" + self_cert + "' -addext subjectAltName=IP:127.0.0.1,DNS:localhost");
}

TestCertificates::~TestCertificates() {
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
}

const TestCertificates& TestCertificates::get() {
  static const TestCertificates certificates;
  return certificates;
}

} // namespace sluice::zoom_emulator::test
