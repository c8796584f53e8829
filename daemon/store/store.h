// The gatekeeper's state behind one small interface: consents, campaigns,
// decisions, the records of telemarketing calls (provision records,
// do-not-solicit entries, disclosure reports, outcomes), idempotency keys and
// the hash-chained audit log. Every write commits its
// audit entry in the same transaction as the change it records; a write is
// acknowledged (its method returns, its callback runs) only after that
// transaction is durable. Implementations are thread-safe.
//
// Errors: UNAVAILABLE when storage failed (nothing was written; retry later),
// DATA_LOSS when stored data is damaged, ALREADY_EXISTS / NOT_FOUND /
// FAILED_PRECONDITION as documented per method.
#ifndef GATEKEEPER_DAEMON_STORE_STORE_H_
#define GATEKEEPER_DAEMON_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/audit/chain.h"
#include "daemon/common/clock.h"
#include "daemon/common/facts.h"
#include "gatekeeper/v1/audit_payload.pb.h"
#include "gatekeeper/v1/audit_service.pb.h"
#include "gatekeeper/v1/call_records.pb.h"
#include "gatekeeper/v1/consent_service.pb.h"
#include "gatekeeper/v1/types.pb.h"

namespace gatekeeper {

// What a purge removes (daemon/store/retention_records.h).
struct PurgePlan;

// A validated consent, ready to store. The phone number is already reduced to
// its pseudonym and masked form.
struct NewConsent {
  std::string consent_id;
  std::string request_id;   // may be empty: no idempotency
  std::string fingerprint;  // keyed MAC of the whole request, for idempotency
  std::string customer_id;
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  std::string company_id;
  std::string phone_pseudonym;  // raw HMAC; empty for AD_INSERT
  std::string phone_masked;
  std::string notice_id;
  v1::ConsentChannel channel = v1::CONSENT_CHANNEL_UNSPECIFIED;
  std::string evidence_ref;
  Micros collected_at = 0;
  Micros expires_at = 0;  // 0 = none
  std::string collected_by;
  Micros recorded_at = 0;
};

// What became of one consent of an import batch.
enum class ImportOutcome : uint8_t {
  kImported,        // stored (when classifying: would be)
  kAlreadyPresent,  // its request_id is stored with the same content
  kConflict,        // its request_id is stored with other content
};

struct Withdrawal {
  v1::WithdrawConsentRequest request;
  std::string fingerprint;
  Micros at = 0;
};

// A campaign state change decided by policy: given the stored campaign,
// returns the new one or an error (FAILED_PRECONDITION) that aborts the write.
using CampaignTransition =
    std::function<absl::StatusOr<v1::Campaign>(const v1::Campaign& current)>;

// Keys naming what a decision read and what a write changed, for the
// conflict check of AppendDecisionAsync.
inline std::string CustomerKey(std::string_view id) {
  return "c:" + std::string(id);
}
inline std::string PhoneKey(std::string_view pseudonym) {
  return "p:" + std::string(pseudonym);
}
inline std::string CampaignKey(std::string_view id) {
  return "k:" + std::string(id);
}

// What a decision read: the state version before its reads, and keys for the
// customer, number and campaign it looked at.
struct DecisionInputs {
  uint64_t state_version = 0;
  std::vector<std::string> keys;
};

// What a decision reads. The Store implements it on committed state; inside
// the writer's transaction it is the state exactly as the log has it.
class StateView {
 public:
  virtual ~StateView() = default;
  // Null when no campaign has the id. Campaigns are immutable values: a
  // change replaces the pointer, so a reader may keep it.
  virtual absl::StatusOr<std::shared_ptr<const v1::Campaign>> GetCampaign(
      std::string_view campaign_id) = 0;
  virtual absl::StatusOr<std::vector<ConsentFact>> ConsentsOfCustomer(
      std::string_view customer_id, v1::Purpose purpose,
      std::string_view company_id) = 0;
  // A hint that these customers' consents are asked for next (a batch's):
  // an implementation may bring what it reads for them into the cache.
  virtual void PrefetchCustomers(std::span<const std::string_view>) {}
  virtual absl::StatusOr<std::vector<ConsentFact>> ConsentsOfPhone(
      std::string_view phone_pseudonym, v1::Purpose purpose,
      std::string_view company_id) = 0;
  // Active do-not-solicit entries naming the number or one of the customers.
  virtual absl::StatusOr<std::vector<DoNotSolicitFact>> DoNotSolicitOf(
      std::string_view phone_pseudonym,
      const std::vector<std::string>& customer_ids) = 0;
  // ALLOWed dials to the number: for the campaign at or after `day_start`,
  // for the company after `since`.
  virtual DialCounts CountDials(std::string_view phone_pseudonym,
                                std::string_view company_id,
                                std::string_view campaign_id, Micros day_start,
                                Micros since) = 0;
};

// A number handed to a group company by an ALLOWed dial: its provision record
// (APPI Art. 29), written with the decision, and the caps it was decided
// under.
struct NewProvision {
  // The recipient's particulars and the data items (recipient_* and
  // data_items set), shared by the provisions of a campaign.
  std::shared_ptr<const v1::ProvisionRecord> recipient;
  std::string decision_id;
  std::string customer_id;
  std::string consent_id;  // the consent relied on
  std::string campaign_id;
  std::string phone_masked;
  std::string phone_pseudonym;  // raw HMAC
  Micros provided_at = 0;
  Micros retain_until = 0;
  // The append is refused (ABORTED: decide again) when the ALLOWed dials
  // already committed or in the same transaction have reached a cap
  // (CountDials with these windows); 0 = no cap.
  uint32_t cap_per_campaign_day = 0;
  uint32_t cap_per_company_30d = 0;
  Micros day_start = 0;
  Micros since = 0;
};

// What a decision writes: its audit entry, its id (so that reports can find
// it), and for an ALLOWed dial its provision.
struct DecisionWrite {
  AuditDraft draft;
  std::string decision_id;
  std::optional<NewProvision> provision;
};

// A print run (InsertGate.CheckInsertBatch).
struct PrintRun {
  int64_t run_no = 0;  // the store's number for it, in opening order
  std::string run_id;
  std::string actor;
  std::string reprint_of;  // the run whose pieces it decides again, or empty
  Micros opened_at = 0;
  uint64_t next_batch_no = 0;
  uint64_t documents = 0;
  uint64_t decisions = 0;
  bool closed = false;
  std::string summary;      // serialized v1.RunSummary once closed
  uint64_t closed_seq = 0;  // its "print.closed" entry
};

// A print run's batch, decided.
struct PrintBatchWrite {
  std::string run_id;
  uint64_t batch_no = 0;
  std::string body;  // EncodePrintBatch (daemon/audit/print_batch.h)
  AuditDraft draft;  // the "print.batch" entry, committing to the body
  uint64_t documents = 0;
  uint64_t decisions = 0;
};

// What a call outcome changes, decided by policy.
struct OutcomeChanges {
  // A do-not-solicit entry for the decision's customer and number, seller and
  // goods type (or every goods type).
  bool do_not_solicit = false;
  bool all_goods_types = false;
  // Withdraw the customer's GRANTED TELEMARKETING consents for the seller /
  // naming the number.
  bool withdraw_company_consents = false;
  bool withdraw_number_consents = false;
};

class Store : public StateView {
 public:
  // -- Consents --
  // Stores the consent (state GRANTED) and a "consent.recorded" entry. With a
  // request_id seen before: the same fingerprint returns the stored record,
  // another one is ALREADY_EXISTS.
  virtual absl::StatusOr<v1::ConsentRecord> RecordConsent(
      const NewConsent& consent) = 0;
  // Stores many consents in one transaction, one audit entry each (bulk
  // import). Fails whole: nothing is stored if one fails.
  virtual absl::Status ImportConsents(const std::vector<NewConsent>& batch) = 0;
  // Stores a batch's new consents in one transaction, one "consent.recorded"
  // entry each, and says what became of each (outcomes[i] is batch[i]'s): a
  // known request_id is skipped, as already present or as a conflict, and
  // fails nothing. Two consents of the batch with one request_id: the second
  // is already present or a conflict. Every consent needs a request_id. On
  // error nothing is stored. Returns once the transaction is durable.
  virtual absl::StatusOr<std::vector<ImportOutcome>> ImportConsentBatch(
      const std::vector<NewConsent>& batch) = 0;
  // What ImportConsentBatch would answer for `batch` against what is stored
  // now, writing nothing. Consents of the batch are not compared with each
  // other.
  virtual absl::StatusOr<std::vector<ImportOutcome>> ClassifyImport(
      const std::vector<NewConsent>& batch) = 0;
  // Up to `limit` consents with consent_id > `after_consent_id`, ordered by
  // consent_id, without history; only `customer_id`'s when it is not empty.
  virtual absl::StatusOr<std::vector<v1::ConsentRecord>> ConsentPage(
      std::string_view customer_id, std::string_view after_consent_id,
      size_t limit) = 0;
  // Marks every GRANTED consent in scope WITHDRAWN and appends one
  // "consent.withdrawn" entry (also when nothing was in scope: the request
  // itself is evidence). Idempotent on request_id like RecordConsent.
  virtual absl::StatusOr<v1::WithdrawConsentResponse> WithdrawConsent(
      const Withdrawal& withdrawal) = 0;
  // GRANTED consents, or every consent with its history.
  virtual absl::StatusOr<std::vector<v1::ConsentRecord>> ListConsents(
      std::string_view customer_id, bool include_history) = 0;

  // -- Campaigns --
  // ALREADY_EXISTS when the id is taken.
  virtual absl::StatusOr<v1::Campaign> CreateCampaign(
      const v1::Campaign& campaign, std::string_view actor) = 0;
  // Applies `transition` to the stored campaign; NOT_FOUND when there is none.
  // `kind` and `actor` describe the audit entry.
  virtual absl::StatusOr<v1::Campaign> TransitionCampaign(
      std::string_view campaign_id, std::string_view kind,
      std::string_view actor, const CampaignTransition& transition) = 0;
  virtual absl::StatusOr<std::vector<v1::Campaign>> ListCampaigns() = 0;

  // The masked form of a number that some recorded consent names, whatever
  // its state; nullopt when none does. Such a number was validated when it
  // was recorded, and stays valid: CheckDial uses this to skip parsing.
  virtual std::optional<std::string> KnownPhoneMask(
      std::string_view phone_pseudonym) = 0;

  // -- Decisions --
  // A counter that moves with every committed write to consents, campaigns
  // or do-not-solicit entries. A decision reads it before reading its inputs.
  virtual uint64_t StateVersion() const = 0;
  // Appends a decision's entry (with its id and, for an ALLOWed dial, its
  // provision record), provided no write naming one of `inputs.keys` has
  // landed since `inputs.state_version` was read and no frequency cap of the
  // provision has been reached meanwhile (else ABORTED: decide again), so the
  // log never shows a decision after a change it did not see and concurrent
  // dials cannot overshoot a cap. Writes about other customers do not
  // interfere. `done` runs once the entry is durable, with its seq, or with
  // the error that kept it from being written, on the thread that commits it:
  // possibly the caller's, before this returns. It must not wait for another
  // store write. Concurrent appends share one commit.
  using AppendDone = std::function<void(absl::StatusOr<uint64_t> seq)>;
  virtual void AppendDecisionAsync(DecisionWrite write, DecisionInputs inputs,
                                   AppendDone done) = 0;
  // Runs `decide` inside the writer's transaction, against the state exactly
  // as the log has it at that point, and appends what it returns (an error
  // from `decide` aborts the append). Never refused for a concurrent change,
  // but it serializes decisions on the writer: the fallback when
  // AppendDecisionAsync keeps being refused.
  using Decider = std::function<absl::StatusOr<DecisionWrite>(StateView&)>;
  virtual void DecideInWriterAsync(Decider decide, AppendDone done) = 0;

  // -- Telemarketing call records --
  // Each runs in the writer: looks up the logged decision (NOT_FOUND when no
  // decision has the id), returns the stored answer for a repeated report
  // with the same fingerprint (ALREADY_EXISTS for a different one), else asks
  // `judge` (an error aborts), then stores the report with its audit entry
  // and effects. `done` runs as for AppendDecisionAsync.
  using DisclosureJudge = std::function<absl::StatusOr<v1::DisclosureReport>(
      const LoggedDecision& decision)>;
  virtual void ReportDisclosureAsync(
      std::string decision_id, std::string fingerprint, DisclosureJudge judge,
      std::function<void(absl::StatusOr<v1::DisclosureReport>)> done) = 0;
  struct JudgedOutcome {
    v1::OutcomeReport report;
    OutcomeChanges changes;
  };
  using OutcomeJudge = std::function<absl::StatusOr<JudgedOutcome>(
      const LoggedDecision& decision)>;
  virtual void ReportOutcomeAsync(
      std::string decision_id, std::string fingerprint, OutcomeJudge judge,
      std::function<void(absl::StatusOr<v1::OutcomeReport>)> done) = 0;
  // Entries of a customer, or of a number (raw pseudonym), newest first.
  virtual absl::StatusOr<std::vector<v1::DoNotSolicitEntry>> ListDoNotSolicit(
      std::string_view customer_id, std::string_view phone_pseudonym,
      bool include_cleared) = 0;
  // Clears an active entry (NOT_FOUND, FAILED_PRECONDITION when cleared
  // already) with a "dnc.cleared" entry.
  virtual absl::StatusOr<v1::DoNotSolicitEntry> ClearDoNotSolicit(
      const v1::ClearDoNotSolicitRequest& request, Micros at) = 0;
  // Provision records by the seqs of their decisions (missing ones skipped).
  virtual absl::StatusOr<std::vector<v1::ProvisionRecord>> ProvisionsBySeq(
      const std::vector<uint64_t>& seqs) = 0;

  // -- Print runs --
  // The stored run (second: false) or, when there is none, a new one from
  // `fresh` with its `opened` entry (second: true). FAILED_PRECONDITION for a
  // closed run.
  virtual absl::StatusOr<std::pair<PrintRun, bool>> OpenPrintRun(
      PrintRun fresh, AuditDraft opened) = 0;
  virtual absl::StatusOr<std::optional<PrintRun>> GetPrintRun(
      std::string_view run_id) = 0;
  // Appends a decided batch: its body, its entry, the run's counts, provided
  // no write naming one of `inputs.keys` landed since `inputs.state_version`
  // (ABORTED: decide it again). FAILED_PRECONDITION when the run is closed or
  // expects another batch number. `done` as for AppendDecisionAsync.
  virtual void AppendPrintBatchAsync(PrintBatchWrite write,
                                     DecisionInputs inputs,
                                     AppendDone done) = 0;
  // Writes the run's per-customer index (`entries`: PrintIndexEntry of each
  // document's customer and batch, sorted and distinct; in transactions of
  // its own, idempotent) then closes the run with its `closed` entry and
  // `summary`; returns the entry's seq.
  virtual absl::StatusOr<uint64_t> ClosePrintRun(std::string_view run_id,
                                                 std::vector<uint64_t> entries,
                                                 AuditDraft closed,
                                                 std::string summary) = 0;
  // Calls fn(batch_no, seq, body) for the run's batches from `from_batch` on,
  // in order, until it returns false.
  virtual absl::Status ScanPrintBatches(
      std::string_view run_id, uint64_t from_batch,
      const std::function<bool(uint64_t, uint64_t, std::string_view)>& fn) = 0;
  // The body of the batch logged at `seq` (nullopt: none).
  virtual absl::StatusOr<std::optional<std::string>> PrintBatchBody(
      uint64_t seq) = 0;

  // -- Audit --
  // Appends several standalone entries in one transaction; their seqs.
  virtual absl::StatusOr<std::vector<uint64_t>> LogEvents(
      std::vector<AuditDraft> drafts) = 0;
  // Appends a standalone entry (an access to personal data, say) and waits
  // until it is durable; returns its seq.
  virtual absl::StatusOr<uint64_t> LogEvent(AuditDraft draft) = 0;
  // Calls `fn` for entries with seq > after_seq (and customer_id, if not
  // empty: the customer's own entries and the print batches holding one of
  // the customer's documents) in seq order until `limit` entries or `fn`
  // returns false.
  virtual absl::Status ScanAudit(
      uint64_t after_seq, uint32_t limit, std::string_view customer_id,
      const std::function<bool(const AuditRecord&)>& fn) = 0;
  // Recomputes the whole chain against the head anchor.
  virtual absl::StatusOr<VerifyResult> VerifyAudit() = 0;

  // -- Checkpoints (daemon/store/checkpoint_records.h) --
  // Stores complete Merkle chunks (chunk number, hash) and, if given, a
  // signed checkpoint with the public key that signed it, in one
  // transaction.
  virtual absl::Status SaveCheckpoint(
      std::vector<std::pair<uint64_t, std::string>> chunks,
      std::optional<v1::Checkpoint> checkpoint,
      std::string_view public_key_pem) = 0;
  virtual absl::StatusOr<std::vector<std::string>> MerkleChunks() = 0;
  // The signed checkpoint of `size` entries (0: the latest); nullopt: none.
  virtual absl::StatusOr<std::optional<v1::Checkpoint>> GetCheckpoint(
      uint64_t size) = 0;
  // Calls fn(seq, chain hash) for entries with seq in (after_seq, upto_seq].
  virtual absl::Status ScanAuditHashes(
      uint64_t after_seq, uint64_t upto_seq,
      const std::function<void(uint64_t, std::string_view)>& fn) = 0;

  // -- Retention (daemon/store/retention_records.h) --
  // Removes what the plan names and logs it ("audit.purged", with the new
  // cut) in one transaction; with `dry_run`, writes nothing and says what
  // would go. Returns the counts and the entry's seq (0 when nothing went).
  struct PurgeResult {
    v1::PurgeCounts counts;
    uint64_t cut_seq = 0;
    uint64_t audit_seq = 0;
  };
  virtual absl::StatusOr<PurgeResult> Purge(const PurgePlan& plan, bool dry_run,
                                            std::string_view requested_by) = 0;

  // A consistent copy of the database in a new file (SQLite's online
  // backup API), taken while writes go on.
  virtual absl::Status BackupTo(const std::string& path) = 0;

  // Finishes queued writes and refuses new ones (UNAVAILABLE). Idempotent.
  virtual void Close() = 0;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_STORE_H_
