// The reference servers of gkbench, each started by gkbench as a child process
// of this same binary. All are built like the daemon's gates (a
// CallbackService answering through the DefaultReactor, default server builder
// settings), listen on 127.0.0.1:0, print "... listening on 127.0.0.1:PORT"
// and serve until SIGTERM/SIGINT.
//
// `gkbench --serve-echo`: the plain echo; each call is answered at once. The
// transport's limit.
//
// `gkbench --serve-durable-echo DIR`: the durable echo; each call's request
// bytes go to a log file in DIR and the call is answered only once an
// fdatasync covers them, group-committed as in the daemon's store (see
// echo_server.cc). The least any service answering durably can cost on this
// machine, with no decision logic.
//
// `gkbench --serve-store-echo DIR`: the store echo; each call is answered only
// once one decision-sized audit entry is durable through the daemon's real
// store (a fresh SqliteStore at DIR/gkbench-store-echo.db, opened with the
// daemon's options: WAL, synchronous=FULL, the hash-chained log, max_batch
// 512): exactly what a decision writes (its audit entry and its decision id,
// group-committed) with nothing read and no policy (see echo_server.cc). What
// the embedded store costs beyond the durable echo, and so the most the checks
// can reach with this store.
#ifndef GATEKEEPER_BENCH_ECHO_SERVER_H_
#define GATEKEEPER_BENCH_ECHO_SERVER_H_

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <string>

namespace gatekeeper::bench {

// Blocks SIGTERM and SIGINT before gRPC (or a store) starts threads, so that
// only the sigwait in Serve receives them, and ignores SIGPIPE. Returns them.
sigset_t BlockStopSignals();
// Serves `service` on 127.0.0.1:0 until a signal of `stop`, having printed
// "<name>: listening on 127.0.0.1:PORT"; returns the exit code. Also used by
// gkprintbench's reference server (print_reference.h).
int Serve(grpc::Service* service, const char* name, const sigset_t& stop);

// Each returns the process exit code.
int ServeEcho();
// The log is DIR/gkbench-durable-echo.log (64 MiB, written through once at
// startup, removed at exit); DIR should be on the daemon's data filesystem.
int ServeDurableEcho(const std::string& dir);
// The database is DIR/gkbench-store-echo.db (any old one is removed first; it
// and its -wal and -shm files are removed at exit); DIR should be on the
// daemon's data filesystem.
int ServeStoreEcho(const std::string& dir);

}  // namespace gatekeeper::bench

#endif  // GATEKEEPER_BENCH_ECHO_SERVER_H_
