#include "daemon/config/security_config.h"

#include <arpa/inet.h>

#include <set>
#include <string>

#include "daemon/common/roles.h"
#include "daemon/common/strings.h"

namespace gatekeeper {
namespace {

absl::Status Invalid(std::string_view key, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(key, ": ", what));
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsPrincipalName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (unsigned char c : s) {
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '@')) {
      return false;
    }
  }
  return true;
}

bool IsPrintable(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// The host of "host:port" or "[v6]:port", without brackets.
std::string HostOf(std::string_view listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) return "";
  std::string host(listen.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

bool IsIpLiteral(const std::string& host) {
  in_addr v4{};
  in6_addr v6{};
  return ::inet_pton(AF_INET, host.c_str(), &v4) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

}  // namespace

bool IsLoopbackListen(std::string_view listen) {
  if (listen.rfind(':') == std::string_view::npos) return false;
  const std::string host = HostOf(listen);
  if (host == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

absl::Status ValidateSecurityConfig(const config::v1::Config& config) {
  const auto& tls = config.tls();
  if (!tls.cert_file().empty() && tls.key_file().empty()) {
    return Invalid("tls.key_file", "is required with tls.cert_file");
  }
  if (tls.cert_file().empty() && !tls.key_file().empty()) {
    return Invalid("tls.cert_file", "is required with tls.key_file");
  }
  const bool with_tls = !tls.cert_file().empty();
  if (!tls.client_ca_file().empty() && !with_tls) {
    return Invalid("tls.client_ca_file",
                   "needs tls.cert_file and tls.key_file (mutual TLS is TLS)");
  }
  constexpr char kPlaintext[] =
      "plaintext is allowed only on a loopback address (127.0.0.1, ::1, "
      "localhost); set tls.cert_file and tls.key_file to listen on \"";
  if (!with_tls && !IsLoopbackListen(config.listen())) {
    return Invalid("listen", StrCat(kPlaintext, config.listen(), "\""));
  }
  // The HTTP side speaks only plaintext: it stays on loopback, TLS or not.
  // http.listen takes only an IP address; the HTTP server names any other
  // value as malformed when it starts.
  if (config.has_http() && IsIpLiteral(HostOf(config.http().listen())) &&
      !IsLoopbackListen(config.http().listen())) {
    return Invalid(
        "http.listen",
        StrCat("plaintext is allowed only on a loopback address (127.0.0.1, "
               "::1, localhost), and the HTTP side has no TLS: keep it on "
               "loopback and put a TLS proxy in front to serve \"",
               config.http().listen(), "\""));
  }
  if (config.principals().empty() && !IsLoopbackListen(config.listen())) {
    return Invalid("principals",
                   "required when listen is not a loopback address: without "
                   "them anyone who reaches the port may call every RPC");
  }
  std::set<std::string> names, tokens, subjects;
  for (int i = 0; i < config.principals_size(); ++i) {
    const auto& p = config.principals(i);
    const std::string key = StrCat("principals[", i, "]");
    if (!IsPrincipalName(p.name())) {
      return Invalid(StrCat(key, ".name"),
                     p.name().empty() ? "is required"
                                      : "expected 1-64 of [A-Za-z0-9._@-]");
    }
    if (!names.insert(p.name()).second) {
      return Invalid(StrCat(key, ".name"),
                     StrCat("\"", p.name(), "\" is named twice"));
    }
    if (p.cert_subject().empty() == p.token_sha256().empty()) {
      return Invalid(key, "set exactly one of cert_subject and token_sha256");
    }
    if (!p.token_sha256().empty()) {
      if (p.token_sha256().size() != 64 || !IsLowerHex(p.token_sha256())) {
        return Invalid(StrCat(key, ".token_sha256"),
                       "expected 64 lowercase hex digits (the line gkctl "
                       "token new prints)");
      }
      if (!tokens.insert(p.token_sha256()).second) {
        return Invalid(StrCat(key, ".token_sha256"),
                       "the same token is given to another principal");
      }
    } else {
      if (tls.client_ca_file().empty()) {
        return Invalid(StrCat(key, ".cert_subject"),
                       "needs tls.client_ca_file: client certificates are "
                       "asked for only under mutual TLS");
      }
      if (p.cert_subject().size() > 255 || !IsPrintable(p.cert_subject())) {
        return Invalid(StrCat(key, ".cert_subject"),
                       "expected at most 255 printable characters");
      }
      if (!subjects.insert(p.cert_subject()).second) {
        return Invalid(StrCat(key, ".cert_subject"),
                       "the same subject is given to another principal");
      }
    }
    if (p.roles().empty()) {
      return Invalid(StrCat(key, ".roles"), "at least one role is required");
    }
    RoleSet seen = 0;
    for (int j = 0; j < p.roles_size(); ++j) {
      auto role = RoleByName(p.roles(j));
      if (!role) {
        return Invalid(StrCat(key, ".roles[", j, "]"),
                       StrCat("unknown role \"", p.roles(j),
                              "\" (expected one of ", RoleNames(~0u), ")"));
      }
      if ((seen & *role) != 0) {
        return Invalid(StrCat(key, ".roles[", j, "]"), "duplicate role");
      }
      seen |= *role;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateLimits(config::v1::Config& config) {
  auto& limits = *config.mutable_limits();
  if (limits.max_message_bytes() == 0) {
    limits.set_max_message_bytes(kDefaultMaxMessageBytes);
  }
  if (limits.max_message_bytes() < (64u << 10) ||
      limits.max_message_bytes() > (1u << 30)) {
    return Invalid("limits.max_message_bytes",
                   "expected 65536 to 1073741824 bytes");
  }
  if (limits.rate_per_principal() == 0) {
    limits.set_rate_per_principal(kDefaultRatePerPrincipal);
  }
  if (limits.rate_per_principal() > 10'000'000) {
    return Invalid("limits.rate_per_principal",
                   "expected 1 to 10000000 calls a second");
  }
  if (limits.max_batch_items() == 0) limits.set_max_batch_items(kMaxBatchItems);
  if (limits.max_batch_items() > kMaxBatchItems) {
    return Invalid("limits.max_batch_items", "expected 1 to 10000 items");
  }
  if (limits.max_streams_per_principal() == 0) {
    limits.set_max_streams_per_principal(kDefaultMaxStreamsPerPrincipal);
  }
  if (limits.max_streams_per_principal() > 100'000) {
    return Invalid("limits.max_streams_per_principal",
                   "expected 1 to 100000 streams");
  }
  if (limits.default_deadline_ms() == 0) {
    limits.set_default_deadline_ms(kDefaultDeadlineMs);
  }
  if (limits.default_deadline_ms() < 1000 ||
      limits.default_deadline_ms() > 86'400'000) {
    return Invalid("limits.default_deadline_ms",
                   "expected 1000 to 86400000 ms");
  }
  return absl::OkStatus();
}

}  // namespace gatekeeper
