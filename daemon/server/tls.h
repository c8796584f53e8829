// The gRPC port's credentials from config `tls` (README, "Security"): TLS
// with the server's certificate and key, mutual TLS when a client CA is set
// (a client without a certificate it signed is refused in the handshake),
// plaintext otherwise (config validation allows that only on loopback).
#ifndef GATEKEEPER_DAEMON_SERVER_TLS_H_
#define GATEKEEPER_DAEMON_SERVER_TLS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "absl/status/statusor.h"
#include "daemon/config/config.h"

namespace gatekeeper {

// Reads the files; FAILED_PRECONDITION naming the key and the file when the
// private key is readable by group or others or not owned by the daemon's
// user, NOT_FOUND or UNAVAILABLE when a file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const config::v1::Tls& tls);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_TLS_H_
