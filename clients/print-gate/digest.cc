#include "clients/print-gate/digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "gatekeeper/v1/types.pb.h"

namespace printgate {

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (ctx_->md == nullptr ||
      EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("cannot initialise SHA-256 (OpenSSL)");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_->md); }

void Sha256::Update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_->md, data.data(), data.size()) != 1) {
    throw std::runtime_error("SHA-256 update failed (OpenSSL)");
  }
}

std::string Sha256::HexDigest() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const bool ok = copy != nullptr && EVP_MD_CTX_copy_ex(copy, ctx_->md) == 1 &&
                  EVP_DigestFinal_ex(copy, digest, &len) == 1;
  EVP_MD_CTX_free(copy);
  if (!ok) throw std::runtime_error("SHA-256 final failed (OpenSSL)");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

std::string ReasonName(int reason) {
  if (!gatekeeper::v1::Reason_IsValid(reason)) return std::to_string(reason);
  std::string name =
      gatekeeper::v1::Reason_Name(static_cast<gatekeeper::v1::Reason>(reason));
  constexpr std::string_view kPrefix = "REASON_";
  if (name.compare(0, kPrefix.size(), kPrefix) == 0) {
    name.erase(0, kPrefix.size());
  }
  return name;
}

std::string JoinReasons(const google::protobuf::RepeatedField<int>& reasons) {
  std::vector<int> sorted(reasons.begin(), reasons.end());
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (int r : sorted) {
    if (!out.empty()) out += ';';
    out += ReasonName(r);
  }
  return out;
}

std::string JoinReasonBits(uint32_t bits) {
  // Names made once: a run has millions of blocked decisions.
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (int r = 0; r < 32; ++r) names.push_back(ReasonName(r));
    return names;
  }();
  std::string out;
  for (int r = 0; r < 32; ++r) {
    if ((bits & (1u << r)) == 0) continue;
    if (!out.empty()) out += ';';
    out += kNames[static_cast<size_t>(r)];
  }
  return out;
}

void AppendDecisionLine(std::string& out, std::string_view document_id,
                        std::string_view customer_id,
                        std::string_view campaign_id, bool allow,
                        std::string_view reasons) {
  out.append(document_id);
  out += '\t';
  out.append(customer_id);
  out += '\t';
  out.append(campaign_id);
  out += allow ? "\tALLOW\tCONSENT_ON_RECORD\n" : "\tBLOCK\t";
  if (!allow) {
    out.append(reasons);
    out += '\n';
  }
}

}  // namespace printgate
