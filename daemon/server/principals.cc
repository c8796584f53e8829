#include "daemon/server/principals.h"

namespace gatekeeper {

Principals::Principals(const Config& config) {
  for (const auto& p : config.principals()) {
    Principal principal{p.name(), 0};
    for (const std::string& r : p.roles()) {
      if (auto role = RoleByName(r)) principal.roles |= *role;
    }
    const Principal* stored =
        &by_name_.insert_or_assign(p.name(), std::move(principal))
             .first->second;
    if (!p.token_sha256().empty()) by_token_[p.token_sha256()] = stored;
    if (!p.cert_subject().empty()) by_subject_[p.cert_subject()] = stored;
  }
}

const Principal* Principals::ByTokenSha256(std::string_view hex) const {
  auto it = by_token_.find(hex);
  return it == by_token_.end() ? nullptr : it->second;
}

const Principal* Principals::ByCertificate(
    const std::vector<std::string>& names) const {
  for (const std::string& n : names) {
    auto it = by_subject_.find(n);
    if (it != by_subject_.end()) return it->second;
  }
  return nullptr;
}

}  // namespace gatekeeper
