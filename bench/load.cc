#include "bench/load.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "bench/echo.grpc.pb.h"
#include "bench/seed.h"
#include "daemon/common/strings.h"
#include "gatekeeper/v1/dial_gate.grpc.pb.h"
#include "gatekeeper/v1/insert_gate.grpc.pb.h"

namespace gatekeeper::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Every call carries a deadline, so every run ends.
constexpr auto kCallTimeout = std::chrono::seconds(10);

std::chrono::system_clock::time_point CallDeadline() {
  return std::chrono::system_clock::now() + kCallTimeout;
}

class CheckInsertOp final : public Op {
 public:
  CheckInsertOp(Channels channels, std::string campaign, uint64_t consents)
      : campaign_(std::move(campaign)), choices_(InsertIndices(consents)) {
    for (auto& ch : channels) stubs_.push_back(v1::InsertGate::NewStub(ch));
  }
  const std::string& name() const override { return name_; }
  bool is_check() const override { return true; }
  void Start(size_t channel, uint64_t r, Done done) override {
    auto* call = new Call;
    call->req = InsertRequest(campaign_, InsertIndex(r % choices_));
    call->ctx.set_deadline(CallDeadline());
    stubs_[channel % stubs_.size()]->async()->CheckInsert(
        &call->ctx, &call->req, &call->resp,
        [call, done = std::move(done)](grpc::Status s) {
          const bool allow =
              s.ok() && call->resp.verdict() == v1::VERDICT_ALLOW;
          delete call;
          done(s, allow);
        });
  }

 private:
  struct Call {
    grpc::ClientContext ctx;
    v1::CheckInsertRequest req;
    v1::Decision resp;
  };
  const std::string name_ = "CheckInsert";
  std::vector<std::unique_ptr<v1::InsertGate::Stub>> stubs_;
  const std::string campaign_;
  const uint64_t choices_;
};

class CheckDialOp final : public Op {
 public:
  CheckDialOp(Channels channels, std::string campaign, uint64_t consents)
      : campaign_(std::move(campaign)), choices_(DialIndices(consents)) {
    for (auto& ch : channels) stubs_.push_back(v1::DialGate::NewStub(ch));
  }
  const std::string& name() const override { return name_; }
  bool is_check() const override { return true; }
  void Start(size_t channel, uint64_t r, Done done) override {
    auto* call = new Call;
    call->req = DialRequest(campaign_, DialIndex(r % choices_));
    call->ctx.set_deadline(CallDeadline());
    stubs_[channel % stubs_.size()]->async()->CheckDial(
        &call->ctx, &call->req, &call->resp,
        [call, done = std::move(done)](grpc::Status s) {
          const bool allow =
              s.ok() && call->resp.decision().verdict() == v1::VERDICT_ALLOW;
          delete call;
          done(s, allow);
        });
  }

 private:
  struct Call {
    grpc::ClientContext ctx;
    v1::CheckDialRequest req;
    v1::CheckDialResponse resp;
  };
  const std::string name_ = "CheckDial";
  std::vector<std::unique_ptr<v1::DialGate::Stub>> stubs_;
  const std::string campaign_;
  const uint64_t choices_;
};

size_t VarintSize(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// The length n of a bytes field (tag 1 byte) whose encoding, plus `extra`
// bytes of other fields, comes closest to `total` without exceeding it.
size_t FieldLengthFor(size_t total, size_t extra) {
  size_t best = 0;
  for (size_t n = 0; 1 + VarintSize(n) + n + extra <= total; ++n) best = n;
  return best;
}

class EchoOp final : public Op {
 public:
  EchoOp(std::string name, Channels channels, size_t request_bytes,
         size_t response_bytes, uint32_t log_bytes)
      : name_(std::move(name)) {
    for (auto& ch : channels) stubs_.push_back(Echo::NewStub(ch));
    const uint32_t want =
        static_cast<uint32_t>(FieldLengthFor(response_bytes, 0));
    // The other fields' encodings (tag byte and varint), left out of the
    // payload's length so that the request keeps its size.
    size_t extra = want == 0 ? 0 : 1 + VarintSize(want);
    if (log_bytes > 0) extra += 1 + VarintSize(log_bytes);
    proto_.set_response_size(want);
    proto_.set_log_bytes(log_bytes);
    proto_.set_payload(std::string(FieldLengthFor(request_bytes, extra), 'q'));
  }
  const std::string& name() const override { return name_; }
  bool is_check() const override { return false; }
  void Start(size_t channel, uint64_t r, Done done) override {
    auto* call = new Call;
    call->req = proto_;
    // Vary the bytes a little, like the checks' ids.
    (*call->req.mutable_payload())[0] = static_cast<char>('a' + r % 26);
    call->ctx.set_deadline(CallDeadline());
    stubs_[channel % stubs_.size()]->async()->Echo(
        &call->ctx, &call->req, &call->resp,
        [call, done = std::move(done)](grpc::Status s) {
          delete call;
          done(s, false);
        });
  }

 private:
  struct Call {
    grpc::ClientContext ctx;
    EchoMessage req;
    EchoMessage resp;
  };
  const std::string name_;
  std::vector<std::unique_ptr<Echo::Stub>> stubs_;
  EchoMessage proto_;
};

struct Slot {
  std::mt19937_64 rng;
  size_t channel = 0;
  SteadyClock::time_point started;
  std::vector<int64_t> latency_ns;
  uint64_t calls = 0, errors = 0, allows = 0, total_ok = 0;
  std::string first_error;
};

// Shared with every callback; outlives Run if calls hang.
struct RunState {
  Op* op = nullptr;
  SteadyClock::time_point window_start, window_end;
  std::vector<Slot> slots;
  std::mutex mu;
  std::condition_variable cv;
  int active = 0;                 // guarded by mu
  std::deque<size_t> retry;       // guarded by mu: slots whose call failed
  std::atomic<bool> stop{false};  // interrupted: issue no more calls
};

void Issue(const std::shared_ptr<RunState>& st, size_t i);

void OnDone(const std::shared_ptr<RunState>& st, size_t i,
            const grpc::Status& s, bool allow) {
  const SteadyClock::time_point now = SteadyClock::now();
  Slot& slot = st->slots[i];
  if (s.ok()) ++slot.total_ok;
  if (now >= st->window_start && now < st->window_end) {
    ++slot.calls;
    if (s.ok()) {
      slot.latency_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now -
                                                               slot.started)
              .count());
      if (allow) ++slot.allows;
    } else {
      ++slot.errors;
      if (slot.first_error.empty()) {
        slot.first_error =
            StrCat(static_cast<int>(s.error_code()), " ", s.error_message());
      }
    }
  }
  if (s.ok()) return Issue(st, i);
  // A failure may complete inside Start; restarting from the driving thread
  // (after a short pause) keeps the stack flat and a dead server from
  // spinning.
  std::lock_guard<std::mutex> lock(st->mu);
  st->retry.push_back(i);
  st->cv.notify_all();
}

void Issue(const std::shared_ptr<RunState>& st, size_t i) {
  Slot& slot = st->slots[i];
  const SteadyClock::time_point now = SteadyClock::now();
  if (now >= st->window_end || st->stop.load()) {
    std::lock_guard<std::mutex> lock(st->mu);
    if (--st->active == 0) st->cv.notify_all();
    return;
  }
  slot.started = now;
  st->op->Start(
      slot.channel, slot.rng(),
      [st, i](const grpc::Status& s, bool allow) { OnDone(st, i, s, allow); });
}

}  // namespace

Channels MakeChannels(const std::string& address, size_t n) {
  Channels out;
  for (size_t i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    // Own subchannel (TCP connection) per channel.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("gkbench.channel_index", static_cast<int>(i));
    auto ch = grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args);
    if (!ch->WaitForConnected(std::chrono::system_clock::now() +
                              std::chrono::seconds(10))) {
      return {};
    }
    out.push_back(std::move(ch));
  }
  return out;
}

v1::CheckInsertRequest InsertRequest(const std::string& campaign, uint64_t i) {
  v1::CheckInsertRequest r;
  r.set_customer_id(CustomerId(i));
  r.set_campaign_id(campaign);
  r.set_print_run_id("gkbench-run-2026-12");
  char doc[32];
  std::snprintf(doc, sizeof(doc), "bill-%08" PRIu64, i);
  r.set_document_id(doc);
  return r;
}

v1::CheckDialRequest DialRequest(const std::string& campaign, uint64_t i) {
  v1::CheckDialRequest r;
  r.set_phone_number(Phone(i));
  r.set_campaign_id(campaign);
  char agent[32];
  std::snprintf(agent, sizeof(agent), "agent-%02" PRIu64, i % 100);
  r.set_agent_id(agent);
  return r;
}

std::unique_ptr<Op> MakeCheckInsertOp(Channels channels, std::string campaign,
                                      uint64_t layout_consents) {
  return std::make_unique<CheckInsertOp>(std::move(channels),
                                         std::move(campaign), layout_consents);
}

std::unique_ptr<Op> MakeCheckDialOp(Channels channels, std::string campaign,
                                    uint64_t layout_consents) {
  return std::make_unique<CheckDialOp>(std::move(channels), std::move(campaign),
                                       layout_consents);
}

std::unique_ptr<Op> MakeEchoOp(std::string name, Channels channels,
                               size_t request_bytes, size_t response_bytes,
                               uint32_t log_bytes) {
  return std::make_unique<EchoOp>(std::move(name), std::move(channels),
                                  request_bytes, response_bytes, log_bytes);
}

double RunResult::Qps() const {
  if (seconds <= 0) return 0;
  return static_cast<double>(calls - errors) / seconds;
}

double RunResult::PercentileMs(double p) const {
  if (ok_latency_ns.empty()) return 0;
  const size_t n = ok_latency_ns.size();
  size_t rank =
      static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  rank = std::clamp<size_t>(rank, 1, n);
  return static_cast<double>(ok_latency_ns[rank - 1]) / 1e6;
}

RunResult Run(Op& op, const RunOptions& o) {
  auto st = std::make_shared<RunState>();
  st->op = &op;
  const size_t n = static_cast<size_t>(std::max(1, o.concurrency));
  const SteadyClock::time_point t0 = SteadyClock::now();
  const auto to_duration = [](double s) {
    return std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::duration<double>(s));
  };
  st->window_start = t0 + to_duration(o.warmup_seconds);
  st->window_end = st->window_start + to_duration(o.duration_seconds);
  st->slots.resize(n);
  const size_t expected = static_cast<size_t>(o.duration_seconds * 20000.0 /
                                              static_cast<double>(n));
  for (size_t i = 0; i < n; ++i) {
    st->slots[i].rng.seed(o.seed * 1000003 + i);
    st->slots[i].channel = i;  // the op reduces it modulo its channels
    st->slots[i].latency_ns.reserve(std::min<size_t>(expected, 1 << 20));
  }
  st->active = static_cast<int>(n);
  for (size_t i = 0; i < n; ++i) Issue(st, i);

  // Drive: window callbacks, restarts after failures, and the end.
  const SteadyClock::time_point give_up =
      st->window_end + std::chrono::seconds(15);
  bool started = false, ended = false, incomplete = false, interrupted = false;
  std::unique_lock<std::mutex> lock(st->mu);
  while (st->active > 0) {
    const SteadyClock::time_point now = SteadyClock::now();
    // The window callbacks read /proc; completions need not wait for them.
    if (!started && now >= st->window_start) {
      started = true;
      lock.unlock();
      if (o.at_window_start) o.at_window_start();
      lock.lock();
    }
    if (!ended && now >= st->window_end) {
      ended = true;
      lock.unlock();
      if (o.at_window_end) o.at_window_end();
      lock.lock();
    }
    if (now >= give_up) {
      incomplete = true;
      break;
    }
    if (o.interrupted != nullptr && o.interrupted->load() && !st->stop.load()) {
      st->stop = true;
      interrupted = true;
    }
    if (!st->retry.empty()) {
      std::deque<size_t> again;
      again.swap(st->retry);
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      for (size_t i : again) Issue(st, i);
      lock.lock();
      continue;
    }
    SteadyClock::time_point wake = give_up;
    if (!started)
      wake = st->window_start;
    else if (!ended)
      wake = st->window_end;
    // Look at `interrupted` at least every 100 ms.
    wake = std::min(wake, now + std::chrono::milliseconds(100));
    st->cv.wait_until(lock, wake);
  }
  lock.unlock();
  if (!started && o.at_window_start) o.at_window_start();
  if (!ended && o.at_window_end) o.at_window_end();

  RunResult r;
  r.seconds = o.duration_seconds;
  r.incomplete = incomplete;
  r.interrupted = interrupted;
  if (incomplete) return r;  // slots still in use by callbacks
  for (Slot& s : st->slots) {
    r.calls += s.calls;
    r.errors += s.errors;
    r.allows += s.allows;
    r.total_ok += s.total_ok;
    if (r.first_error.empty()) r.first_error = s.first_error;
    r.ok_latency_ns.insert(r.ok_latency_ns.end(), s.latency_ns.begin(),
                           s.latency_ns.end());
  }
  std::sort(r.ok_latency_ns.begin(), r.ok_latency_ns.end());
  return r;
}

}  // namespace gatekeeper::bench
