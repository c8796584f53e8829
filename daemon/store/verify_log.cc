#include "daemon/store/verify_log.h"

#include <google/protobuf/util/json_util.h>

#include "daemon/audit/print_batch.h"
#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "daemon/store/audit_table.h"
#include "daemon/store/print_run_records.h"
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
  return VerifyAuditTable(db, [&](const AuditRecord& r) {
    return r.kind == "print.batch" ? CheckPrintBatch(db, r) : std::string();
  });
}

}  // namespace gatekeeper
