#include "clients/common/channel.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/support/client_interceptor.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace gatekeeper::clients {
namespace {

// Reads a whole file; with `private_only`, refuses one that group or others
// may read. False with `error` naming `option` otherwise.
bool ReadFile(const std::string& option, const std::string& path,
              bool private_only, std::string* out, std::string* error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *error = option + ": cannot read " + path;
    return false;
  }
  if (private_only && (st.st_mode & 077) != 0) {
    *error =
        option + ": " + path + " is readable by group or others; chmod 600 it";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    *error = option + ": cannot read " + path;
    return false;
  }
  *out = text.str();
  return true;
}

// Adds `authorization: Bearer TOKEN` to every call's initial metadata.
class TokenInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit TokenInterceptor(const std::string* header) : header_(header) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::
                PRE_SEND_INITIAL_METADATA)) {
      m->GetSendInitialMetadata()->insert({"authorization", *header_});
    }
    m->Proceed();
  }

 private:
  const std::string* header_;
};

class TokenInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit TokenInterceptorFactory(std::string token)
      : header_("Bearer " + std::move(token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new TokenInterceptor(&header_);
  }

 private:
  const std::string header_;  // lives as long as the channel
};

std::string Base64Url(const unsigned char* data, size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

}  // namespace

std::shared_ptr<grpc::Channel> OpenChannel(const std::string& target,
                                           const ChannelSecurity& security,
                                           const grpc::ChannelArguments& args,
                                           std::string* error) {
  if (target.empty()) {
    *error = "--target: must not be empty";
    return nullptr;
  }
  if (security.cert.empty() != security.key.empty()) {
    *error = security.cert.empty() ? "--cert: is required with --key"
                                   : "--key: is required with --cert";
    return nullptr;
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (security.tls_ca.empty() && security.cert.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    if (!security.tls_ca.empty() &&
        !ReadFile("--tls-ca", security.tls_ca, false, &ssl.pem_root_certs,
                  error)) {
      return nullptr;
    }
    if (!security.cert.empty() &&
        (!ReadFile("--cert", security.cert, false, &ssl.pem_cert_chain,
                   error) ||
         !ReadFile("--key", security.key, true, &ssl.pem_private_key, error))) {
      return nullptr;
    }
    credentials = grpc::SslCredentials(ssl);
  }
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  if (!security.token_file.empty()) {
    std::string token;
    if (!ReadFile("--token-file", security.token_file, true, &token, error)) {
      return nullptr;
    }
    token = token.substr(0, token.find_first_of("\r\n"));
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
      token.pop_back();
    }
    if (token.empty()) {
      *error = "--token-file: " + security.token_file + " holds no token";
      return nullptr;
    }
    interceptors.push_back(
        std::make_unique<TokenInterceptorFactory>(std::move(token)));
  }
  grpc::ChannelArguments a = args;
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, credentials, a, std::move(interceptors));
}

std::string NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  return "gkt_" + Base64Url(bytes, sizeof bytes);
}

std::string TokenSha256(const std::string& token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(token.data(), token.size(), digest, &n, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace gatekeeper::clients
