#include "tests/testing/test_pki.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <stdexcept>

namespace gatekeeper::testing {
namespace {

void Require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Require(ext != nullptr, "X509V3_EXT_conf_nid");
  Require(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

// Signs a new certificate for `key`, issued by (issuer, issuer_key), or
// self-signed when issuer is null.
X509* Make(EVP_PKEY* key, const CertOptions& o, X509* issuer,
           EVP_PKEY* issuer_key) {
  static long serial = 1;
  X509* cert = X509_new();
  Require(cert != nullptr, "X509_new");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), o.not_before);
  X509_gmtime_adj(X509_getm_notAfter(cert), o.not_after);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_UTF8,
      reinterpret_cast<const unsigned char*>(o.common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(
      cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509* ext_issuer = issuer != nullptr ? issuer : cert;
  AddExtension(cert, ext_issuer, NID_basic_constraints,
               o.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  AddExtension(cert, ext_issuer, NID_key_usage,
               o.is_ca ? "critical,keyCertSign,cRLSign"
                       : "critical,digitalSignature,keyEncipherment");
  AddExtension(cert, ext_issuer, NID_subject_key_identifier, "hash");
  if (!o.is_ca) {
    AddExtension(cert, ext_issuer, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  if (!o.subject_alt_names.empty()) {
    std::string sans;
    for (const std::string& s : o.subject_alt_names) {
      if (!sans.empty()) sans += ",";
      sans += s;
    }
    AddExtension(cert, ext_issuer, NID_subject_alt_name, sans);
  }
  Require(X509_sign(cert, issuer_key != nullptr ? issuer_key : key,
                    EVP_sha256()) > 0,
          "X509_sign");
  return cert;
}

std::string ToPem(const std::function<int(BIO*)>& write) {
  BIO* bio = BIO_new(BIO_s_mem());
  Require(write(bio) == 1, "PEM write");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string WriteFile(const std::filesystem::path& path,
                      const std::string& text, mode_t mode) {
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << text; }
  ::chmod(path.c_str(), mode);
  return path.string();
}

}  // namespace

TestCert::TestCert(EVP_PKEY* key, X509* cert)
    : key_(key, EVP_PKEY_free), cert_(cert, X509_free) {}

TestCert TestCert::NewCa(const std::string& common_name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  Require(key != nullptr, "EVP_EC_gen");
  CertOptions o;
  o.common_name = common_name;
  o.is_ca = true;
  o.not_before = -86400 * 10;
  o.not_after = 86400 * 30;
  return TestCert(key, Make(key, o, nullptr, nullptr));
}

TestCert TestCert::Issue(const CertOptions& options) const {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  Require(key != nullptr, "EVP_EC_gen");
  return TestCert(key, Make(key, options, cert_.get(), key_.get()));
}

std::string TestCert::CertPem() const {
  return ToPem([&](BIO* b) { return PEM_write_bio_X509(b, cert_.get()); });
}

std::string TestCert::KeyPem() const {
  return ToPem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key_.get(), nullptr, nullptr, 0, nullptr,
                                    nullptr);
  });
}

std::string TestCert::WriteCert(const std::filesystem::path& dir,
                                const std::string& name) const {
  return WriteFile(dir / (name + ".crt"), CertPem(), 0644);
}

std::string TestCert::WriteKey(const std::filesystem::path& dir,
                               const std::string& name) const {
  return WriteFile(dir / (name + ".key"), KeyPem(), 0600);
}

}  // namespace gatekeeper::testing
