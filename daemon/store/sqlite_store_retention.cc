// SqliteStore: retention purges. The commit pipeline is in sqlite_store.cc;
// the SQL in retention_records.cc.
#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "daemon/common/crypto.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/store/audit_table.h"
#include "daemon/store/retention_records.h"
#include "daemon/store/sqlite_store.h"

namespace gatekeeper {

absl::StatusOr<Store::PurgeResult> SqliteStore::Purge(
    const PurgePlan& plan, bool dry_run, std::string_view requested_by) {
  PurgeResult out;
  bool rolled_back = false;
  absl::Status s = Write([&](WriteContext& w) -> absl::Status {
    out = PurgeResult();
    PurgePlan p = plan;
    // The cut never moves back: entries below an earlier one may be gone.
    ASSIGN_OR_RETURN(std::optional<AuditCut> previous, ReadAuditCut(w.db()));
    if (previous.has_value() && previous->cut_seq > p.cut_seq) {
      p.cut_seq = previous->cut_seq;
    }
    out.cut_seq = p.cut_seq;
    if (p.cut_seq == 0) return absl::OkStatus();
    std::string cut_hash;
    ASSIGN_OR_RETURN(std::optional<AuditRecord> at_cut,
                     ReadAuditEntry(w.db(), p.cut_seq));
    if (at_cut.has_value()) {
      cut_hash = at_cut->hash;
    } else if (previous.has_value() && previous->cut_seq == p.cut_seq) {
      cut_hash = previous->cut_hash;
    } else {
      return absl::DataLossError(
          StrCat("audit entry ", p.cut_seq, " is missing: cannot cut there"));
    }
    ASSIGN_OR_RETURN(out.counts, DeletePurgeable(w.db(), p));
    // The purged consents leave the in-memory index once this commits.
    RETURN_IF_ERROR(ScanPurgedConsents(
        w.db(), [&](std::string_view consent_id, std::string_view customer_id,
                    std::string_view phone) {
          ConsentIndex::Change change{{}, /*only_state=*/true};
          change.entry.fact.consent_id = std::string(consent_id);
          change.entry.fact.customer_id = std::string(customer_id);
          change.entry.fact.phone_pseudonym = std::string(phone);
          change.removed = true;
          w.pending().consents.push_back(std::move(change));
          w.Touch(CustomerKey(customer_id));
          if (!phone.empty()) w.Touch(PhoneKey(phone));
        }));
    if (dry_run) {
      rolled_back = true;
      return absl::CancelledError("dry run: rolled back");
    }
    if (out.counts.audit_entries() == 0 &&
        out.counts.withdrawn_consents() == 0) {
      return absl::OkStatus();  // nothing went: nothing to log
    }
    ASSIGN_OR_RETURN(KeptDigest kept, DigestKept(w.db(), p.cut_seq));
    v1::PurgePayload payload;
    payload.set_requested_by(std::string(requested_by));
    payload.set_cut_seq(p.cut_seq);
    payload.set_cut_hash(ToHex(cut_hash));
    payload.set_kept_entries(kept.entries);
    payload.set_kept_sha256(ToHex(kept.sha256));
    *payload.mutable_purged() = out.counts;
    payload.set_decisions_before(FormatRfc3339(p.decisions_before));
    payload.set_provision_records_before(
        FormatRfc3339(p.provision_records_before));
    payload.set_withdrawn_consents_before(
        FormatRfc3339(p.withdrawn_consents_before));
    payload.set_disclosure_reports_before(
        FormatRfc3339(p.disclosure_reports_before));
    std::string json;
    google::protobuf::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    opts.always_print_primitive_fields = true;
    (void)google::protobuf::util::MessageToJsonString(payload, &json, opts);
    ASSIGN_OR_RETURN(out.audit_seq,
                     w.Append({"audit.purged", std::string(requested_by), "",
                               std::move(json)}));
    return WriteAuditCut(w.db(), {p.cut_seq, cut_hash, out.audit_seq});
  });
  if (rolled_back && absl::IsCancelled(s)) s = absl::OkStatus();
  if (!s.ok()) return s;
  return out;
}

}  // namespace gatekeeper
