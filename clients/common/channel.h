// How every client reaches the daemon (README, "Security"): plaintext, TLS
// (--tls-ca: the CA that signed the daemon's certificate), mutual TLS (also
// --cert and --key: the client's certificate and key) and a bearer token
// (--token-file: sent as `authorization: Bearer TOKEN` on every call, over
// TLS or to a loopback daemon).
#ifndef GATEKEEPER_CLIENTS_COMMON_CHANNEL_H_
#define GATEKEEPER_CLIENTS_COMMON_CHANNEL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <string_view>

namespace gatekeeper::clients {

struct ChannelSecurity {
  std::string tls_ca;      // PEM file; TLS when this, cert or key is set
  std::string cert;        // PEM file: the client's certificate (chain)
  std::string key;         // PEM file: its private key (mode 0600)
  std::string token_file;  // the token on its first line (mode 0600)
};

// The channel, or null with `error` set to a one-line reason naming the
// option ("--key: /etc/x.key is readable by group or others; chmod 600 it").
std::shared_ptr<grpc::Channel> OpenChannel(const std::string& target,
                                           const ChannelSecurity& security,
                                           const grpc::ChannelArguments& args,
                                           std::string* error);

// What to check when a call fails UNAVAILABLE: a refused TLS handshake
// reaches the client only as "Socket closed" or "handshake failed".
inline constexpr std::string_view kUnavailableHint =
    "is gatekeeperd up at --target? with TLS, check --tls-ca, --cert and "
    "--key";

// A fresh bearer token: "gkt_" and 43 characters of base64url (256 random
// bits). Empty if the system's random source fails.
std::string NewToken();

// The lowercase hex SHA-256 of a token: what config principals[].token_sha256
// holds.
std::string TokenSha256(const std::string& token);

}  // namespace gatekeeper::clients

#endif  // GATEKEEPER_CLIENTS_COMMON_CHANNEL_H_
