#include "daemon/store/verify_log.h"

#include <google/protobuf/util/json_util.h>

#include "daemon/audit/print_batch.h"
#include "daemon/common/crypto.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/store/audit_table.h"
#include "daemon/store/print_run_records.h"
#include "daemon/store/retention_records.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {
namespace {

// What VerifyAudit checks beyond the chain for a "print.batch" entry: that
// the decisions in the batch's body hash to the entry's decisions_sha256.
// Empty when fine.
std::string CheckPrintBatch(sqlite::Connection& db, const AuditRecord& r) {
  v1::PrintBatchPayload p;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(r.payload_json, &p, opts)
           .ok()) {
    return StrCat("entry ", r.seq, ": print batch payload does not parse");
  }
  auto found = PrintBatchBySeq(db, r.seq);
  if (!found.ok() || !found->has_value()) {
    return StrCat("entry ", r.seq, ": the batch's decisions are missing");
  }
  auto docs = DecodePrintBatch((*found)->second);
  if (!docs.ok()) {
    return StrCat("entry ", r.seq, ": ", docs.status().message());
  }
  std::string lines;
  for (const DocumentVerdicts& d : *docs) AppendDecisionLines(d, lines);
  const std::string hash = ToHex(Sha256(lines));
  if (hash != p.decisions_sha256() || (*found)->first != p.print_run_id() ||
      docs->size() != p.documents()) {
    return StrCat("entry ", r.seq,
                  ": the batch's decisions do not match the entry (stored "
                  "decisions hash to ",
                  hash.substr(0, 16), "..., the entry says ",
                  p.decisions_sha256().substr(0, 16), "...)");
  }
  return "";
}

}  // namespace

absl::StatusOr<VerifyResult> VerifyLog(sqlite::Connection& db) {
  auto batches = [&](const AuditRecord& r) {
    return r.kind == "print.batch" ? CheckPrintBatch(db, r) : std::string();
  };
  ASSIGN_OR_RETURN(std::optional<AuditCut> cut, ReadAuditCut(db));
  if (!cut.has_value()) return VerifyAuditTable(db, batches);
  // Below the retention cut: each kept entry against its own hash, and all
  // of them against the digest the latest "audit.purged" entry holds.
  Sha256Hasher kept;
  uint64_t kept_entries = 0;
  auto below = [&](const AuditRecord& r) -> std::string {
    if (ComputeEntryHash(r) != r.hash) {
      return StrCat("entry ", r.seq,
                    " (kept below the retention cut): content does not match "
                    "its hash");
    }
    char be[8];
    for (int i = 0; i < 8; ++i)
      be[i] = static_cast<char>(r.seq >> (56 - 8 * i));
    kept.Update(std::string_view(be, 8));
    kept.Update(r.hash);
    ++kept_entries;
    if (std::string wrong = batches(r); !wrong.empty()) return wrong;
    return "";
  };
  bool cut_entry_seen = false;
  auto check = [&](const AuditRecord& r) -> std::string {
    if (r.seq != cut->entry_seq) return batches(r);
    cut_entry_seen = true;
    v1::PurgePayload p;
    google::protobuf::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = true;
    if (r.kind != "audit.purged" ||
        !google::protobuf::util::JsonStringToMessage(r.payload_json, &p, opts)
             .ok()) {
      return StrCat("entry ", r.seq,
                    ": the retention cut names it, but it is not an "
                    "audit.purged entry");
    }
    if (p.cut_seq() != cut->cut_seq || p.cut_hash() != ToHex(cut->cut_hash)) {
      return StrCat("entry ", r.seq,
                    ": the retention cut stored does not match the one "
                    "logged (cut_seq ",
                    p.cut_seq(), ")");
    }
    const std::string digest = ToHex(kept.Finish());
    if (p.kept_entries() != kept_entries || p.kept_sha256() != digest) {
      return StrCat("entry ", r.seq, ": the entries kept below the cut at ",
                    cut->cut_seq, " are not those it logged (", kept_entries,
                    " found, ", p.kept_entries(),
                    " logged): one was removed or changed");
    }
    return "";
  };
  ASSIGN_OR_RETURN(
      VerifyResult result,
      VerifyAuditTable(db, check, ChainHead{cut->cut_seq, cut->cut_hash},
                       below));
  if (result.ok && !cut_entry_seen) {
    result.ok = false;
    result.first_bad_seq = cut->entry_seq;
    result.detail = StrCat("the audit.purged entry ", cut->entry_seq,
                           " of the retention cut is missing");
  }
  if (result.ok) {
    result.entries_checked += kept_entries;
    result.detail = StrCat(result.entries_checked,
                           " entries verified (the chain from the retention "
                           "cut at entry ",
                           cut->cut_seq, ")");
  }
  return result;
}

}  // namespace gatekeeper
