#include "daemon/common/crypto.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"

namespace gatekeeper {

std::string Sha256(std::string_view data) {
  // The digest is fetched once: SHA256() looks it up on every call.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  unsigned int len = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(),
                                  reinterpret_cast<unsigned char*>(out.data()),
                                  &len, md, nullptr) != 1) {
    std::fputs("fatal: SHA-256 failed\n", stderr);
    std::abort();
  }
  return out;
}

namespace {
const EVP_MD* Sha256Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}
[[noreturn]] void HashFailed() {
  std::fputs("fatal: SHA-256 failed\n", stderr);
  std::abort();
}
}  // namespace

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || Sha256Md() == nullptr ||
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), Sha256Md(), nullptr) !=
          1) {
    HashFailed();
  }
}

Sha256Hasher::~Sha256Hasher() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Sha256Hasher::Update(std::string_view data) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(),
                       data.size()) != 1) {
    HashFailed();
  }
}

std::string Sha256Hasher::Finish() {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  unsigned int len = 0;
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  if (EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()),
                         &len) != 1 ||
      EVP_DigestInit_ex(ctx, Sha256Md(), nullptr) != 1) {
    HashFailed();
  }
  return out;
}

struct HmacSha256Key::State {
  EVP_MD* md = nullptr;
  EVP_MD_CTX* inner = nullptr;  // after hashing key XOR ipad
  EVP_MD_CTX* outer = nullptr;  // after hashing key XOR opad
};

HmacSha256Key::HmacSha256Key(std::string_view key) : state_(new State) {
  constexpr size_t kBlock = 64;
  unsigned char k[kBlock] = {};
  if (key.size() > kBlock) {
    const std::string digest = Sha256(key);
    std::memcpy(k, digest.data(), digest.size());
  } else {
    std::memcpy(k, key.data(), key.size());
  }
  unsigned char ipad[kBlock], opad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) {
    ipad[i] = k[i] ^ 0x36;
    opad[i] = k[i] ^ 0x5c;
  }
  state_->md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  state_->inner = EVP_MD_CTX_new();
  state_->outer = EVP_MD_CTX_new();
  if (state_->md == nullptr || state_->inner == nullptr ||
      state_->outer == nullptr ||
      EVP_DigestInit_ex(state_->inner, state_->md, nullptr) != 1 ||
      EVP_DigestUpdate(state_->inner, ipad, kBlock) != 1 ||
      EVP_DigestInit_ex(state_->outer, state_->md, nullptr) != 1 ||
      EVP_DigestUpdate(state_->outer, opad, kBlock) != 1) {
    std::fputs("fatal: cannot set up HMAC-SHA256\n", stderr);
    std::abort();
  }
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
}

HmacSha256Key::~HmacSha256Key() {
  EVP_MD_CTX_free(state_->inner);
  EVP_MD_CTX_free(state_->outer);
  EVP_MD_free(state_->md);
  delete state_;
}

std::string HmacSha256Key::Mac(std::string_view data) const {
  // A per-thread working context, copied from the keyed states.
  struct Work {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Work() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Work work;
  unsigned char inner[EVP_MAX_MD_SIZE];
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  unsigned int len = 0;
  if (work.ctx == nullptr || EVP_MD_CTX_copy_ex(work.ctx, state_->inner) != 1 ||
      EVP_DigestUpdate(work.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(work.ctx, inner, &len) != 1 ||
      EVP_MD_CTX_copy_ex(work.ctx, state_->outer) != 1 ||
      EVP_DigestUpdate(work.ctx, inner, len) != 1 ||
      EVP_DigestFinal_ex(work.ctx, reinterpret_cast<unsigned char*>(out.data()),
                         &len) != 1) {
    std::fputs("fatal: HMAC-SHA256 failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

absl::StatusOr<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError("hex string has odd length");
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError("hex string has a non-hex character");
    }
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n)) != 1) {
    std::fputs("fatal: RAND_bytes failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string NewId(std::string_view prefix) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  char ts[13];
  std::snprintf(ts, sizeof ts, "%012llx",
                static_cast<unsigned long long>(ms) & 0xffffffffffffULL);
  // splitmix64's finaliser: a bijection on 64 bits.
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  struct Sequence {
    uint64_t seed[2];
    uint64_t next = 0;
    Sequence() {
      const std::string r = RandomBytes(sizeof(seed));
      std::memcpy(seed, r.data(), sizeof(seed));
    }
  };
  thread_local Sequence seq;
  const uint64_t n = seq.next++;
  const uint64_t a = mix(seq.seed[0] + n);  // distinct for distinct n
  const uint64_t b = mix(seq.seed[1] ^ n);
  char tail[21];
  std::snprintf(tail, sizeof tail, "%016llx%04llx",
                static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b & 0xffff));
  std::string id(prefix);
  id += ts;
  id += tail;
  return id;
}

}  // namespace gatekeeper
