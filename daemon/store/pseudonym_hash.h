// A hash for maps keyed by phone pseudonyms: a pseudonym is an HMAC-SHA256
// output, uniformly random, so its first eight bytes are as good a hash as
// hashing all 32 and cost nothing. Equality still compares the whole key.
// Thread-safe.
#ifndef GATEKEEPER_DAEMON_STORE_PSEUDONYM_HASH_H_
#define GATEKEEPER_DAEMON_STORE_PSEUDONYM_HASH_H_

#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>

namespace gatekeeper {

struct PseudonymHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    if (s.size() < sizeof(uint64_t)) return std::hash<std::string_view>{}(s);
    uint64_t h;
    std::memcpy(&h, s.data(), sizeof h);
    return static_cast<size_t>(h);
  }
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_PSEUDONYM_HASH_H_
