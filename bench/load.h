// The load generator: `concurrency` calls outstanding at once through the gRPC
// callback client API over a few shared channels; each completion records its
// latency and starts the slot's next call. The same machinery drives the
// gatekeeper's gates and the echo servers, so their numbers compare.
#ifndef GATEKEEPER_BENCH_LOAD_H_
#define GATEKEEPER_BENCH_LOAD_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gatekeeper/v1/dial_gate.pb.h"
#include "gatekeeper/v1/insert_gate.pb.h"

namespace gatekeeper::bench {

using Channels = std::vector<std::shared_ptr<grpc::Channel>>;

// `n` channels to `address` that do not share a TCP connection; waits up to
// 10 s for each to connect. Empty on failure.
Channels MakeChannels(const std::string& address, size_t n);

// One kind of call.
class Op {
 public:
  // Runs exactly once per Start, on a gRPC thread or (on some failures)
  // inside Start itself. `allow`: the answer was a VERDICT_ALLOW.
  using Done = std::function<void(const grpc::Status& status, bool allow)>;
  virtual ~Op() = default;
  virtual const std::string& name() const = 0;
  // A gatekeeper check (as opposed to echo).
  virtual bool is_check() const = 0;
  // Starts one call on channels[channel % channels.size()]; `r` is random.
  virtual void Start(size_t channel, uint64_t r, Done done) = 0;
};

// Requests for seeded consent i of the layout in seed.h: i even for inserts,
// odd for dials. Fixed-width ids, so all have the same size.
v1::CheckInsertRequest InsertRequest(const std::string& campaign, uint64_t i);
v1::CheckDialRequest DialRequest(const std::string& campaign, uint64_t i);

// Checks against seeded consents picked uniformly among `layout_consents`.
std::unique_ptr<Op> MakeCheckInsertOp(Channels channels, std::string campaign,
                                      uint64_t layout_consents);
std::unique_ptr<Op> MakeCheckDialOp(Channels channels, std::string campaign,
                                    uint64_t layout_consents);
// Echo calls whose serialized request and response are `request_bytes` and
// `response_bytes` long. A `log_bytes` above 0 goes in each request's
// log_bytes field (for the store echo; the request keeps its size).
std::unique_ptr<Op> MakeEchoOp(std::string name, Channels channels,
                               size_t request_bytes, size_t response_bytes,
                               uint32_t log_bytes = 0);

struct RunOptions {
  int concurrency = 1;
  double warmup_seconds = 0.5;
  double duration_seconds = 5;
  uint64_t seed = 1;
  // Called on the driving thread when the measured window opens and closes
  // (for CPU accounting); may be empty.
  std::function<void()> at_window_start;
  std::function<void()> at_window_end;
  // When it turns true, the run stops issuing calls and ends early.
  const std::atomic<bool>* interrupted = nullptr;
};

struct RunResult {
  // Calls that completed inside the measured window.
  uint64_t calls = 0;
  uint64_t errors = 0;                 // of `calls`, non-OK status
  uint64_t allows = 0;                 // of `calls`, VERDICT_ALLOW
  double seconds = 0;                  // length of the window
  std::vector<int64_t> ok_latency_ns;  // sorted; OK calls in the window
  std::string first_error;
  // OK answers over the whole run (warm-up and drain included): for checks,
  // the audit entries the daemon has acknowledged as durable.
  uint64_t total_ok = 0;
  // Some calls had not finished 15 s after the window (a hung server).
  bool incomplete = false;
  // Stopped early by RunOptions::interrupted; the numbers are partial.
  bool interrupted = false;

  double Qps() const;
  // Nearest-rank percentile of OK latencies, in milliseconds.
  double PercentileMs(double p) const;
};

RunResult Run(Op& op, const RunOptions& options);

}  // namespace gatekeeper::bench

#endif  // GATEKEEPER_BENCH_LOAD_H_
