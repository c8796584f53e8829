// One transaction of the store's writer, as the record modules see it: the
// write connection, the audit chain (an entry appended here commits or rolls
// back with the change it records), idempotency keys, and what the
// transaction changed, which the in-memory views take on after COMMIT. As a
// StateView it reads through the write connection, so decisions made inside
// the writer see the transaction's own writes. Writer thread only.
#ifndef GATEKEEPER_DAEMON_STORE_WRITE_CONTEXT_H_
#define GATEKEEPER_DAEMON_STORE_WRITE_CONTEXT_H_

#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/audit/chain.h"
#include "daemon/common/clock.h"
#include "daemon/store/consent_index.h"
#include "daemon/store/dial_counter.h"
#include "daemon/store/do_not_solicit_index.h"
#include "daemon/store/sqlite.h"
#include "daemon/store/store.h"

namespace gatekeeper {

// protobuf JSON with the proto's field names, for audit payloads.
std::string ProtoJson(const google::protobuf::Message& m);

class WriteContext final : public StateView {
 public:
  WriteContext(sqlite::Connection& db, ChainBuilder& chain, const Clock& clock,
               const DialCounter& dials)
      : db_(db), chain_(chain), clock_(clock), dials_(dials) {}

  sqlite::Connection& db() { return db_; }
  Micros Now() const { return clock_.Now(); }

  // Seals the draft onto the chain and inserts it; returns its seq.
  absl::StatusOr<uint64_t> Append(AuditDraft draft);

  // Idempotency: nullopt when the request_id is new (or empty); the stored
  // result when the fingerprint matches; ALREADY_EXISTS otherwise.
  absl::StatusOr<std::optional<std::string>> SeenRequest(
      std::string_view method, std::string_view request_id,
      std::string_view fingerprint);
  absl::Status RememberRequest(std::string_view method,
                               std::string_view request_id,
                               std::string_view fingerprint,
                               std::string_view result);

  // StateView, on the transaction's state.
  absl::StatusOr<std::shared_ptr<const v1::Campaign>> GetCampaign(
      std::string_view campaign_id) override;
  absl::StatusOr<std::vector<ConsentFact>> ConsentsOfCustomer(
      std::string_view customer_id, v1::Purpose purpose,
      std::string_view company_id) override;
  absl::StatusOr<std::vector<ConsentFact>> ConsentsOfPhone(
      std::string_view phone_pseudonym, v1::Purpose purpose,
      std::string_view company_id) override;
  absl::StatusOr<std::vector<DoNotSolicitFact>> DoNotSolicitOf(
      std::string_view phone_pseudonym,
      const std::vector<std::string>& customer_ids) override;
  DialCounts CountDials(std::string_view phone_pseudonym,
                        std::string_view company_id,
                        std::string_view campaign_id, Micros day_start,
                        Micros since) override;

  // What the transaction changed, for the in-memory views after COMMIT.
  struct Pending {
    std::vector<v1::Campaign> campaigns;
    std::vector<ConsentIndex::Change> consents;
    std::vector<DoNotSolicitIndex::Change> do_not_solicit;
    std::vector<DialCounter::Dial> dials;
    // The entries appended: (seq, customer_id).
    std::vector<std::pair<uint64_t, std::string>> appended;
    // Conflict keys (CustomerKey, PhoneKey, CampaignKey) of state changes.
    std::vector<std::string> touched;
  };
  Pending& pending() { return pending_; }
  // Records that a state change touched the customer / number / campaign.
  void Touch(std::string key) { pending_.touched.push_back(std::move(key)); }

  // A point to roll the pending changes back to (with a SAVEPOINT).
  struct Mark {
    ChainHead head;
    size_t campaigns, consents, do_not_solicit, dials, appended, touched;
  };
  Mark mark() const;
  void RollbackTo(const Mark& m);

 private:
  sqlite::Connection& db_;
  ChainBuilder& chain_;
  const Clock& clock_;
  const DialCounter& dials_;
  Pending pending_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_WRITE_CONTEXT_H_
