// SqliteStore: print runs (InsertGate.CheckInsertBatch). The commit pipeline
// is in sqlite_store.cc; the SQL in print_run_records.cc.
#include <future>

#include "absl/status/status.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/store/print_run_records.h"
#include "daemon/store/sqlite_store.h"

namespace gatekeeper {

absl::StatusOr<std::pair<PrintRun, bool>> SqliteStore::OpenPrintRun(
    PrintRun fresh, AuditDraft opened) {
  std::pair<PrintRun, bool> out;
  absl::Status s = Write([&](WriteContext& w) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<PrintRun> stored,
                     ReadPrintRun(w.db(), fresh.run_id));
    if (stored.has_value()) {
      if (stored->closed) {
        return absl::FailedPreconditionError(
            StrCat("print_run_id: run ", fresh.run_id,
                   " was completed; a completed run cannot be opened again"));
      }
      out = {*std::move(stored), false};
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(InsertPrintRun(w.db(), fresh));
    RETURN_IF_ERROR(w.Append(std::move(opened)).status());
    ASSIGN_OR_RETURN(std::optional<PrintRun> created,
                     ReadPrintRun(w.db(), fresh.run_id));
    if (!created.has_value()) {
      return absl::InternalError("the new print run was not stored");
    }
    out = {*std::move(created), true};
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::optional<PrintRun>> SqliteStore::GetPrintRun(
    std::string_view run_id) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  return ReadPrintRun(*db, run_id);
}

void SqliteStore::AppendPrintBatchAsync(PrintBatchWrite write,
                                        DecisionInputs inputs,
                                        AppendDone done) {
  SubmitAppend(
      [this, write = std::move(write), inputs = std::move(inputs)](
          WriteContext& w) mutable -> absl::StatusOr<uint64_t> {
        if (Conflicts(inputs)) {
          return absl::AbortedError(
              "consents or campaigns of the batch changed while deciding");
        }
        ASSIGN_OR_RETURN(std::optional<PrintRun> run,
                         ReadPrintRun(w.db(), write.run_id));
        if (!run.has_value() || run->closed) {
          return absl::FailedPreconditionError(
              StrCat("print_run_id: run ", write.run_id,
                     run.has_value() ? " is closed" : " is not open"));
        }
        if (run->next_batch_no != write.batch_no) {
          return absl::FailedPreconditionError(
              StrCat("batch_no: run ", write.run_id, " expects batch ",
                     run->next_batch_no, ", not ", write.batch_no));
        }
        ASSIGN_OR_RETURN(uint64_t seq, w.Append(std::move(write.draft)));
        RETURN_IF_ERROR(InsertPrintBatch(w.db(), write.run_id, write.batch_no,
                                         seq, write.body));
        ++run->next_batch_no;
        run->documents += write.documents;
        run->decisions += write.decisions;
        RETURN_IF_ERROR(UpdatePrintRun(w.db(), *run));
        return seq;
      },
      // A refused batch (out of sequence) must not take the others down.
      /*isolated=*/true, std::move(done));
}

absl::StatusOr<uint64_t> SqliteStore::ClosePrintRun(
    std::string_view run_id, std::vector<uint64_t> entries, AuditDraft closed,
    std::string summary) {
  ASSIGN_OR_RETURN(std::optional<PrintRun> run, GetPrintRun(run_id));
  if (!run.has_value()) {
    return absl::NotFoundError(StrCat("print_run_id: no run ", run_id));
  }
  // The index in pieces of whole buckets, so that the writer is never held
  // long; a piece written again after a crash replaces itself.
  constexpr size_t kChunk = 1 << 20;
  for (size_t from = 0; from < entries.size();) {
    const size_t to = PrintIndexBucketEnd(
        entries, std::min(entries.size(), from + kChunk) - 1);
    absl::Status indexed = Write([&](WriteContext& w) {
      return InsertPrintIndex(w.db(), run->run_no, entries.data() + from,
                              to - from);
    });
    if (!indexed.ok()) return indexed;
    from = to;
  }
  uint64_t seq = 0;
  absl::Status closing = Write([&](WriteContext& w) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<PrintRun> current,
                     ReadPrintRun(w.db(), run_id));
    if (!current.has_value() || current->closed) {
      return absl::FailedPreconditionError(
          StrCat("print_run_id: run ", run_id, " is closed already"));
    }
    ASSIGN_OR_RETURN(seq, w.Append(std::move(closed)));
    current->closed = true;
    current->summary = summary;
    current->closed_seq = seq;
    RETURN_IF_ERROR(UpdatePrintRun(w.db(), *current));
    return absl::OkStatus();
  });
  if (!closing.ok()) return closing;
  return seq;
}

absl::Status SqliteStore::ScanPrintBatches(
    std::string_view run_id, uint64_t from_batch,
    const std::function<bool(uint64_t, uint64_t, std::string_view)>& fn) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  RETURN_IF_ERROR(db->Exec("BEGIN"));
  absl::Status s = gatekeeper::ScanPrintBatches(*db, run_id, from_batch, fn);
  (void)db->Exec("COMMIT");
  return s;
}

absl::StatusOr<std::optional<std::string>> SqliteStore::PrintBatchBody(
    uint64_t seq) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  ASSIGN_OR_RETURN(auto found, PrintBatchBySeq(*db, seq));
  if (!found.has_value()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(found->second));
}

}  // namespace gatekeeper
