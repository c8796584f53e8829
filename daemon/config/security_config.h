// Validation of the config's security keys: `tls`, `principals`, and the rule
// that plaintext listens only on loopback (README, "Security").
#ifndef GATEKEEPER_DAEMON_CONFIG_SECURITY_CONFIG_H_
#define GATEKEEPER_DAEMON_CONFIG_SECURITY_CONFIG_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "gatekeeper/config/v1/config.pb.h"

namespace gatekeeper {

// Whether a "host:port" listen address is on loopback: localhost, 127.0.0.0/8
// or ::1 ("[::1]:50051").
bool IsLoopbackListen(std::string_view listen);

// INVALID_ARGUMENT "KEY: what is wrong" for the first problem: a half-set
// `tls`, a plaintext listen (gRPC or HTTP) beyond loopback, a listen beyond
// loopback without principals, or a principal without a name, with both or
// neither of cert_subject and token_sha256, a malformed or repeated token
// hash, a certificate subject without tls.client_ca_file, or an unknown role.
absl::Status ValidateSecurityConfig(const config::v1::Config& config);

// Checks `limits` and fills in the defaults of the keys left out.
absl::Status ValidateLimits(config::v1::Config& config);

inline constexpr uint32_t kDefaultMaxMessageBytes = 32u << 20;
inline constexpr uint32_t kDefaultRatePerPrincipal = 50'000;
inline constexpr uint32_t kMaxBatchItems = 10'000;
inline constexpr uint32_t kDefaultMaxStreamsPerPrincipal = 64;
inline constexpr uint32_t kDefaultDeadlineMs = 600'000;

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_CONFIG_SECURITY_CONFIG_H_
