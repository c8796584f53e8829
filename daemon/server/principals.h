// The configured callers (config `principals`), looked up by what
// authenticates them: a bearer token's SHA-256 or a client certificate's
// subject. Built once per config snapshot; immutable, so thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_PRINCIPALS_H_
#define GATEKEEPER_DAEMON_SERVER_PRINCIPALS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/common/roles.h"
#include "daemon/config/config.h"

namespace gatekeeper {

struct Principal {
  std::string name;
  RoleSet roles = 0;
};

class Principals {
 public:
  explicit Principals(const Config& config);
  // The token and subject maps point into by_name_: a copy would point into
  // the original. A move keeps the map's nodes, so it may move.
  Principals(const Principals&) = delete;
  Principals& operator=(const Principals&) = delete;
  Principals(Principals&&) = default;
  Principals& operator=(Principals&&) = default;

  // False when the config names no principal: no authentication
  // (development on loopback).
  bool configured() const { return !by_name_.empty(); }
  // The principal a token's hex SHA-256 belongs to, or null.
  const Principal* ByTokenSha256(std::string_view hex) const;
  // The principal of the first of a certificate's names (its subject
  // alternative names, then its common name) that is configured, or null.
  const Principal* ByCertificate(const std::vector<std::string>& names) const;

 private:
  std::map<std::string, Principal, std::less<>> by_name_;
  std::map<std::string, const Principal*, std::less<>> by_token_;
  std::map<std::string, const Principal*, std::less<>> by_subject_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_PRINCIPALS_H_
