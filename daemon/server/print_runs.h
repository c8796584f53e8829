// Print runs (InsertGate.CheckInsertBatch, ReconcileRun, PullList): the
// state of the runs being decided, the bulk decisions of their batches with
// CheckInsert's pure rules, their summaries and digests, and what is checked
// after printing. Glue between the gRPC streams and the store: each batch is
// decided against the in-memory state, then appended (its body, its chained
// "print.batch" entry) in batch order; a batch whose inputs changed meanwhile
// is decided again. Thread-safe; a run is meant to be fed by one stream at a
// time (a second stream of the same run waits its turn batch by batch).
// Runs are opened, decided and closed in print_runs.cc; the checks after
// printing (reconciliation, pull list) are in print_checks.cc; what both use
// to decide a document is in print_decisions.h.
//
// Memory of an open run: about 30 bytes a document (the hashes of its
// document ids, for duplicates, and its customers' index keys, written when
// the run closes). A run left open by a restart is rebuilt from its stored
// batches when it is opened again.
#ifndef GATEKEEPER_DAEMON_SERVER_PRINT_RUNS_H_
#define GATEKEEPER_DAEMON_SERVER_PRINT_RUNS_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/common/clock.h"
#include "daemon/config/config.h"
#include "daemon/ops/metrics.h"
#include "daemon/store/store.h"
#include "gatekeeper/v1/insert_gate.pb.h"

namespace gatekeeper {

class PrintRuns {
 public:
  // Most items a batch may carry (unless limits.max_batch_items says fewer),
  // and most candidate leaflets an item may.
  static constexpr int kMaxItems = 10000;
  static constexpr int kMaxCandidates = 16;

  // `metrics` (optional) counts each durable batch's decisions; `max_items`
  // is limits.max_batch_items.
  PrintRuns(Store& store, const Clock& clock, Metrics* metrics = nullptr,
            int max_items = kMaxItems)
      : store_(store),
        clock_(clock),
        metrics_(metrics),
        max_items_(max_items) {}
  ~PrintRuns();

  // Opens a run or resumes one cut off half-way; with replay_decided, calls
  // `replay` for each batch already decided, in order, first. With
  // replay_completed, a completed run is replayed whole instead of refused:
  // the answer has completed set and `*completed` holds its summary.
  absl::StatusOr<v1::RunOpened> Open(
      const v1::OpenRun& req,
      const std::function<void(v1::BatchDecided)>& replay,
      v1::RunSummary* completed);
  // Decides a batch of an open run; `done` runs once it is durable (possibly
  // on another thread) or with the error that stopped it: INVALID_ARGUMENT
  // naming the batch and item, FAILED_PRECONDITION for a batch out of
  // sequence. Batches of one run are appended in the order given.
  // `accepted` (optional) runs once the batch passed its checks and took its
  // place in the run, before it is decided: the caller may hand in the next
  // batch from then on (from another thread), and the two are decided at the
  // same time. `compact`: the answer holds reason_bits instead of documents
  // (OpenRun.compact_answers).
  void DecideBatch(const std::string& run_id, v1::InsertBatch batch,
                   bool compact,
                   std::function<void(absl::StatusOr<v1::BatchDecided>)> done,
                   const std::function<void()>& accepted = nullptr);
  // Closes a run whose batches are all durable: its summary, logged.
  absl::StatusOr<v1::RunSummary> Close(const std::string& run_id);

  // Reconciles what the inserter did (ReconcileRun): Add each piece, then
  // Finish, which logs the violations ("print.violation", one a piece) and
  // the whole ("print.reconciled").
  class Reconciliation {
   public:
    virtual ~Reconciliation() = default;
    virtual absl::Status Add(const v1::InsertedPiece& piece) = 0;
    virtual absl::StatusOr<v1::ReconcileResponse> Finish() = 0;
  };
  // NOT_FOUND for an unknown run, FAILED_PRECONDITION for one not closed.
  absl::StatusOr<std::unique_ptr<Reconciliation>> StartReconcile(
      const v1::ReconcileStart& start);
  // The pull list of a closed run (PullList), one entry at a time.
  absl::Status PullList(const v1::PullListRequest& req,
                        const std::function<bool(v1::PullListEntry)>& emit);

  struct Run;

 private:
  // The metrics of a durable batch's decisions.
  void CountBatch(const struct BatchJob& job) const;
  absl::StatusOr<std::shared_ptr<Run>> Rebuild(const PrintRun& stored);
  // Calls `replay` for each stored batch of the run, in order.
  absl::Status Replay(const std::string& run_id,
                      const std::function<void(v1::BatchDecided)>& replay);
  // Decides (again) every document of the job against the committed state.
  void Decide(const Run& run, struct BatchJob& job);
  // Appends the job, the oldest of its run not yet durable.
  void Append(std::shared_ptr<Run> run, std::shared_ptr<struct BatchJob> job);

  Store& store_;
  const Clock& clock_;
  Metrics* const metrics_;
  const int max_items_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Run>> runs_;  // guarded by mu_
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_PRINT_RUNS_H_
