#include "daemon/server/tls.h"

#include <grpcpp/security/server_credentials.h>

#include "daemon/common/files.h"
#include "daemon/common/strings.h"

namespace gatekeeper {
namespace {

absl::StatusOr<std::string> Read(std::string_view key, const std::string& path,
                                 bool private_only) {
  auto text = ReadWholeFile(path, private_only);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        StrCat(key, ": ", text.status().message()));
  }
  if (text->find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        StrCat(key, ": ", path, " is not a PEM file"));
  }
  return text;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const config::v1::Tls& tls) {
  if (tls.cert_file().empty()) return grpc::InsecureServerCredentials();
  auto cert = Read("tls.cert_file", tls.cert_file(), false);
  if (!cert.ok()) return cert.status();
  auto key = Read("tls.key_file", tls.key_file(), /*private_only=*/true);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!tls.client_ca_file().empty()) {
    auto ca = Read("tls.client_ca_file", tls.client_ca_file(), false);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

}  // namespace gatekeeper
