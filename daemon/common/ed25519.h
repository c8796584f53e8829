// Ed25519 signing keys over OpenSSL: the audit log's checkpoint key. The
// private key lives in a PEM (PKCS#8) file created 0600 on first start; its
// public key is written beside it as PEM (SubjectPublicKeyInfo) for anyone
// who checks the signatures. Thread-safe.
#ifndef GATEKEEPER_DAEMON_COMMON_ED25519_H_
#define GATEKEEPER_DAEMON_COMMON_ED25519_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gatekeeper {

class Ed25519Signer {
 public:
  // Loads the key from `key_file`, or creates it (atomically, durably, 0600)
  // when the file does not exist; then (re)writes `public_file` when it is
  // missing or differs. FAILED_PRECONDITION when the key file is readable by
  // group or others, DATA_LOSS when it does not hold an Ed25519 key.
  static absl::StatusOr<Ed25519Signer> LoadOrCreate(
      const std::filesystem::path& key_file,
      const std::filesystem::path& public_file);

  // The 64-byte signature of `message`.
  std::string Sign(std::string_view message) const;
  const std::string& public_key_pem() const { return public_pem_; }
  // Lowercase hex SHA-256 of the public key's DER encoding.
  const std::string& key_id() const { return key_id_; }

 private:
  struct Key;
  Ed25519Signer(std::shared_ptr<Key> key, std::string public_pem,
                std::string key_id);
  std::shared_ptr<Key> key_;
  std::string public_pem_;
  std::string key_id_;
};

// Whether `signature` is `public_key_pem`'s Ed25519 signature of `message`.
// INVALID_ARGUMENT when the PEM does not hold an Ed25519 public key.
absl::StatusOr<bool> VerifyEd25519(std::string_view public_key_pem,
                                   std::string_view message,
                                   std::string_view signature);

// The key id (as Ed25519Signer::key_id) of a PEM public key.
absl::StatusOr<std::string> Ed25519KeyId(std::string_view public_key_pem);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_COMMON_ED25519_H_
