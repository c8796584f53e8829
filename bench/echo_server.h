// `gkbench --serve-echo`: the reference server. Built like the daemon's gates
// (a CallbackService answering through the DefaultReactor, default server
// builder settings), it listens on 127.0.0.1:0, prints
// "gkbench-echo: listening on 127.0.0.1:PORT" and serves until SIGTERM/SIGINT.
#ifndef GATEKEEPER_BENCH_ECHO_SERVER_H_
#define GATEKEEPER_BENCH_ECHO_SERVER_H_

namespace gatekeeper::bench {

// Returns the process exit code.
int ServeEcho();

}  // namespace gatekeeper::bench

#endif  // GATEKEEPER_BENCH_ECHO_SERVER_H_
