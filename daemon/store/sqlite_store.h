// The embedded SQLite implementation of Store.
//
// Threads: writes are queued and committed in groups by one writer at a time,
// which owns the only write connection (group commit: all writes queued while
// a commit is in flight share the next transaction; each state change in its
// own SAVEPOINT so one refused write does not take the others down). The
// writer is whichever caller finds no commit in progress (the leader): it
// commits the queue, runs the callers' callbacks after COMMIT on its own
// thread, and goes on while writes keep arriving. Under load that is a gRPC
// thread, so answers leave without waking other threads. A writer thread only
// drains what is queued while no caller can lead (during a checkpoint hold and
// at Close). A checkpoint thread copies the WAL back into the database
// (PASSIVE) so commits never wait for a checkpoint. Reads use a pool of
// query-only connections; WAL mode lets them run beside the writer.
// Campaigns and the decision inputs (ConsentIndex, DoNotSolicitIndex,
// DialCounter) are served from memory, updated by the writer after COMMIT.
//
// Files: this one is the commit pipeline and the Store methods about consents,
// campaigns and the audit log; sqlite_store_calls.cc holds those about
// decisions and telemarketing call records, sqlite_store_print.cc those about
// print runs. The SQL of each record kind is in
// its own *_records.cc, the schema in schema.cc.
//
// Durability: WAL with synchronous=FULL, so a committed transaction survives
// power loss; callers are answered only after COMMIT returns.
//
// Invariants:
//   1. audit_head holds the (seq, hash) of the last audit row; both change in
//      the same transaction.
//   2. the writer's ChainBuilder head equals audit_head outside a
//      transaction; on rollback it is rewound.
//   3. state_version_ == committed_state_version_ outside a transaction;
//      both only grow.
//   4. consents.state equals the state of the consent's latest consent_events
//      row.
#ifndef GATEKEEPER_DAEMON_STORE_SQLITE_STORE_H_
#define GATEKEEPER_DAEMON_STORE_SQLITE_STORE_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/audit/chain.h"
#include "daemon/store/consent_index.h"
#include "daemon/store/customer_runs.h"
#include "daemon/store/dial_counter.h"
#include "daemon/store/do_not_solicit_index.h"
#include "daemon/store/sqlite.h"
#include "daemon/store/store.h"
#include "daemon/store/write_context.h"

namespace gatekeeper {

struct CommitInfo {
  uint64_t head_seq = 0;      // the last durable audit entry
  size_t writes = 0;          // operations in the transaction
  double commit_seconds = 0;  // COMMIT, with its fsync
};

struct SqliteStoreOptions {
  std::string path;
  const Clock* clock = &SystemClock::Get();
  // Most writes per transaction.
  uint32_t max_batch = 512;
  // SQLite VFS name; null = the default. Tests plug in a fault-injecting VFS.
  const char* vfs = nullptr;
  // The writer's WAL writes are gathered into one write per commit
  // (wal_buffer_vfs.h) on top of `vfs`.
  bool buffer_wal_writes = true;
  // A background (PASSIVE) checkpoint is requested each time the WAL has grown
  // by this many pages.
  int checkpoint_pages = 1000;
  // WAL frames (about 4 KiB each) after which the writer is held between two
  // batches so a checkpoint can complete and the WAL restart: bounds the WAL
  // near 64 MiB under sustained load.
  int restart_frames = 16000;
  // Where the consent index is kept across a clean stop (index_snapshot.h):
  // written by Close, read and removed by Open. Empty: none.
  std::string index_snapshot;
  // Called once, on the writing thread, when an I/O error makes the store
  // refuse writes (e.g. to mark the daemon NOT_SERVING).
  std::function<void(const absl::Status&)> on_refusing_writes;
  // Called on the committing thread after every durable commit that
  // appended audit entries (and must be quick: it holds the writer), with
  // the new head seq, the writes in the transaction and the time COMMIT
  // took (its fsync with synchronous=FULL). For followers of the log and
  // metrics.
  std::function<void(const CommitInfo&)> on_commit;
  // Entries per run of the per-customer audit index (customer_runs.h). Part
  // of the database format: a database must always be opened with the same
  // value.
  uint64_t index_run_entries = 16384;
};

class SqliteStore final : public Store {
 public:
  // Opens or creates the database, migrates the schema, and checks that the
  // audit chain's last entry matches its hash and the head anchor (DATA_LOSS
  // otherwise: the daemon must not start on a damaged log).
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const SqliteStoreOptions& options);
  ~SqliteStore() override;

  absl::StatusOr<v1::ConsentRecord> RecordConsent(
      const NewConsent& consent) override;
  absl::Status ImportConsents(const std::vector<NewConsent>& batch) override;
  absl::StatusOr<std::vector<ImportOutcome>> ImportConsentBatch(
      const std::vector<NewConsent>& batch) override;
  absl::StatusOr<std::vector<ImportOutcome>> ClassifyImport(
      const std::vector<NewConsent>& batch) override;
  absl::StatusOr<std::vector<v1::ConsentRecord>> ConsentPage(
      std::string_view customer_id, std::string_view after_consent_id,
      size_t limit) override;
  absl::StatusOr<v1::WithdrawConsentResponse> WithdrawConsent(
      const Withdrawal& withdrawal) override;
  absl::StatusOr<std::vector<v1::ConsentRecord>> ListConsents(
      std::string_view customer_id, bool include_history) override;
  void PrefetchCustomers(
      std::span<const std::string_view> customer_ids) override {
    index_.PrefetchCustomers(customer_ids);
  }
  absl::StatusOr<std::vector<ConsentFact>> ConsentsOfCustomer(
      std::string_view customer_id, v1::Purpose purpose,
      std::string_view company_id) override;
  absl::StatusOr<std::vector<ConsentFact>> ConsentsOfPhone(
      std::string_view phone_pseudonym, v1::Purpose purpose,
      std::string_view company_id) override;
  absl::StatusOr<v1::Campaign> CreateCampaign(const v1::Campaign& campaign,
                                              std::string_view actor) override;
  absl::StatusOr<v1::Campaign> TransitionCampaign(
      std::string_view campaign_id, std::string_view kind,
      std::string_view actor, const CampaignTransition& transition) override;
  absl::StatusOr<std::shared_ptr<const v1::Campaign>> GetCampaign(
      std::string_view campaign_id) override;
  absl::StatusOr<std::vector<v1::Campaign>> ListCampaigns() override;
  std::optional<std::string> KnownPhoneMask(
      std::string_view phone_pseudonym) override;
  absl::StatusOr<std::vector<DoNotSolicitFact>> DoNotSolicitOf(
      std::string_view phone_pseudonym,
      const std::vector<std::string>& customer_ids) override;
  DialCounts CountDials(std::string_view phone_pseudonym,
                        std::string_view company_id,
                        std::string_view campaign_id, Micros day_start,
                        Micros since) override;
  uint64_t StateVersion() const override;
  void AppendDecisionAsync(DecisionWrite write, DecisionInputs inputs,
                           AppendDone done) override;
  void DecideInWriterAsync(Decider decide, AppendDone done) override;
  void ReportDisclosureAsync(
      std::string decision_id, std::string fingerprint, DisclosureJudge judge,
      std::function<void(absl::StatusOr<v1::DisclosureReport>)> done) override;
  void ReportOutcomeAsync(
      std::string decision_id, std::string fingerprint, OutcomeJudge judge,
      std::function<void(absl::StatusOr<v1::OutcomeReport>)> done) override;
  absl::StatusOr<std::vector<v1::DoNotSolicitEntry>> ListDoNotSolicit(
      std::string_view customer_id, std::string_view phone_pseudonym,
      bool include_cleared) override;
  absl::StatusOr<v1::DoNotSolicitEntry> ClearDoNotSolicit(
      const v1::ClearDoNotSolicitRequest& request, Micros at) override;
  absl::StatusOr<std::vector<v1::ProvisionRecord>> ProvisionsBySeq(
      const std::vector<uint64_t>& seqs) override;
  absl::StatusOr<std::pair<PrintRun, bool>> OpenPrintRun(
      PrintRun fresh, AuditDraft opened) override;
  absl::StatusOr<std::optional<PrintRun>> GetPrintRun(
      std::string_view run_id) override;
  void AppendPrintBatchAsync(PrintBatchWrite write, DecisionInputs inputs,
                             AppendDone done) override;
  absl::StatusOr<uint64_t> ClosePrintRun(std::string_view run_id,
                                         std::vector<uint64_t> entries,
                                         AuditDraft closed,
                                         std::string summary) override;
  absl::Status ScanPrintBatches(
      std::string_view run_id, uint64_t from_batch,
      const std::function<bool(uint64_t, uint64_t, std::string_view)>& fn)
      override;
  absl::StatusOr<std::optional<std::string>> PrintBatchBody(
      uint64_t seq) override;
  absl::StatusOr<std::vector<uint64_t>> LogEvents(
      std::vector<AuditDraft> drafts) override;
  absl::StatusOr<uint64_t> LogEvent(AuditDraft draft) override;
  absl::Status ScanAudit(
      uint64_t after_seq, uint32_t limit, std::string_view customer_id,
      const std::function<bool(const AuditRecord&)>& fn) override;
  absl::StatusOr<VerifyResult> VerifyAudit() override;
  absl::Status SaveCheckpoint(
      std::vector<std::pair<uint64_t, std::string>> chunks,
      std::optional<v1::Checkpoint> checkpoint,
      std::string_view public_key_pem) override;
  absl::StatusOr<std::vector<std::string>> MerkleChunks() override;
  absl::Status BackupTo(const std::string& path) override;
  absl::StatusOr<PurgeResult> Purge(const PurgePlan& plan, bool dry_run,
                                    std::string_view requested_by) override;
  absl::StatusOr<std::optional<v1::Checkpoint>> GetCheckpoint(
      uint64_t size) override;
  absl::Status ScanAuditHashes(
      uint64_t after_seq, uint64_t upto_seq,
      const std::function<void(uint64_t, std::string_view)>& fn) override;
  void Close() override;

  // Consents by purpose and state (ConsentIndex::CountsByPurposeAndState).
  std::map<std::pair<std::string, std::string>, uint64_t> ConsentCounts()
      const {
    return index_.CountsByPurposeAndState();
  }
  // The seq of the last durable audit entry (0: none).
  uint64_t DurableHeadSeq() const { return durable_head_seq_.load(); }

 private:
  struct Op {
    std::function<absl::Status(WriteContext&)> apply;
    std::function<void(absl::Status)> done;
    // Writes to consents, campaigns and do-not-solicit entries move the
    // state version.
    bool changes_state = false;
    // Runs in a SAVEPOINT: its failure leaves the rest of the batch.
    bool isolated = false;
  };
  // A read connection borrowed from the pool; returned on destruction.
  class ReadLease {
   public:
    ReadLease(SqliteStore* store, std::unique_ptr<sqlite::Connection> conn,
              absl::Status status)
        : store_(store), conn_(std::move(conn)), status_(std::move(status)) {}
    ReadLease(ReadLease&&) = default;
    ~ReadLease() {
      if (conn_ != nullptr) {
        std::lock_guard<std::mutex> lock(store_->pool_mu_);
        store_->readers_.push_back(std::move(conn_));
      }
    }
    const absl::Status& status() const { return status_; }
    sqlite::Connection* operator->() { return conn_.get(); }
    sqlite::Connection& operator*() { return *conn_; }

   private:
    SqliteStore* store_;
    std::unique_ptr<sqlite::Connection> conn_;
    absl::Status status_;
  };

  SqliteStore(SqliteStoreOptions options,
              std::unique_ptr<sqlite::Connection> writer, ChainHead head);
  void Start();

  // Queues `op`; when no commit is in progress, the calling thread becomes
  // the writer and commits (Lead) before returning.
  void Submit(Op op);
  // Queues a decision: `write` runs in the writer and returns the seq of the
  // entry it appended (an error there writes nothing of it).
  void SubmitAppend(
      std::function<absl::StatusOr<uint64_t>(WriteContext&)> write,
      bool isolated, AppendDone done);
  // Runs a state-changing `apply` in the writer and waits for the commit.
  absl::Status Write(std::function<absl::Status(WriteContext&)> apply);
  // Runs `apply` in the writer in a savepoint of its own; `done` gets its
  // result once the transaction is durable (or the error that failed it).
  void SubmitWrite(std::function<absl::Status(WriteContext&)> apply,
                   bool changes_state, std::function<void(absl::Status)> done);
  // The decision's writes inside the writer (AppendDecisionAsync's checks
  // passed); returns its seq.
  absl::StatusOr<uint64_t> WriteDecision(WriteContext& w, DecisionWrite& write);
  // Whether the provision's caps are reached, counting this transaction.
  bool CapReached(WriteContext& w, const NewProvision& p);
  // Commits queued writes batch after batch until the queue is empty or a
  // checkpoint holds the writer; the caller has set writer_busy_.
  void Lead();
  void WriterLoop();
  void RunBatch(std::vector<Op>& batch);
  // A transaction-control statement on the write connection (prepared once).
  absl::Status Control(const char* sql);
  void RequestCheckpoint();
  void CheckpointLoop();

  absl::StatusOr<std::unique_ptr<sqlite::Connection>> NewReader();
  ReadLease Acquire();

  const SqliteStoreOptions options_;

  // Writer state; touched only by the thread that holds writer_busy_.
  std::unique_ptr<sqlite::Connection> writer_;
  ChainBuilder chain_;
  uint64_t state_version_ = 0;  // including this transaction's writes
  // Keys changed by recent writes, with the state version each write made;
  // decisions check theirs against it. Trimmed from the front; a decision
  // older than changes_floor_ is refused whatever it read.
  std::deque<std::pair<uint64_t, std::string>> changes_;
  uint64_t changes_floor_ = 0;
  static constexpr size_t kMaxRecentChanges = 65536;
  // Whether a write since `inputs.state_version` touched one of its keys.
  bool Conflicts(const DecisionInputs& inputs) const;
  // Set for good by an I/O error: every later write fails with it.
  absl::Status poisoned_;
  bool snapshot_written_ = false;  // by Close
  std::atomic<uint64_t> committed_state_version_{0};
  std::atomic<uint64_t> durable_head_seq_{0};

  std::mutex queue_mu_;
  std::condition_variable writer_left_cv_;  // for a checkpoint hold
  std::condition_variable writer_cv_;       // work for the writer thread
  std::deque<Op> queue_;                    // guarded by queue_mu_
  bool closing_ = false;                    // guarded by queue_mu_
  // A thread is the writer (leading) / the writer is held between batches
  // for a checkpoint.
  bool writer_busy_ = false;    // guarded by queue_mu_
  bool writer_paused_ = false;  // guarded by queue_mu_
  std::thread writer_thread_;

  // The WAL size (frames) at which the writer next asks for a checkpoint.
  int next_checkpoint_frames_ = 0;  // writer only (the WAL hook)
  std::unique_ptr<sqlite::Connection> checkpointer_;  // checkpoint thread only
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;   // guarded by checkpoint_mu_
  bool checkpoint_closing_ = false;  // guarded by checkpoint_mu_
  std::thread checkpoint_thread_;

  // Every campaign, kept in memory: checks read them on every call. Updated
  // by the writer after COMMIT, before the state version is published.
  mutable std::shared_mutex campaigns_mu_;
  std::map<std::string, std::shared_ptr<const v1::Campaign>, std::less<>>
      campaigns_;  // guarded by campaigns_mu_

  ConsentIndex index_;
  DoNotSolicitIndex do_not_solicit_;
  DialCounter dials_;
  CustomerRunIndexer runs_index_;  // writer only

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<sqlite::Connection>> readers_;  // pool_mu_
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_SQLITE_STORE_H_
