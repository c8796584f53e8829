#include "daemon/audit/print_batch.h"

#include <array>
#include <bit>
#include <unordered_map>

#include "absl/status/status.h"
#include "daemon/common/crypto.h"
#include "gatekeeper/v1/types.pb.h"

namespace gatekeeper {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kNoConsent = 0, kBinaryConsent = 1, kTextConsent = 2;
constexpr std::string_view kConsentPrefix = "cns_";

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

// Reads from a body; fails once, then every read returns zero values.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      const uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  uint8_t Byte() {
    if (pos_ >= in_.size()) return static_cast<uint8_t>(Fail());
    return static_cast<uint8_t>(in_[pos_++]);
  }
  std::string_view Bytes(uint64_t n) {
    if (!ok_ || n > in_.size() - pos_) {
      Fail();
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string String() { return std::string(Bytes(Varint())); }

 private:
  uint64_t Fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// The value of each lowercase hex digit; -1 for any other byte.
constexpr auto kLowerHex = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = c - '0';
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<size_t>(c)] = c - 'a' + 10;
  return t;
}();

// The 16 bytes of 32 lowercase hex digits, checked and converted in one
// pass (this runs for every ALLOW of a print run); false if any is not one.
bool LowerHexBytes16(std::string_view hex, char (&out)[16]) {
  int bad = 0;
  for (size_t i = 0; i < 16; ++i) {
    const int hi = kLowerHex[static_cast<uint8_t>(hex[2 * i])];
    const int lo = kLowerHex[static_cast<uint8_t>(hex[2 * i + 1])];
    bad |= hi | lo;  // negative if either is -1
    out[i] = static_cast<char>((hi << 4) | (lo & 0xf));
  }
  return bad >= 0;
}

}  // namespace

uint32_t AllowMask() { return 1u << v1::REASON_CONSENT_ON_RECORD; }

std::string EncodePrintBatch(const std::vector<DocumentVerdicts>& docs) {
  // Each decision's campaign as its index in the table, found once: by a
  // scan while the table is short (a run has a few leaflets), then by a map.
  constexpr size_t kScan = 32;
  std::unordered_map<std::string_view, uint64_t> index;
  std::vector<std::string_view> campaigns;
  std::vector<uint64_t> decision_campaign;
  const auto index_of = [&](std::string_view id) -> uint64_t {
    if (campaigns.size() <= kScan) {
      for (size_t i = 0; i < campaigns.size(); ++i) {
        if (campaigns[i] == id) return i;
      }
      if (campaigns.size() < kScan) {
        campaigns.push_back(id);
        return campaigns.size() - 1;
      }
      for (size_t i = 0; i < campaigns.size(); ++i)
        index.emplace(campaigns[i], i);
    }
    auto [it, added] = index.emplace(id, campaigns.size());
    if (added) campaigns.push_back(id);
    return it->second;
  };
  for (const DocumentVerdicts& d : docs) {
    for (const CampaignVerdict& c : d.campaigns) {
      decision_campaign.push_back(index_of(c.campaign_id));
    }
  }
  std::string out;
  out.reserve(16 + docs.size() * 96);
  out.push_back(static_cast<char>(kVersion));
  PutVarint(out, campaigns.size());
  for (std::string_view c : campaigns) PutString(out, c);
  PutVarint(out, docs.size());
  size_t decision = 0;
  for (const DocumentVerdicts& d : docs) {
    PutString(out, d.document_id);
    PutString(out, d.customer_id);
    PutVarint(out, d.campaigns.size());
    for (const CampaignVerdict& c : d.campaigns) {
      PutVarint(out, decision_campaign[decision++]);
      PutVarint(out, c.reasons);
      const std::string_view id = c.consent_id;
      char bytes[16];
      if (id.empty()) {
        out.push_back(static_cast<char>(kNoConsent));
      } else if (id.size() == kConsentPrefix.size() + 32 &&
                 id.substr(0, kConsentPrefix.size()) == kConsentPrefix &&
                 LowerHexBytes16(id.substr(kConsentPrefix.size()), bytes)) {
        out.push_back(static_cast<char>(kBinaryConsent));
        out.append(bytes, sizeof bytes);
      } else {
        out.push_back(static_cast<char>(kTextConsent));
        PutString(out, id);
      }
    }
  }
  return out;
}

absl::StatusOr<std::vector<DocumentVerdicts>> DecodePrintBatch(
    std::string_view body) {
  Reader r(body);
  if (r.Byte() != kVersion) {
    return absl::DataLossError("print batch: unknown encoding version");
  }
  std::vector<std::string> campaigns(r.Varint());
  for (std::string& c : campaigns) c = r.String();
  std::vector<DocumentVerdicts> docs;
  const uint64_t n = r.Varint();
  if (n > body.size()) return absl::DataLossError("print batch: bad count");
  docs.resize(n);
  for (DocumentVerdicts& d : docs) {
    d.document_id = r.String();
    d.customer_id = r.String();
    const uint64_t k = r.Varint();
    if (k > body.size()) return absl::DataLossError("print batch: bad count");
    d.campaigns.resize(k);
    for (CampaignVerdict& c : d.campaigns) {
      const uint64_t i = r.Varint();
      if (i >= campaigns.size()) {
        return absl::DataLossError("print batch: bad campaign index");
      }
      c.campaign_id = campaigns[i];
      c.reasons = static_cast<uint32_t>(r.Varint());
      switch (r.Byte()) {
        case kNoConsent:
          break;
        case kBinaryConsent:
          c.consent_id = std::string(kConsentPrefix) + ToHex(r.Bytes(16));
          break;
        case kTextConsent:
          c.consent_id = r.String();
          break;
        default:
          return absl::DataLossError("print batch: bad consent kind");
      }
    }
  }
  if (!r.ok() || !r.done()) {
    return absl::DataLossError("print batch: truncated or trailing bytes");
  }
  return docs;
}

void AppendReasonNames(uint32_t reasons, std::string& out) {
  constexpr std::string_view kPrefix = "REASON_";
  bool first = true;
  for (uint32_t rest = reasons; rest != 0; rest &= rest - 1) {
    const int r = std::countr_zero(rest);
    if (!first) out.push_back(';');
    first = false;
    const std::string& name = v1::Reason_Name(static_cast<v1::Reason>(r));
    if (name.empty()) {
      out.append(std::to_string(r));
    } else {
      out.append(std::string_view(name).substr(kPrefix.size()));
    }
  }
}

std::string ReasonNames(uint32_t reasons) {
  std::string out;
  AppendReasonNames(reasons, out);
  return out;
}

void AppendDecisionLines(const DocumentVerdicts& doc, std::string& out) {
  for (const CampaignVerdict& c : doc.campaigns) {
    out.append(doc.document_id);
    out.push_back('\t');
    out.append(doc.customer_id);
    out.push_back('\t');
    out.append(c.campaign_id);
    out.append(IsAllow(c.reasons) ? "\tALLOW\t" : "\tBLOCK\t");
    AppendReasonNames(c.reasons, out);
    out.push_back('\n');
  }
}

}  // namespace gatekeeper
