// gkprintbench's reference server for print runs: InsertGate.CheckInsertBatch
// built like the daemon's (daemon/server/print_streams.cc: a callback-API
// bidi reactor, one read and one write in flight, answers in batch order;
// default server builder settings), answering every batch at once with the
// verdicts the seeded database must give (print_layout.h), so its answers have
// the daemon's message sizes and its batch_sha256 and run_digest are those of
// the daemon's answers, computed by the daemon's own code
// (daemon/audit/print_batch.h). Nothing is decided, stored or remembered
// beyond the running digest and counts of the open stream: the transport's
// and the protocol's cost, the print path's limit on this machine.
//
// `gkprintbench --serve-reference` runs it on 127.0.0.1:0, prints
// "gkprintbench-reference: listening on 127.0.0.1:PORT" and serves until
// SIGTERM/SIGINT.
#ifndef GATEKEEPER_BENCH_PRINT_REFERENCE_H_
#define GATEKEEPER_BENCH_PRINT_REFERENCE_H_

namespace gatekeeper::bench {

// Returns the process exit code.
int ServePrintReference();

}  // namespace gatekeeper::bench

#endif  // GATEKEEPER_BENCH_PRINT_REFERENCE_H_
