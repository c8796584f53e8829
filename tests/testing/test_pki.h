// Certificates for TLS tests, made with OpenSSL at test time: a CA, server
// and client certificates signed by it (or by another CA), valid now or
// expired. Keys are P-256. Files are PEM; key files are mode 0600.
#ifndef GATEKEEPER_TESTS_TESTING_TEST_PKI_H_
#define GATEKEEPER_TESTS_TESTING_TEST_PKI_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace gatekeeper::testing {

struct CertOptions {
  std::string common_name;
  // "DNS:shop1.example.jp", "IP:127.0.0.1", ...
  std::vector<std::string> subject_alt_names;
  bool is_ca = false;
  // Validity relative to now, in seconds.
  long not_before = -3600;
  long not_after = 86400;
};

class TestCert {
 public:
  // A self-signed CA.
  static TestCert NewCa(const std::string& common_name);
  // A certificate signed by this one (which must be a CA).
  TestCert Issue(const CertOptions& options) const;

  // Writes NAME.crt and NAME.key (0600) into `dir`; returns the paths.
  std::string WriteCert(const std::filesystem::path& dir,
                        const std::string& name) const;
  std::string WriteKey(const std::filesystem::path& dir,
                       const std::string& name) const;
  std::string CertPem() const;
  std::string KeyPem() const;

 private:
  TestCert(EVP_PKEY* key, X509* cert);
  std::shared_ptr<EVP_PKEY> key_;
  std::shared_ptr<X509> cert_;
};

}  // namespace gatekeeper::testing

#endif  // GATEKEEPER_TESTS_TESTING_TEST_PKI_H_
