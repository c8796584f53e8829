// Retention (APPI Art. 29, 30; README "Retention"): removing the records past
// their retention and cutting the audit chain where they were. The cut is
// the audit_cut row (the latest "audit.purged" entry's cut_seq, cut_hash and
// seq): entries up to cut_seq may be missing, and verification checks the
// kept ones against the digest that entry holds, then the chain from
// cut_hash on.
#ifndef GATEKEEPER_DAEMON_STORE_RETENTION_RECORDS_H_
#define GATEKEEPER_DAEMON_STORE_RETENTION_RECORDS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/common/clock.h"
#include "daemon/store/sqlite.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {

// The schema of retention (schema version 5).
extern const char kRetentionSchema[];

// What to purge: records older than each class's cutoff, among entries up to
// cut_seq; at most max_entries audit entries in one transaction.
struct PurgePlan {
  Micros decisions_before = 0;
  Micros provision_records_before = 0;
  Micros withdrawn_consents_before = 0;
  Micros disclosure_reports_before = 0;
  uint64_t cut_seq = 0;
  uint64_t max_entries = 200000;
};

struct AuditCut {
  uint64_t cut_seq = 0;
  std::string cut_hash;    // raw
  uint64_t entry_seq = 0;  // the "audit.purged" entry
};

absl::StatusOr<std::optional<AuditCut>> ReadAuditCut(sqlite::Connection& db);
absl::Status WriteAuditCut(sqlite::Connection& db, const AuditCut& cut);

// Deletes what the plan names (in the caller's transaction) and returns the
// counts; the caller logs them.
absl::StatusOr<v1::PurgeCounts> DeletePurgeable(sqlite::Connection& db,
                                                const PurgePlan& plan);

// The consents the last DeletePurgeable removed (in the same transaction).
absl::Status ScanPurgedConsents(
    sqlite::Connection& db,
    const std::function<void(std::string_view consent_id,
                             std::string_view customer_id,
                             std::string_view phone_pseudonym)>& fn);

// The kept entries up to cut_seq: their count and the digest
// (PurgePayload.kept_sha256), raw.
struct KeptDigest {
  uint64_t entries = 0;
  std::string sha256;
};
absl::StatusOr<KeptDigest> DigestKept(sqlite::Connection& db, uint64_t cut_seq);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_RETENTION_RECORDS_H_
