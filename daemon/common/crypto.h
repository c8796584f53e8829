// Hashes, HMACs and random identifiers over OpenSSL. Thread-safe.
#ifndef GATEKEEPER_DAEMON_COMMON_CRYPTO_H_
#define GATEKEEPER_DAEMON_COMMON_CRYPTO_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gatekeeper {

// Raw 32-byte digest.
std::string Sha256(std::string_view data);

// SHA-256 fed in pieces (a print run's digest over millions of lines). Not
// copyable; not thread-safe.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view data);
  // The raw 32-byte digest; the hasher starts over.
  std::string Finish();

 private:
  void* ctx_;  // EVP_MD_CTX
};

// HMAC-SHA256 (RFC 2104) under a fixed key, with the key's inner and outer
// SHA-256 states computed once: about 0.15 us a MAC instead of 1 us for
// OpenSSL's one-shot HMAC(), which looks the digest up and hashes the key
// every time. Thread-safe; not copyable.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;
  std::string Mac(std::string_view data) const;

 private:
  struct State;
  State* state_;
};

std::string ToHex(std::string_view bytes);
// Fails on odd length or non-hex characters.
absl::StatusOr<std::string> FromHex(std::string_view hex);

// A time-ordered unique id: prefix, 12 hex digits of milliseconds since the
// epoch, 20 hex digits unique to the id (e.g. "dec_0193a1b2c3d4e5f6..."). The
// 20 digits come from a per-thread sequence, seeded from the CSPRNG and put
// through a bijective mix: distinct within a thread, unpredictable enough
// across threads and restarts, and about 30x cheaper than RAND_bytes.
std::string NewId(std::string_view prefix);

// Cryptographically random bytes; aborts if the CSPRNG fails (never returns
// predictable bytes).
std::string RandomBytes(size_t n);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_COMMON_CRYPTO_H_
