#include "daemon/common/ed25519.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <utility>

#include "daemon/common/crypto.h"
#include "daemon/common/files.h"
#include "daemon/common/strings.h"

namespace gatekeeper {
namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

absl::StatusOr<std::string> PublicPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return absl::InternalError("cannot encode the public key");
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> KeyIdOf(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return absl::InternalError("cannot encode the public key");
  std::string id = ToHex(Sha256(std::string_view(
      reinterpret_cast<const char*>(der), static_cast<size_t>(n))));
  OPENSSL_free(der);
  return id;
}

absl::StatusOr<PkeyPtr> ReadPublicPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio != nullptr
                  ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)
                  : nullptr);
  if (key == nullptr || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError(
        "is not a PEM Ed25519 public key (-----BEGIN PUBLIC KEY-----)");
  }
  return key;
}

}  // namespace

struct Ed25519Signer::Key {
  PkeyPtr pkey;
};

Ed25519Signer::Ed25519Signer(std::shared_ptr<Key> key, std::string public_pem,
                             std::string key_id)
    : key_(std::move(key)),
      public_pem_(std::move(public_pem)),
      key_id_(std::move(key_id)) {}

absl::StatusOr<Ed25519Signer> Ed25519Signer::LoadOrCreate(
    const std::filesystem::path& key_file,
    const std::filesystem::path& public_file) {
  auto pem = ReadWholeFile(key_file, /*private_only=*/true);
  if (absl::IsNotFound(pem.status())) {
    // First start: a new key, written once.
    EVP_PKEY* raw = nullptr;
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
    const bool ok = ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 &&
                    EVP_PKEY_keygen(ctx, &raw) == 1;
    EVP_PKEY_CTX_free(ctx);
    PkeyPtr fresh(raw);
    if (!ok) return absl::InternalError("cannot generate an Ed25519 key");
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (bio == nullptr ||
        PEM_write_bio_PrivateKey(bio.get(), fresh.get(), nullptr, nullptr, 0,
                                 nullptr, nullptr) != 1) {
      return absl::InternalError("cannot encode the Ed25519 key");
    }
    absl::Status created =
        CreateFileDurably(key_file, BioContents(bio.get()), 0600);
    if (!created.ok() && !absl::IsAlreadyExists(created)) return created;
    pem = ReadWholeFile(key_file, /*private_only=*/true);
  }
  if (!pem.ok()) return pem.status();
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  auto key = std::make_shared<Key>();
  key->pkey.reset(bio != nullptr ? PEM_read_bio_PrivateKey(bio.get(), nullptr,
                                                           nullptr, nullptr)
                                 : nullptr);
  if (key->pkey == nullptr ||
      EVP_PKEY_get_id(key->pkey.get()) != EVP_PKEY_ED25519) {
    return absl::DataLossError(
        StrCat(key_file.string(), " does not hold a PEM Ed25519 private key"));
  }
  auto public_pem = PublicPem(key->pkey.get());
  if (!public_pem.ok()) return public_pem.status();
  auto id = KeyIdOf(key->pkey.get());
  if (!id.ok()) return id.status();
  auto current = ReadWholeFile(public_file, /*private_only=*/false);
  if (!current.ok() || *current != *public_pem) {
    absl::Status s = ReplaceFileDurably(public_file, *public_pem, 0644);
    if (!s.ok()) return s;
  }
  return Ed25519Signer(std::move(key), *std::move(public_pem), *std::move(id));
}

std::string Ed25519Signer::Sign(std::string_view message) const {
  std::string sig(64, '\0');
  size_t len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx != nullptr &&
      EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_->pkey.get()) ==
          1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || len != 64) std::abort();  // a signature we cannot make is a bug
  return sig;
}

absl::StatusOr<bool> VerifyEd25519(std::string_view public_key_pem,
                                   std::string_view message,
                                   std::string_view signature) {
  auto key = ReadPublicPem(public_key_pem);
  if (!key.ok()) return key.status();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key->get()) == 1 &&
      EVP_DigestVerify(ctx,
                       reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

absl::StatusOr<std::string> Ed25519KeyId(std::string_view public_key_pem) {
  auto key = ReadPublicPem(public_key_pem);
  if (!key.ok()) return key.status();
  return KeyIdOf(key->get());
}

}  // namespace gatekeeper
