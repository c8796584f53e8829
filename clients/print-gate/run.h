// print-gate decide and redecide: a manifest streamed through
// InsertGate.CheckInsertBatch, the answers written back as the manifest with
// only the allowed codes (--out) and one row per blocked code (--rejects).
//
// The manifest is read twice: first whole, to find a malformed row before the
// daemon is asked anything (and to count the documents for the progress bar),
// then in batches of --batch-size rows, several in flight. Batches hold the
// manifest's well-formed rows in order, so the same manifest and batch size
// always give the same batches: that is what lets a run cut off half-way be
// resumed. Memory holds the batches in flight and nothing else: outputs are
// written to temporary files as answers arrive and renamed over their final
// names only once the run completed and its summary matched (output_file.h).
//
// Resuming: the run is always opened with replay_decided; the daemon answers
// the batches it already decided, and print-gate reads the manifest alongside,
// checks that each replayed decision is the manifest's row (same document and
// customer, same codes) and writes it out, then sends the rest.
//
// Every answer is checked against the manifest and against the daemon's own
// hash of it (BatchDecided.batch_sha256, RunSummary.run_digest; digest.h).
#ifndef GATEKEEPER_CLIENTS_PRINT_GATE_RUN_H_
#define GATEKEEPER_CLIENTS_PRINT_GATE_RUN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "clients/print-gate/common.h"

namespace printgate {

struct DecideOptions {
  std::string manifest;  // the input, in the manifest format
  std::string out, rejects;
  std::string run_id;
  // redecide: the run the documents were first decided in.
  std::string reprint_of;
  uint32_t batch_size = 2000;
  uint32_t in_flight = 4;
  // Malformed rows go to the rejects file (MALFORMED_ROW) instead of failing
  // the run.
  bool skip_bad = false;
  // Test hook: SIGKILL this process once this many batches (not replayed)
  // were answered and written to the temporary files. 0: never.
  uint64_t kill_after_batches = 0;
};

// Returns kExitOk; throws Error on any failure, with no output file written.
int Decide(const Globals& g, const DecideOptions& o);

// The reprint run's id when --reprint-run-id is not given:
// "<run_id>.reprint-<first 8 hex digits of the SHA-256 of the documents
// file>", so that the same command names the same run (and resumes it).
// Throws Error when the file cannot be read or the id would be longer than 64
// characters.
std::string DerivedReprintRunId(const std::string& run_id,
                                const std::string& documents_path);

// The batch number and item index an error message of the daemon names
// ("batch 3: items[1].document_id: ...", "batch_no=3 item 1"), if it names
// both. Items are counted from 0, as in a field path.
std::optional<std::pair<uint64_t, uint64_t>> BatchItemNamedIn(
    const std::string& message);

}  // namespace printgate

#endif  // GATEKEEPER_CLIENTS_PRINT_GATE_RUN_H_
