// gkbench: the load benchmark of the Consent Gatekeeper.
//
// Seeds a database with --consents consents (default 1,000,000) through the
// store's bulk import, starts the real gatekeeperd on it and three reference
// servers (this binary, re-run; see echo_server.h), and measures CheckInsert
// and CheckDial at each --concurrency against calls of the same message sizes
// to each reference, interleaved in every round:
// - the plain echo (--serve-echo): the transport's limit on this machine;
// - the durable echo (--serve-durable-echo DIR, DIR = the data dir): the echo
//   answering each call only after a group-committed fdatasync covering its
//   request bytes, with no decision logic; the least any service answering
//   durably can cost here;
// - the store echo (--serve-store-echo DIR): the echo answering each call only
//   once one audit entry the size of a real decision's (measured on the
//   daemon's own log before the load) and its decision id are durable through
//   the daemon's real store (SQLite, WAL, synchronous=FULL, the hash chain),
//   with no decision logic: what the store itself costs, and the most a check
//   can reach with it.
// Prints QPS, p50/p99, the ratios to them and the target: at concurrency 64,
// as the median over --rounds of per-round ratios, each check at least 85% of
// the durable echo's QPS and its p99 at most 1.5x the durable echo's p99
// (every decision acknowledged only once its audit entry is durable), and
// under it the store echo's share of the durable echo and the check's share
// of the store echo. Missing the target is reported, not an error.
// Exit codes: 0 done; 1 setup failed; 3 the audit log lacks a decision a client
// was given, or does not verify; 130 interrupted.
//
//   gkbench [--data-dir DIR [--keep]] [--consents N] [--duration S]
//           [--concurrency 1,16,64] [--rounds N] [--gatekeeperd PATH]
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "bench/echo_server.h"
#include "bench/load.h"
#include "bench/machine.h"
#include "bench/seed.h"
#include "bench/subprocess.h"
#include "daemon/common/strings.h"
#include "daemon/config/config.h"
#include "daemon/store/sqlite_store.h"
#include "gatekeeper/v1/audit_service.grpc.pb.h"
#include "gatekeeper/v1/dial_gate.grpc.pb.h"
#include "gatekeeper/v1/insert_gate.grpc.pb.h"

namespace gatekeeper::bench {
namespace {

// Every calling rule is evaluated on every dial, none blocks the seeded calls:
// calls all day (the benchmark runs at any hour), blackout dates that are not
// today, caps above what a run reaches (the counts are still kept and read).
constexpr const char* kCallingRules =
    R"yaml(calling_hours: {start: "00:00", end: "24:00"}
blackout_dates: ["2026-01-01", "2031-12-31"]
frequency_caps: {per_number_per_campaign_per_day: 1000, per_number_per_company_30d: 100000}
solicitation_statement: "本日は、{goods_type}のご契約のご案内(勧誘)のためにお電話いたしました。"
)yaml";

namespace fs = std::filesystem;

// Against the durable echo run next to each check, per round.
constexpr double kTargetQpsRatio = 0.85;  // at least
constexpr double kTargetP99Ratio = 1.5;   // at most
constexpr int kHeadlineConcurrency = 64;

// Set by SIGINT/SIGTERM: stop the load, report what was measured, clean up.
std::atomic<bool> g_interrupted{false};
void OnStopSignal(int) { g_interrupted.store(true); }

struct Flags {
  std::string data_dir;
  bool keep = false;
  uint64_t consents = 1'000'000;
  double duration = 5;
  double warmup = 0.5;
  std::vector<int> concurrency = {1, 16, 64};
  size_t channels = 4;
  std::string gatekeeperd;
  std::vector<std::string> ops = {
      "CheckInsert",          "EchoInsertSized",   "DurableEchoInsertSized",
      "StoreEchoInsertSized", "CheckDial",         "EchoDialSized",
      "DurableEchoDialSized", "StoreEchoDialSized"};
  bool verify_audit = true;
  uint64_t seed = 1;
  int rounds = 1;
};

struct SyncStats {
  double p50_ms = 0, p99_ms = 0;
  int samples = 0;
};

// What durability costs on this disk: latency of a 4 KiB append followed by
// fdatasync, in the data directory (at most 200 samples or 3 s).
std::optional<SyncStats> SyncLatency(const fs::path& dir) {
  const std::string path = (dir / "gkbench-sync-probe").string();
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return std::nullopt;
  const std::string page(4096, 's');
  std::vector<double> ms;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (int i = 0; i < 200 && std::chrono::steady_clock::now() < end; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    if (::write(fd, page.data(), page.size()) !=
            static_cast<ssize_t>(page.size()) ||
        ::fdatasync(fd) != 0) {
      break;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - t0)
                     .count());
  }
  ::close(fd);
  ::unlink(path.c_str());
  if (ms.empty()) return std::nullopt;
  std::sort(ms.begin(), ms.end());
  SyncStats s;
  s.samples = static_cast<int>(ms.size());
  s.p50_ms = ms[(ms.size() - 1) / 2];
  s.p99_ms = ms[std::min(ms.size() - 1, (ms.size() * 99 + 99) / 100 - 1)];
  return s;
}

// The process answering an op.
enum class Server { kDaemon, kEcho, kDurableEcho, kStoreEcho };

Server ServerOf(const std::string& op) {
  if (op.rfind("Check", 0) == 0) return Server::kDaemon;
  if (op.rfind("DurableEcho", 0) == 0) return Server::kDurableEcho;
  if (op.rfind("StoreEcho", 0) == 0) return Server::kStoreEcho;
  return Server::kEcho;
}

struct Row {
  std::string op;
  bool is_check = false;
  Server server = Server::kDaemon;
  int concurrency = 0;
  int round = 0;  // 0-based; every run is repeated once per round
  RunResult result;
  // Cores used over the measured window (1.0 = one core busy).
  double client_cpu = 0;  // gkbench
  double server_cpu = 0;  // the server under test
  double other_cpu = 0;   // everything else on the machine
  double steal = 0;       // taken by the hypervisor
  std::string threads;    // the server's busiest threads
};

// CPU counters at one instant.
struct Snapshot {
  std::chrono::steady_clock::time_point at;
  double self = 0, daemon = 0, echo = 0, durable_echo = 0, store_echo = 0;
  SystemCpu system;
  std::vector<Subprocess::ThreadCpu> server_threads;
};

const Row* FindRow(const std::vector<Row>& rows, const std::string& op,
                   int concurrency, int round) {
  for (const Row& r : rows) {
    if (r.op == op && r.concurrency == concurrency && r.round == round) {
      return &r;
    }
  }
  return nullptr;
}

// The reference ops of a check's message sizes.
std::string EchoFor(const std::string& check) {
  return check == "CheckInsert" ? "EchoInsertSized" : "EchoDialSized";
}
std::string DurableEchoFor(const std::string& check) {
  return check == "CheckInsert" ? "DurableEchoInsertSized"
                                : "DurableEchoDialSized";
}
std::string StoreEchoFor(const std::string& check) {
  return check == "CheckInsert" ? "StoreEchoInsertSized" : "StoreEchoDialSized";
}
// The check whose sizes an op has (itself for a check).
std::string CheckOf(const std::string& op) {
  return op.find("Insert") != std::string::npos ? "CheckInsert" : "CheckDial";
}

// "12.3%" of a over b, "-" without a b.
std::string Percent(double a, double b) {
  if (b <= 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%.1f%%", 100.0 * a / b);
  return buf;
}

// "1.23x" of a over b, "-" without a b.
std::string Times(double a, double b) {
  if (b <= 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%.2fx", a / b);
  return buf;
}

class Bench {
 public:
  explicit Bench(Flags flags) : f_(std::move(flags)) {}
  ~Bench() { Cleanup(); }

  int Main() {
    if (absl::Status s = Setup(); !s.ok()) {
      std::cerr << "gkbench: setup failed: " << s.message() << "\n";
      if (!dir_.empty()) {
        const std::string log = TailOfFile((dir_ / "gatekeeperd.log").string());
        if (!log.empty()) {
          std::cerr << "--- gatekeeperd.log (tail) ---\n" << log;
        }
      }
      return 1;
    }
    RunAll();
    const bool evidence_ok = Finish();
    if (g_interrupted.load()) {
      std::cout << "gkbench: interrupted; the numbers above are partial\n";
      return 130;
    }
    if (!evidence_ok) {
      std::cout << "gkbench: FAILED: the audit log does not hold what the "
                   "clients were told (see \"audit\" above)\n";
      return 3;
    }
    return 0;
  }

 private:
  absl::Status Setup() {
    // The data directory.
    {
      auto dir = PrepareDataDir(f_.data_dir, "gkbench");
      if (!dir.ok()) return dir.status();
      dir_ = dir->path;
      temp_dir_ = dir->temporary;
    }
    db_ = dir_ / "gatekeeper.db";
    std::cout << "gkbench: " << std::thread::hardware_concurrency()
              << " CPUs (nproc), " << CpuModel() << "\n"
              << "data dir " << dir_.string() << " on " << FsType(dir_)
              << (temp_dir_ && !f_.keep ? " (removed at the end)" : "") << "\n"
              << std::flush;

    // The config the daemon will run with; validated here first.
    const fs::path config_path = dir_ / "gatekeeper.yaml";
    {
      std::ofstream out(config_path);
      out << ExampleConfigYaml("gkbench", dir_, kCallingRules);
      if (!out) return absl::UnavailableError("cannot write the config");
    }
    auto config = LoadConfigFile(config_path.string());
    if (!config.ok()) return config.status();
    const ConfigIndex index(*std::move(config));

    // Seeding.
    auto seed = Seed(dir_, index, f_.consents, std::cout, &g_interrupted);
    if (!seed.ok()) return seed.status();
    seed_ = *std::move(seed);
    auto before = ReadDbFacts(db_, 0);
    if (!before.ok()) return before.status();
    head_before_ = before->head_seq;
    std::cout << "database: " << before->consents << " consents, "
              << before->head_seq << " audit entries, "
              << Mib(FileSize(db_) + FileSize(dir_ / "gatekeeper.db-wal"))
              << "\n";
    if (before->consents < f_.consents) {
      return absl::FailedPreconditionError(
          StrCat("the database holds ", before->consents,
                 " consents, fewer than --consents ", f_.consents));
    }

    // The daemon.
    std::string daemon_path = f_.gatekeeperd;
    if (daemon_path.empty()) {
      daemon_path =
          (fs::path(SelfExe()).parent_path() / ".." / "daemon" / "gatekeeperd")
              .lexically_normal()
              .string();
    }
    auto daemon = Subprocess::Start(
        {daemon_path, "--config", config_path.string()},
        (dir_ / "gatekeeperd.log").string(), std::chrono::seconds(30));
    if (!daemon.ok()) return daemon.status();
    daemon_.emplace(*std::move(daemon));
    std::cout << "gatekeeperd " << daemon_path << " pid " << daemon_->pid()
              << " listening on " << daemon_->address() << "\n";

    // The echo server: this binary in --serve-echo mode.
    auto echo = Subprocess::Start({SelfExe(), "--serve-echo"}, "",
                                  std::chrono::seconds(30));
    if (!echo.ok()) return echo.status();
    echo_.emplace(*std::move(echo));
    std::cout << "echo server pid " << echo_->pid() << " listening on "
              << echo_->address() << "\n";

    // The durable echo: --serve-durable-echo, its log in the data dir (on the
    // daemon's filesystem); it preallocates and writes through 64 MiB first.
    auto durable_echo =
        Subprocess::Start({SelfExe(), "--serve-durable-echo", dir_.string()},
                          "", std::chrono::seconds(60));
    if (!durable_echo.ok()) return durable_echo.status();
    durable_echo_.emplace(*std::move(durable_echo));
    std::cout << "durable echo server pid " << durable_echo_->pid()
              << " listening on " << durable_echo_->address() << " (log "
              << (dir_ / "gkbench-durable-echo.log").string()
              << ", 64 MiB preallocated, group-committed fdatasync)\n";

    // The store echo: --serve-store-echo, a fresh store in the data dir.
    auto store_echo =
        Subprocess::Start({SelfExe(), "--serve-store-echo", dir_.string()}, "",
                          std::chrono::seconds(60));
    if (!store_echo.ok()) return store_echo.status();
    store_echo_.emplace(*std::move(store_echo));
    std::cout << "store echo server pid " << store_echo_->pid()
              << " listening on " << store_echo_->address() << " (store "
              << (dir_ / "gkbench-store-echo.db").string()
              << ", fresh, the daemon's store options, one decision-sized "
                 "audit entry per call)\n";
    for (const auto* p : {&daemon_->address(), &echo_->address(),
                          &durable_echo_->address(), &store_echo_->address()}) {
      if (p->rfind("127.0.0.1:", 0) != 0) {
        return absl::FailedPreconditionError(
            StrCat("not a loopback address: ", *p));
      }
    }

    daemon_channels_ = MakeChannels(daemon_->address(), f_.channels);
    echo_channels_ = MakeChannels(echo_->address(), f_.channels);
    durable_echo_channels_ =
        MakeChannels(durable_echo_->address(), f_.channels);
    store_echo_channels_ = MakeChannels(store_echo_->address(), f_.channels);
    if (daemon_channels_.empty() || echo_channels_.empty() ||
        durable_echo_channels_.empty() || store_echo_channels_.empty()) {
      return absl::UnavailableError("cannot connect to the servers");
    }
    return Probe();
  }

  // The audit entry `seq` of the daemon's log, read back through QueryAudit;
  // it must be of `kind`.
  absl::StatusOr<v1::AuditEntry> LoggedEntry(uint64_t seq,
                                             const std::string& kind) {
    if (seq == 0) return absl::UnavailableError(StrCat(kind, ": no audit_seq"));
    auto stub = v1::AuditService::NewStub(daemon_channels_[0]);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    v1::QueryAuditRequest req;
    req.set_after_seq(seq - 1);
    req.set_limit(1);
    auto reader = stub->QueryAudit(&ctx, req);
    std::optional<v1::AuditEntry> found;
    v1::AuditEntry e;
    while (reader->Read(&e)) {
      if (e.seq() == seq) found = e;
    }
    const grpc::Status s = reader->Finish();
    if (!s.ok()) {
      return absl::UnavailableError(
          StrCat("QueryAudit after ", seq - 1, ": ", s.error_message()));
    }
    if (!found.has_value() || found->kind() != kind) {
      return absl::UnavailableError(
          StrCat("QueryAudit: no ", kind, " entry at seq ", seq));
    }
    return *std::move(found);
  }

  // One real answer of each gate: checks that seeded consents are allowed and
  // measures the message sizes the echo calls imitate, and the sizes of the
  // decisions' audit entries the store echo logs.
  absl::Status Probe() {
    {
      auto stub = v1::InsertGate::NewStub(daemon_channels_[0]);
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
      const v1::CheckInsertRequest req =
          InsertRequest(seed_.insert_campaign, 0);
      v1::Decision resp;
      grpc::Status s = stub->CheckInsert(&ctx, req, &resp);
      if (!s.ok()) {
        return absl::UnavailableError(
            StrCat("probe CheckInsert: ", s.error_message()));
      }
      ++probe_ok_;
      insert_req_bytes_ = req.ByteSizeLong();
      insert_resp_bytes_ = resp.ByteSizeLong();
      std::cout << "probe CheckInsert: " << v1::Verdict_Name(resp.verdict())
                << " (" << resp.explanation() << "), audit_seq "
                << resp.audit_seq() << "\n";
      if (resp.verdict() != v1::VERDICT_ALLOW) {
        std::cout << "WARNING: a seeded customer was not allowed\n";
      }
      auto entry = LoggedEntry(resp.audit_seq(), "decision.insert");
      if (!entry.ok()) return entry.status();
      insert_entry_ = *std::move(entry);
    }
    {
      auto stub = v1::DialGate::NewStub(daemon_channels_[0]);
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
      const v1::CheckDialRequest req = DialRequest(seed_.call_campaign, 1);
      v1::CheckDialResponse resp;
      grpc::Status s = stub->CheckDial(&ctx, req, &resp);
      if (!s.ok()) {
        return absl::UnavailableError(
            StrCat("probe CheckDial: ", s.error_message()));
      }
      ++probe_ok_;
      dial_req_bytes_ = req.ByteSizeLong();
      dial_resp_bytes_ = resp.ByteSizeLong();
      std::cout << "probe CheckDial: "
                << v1::Verdict_Name(resp.decision().verdict()) << " ("
                << resp.decision().explanation() << "), audit_seq "
                << resp.decision().audit_seq() << "\n";
      if (resp.decision().verdict() != v1::VERDICT_ALLOW) {
        std::cout << "WARNING: a seeded number was not allowed\n";
      }
      auto entry = LoggedEntry(resp.decision().audit_seq(), "decision.dial");
      if (!entry.ok()) return entry.status();
      dial_entry_ = *std::move(entry);
    }
    std::cout << "message sizes (serialized): CheckInsertRequest "
              << insert_req_bytes_ << " B -> Decision " << insert_resp_bytes_
              << " B; CheckDialRequest " << dial_req_bytes_
              << " B -> CheckDialResponse " << dial_resp_bytes_
              << " B; the echoes' calls carry the same sizes\n";
    const auto sizes = [](const v1::AuditEntry& e) {
      return StrCat(e.kind(), " payload_json ", e.payload_json().size(),
                    " B (actor ", e.actor().size(), " B, customer_id ",
                    e.customer_id().size(), " B)");
    };
    std::cout << "audit entries of the probes (read back with QueryAudit): "
              << sizes(insert_entry_) << "; " << sizes(dial_entry_)
              << "; the store echo logs payloads of "
              << insert_entry_.payload_json().size() << " B (insert-sized) and "
              << dial_entry_.payload_json().size() << " B (dial-sized)\n";
    return absl::OkStatus();
  }

  std::unique_ptr<Op> MakeOp(const std::string& name) {
    if (name == "CheckInsert") {
      return MakeCheckInsertOp(daemon_channels_, seed_.insert_campaign,
                               seed_.layout_consents);
    }
    if (name == "CheckDial") {
      return MakeCheckDialOp(daemon_channels_, seed_.call_campaign,
                             seed_.layout_consents);
    }
    if (name == "EchoInsertSized") {
      return MakeEchoOp(name, echo_channels_, insert_req_bytes_,
                        insert_resp_bytes_);
    }
    if (name == "EchoDialSized") {
      return MakeEchoOp(name, echo_channels_, dial_req_bytes_,
                        dial_resp_bytes_);
    }
    if (name == "DurableEchoInsertSized") {
      return MakeEchoOp(name, durable_echo_channels_, insert_req_bytes_,
                        insert_resp_bytes_);
    }
    if (name == "DurableEchoDialSized") {
      return MakeEchoOp(name, durable_echo_channels_, dial_req_bytes_,
                        dial_resp_bytes_);
    }
    if (name == "StoreEchoInsertSized") {
      return MakeEchoOp(
          name, store_echo_channels_, insert_req_bytes_, insert_resp_bytes_,
          static_cast<uint32_t>(insert_entry_.payload_json().size()));
    }
    if (name == "StoreEchoDialSized") {
      return MakeEchoOp(
          name, store_echo_channels_, dial_req_bytes_, dial_resp_bytes_,
          static_cast<uint32_t>(dial_entry_.payload_json().size()));
    }
    return nullptr;
  }

  void RunAll() {
    std::cout << "\nload: " << f_.duration << " s per run after " << f_.warmup
              << " s warm-up, " << f_.channels
              << " channels per server, callback client API\n"
              << std::flush;
    {
      // The machine is shared: say how busy it was before the load.
      Row idle;
      const Snapshot a = Take(*daemon_);
      std::this_thread::sleep_for(std::chrono::seconds(1));
      Account(a, Take(*daemon_), idle);
      std::printf("before the load, other processes used %.0f%% of a core%s\n",
                  100 * idle.other_cpu,
                  idle.other_cpu > 0.25 ? " (WARNING: the machine is busy; the "
                                          "numbers below compete with it)"
                                        : "");
    }
    // Concurrency-major, so that each check runs next to its echo calls
    // (the machine's load drifts); the table is sorted by op afterwards.
    std::map<std::string, std::unique_ptr<Op>> ops;
    for (const std::string& name : f_.ops) ops[name] = MakeOp(name);
    if (auto sync = SyncLatency(dir_); sync.has_value()) {
      std::printf(
          "disk: append 4 KiB + fdatasync in the data dir: p50 %.2f ms, p99 "
          "%.2f ms (%d samples)\n",
          sync->p50_ms, sync->p99_ms, sync->samples);
    }
    uint64_t run_no = 0;
    for (int round = 0; round < f_.rounds; ++round) {
      for (int c : f_.concurrency) {
        for (const std::string& name : f_.ops) {
          if (g_interrupted.load()) break;
          Op* op = ops[name].get();
          Row row;
          row.op = name;
          row.is_check = op->is_check();
          row.server = ServerOf(name);
          const Subprocess& server = ServerProcess(row.server);
          row.concurrency = c;
          row.round = round;
          Snapshot s0;
          RunOptions o;
          o.concurrency = c;
          o.warmup_seconds = f_.warmup;
          o.duration_seconds = f_.duration;
          o.seed = f_.seed * 7919 + ++run_no;
          o.at_window_start = [&] { s0 = Take(server); };
          o.at_window_end = [&] { Account(s0, Take(server), row); };
          o.interrupted = &g_interrupted;
          row.result = Run(*op, o);
          if (row.is_check) acknowledged_ += row.result.total_ok;
          const RunResult& r = row.result;
          std::printf(
              "  %-22s c=%-3d %s%8.0f QPS  p50 %7.3f ms  p99 %7.3f ms  "
              "errors %" PRIu64 "%s\n",
              name.c_str(), c, RoundLabel(round).c_str(), r.Qps(),
              r.PercentileMs(50), r.PercentileMs(99), r.errors,
              r.incomplete    ? "  INCOMPLETE (calls hung)"
              : r.interrupted ? "  INTERRUPTED"
                              : "");
          if (!r.first_error.empty()) {
            std::printf("    first error: %s\n", r.first_error.c_str());
          }
          std::fflush(stdout);
          rows_.push_back(std::move(row));
        }
      }
    }
    std::stable_sort(rows_.begin(), rows_.end(),
                     [this](const Row& a, const Row& b) {
                       return OpRank(a.op) < OpRank(b.op);
                     });
  }

  // A fixed-width "r2  " column when runs are repeated, else nothing.
  std::string RoundLabel(int round) const {
    if (f_.rounds <= 1) return "";
    char buf[16];
    std::snprintf(buf, sizeof(buf), "r%-2d ", round + 1);
    return buf;
  }

  size_t OpRank(const std::string& op) const {
    return static_cast<size_t>(std::find(f_.ops.begin(), f_.ops.end(), op) -
                               f_.ops.begin());
  }

  const Subprocess& ServerProcess(Server s) const {
    switch (s) {
      case Server::kDaemon:
        return *daemon_;
      case Server::kEcho:
        return *echo_;
      case Server::kDurableEcho:
        return *durable_echo_;
      case Server::kStoreEcho:
        return *store_echo_;
    }
    return *daemon_;
  }

  Snapshot Take(const Subprocess& server) const {
    Snapshot s;
    s.at = std::chrono::steady_clock::now();
    s.self = SelfCpuSeconds();
    s.daemon = daemon_->CpuSeconds();
    s.echo = echo_->CpuSeconds();
    s.durable_echo = durable_echo_->CpuSeconds();
    s.store_echo = store_echo_->CpuSeconds();
    s.system = SystemCpuSeconds();
    s.server_threads = server.ThreadsCpu();
    return s;
  }

  void Account(const Snapshot& a, const Snapshot& b, Row& row) const {
    const double wall = std::chrono::duration<double>(b.at - a.at).count();
    if (wall <= 0) return;
    const double self = b.self - a.self, daemon = b.daemon - a.daemon,
                 echo = b.echo - a.echo,
                 durable_echo = b.durable_echo - a.durable_echo,
                 store_echo = b.store_echo - a.store_echo;
    row.client_cpu = self / wall;
    row.server_cpu = (row.server == Server::kDaemon        ? daemon
                      : row.server == Server::kEcho        ? echo
                      : row.server == Server::kDurableEcho ? durable_echo
                                                           : store_echo) /
                     wall;
    row.other_cpu = std::max(0.0, (b.system.busy - a.system.busy - self -
                                   daemon - echo - durable_echo - store_echo) /
                                      wall);
    row.steal = (b.system.steal - a.system.steal) / wall;
    std::map<int, double> before;
    for (const auto& t : a.server_threads) before[t.tid] = t.seconds;
    std::vector<std::pair<double, std::string>> used;
    for (const auto& t : b.server_threads) {
      const double d = t.seconds - before[t.tid];
      if (d > 0) used.emplace_back(d / wall, StrCat(t.name, "/", t.tid));
    }
    std::sort(used.rbegin(), used.rend());
    for (size_t i = 0; i < used.size() && i < 4; ++i) {
      char buf[16];
      std::snprintf(buf, sizeof(buf), " %.0f%%", 100 * used[i].first);
      StrAppend(&row.threads, i == 0 ? "" : ", ", used[i].second, buf);
    }
  }

  void PrintTable() {
    std::printf(
        "\n%-22s %5s %s%9s %9s %8s %8s %7s %7s %8s %9s %10s %8s %8s %6s\n",
        "op", "conc", f_.rounds > 1 ? "rnd " : "", "calls", "QPS", "p50 ms",
        "p99 ms", "errors", "allow", "vs echo", "vs d-echo", "p99/d-echo",
        "srv cpu", "gkbench", "other");
    for (const Row& row : rows_) {
      const RunResult& r = row.result;
      std::string allow = "-", ratio = "-", durable_ratio = "-",
                  durable_p99 = "-";
      if (row.is_check && r.calls > 0) {
        allow = StrCat(static_cast<int>(100.0 * static_cast<double>(r.allows) /
                                            static_cast<double>(r.calls) +
                                        0.5),
                       "%");
        if (r.allows != r.calls - r.errors) {
          char buf[16];
          std::snprintf(buf, sizeof(buf), "%.1f%%",
                        100.0 * static_cast<double>(r.allows) /
                            static_cast<double>(r.calls));
          allow = buf;
        }
      }
      if (row.is_check) {
        const Row* echo =
            FindRow(rows_, EchoFor(row.op), row.concurrency, row.round);
        const Row* durable =
            FindRow(rows_, DurableEchoFor(row.op), row.concurrency, row.round);
        if (echo != nullptr) ratio = Percent(r.Qps(), echo->result.Qps());
        if (durable != nullptr) {
          durable_ratio = Percent(r.Qps(), durable->result.Qps());
          durable_p99 =
              Times(r.PercentileMs(99), durable->result.PercentileMs(99));
        }
      } else if (row.server == Server::kDurableEcho) {
        // What durability alone costs: the durable echo against the plain one.
        const std::string sizes = row.op == "DurableEchoInsertSized"
                                      ? "EchoInsertSized"
                                      : "EchoDialSized";
        const Row* echo = FindRow(rows_, sizes, row.concurrency, row.round);
        if (echo != nullptr) ratio = Percent(r.Qps(), echo->result.Qps());
      } else if (row.server == Server::kStoreEcho) {
        // What durability through the store costs (against the plain echo),
        // and what the store costs beyond the durable echo.
        const std::string check = CheckOf(row.op);
        const Row* echo =
            FindRow(rows_, EchoFor(check), row.concurrency, row.round);
        const Row* durable =
            FindRow(rows_, DurableEchoFor(check), row.concurrency, row.round);
        if (echo != nullptr) ratio = Percent(r.Qps(), echo->result.Qps());
        if (durable != nullptr) {
          durable_ratio = Percent(r.Qps(), durable->result.Qps());
          durable_p99 =
              Times(r.PercentileMs(99), durable->result.PercentileMs(99));
        }
      }
      const auto pct = [](double cores) {
        char buf[16];
        std::snprintf(buf, sizeof(buf), "%.0f%%", 100.0 * cores);
        return std::string(buf);
      };
      std::printf("%-22s %5d %s%9" PRIu64 " %9.0f %8.3f %8.3f %7" PRIu64
                  " %7s %8s %9s %10s %8s %8s %6s%s\n",
                  row.op.c_str(), row.concurrency,
                  RoundLabel(row.round).c_str(), r.calls, r.Qps(),
                  r.PercentileMs(50), r.PercentileMs(99), r.errors,
                  allow.c_str(), ratio.c_str(), durable_ratio.c_str(),
                  durable_p99.c_str(), pct(row.server_cpu).c_str(),
                  pct(row.client_cpu).c_str(), pct(row.other_cpu).c_str(),
                  r.incomplete    ? "  INCOMPLETE"
                  : r.interrupted ? "  INTERRUPTED"
                                  : "");
    }
    std::printf(
        "calls: completed in the measured window; QPS: OK calls per second; "
        "vs echo: QPS / QPS of the plain echo call of the same sizes at the "
        "same concurrency in the same round (for a durable echo row: what "
        "durability alone costs; for a store echo row: what durability "
        "through the daemon's store costs); vs d-echo and p99/d-echo: QPS and "
        "p99 over those of the durable echo call of the same sizes, "
        "concurrency and round (the target's ratios; for a store echo row: "
        "what the store costs beyond a bare group-committed fdatasync); cpu "
        "columns: cores used over the window (100%% = one core) by the server "
        "under test, by gkbench (client), and by everything else on the "
        "machine (other processes, unattributed kernel/irq time)\n");
    double steal = 0;
    for (const Row& row : rows_) steal = std::max(steal, row.steal);
    if (steal > 0.01) {
      std::printf("hypervisor steal reached %.0f%% of a core in some runs\n",
                  100 * steal);
    }
    std::printf(
        "\nbusiest server threads over each window (name/tid, %% of "
        "one core):\n");
    for (const Row& row : rows_) {
      std::printf("  %-22s c=%-3d %s%s\n", row.op.c_str(), row.concurrency,
                  RoundLabel(row.round).c_str(), row.threads.c_str());
    }
  }

  void PrintHeadlines() {
    int c = kHeadlineConcurrency;
    bool found = false;
    for (int x : f_.concurrency) found = found || x == c;
    if (!found) {
      c = f_.concurrency.empty() ? 0 : f_.concurrency.back();
      std::printf("\n(concurrency %d was not run; the headline uses %d)\n",
                  kHeadlineConcurrency, c);
    }
    std::printf(
        "\ntarget at concurrency %d, each a median over the rounds of the "
        "ratio to the durable echo run next to the check (every decision "
        "acknowledged only once its audit entry is durable): QPS >= %.0f%% "
        "of the durable echo's, p99 <= %.1fx the durable echo's\n",
        c, 100 * kTargetQpsRatio, kTargetP99Ratio);
    const auto range = [](const std::vector<double>& v, double scale,
                          const char* format) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), format,
                    scale * *std::min_element(v.begin(), v.end()),
                    scale * *std::max_element(v.begin(), v.end()));
      return std::string(buf);
    };
    for (const char* check : {"CheckInsert", "CheckDial"}) {
      // One ratio per round: each check against the runs next to it.
      std::vector<double> qps_ratios, p99_ratios, qps, p99s, durable_qps,
          durable_p99s, echo_ratios, echo_qps;
      // The store echo: its ratios to the durable echo, and the check's to it.
      std::vector<double> store_qps_ratios, store_p99_ratios, store_qps,
          check_store_qps_ratios, check_store_p99_ratios;
      bool errors = false, durable_errors = false, store_errors = false;
      for (int round = 0; round < f_.rounds; ++round) {
        const Row* row = FindRow(rows_, check, c, round);
        const Row* durable = FindRow(rows_, DurableEchoFor(check), c, round);
        if (row == nullptr || durable == nullptr ||
            durable->result.Qps() <= 0 ||
            durable->result.PercentileMs(99) <= 0) {
          continue;
        }
        const RunResult& r = row->result;
        const RunResult& d = durable->result;
        qps_ratios.push_back(r.Qps() / d.Qps());
        p99_ratios.push_back(r.PercentileMs(99) / d.PercentileMs(99));
        qps.push_back(r.Qps());
        p99s.push_back(r.PercentileMs(99));
        durable_qps.push_back(d.Qps());
        durable_p99s.push_back(d.PercentileMs(99));
        errors = errors || r.errors > 0 || r.incomplete;
        durable_errors = durable_errors || d.errors > 0 || d.incomplete;
        // The plain echo, for reference only.
        const Row* echo = FindRow(rows_, EchoFor(check), c, round);
        if (echo != nullptr && echo->result.Qps() > 0) {
          echo_ratios.push_back(r.Qps() / echo->result.Qps());
          echo_qps.push_back(echo->result.Qps());
        }
        const Row* store = FindRow(rows_, StoreEchoFor(check), c, round);
        if (store != nullptr && store->result.Qps() > 0 &&
            store->result.PercentileMs(99) > 0) {
          const RunResult& st = store->result;
          store_qps_ratios.push_back(st.Qps() / d.Qps());
          store_p99_ratios.push_back(st.PercentileMs(99) / d.PercentileMs(99));
          store_qps.push_back(st.Qps());
          check_store_qps_ratios.push_back(r.Qps() / st.Qps());
          check_store_p99_ratios.push_back(r.PercentileMs(99) /
                                           st.PercentileMs(99));
          store_errors = store_errors || st.errors > 0 || st.incomplete;
        }
      }
      if (qps_ratios.empty()) {
        std::printf("  %-11s: not measured (needs %s and %s at %d)\n", check,
                    check, DurableEchoFor(check).c_str(), c);
        continue;
      }
      const double qps_ratio = Median(qps_ratios);
      const double p99_ratio = Median(p99_ratios);
      const char* verdict =
          qps_ratio >= kTargetQpsRatio && !errors ? "PASS" : "MISS";
      const char* p99_verdict =
          p99_ratio <= kTargetP99Ratio && !errors ? "PASS" : "MISS";
      const std::string notes =
          StrCat(errors ? " (the check's run had errors)" : "",
                 durable_errors ? " (the durable echo's run had errors: its "
                                  "figures mean little)"
                                : "");
      if (qps_ratios.size() == 1) {
        std::printf(
            "  %-11s: %.0f QPS = %.1f%% of the durable echo's (%.0f QPS): %s;  "
            "p99 %.2f ms = %.2fx the durable echo's (%.2f ms): %s%s\n",
            check, qps[0], 100 * qps_ratio, durable_qps[0], verdict, p99s[0],
            p99_ratio, durable_p99s[0], p99_verdict, notes.c_str());
      } else {
        std::printf(
            "  %-11s: median of %zu rounds: %.1f%% of the durable echo's QPS "
            "(each round %s; %.0f QPS against %.0f, medians): %s;  p99 %.2fx "
            "the durable echo's (each round %s; %.2f ms against %.2f ms, "
            "medians): %s%s\n",
            check, qps_ratios.size(), 100 * qps_ratio,
            range(qps_ratios, 100, "%.1f-%.1f%%").c_str(), Median(qps),
            Median(durable_qps), verdict, p99_ratio,
            range(p99_ratios, 1, "%.2f-%.2fx").c_str(), Median(p99s),
            Median(durable_p99s), p99_verdict, notes.c_str());
      }
      if (echo_ratios.size() == 1) {
        std::printf("  %-11s  plain echo (reference): %.1f%% of its %.0f QPS\n",
                    "", 100 * echo_ratios[0], echo_qps[0]);
      } else if (!echo_ratios.empty()) {
        std::printf(
            "  %-11s  plain echo (reference): median %.1f%% of its QPS (each "
            "round %s; echo %.0f QPS, median)\n",
            "", 100 * Median(echo_ratios),
            range(echo_ratios, 100, "%.1f-%.1f%%").c_str(), Median(echo_qps));
      }
      // The bound the store sets: the store echo does a decision's store work
      // (its audit entry and decision id; not a dial's provision record) and
      // nothing else, so a check cannot pass it with this store but for the
      // machine's noise.
      const char* store_note =
          store_errors ? " (the store echo's run had errors)" : "";
      if (store_qps_ratios.size() == 1) {
        std::printf(
            "  %-11s  store echo (bound): %.1f%% of the durable echo's QPS "
            "(%.0f QPS), p99 %.2fx the durable echo's; the check reaches "
            "%.1f%% of the store echo's QPS, p99 %.2fx the store echo's%s\n",
            "", 100 * store_qps_ratios[0], store_qps[0], store_p99_ratios[0],
            100 * check_store_qps_ratios[0], check_store_p99_ratios[0],
            store_note);
      } else if (!store_qps_ratios.empty()) {
        std::printf(
            "  %-11s  store echo (bound): median %.1f%% of the durable echo's "
            "QPS (each round %s; store echo %.0f QPS, median), p99 %.2fx the "
            "durable echo's (each round %s); the check reaches %.1f%% of the "
            "store echo's QPS (each round %s), p99 %.2fx the store echo's "
            "(each round %s)%s\n",
            "", 100 * Median(store_qps_ratios),
            range(store_qps_ratios, 100, "%.1f-%.1f%%").c_str(),
            Median(store_qps), Median(store_p99_ratios),
            range(store_p99_ratios, 1, "%.2f-%.2fx").c_str(),
            100 * Median(check_store_qps_ratios),
            range(check_store_qps_ratios, 100, "%.1f-%.1f%%").c_str(),
            Median(check_store_p99_ratios),
            range(check_store_p99_ratios, 1, "%.2f-%.2fx").c_str(), store_note);
      }
    }
  }

  // Prints the results; false when the log lacks an acknowledged decision or
  // does not verify.
  bool Finish() {
    // Stop the servers; the daemon drains and closes its store.
    daemon_channels_.clear();
    echo_channels_.clear();
    durable_echo_channels_.clear();
    store_echo_channels_.clear();
    const std::string echo_exit = echo_->Stop();
    const std::string durable_echo_exit = durable_echo_->Stop();
    const std::string store_echo_exit = store_echo_->Stop();
    const std::string daemon_exit = daemon_->Stop();
    echo_.reset();
    durable_echo_.reset();
    store_echo_.reset();
    daemon_.reset();

    PrintTable();
    PrintHeadlines();

    std::printf("\naudit (read from %s after gatekeeperd stopped: %s):\n",
                db_.string().c_str(), daemon_exit.c_str());
    auto after = ReadDbFacts(db_, head_before_);
    bool evidence_ok = after.ok();
    if (!after.ok()) {
      std::printf("  cannot read the database: %s\n",
                  std::string(after.status().message()).c_str());
    } else {
      const uint64_t acked = acknowledged_ + probe_ok_;
      evidence_ok = after->decisions_after >= acked;
      std::printf(
          "  %" PRIu64 " entries written during the run, %" PRIu64
          " of them decisions; the clients received %" PRIu64
          " OK decisions (each acknowledged only once durable): %s\n",
          after->entries_after, after->decisions_after, acked,
          after->decisions_after >= acked ? "all present" : "SOME MISSING");
      if (after->decisions_after > acked) {
        std::printf("  (%" PRIu64
                    " more logged than acknowledged: calls whose answer "
                    "did not reach the client, e.g. cancelled at shutdown)\n",
                    after->decisions_after - acked);
      }
      std::printf("  database now: %" PRIu64 " consents, %" PRIu64
                  " audit entries, gatekeeper.db %s, WAL %s\n",
                  after->consents, after->head_seq, Mib(FileSize(db_)).c_str(),
                  Mib(FileSize(dir_ / "gatekeeper.db-wal")).c_str());
    }
    if (f_.verify_audit && !VerifyChain()) evidence_ok = false;
    std::printf(
        "echo server: %s; durable echo server: %s; store echo server: %s\n",
        echo_exit.c_str(), durable_echo_exit.c_str(), store_echo_exit.c_str());
    if (seed_.imported > 0) {
      std::printf("seeding: %" PRIu64 " consents in %.1f s (%.0f consents/s)\n",
                  seed_.imported, seed_.seconds,
                  static_cast<double>(seed_.imported) / seed_.seconds);
    } else {
      std::printf("seeding: reused the existing seed (%" PRIu64 " consents)\n",
                  seed_.layout_consents);
    }
    std::fflush(stdout);
    return evidence_ok;
  }

  bool VerifyChain() {
    const auto t0 = std::chrono::steady_clock::now();
    SqliteStoreOptions so;
    so.path = db_.string();
    auto store = SqliteStore::Open(so);
    if (!store.ok()) {
      std::printf("  verify: cannot open: %s\n",
                  std::string(store.status().message()).c_str());
      return false;
    }
    auto v = (*store)->VerifyAudit();
    (*store)->Close();
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    if (!v.ok()) {
      std::printf("  verify: %s\n", std::string(v.status().message()).c_str());
      return false;
    }
    std::printf("  chain verify: %s, %" PRIu64
                " entries checked in %.1f s%s%s\n",
                v->ok ? "ok" : "BROKEN", v->entries_checked, s,
                v->ok ? "" : ": ", v->ok ? "" : v->detail.c_str());
    return v->ok;
  }

  void Cleanup() {
    daemon_channels_.clear();
    echo_channels_.clear();
    durable_echo_channels_.clear();
    store_echo_channels_.clear();
    if (echo_) echo_->Stop();
    if (durable_echo_) durable_echo_->Stop();
    if (store_echo_) store_echo_->Stop();
    if (daemon_) daemon_->Stop();
    if (temp_dir_ && !f_.keep && !dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  Flags f_;
  fs::path dir_, db_;
  bool temp_dir_ = false;
  SeedResult seed_;
  uint64_t head_before_ = 0;
  std::optional<Subprocess> daemon_, echo_, durable_echo_, store_echo_;
  Channels daemon_channels_, echo_channels_, durable_echo_channels_,
      store_echo_channels_;
  size_t insert_req_bytes_ = 0, insert_resp_bytes_ = 0;
  size_t dial_req_bytes_ = 0, dial_resp_bytes_ = 0;
  // The probes' audit entries: their payload sizes are the store echo's.
  v1::AuditEntry insert_entry_, dial_entry_;
  uint64_t probe_ok_ = 0, acknowledged_ = 0;
  std::vector<Row> rows_;
};

}  // namespace
}  // namespace gatekeeper::bench

int main(int argc, char** argv) {
  using gatekeeper::bench::Flags;
  CLI::App app{
      "gkbench: load benchmark of gatekeeperd (CheckInsert, CheckDial) "
      "against a plain, a durable and a store echo server of the same "
      "message sizes"};
  Flags f;
  bool serve_echo = false;
  std::string serve_durable_echo, serve_store_echo;
  app.add_option("--data-dir", f.data_dir,
                 "data directory; reused when it holds a large enough seed "
                 "(default: a fresh temporary directory)");
  app.add_flag("--keep", f.keep,
               "keep the temporary data directory at the end");
  app.add_option("--consents", f.consents, "consents to seed")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{2}, uint64_t{90'000'000}));
  app.add_option("--duration", f.duration, "measured seconds per run")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--warmup", f.warmup, "unmeasured seconds before each run")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 60.0));
  app.add_option("--concurrency", f.concurrency,
                 "calls outstanding at once, one run per value")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--rounds", f.rounds,
                 "repeat every run this many times, round after round; the "
                 "target lines take the median over the rounds of each "
                 "check's ratios to the durable echo run next to it")
      ->capture_default_str()
      ->check(CLI::Range(1, 20));
  app.add_option("--channels", f.channels,
                 "gRPC channels (TCP connections) per server")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{64}));
  app.add_option("--gatekeeperd", f.gatekeeperd,
                 "daemon binary (default: ../daemon/gatekeeperd next to "
                 "gkbench's directory)");
  app.add_option("--ops", f.ops, "operations to run, in order")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::IsMember({"CheckInsert", "EchoInsertSized",
                             "DurableEchoInsertSized", "StoreEchoInsertSized",
                             "CheckDial", "EchoDialSized",
                             "DurableEchoDialSized", "StoreEchoDialSized"}));
  app.add_flag("--verify-audit,!--no-verify-audit", f.verify_audit,
               "recompute the whole audit chain at the end (default on; ~2 s "
               "per 1.5 million entries)");
  app.add_option("--seed", f.seed, "random seed of the request mix")
      ->capture_default_str();
  app.add_flag("--serve-echo", serve_echo,
               "internal: run the echo server (gkbench starts it itself)");
  app.add_option("--serve-durable-echo", serve_durable_echo,
                 "internal: run the durable echo server, its log in this "
                 "directory (gkbench starts it itself)");
  app.add_option("--serve-store-echo", serve_store_echo,
                 "internal: run the store echo server, its database in this "
                 "directory (gkbench starts it itself)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  // As in gatekeeperd (see daemon/main.cc): the echo server and the load
  // client run without Abseil's deadlock detection, like the daemon.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (serve_echo) return gatekeeper::bench::ServeEcho();
  if (!serve_durable_echo.empty()) {
    return gatekeeper::bench::ServeDurableEcho(serve_durable_echo);
  }
  if (!serve_store_echo.empty()) {
    return gatekeeper::bench::ServeStoreEcho(serve_store_echo);
  }
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGINT, gatekeeper::bench::OnStopSignal);
  ::signal(SIGTERM, gatekeeper::bench::OnStopSignal);
  gatekeeper::bench::Bench bench(std::move(f));
  return bench.Main();
}
