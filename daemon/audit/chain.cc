#include "daemon/audit/chain.h"

#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"

namespace gatekeeper {
namespace {

void PutU64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void PutBytes(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

}  // namespace

std::string GenesisHash() { return std::string(kHashSize, '\0'); }

std::string CanonicalEncoding(const AuditRecord& r) {
  std::string out;
  out.reserve(4 + 16 + 16 + r.kind.size() + r.actor.size() +
              r.customer_id.size() + r.payload_json.size());
  out.append("GKA1");
  PutU64(out, r.seq);
  PutU64(out, static_cast<uint64_t>(r.at));
  PutBytes(out, r.kind);
  PutBytes(out, r.actor);
  PutBytes(out, r.customer_id);
  PutBytes(out, r.payload_json);
  return out;
}

std::string ComputeEntryHash(const AuditRecord& r) {
  return Sha256(r.prev_hash + CanonicalEncoding(r));
}

AuditRecord ChainBuilder::Seal(AuditDraft draft, Micros at) {
  AuditRecord r;
  r.seq = head_.seq + 1;
  r.at = at < last_at_ ? last_at_ : at;
  r.kind = std::move(draft.kind);
  r.actor = std::move(draft.actor);
  r.customer_id = std::move(draft.customer_id);
  r.payload_json = std::move(draft.payload_json);
  r.prev_hash = head_.hash;
  r.hash = ComputeEntryHash(r);
  head_.seq = r.seq;
  head_.hash = r.hash;
  last_at_ = r.at;
  return r;
}

bool ChainVerifier::Feed(const AuditRecord& r) {
  if (!result_.ok) return false;
  auto fail = [&](std::string detail) {
    result_.ok = false;
    // A gap is reported at the first missing entry.
    result_.first_bad_seq =
        r.seq != expected_.seq + 1 ? expected_.seq + 1 : r.seq;
    result_.detail = std::move(detail);
    return false;
  };
  if (r.seq != expected_.seq + 1) {
    return fail(StrCat("entry ", expected_.seq + 1,
                       " is missing (next entry found is ", r.seq, ")"));
  }
  if (r.prev_hash != expected_.hash) {
    return fail(StrCat("entry ", r.seq,
                       ": prev_hash does not match the hash of entry ",
                       expected_.seq));
  }
  const std::string recomputed = ComputeEntryHash(r);
  if (recomputed != r.hash) {
    return fail(StrCat("entry ", r.seq,
                       ": content does not match its hash (stored ",
                       ToHex(r.hash).substr(0, 16), "..., recomputed ",
                       ToHex(recomputed).substr(0, 16), "...)"));
  }
  expected_.seq = r.seq;
  expected_.hash = r.hash;
  ++result_.entries_checked;
  return true;
}

VerifyResult ChainVerifier::Finish(const std::optional<ChainHead>& anchor) {
  if (result_.ok && anchor.has_value()) {
    if (anchor->seq != expected_.seq) {
      result_.ok = false;
      result_.first_bad_seq =
          anchor->seq > expected_.seq ? expected_.seq + 1 : anchor->seq + 1;
      result_.detail =
          StrCat("the head anchor says the log ends at entry ", anchor->seq,
                 " but the last entry is ", expected_.seq,
                 anchor->seq > expected_.seq ? " (tail truncated)" : "");
    } else if (anchor->hash != expected_.hash) {
      result_.ok = false;
      result_.first_bad_seq = anchor->seq;
      result_.detail =
          StrCat("entry ", anchor->seq, ": hash differs from the head anchor");
    }
  }
  result_.head_hash = expected_.hash;
  if (result_.ok) {
    result_.detail = StrCat(result_.entries_checked, " entries verified");
  }
  return result_;
}

}  // namespace gatekeeper
