// gkprintbench: the print-run benchmark of the Consent Gatekeeper, end to end:
// a biller's manifest CSV through print-gate (the real client, a child
// process) and the real gatekeeperd (a child process) to the output CSVs,
// every decision durable, and in the same run the transport's limit.
//
// 1. Seed (--customers, default 10,000,000) a database through the daemon's
//    own store, the layout of print_layout.h (effective, withdrawn, expired
//    and no AD_INSERT consents; a TELEMARKETING consent with its number for
//    every third customer; three approved INSERT campaigns), reused when the
//    data dir holds a seed at least that large (print_seed.h).
// 2. Write the manifest (--documents, default 10,000,000) and its first tenth
//    to the data dir, reused when present.
// 3. Start the reference server (this binary, --serve-reference;
//    print_reference.h): CheckInsertBatch built like the daemon's, answering
//    every batch at once with the verdicts the seed implies. Measure
//    (a) the bare streaming rate: an in-process client streaming pre-built
//        batches of the manifest's shape at it (print_stream.h), and
//    (b) print-gate against it: CSV in and out, the client's cost plus the
//        transport's.
// 4. End to end: start gatekeeperd on the data dir (time to its "listening"
//    line, its resident size then), run print-gate decide on the manifest
//    with a fresh run id, then read the daemon's peak resident size
//    (VmHWM), stop it (SIGTERM: it drains and checkpoints) and measure the
//    database's growth (gatekeeper.db and its WAL) per document. Then read the
//    run back from the database (print_verify.h): every document of the
//    manifest in order with the verdict the seed implies, every batch
//    matching its entry, and the digest recomputed from the log equal to the
//    one logged at close, to print-gate's and to the reference run's.
// 5. print-gate's peak resident size on the manifest's first tenth and on the
//    whole (against the reference server).
// --rounds R repeats 3 and 4, interleaved; medians and per-round ratios.
//
// Figures are printed against the targets, never asserted. Exit
// codes: 0 done; 1 setup failed or a run did not complete; 3 the log does not
// hold what print-gate was told (a document missing or unexpected, a batch not
// matching its entry, a digest mismatch); 130 interrupted.
//
//   gkprintbench [--data-dir DIR [--keep]] [--customers M] [--documents N]
//                [--rounds R] [--batch-size B] [--in-flight F]
//                [--gatekeeperd PATH] [--print-gate PATH]
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
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "bench/machine.h"
#include "bench/print_reference.h"
#include "bench/print_seed.h"
#include "bench/print_stream.h"
#include "bench/print_verify.h"
#include "bench/subprocess.h"
#include "daemon/common/strings.h"
#include "daemon/config/config.h"

namespace gatekeeper::bench {
namespace {

namespace fs = std::filesystem;

// The targets (reported, not asserted).
constexpr double kTargetSeconds = 30;
constexpr double kTargetDaemonGib = 2;
constexpr double kTargetBytesPerDocument = 100;

// Set by SIGINT/SIGTERM: stop, report what was measured, clean up.
std::atomic<bool> g_interrupted{false};
void OnStopSignal(int) { g_interrupted.store(true); }

struct Flags {
  std::string data_dir;
  bool keep = false;
  uint64_t customers = 10'000'000;
  uint64_t documents = 10'000'000;
  int rounds = 1;
  uint32_t batch_size = 2000;
  uint32_t in_flight = 4;
  std::string gatekeeperd;
  std::string print_gate;
  int startup_timeout = 900;
};

std::string KibAsMib(uint64_t kib) { return Mib(kib * 1024); }

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

// "1,234,567"
std::string Count(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// "(each round 1.2-1.5)" for several rounds, empty for one.
std::string Range(std::vector<double> v, int decimals, const char* unit = "") {
  if (v.size() < 2) return "";
  std::sort(v.begin(), v.end());
  return StrCat(" (rounds ", Fixed(v.front(), decimals), "-",
                Fixed(v.back(), decimals), unit, ")");
}

// The values print-gate printed as "key: value" lines.
std::map<std::string, std::string> ParseSummary(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ' ') continue;
    const size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    out.emplace(line.substr(0, colon), line.substr(colon + 2));
  }
  return out;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// One print-gate decide run.
struct PrintGateRun {
  bool ok = false;
  std::string error;
  Completed process;
  // From its summary.
  uint64_t documents = 0, decisions = 0, batches = 0;
  std::string run_digest;
  std::string stdout_text;
  // Until its first pass over the manifest (read whole and checked before
  // anything is sent) was done: when it had read as many bytes as the
  // manifest holds; -1 when not seen.
  double first_pass_seconds = -1;
  double DocumentsPerSecond() const {
    return process.seconds > 0
               ? static_cast<double>(documents) / process.seconds
               : 0;
  }
  double CpuSeconds() const {
    return process.user_seconds + process.system_seconds;
  }
};

// CPU of one server thread over an interval.
struct ThreadUse {
  std::string name;
  int tid = 0;
  double seconds = 0;
};

std::vector<ThreadUse> BusiestThreads(
    const std::vector<Subprocess::ThreadCpu>& before,
    const std::vector<Subprocess::ThreadCpu>& after, size_t n) {
  std::vector<ThreadUse> out;
  for (const auto& a : after) {
    double prior = 0;
    for (const auto& b : before) {
      if (b.tid == a.tid) prior = b.seconds;
    }
    out.push_back({a.name, a.tid, a.seconds - prior});
  }
  std::sort(out.begin(), out.end(), [](const ThreadUse& x, const ThreadUse& y) {
    return x.seconds > y.seconds;
  });
  if (out.size() > n) out.resize(n);
  return out;
}

std::string DescribeThreads(const std::vector<ThreadUse>& threads) {
  std::string out;
  for (const ThreadUse& t : threads) {
    if (t.seconds < 0.05) continue;
    if (!out.empty()) out += ", ";
    StrAppend(&out, t.name, " ", Fixed(t.seconds, 1), " s");
  }
  return out.empty() ? "-" : out;
}

struct EndToEnd {
  bool ran = false;
  double startup_seconds = 0;
  uint64_t rss_at_start_kib = 0;
  uint64_t peak_rss_kib = 0;  // VmHWM after the run
  double daemon_cpu = 0;      // during print-gate's run
  std::vector<ThreadUse> daemon_threads;
  double machine_busy = 0, machine_steal = 0;  // CPU seconds during the run
  // Of machine_busy, not used by gatekeeperd, print-gate, gkprintbench or
  // the (idle) reference server: other work on the machine.
  double other_cpu = 0;
  std::string daemon_exit;
  uint64_t db_before = 0, db_after = 0;
  PrintGateRun print_gate;
  std::optional<RunEvidence> evidence;
  std::string evidence_error;
  bool evidence_ok = false;
  std::string run_id;
};

struct Round {
  StreamResult bare;
  double bare_reference_cpu = 0;
  PrintGateRun vs_reference;
  double vs_reference_cpu = 0;  // the reference server's
  EndToEnd e2e;
};

class PrintBench {
 public:
  explicit PrintBench(Flags f) : f_(std::move(f)) {}
  ~PrintBench() { Cleanup(); }

  int Main() {
    if (absl::Status s = Setup(); !s.ok()) {
      std::cout << "gkprintbench: setup failed: " << s.message() << "\n";
      return g_interrupted.load() ? 130 : 1;
    }
    bool runs_ok = true;
    for (int r = 0; r < f_.rounds && !g_interrupted.load(); ++r) {
      rounds_.emplace_back();
      runs_ok = RunRound(r, rounds_.back()) && runs_ok;
    }
    if (!g_interrupted.load()) runs_ok = MemoryFlat() && runs_ok;
    reference_->Stop();
    reference_.reset();
    const bool evidence_ok = Report();
    if (g_interrupted.load()) {
      std::cout << "gkprintbench: interrupted; the figures above are partial\n";
      return 130;
    }
    if (!evidence_ok) {
      std::cout << "gkprintbench: FAILED: the log does not hold what "
                   "print-gate was told (see \"log\" above)\n";
      return 3;
    }
    if (!runs_ok) {
      std::cout << "gkprintbench: FAILED: a run did not complete (see above)\n";
      return 1;
    }
    return 0;
  }

 private:
  absl::Status Setup() {
    {
      auto dir = PrepareDataDir(f_.data_dir, "gkprintbench");
      if (!dir.ok()) return dir.status();
      dir_ = dir->path;
      temp_dir_ = dir->temporary;
    }
    db_ = dir_ / "gatekeeper.db";
    const fs::path self_dir = fs::path(SelfExe()).parent_path();
    daemon_path_ = f_.gatekeeperd.empty()
                       ? (self_dir / ".." / "daemon" / "gatekeeperd")
                             .lexically_normal()
                             .string()
                       : f_.gatekeeperd;
    print_gate_path_ =
        f_.print_gate.empty()
            ? (self_dir / ".." / "clients" / "print-gate" / "print-gate")
                  .lexically_normal()
                  .string()
            : f_.print_gate;
    std::cout << "gkprintbench: " << std::thread::hardware_concurrency()
              << " CPUs (nproc), " << CpuModel() << ", "
              << KibAsMib(TotalMemoryKib()) << " RAM\n"
              << "data dir " << dir_.string() << " on " << FsType(dir_)
              << (temp_dir_ && !f_.keep ? " (removed at the end)" : "") << "\n"
              << "gatekeeperd " << daemon_path_ << "\nprint-gate "
              << print_gate_path_ << " (--batch-size " << f_.batch_size
              << " --in-flight " << f_.in_flight << ")\n"
              << std::flush;

    config_path_ = dir_ / "gatekeeper.yaml";
    {
      std::ofstream out(config_path_);
      out << ExampleConfigYaml("gkprintbench", dir_);
      if (!out) return absl::UnavailableError("cannot write the config");
    }
    auto config = LoadConfigFile(config_path_.string());
    if (!config.ok()) return config.status();
    const ConfigIndex index(*std::move(config));

    // 1. The seed.
    std::cout << "\n== seed: " << Count(f_.customers) << " customers\n"
              << std::flush;
    auto seed = SeedPrint(dir_, index, f_.customers, std::cout, &g_interrupted);
    if (!seed.ok()) return seed.status();
    seed_ = *seed;
    if (seed_.reused) {
      std::cout << "seed: reused (" << Count(seed_.customers)
                << " customers seeded earlier)\n";
    } else {
      const double total = seed_.import_seconds + seed_.withdraw_seconds +
                           seed_.campaign_seconds;
      std::cout << "seed: " << Count(seed_.consents) << " consents imported in "
                << Fixed(seed_.import_seconds, 1) << " s ("
                << Count(static_cast<uint64_t>(
                       static_cast<double>(seed_.consents) /
                       seed_.import_seconds))
                << " consents/s), " << Count(seed_.withdrawals)
                << " withdrawn in " << Fixed(seed_.withdraw_seconds, 1)
                << " s ("
                << Count(static_cast<uint64_t>(
                       static_cast<double>(seed_.withdrawals) /
                       seed_.withdraw_seconds))
                << " withdrawals/s); " << Fixed(total, 1) << " s in all, "
                << Count(static_cast<uint64_t>(
                       static_cast<double>(f_.customers) / total))
                << " customers/s\n";
    }
    std::cout << "database: gatekeeper.db "
              << Mib(FileSize(db_) + FileSize(dir_ / "gatekeeper.db-wal"))
              << " (with its WAL)\n";

    // 2. The manifests.
    auto manifest = EnsureManifest(dir_, f_.documents, f_.customers);
    if (!manifest.ok()) return manifest.status();
    manifest_ = *manifest;
    std::cout << "manifest: " << manifest_.path.string() << ", "
              << Count(f_.documents) << " documents, " << Mib(manifest_.bytes)
              << (manifest_.reused ? " (reused)"
                                   : StrCat(" (written in ",
                                            Fixed(manifest_.seconds, 1), " s)"))
              << "\n";
    if (f_.documents >= 10) {
      auto tenth = EnsureManifest(dir_, f_.documents / 10, f_.customers);
      if (!tenth.ok()) return tenth.status();
      tenth_ = *tenth;
      std::cout << "manifest's first tenth: " << tenth_->path.string() << ", "
                << Count(f_.documents / 10) << " documents, "
                << Mib(tenth_->bytes) << "\n";
    }

    // 3. The reference server.
    auto reference = Subprocess::Start({SelfExe(), "--serve-reference"}, "",
                                       std::chrono::seconds(30));
    if (!reference.ok()) return reference.status();
    reference_.emplace(*std::move(reference));
    std::cout << "reference server pid " << reference_->pid()
              << " listening on " << reference_->address() << "\n"
              << std::flush;
    run_prefix_ = StrCat("gkpb-", std::time(nullptr), "-", ::getpid());
    return absl::OkStatus();
  }

  // print-gate decide on `manifest` against `target`.
  PrintGateRun RunPrintGate(const std::string& label, const fs::path& manifest,
                            uint64_t manifest_bytes, const std::string& target,
                            const std::string& run_id) {
    PrintGateRun out;
    const fs::path out_csv = dir_ / "print-gate-out.csv";
    const fs::path rejects_csv = dir_ / "print-gate-rejects.csv";
    const fs::path stdout_path = dir_ / StrCat("print-gate-", label, ".stdout");
    const fs::path stderr_path = dir_ / StrCat("print-gate-", label, ".stderr");
    std::error_code ec;
    fs::remove(out_csv, ec);
    fs::remove(rejects_csv, ec);
    auto done = RunToCompletion(
        {print_gate_path_,
         "--target",
         target,
         "--timeout",
         "600",
         "--actor",
         "gkprintbench",
         "decide",
         "--manifest",
         manifest.string(),
         "--out",
         out_csv.string(),
         "--rejects",
         rejects_csv.string(),
         "--run-id",
         run_id,
         "--batch-size",
         std::to_string(f_.batch_size),
         "--in-flight",
         std::to_string(f_.in_flight)},
        stdout_path.string(), stderr_path.string(),
        [&](pid_t pid, double t) {
          if (out.first_pass_seconds < 0 &&
              ProcReadChars(pid) >= manifest_bytes) {
            out.first_pass_seconds = t;
          }
        },
        &g_interrupted);
    fs::remove(out_csv, ec);
    fs::remove(rejects_csv, ec);
    if (!done.ok()) {
      out.error = std::string(done.status().message());
      return out;
    }
    out.process = *done;
    out.stdout_text = ReadFile(stdout_path);
    if (done->exit_code != 0) {
      out.error = StrCat("print-gate ", done->exit, ": ",
                         TailOfFile(stderr_path.string(), 600));
      return out;
    }
    const auto summary = ParseSummary(out.stdout_text);
    auto number = [&](const char* key) -> uint64_t {
      auto it = summary.find(key);
      return it == summary.end()
                 ? 0
                 : std::strtoull(it->second.c_str(), nullptr, 10);
    };
    out.documents = number("documents");
    out.decisions = number("decisions");
    out.batches = number("batches");
    if (auto it = summary.find("run_digest"); it != summary.end()) {
      out.run_digest = it->second;
    }
    out.ok = !out.run_digest.empty();
    if (!out.ok) out.error = "print-gate printed no run_digest";
    return out;
  }

  void PrintPrintGate(const char* what, const PrintGateRun& r) {
    if (!r.ok) {
      std::cout << "  " << what << ": FAILED: " << r.error << "\n";
      return;
    }
    std::cout << "  " << what << ": " << Count(r.documents) << " documents in "
              << Fixed(r.process.seconds, 2)
              << " s = " << Count(static_cast<uint64_t>(r.DocumentsPerSecond()))
              << " documents/s";
    if (r.first_pass_seconds >= 0) {
      std::cout << " (first pass over the manifest "
                << Fixed(r.first_pass_seconds, 2) << " s, streaming "
                << Fixed(r.process.seconds - r.first_pass_seconds, 2) << " s)";
    }
    std::cout << "; print-gate CPU " << Fixed(r.process.user_seconds, 2)
              << " s user + " << Fixed(r.process.system_seconds, 2)
              << " s sys, peak RSS " << KibAsMib(r.process.max_rss_kib) << "\n";
  }

  bool RunRound(int r, Round& round) {
    std::cout << "\n== round " << (r + 1) << " of " << f_.rounds << "\n"
              << std::flush;
    bool ok = true;
    // 3a. The bare streaming rate.
    {
      StreamOptions so;
      so.target = reference_->address();
      so.run_id = StrCat(run_prefix_, "-bare-", r);
      so.documents = f_.documents;
      so.customers = f_.customers;
      so.batch_size = f_.batch_size;
      so.in_flight = f_.in_flight;
      const double cpu0 = reference_->CpuSeconds();
      round.bare = StreamRun(so);
      round.bare_reference_cpu = reference_->CpuSeconds() - cpu0;
      const StreamResult& b = round.bare;
      if (!b.ok) {
        std::cout << "  bare stream: FAILED: " << b.error << "\n";
        ok = false;
      } else {
        std::cout << "  bare stream (in-process client -> reference server): "
                  << Count(b.documents) << " documents in "
                  << Fixed(b.seconds, 2) << " s = "
                  << Count(static_cast<uint64_t>(b.DocumentsPerSecond()))
                  << " documents/s, " << Fixed(b.MegabytesPerSecond(), 1)
                  << " MB/s ("
                  << Fixed(static_cast<double>(b.request_bytes) /
                               static_cast<double>(b.documents),
                           1)
                  << " B a document out, "
                  << Fixed(static_cast<double>(b.response_bytes) /
                               static_cast<double>(b.documents),
                           1)
                  << " B back); CPU: client " << Fixed(b.cpu_seconds, 2)
                  << " s, reference server "
                  << Fixed(round.bare_reference_cpu, 2) << " s\n"
                  << std::flush;
      }
    }
    if (g_interrupted.load()) return ok;
    // 3b. print-gate against the reference server.
    {
      const double cpu0 = reference_->CpuSeconds();
      round.vs_reference =
          RunPrintGate(StrCat("reference-", r), manifest_.path, manifest_.bytes,
                       reference_->address(), StrCat(run_prefix_, "-ref-", r));
      round.vs_reference_cpu = reference_->CpuSeconds() - cpu0;
      PrintPrintGate("print-gate -> reference server", round.vs_reference);
      if (round.vs_reference.ok) {
        std::cout << "    reference server CPU "
                  << Fixed(round.vs_reference_cpu, 2) << " s\n";
      }
      std::cout << std::flush;
      ok = ok && round.vs_reference.ok;
    }
    if (g_interrupted.load()) return ok;
    // 4. End to end.
    return EndToEndRun(r, round.e2e) && ok;
  }

  bool EndToEndRun(int r, EndToEnd& e) {
    e.ran = true;
    e.db_before = FileSize(db_) + FileSize(dir_ / "gatekeeper.db-wal");
    const auto t0 = std::chrono::steady_clock::now();
    auto daemon =
        Subprocess::Start({daemon_path_, "--config", config_path_.string()},
                          (dir_ / "gatekeeperd.log").string(),
                          std::chrono::seconds(f_.startup_timeout));
    if (!daemon.ok()) {
      std::cout << "  gatekeeperd: FAILED to start: "
                << daemon.status().message() << "\n"
                << TailOfFile((dir_ / "gatekeeperd.log").string());
      return false;
    }
    e.startup_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    e.rss_at_start_kib = ProcStatusKib(daemon->pid(), "VmRSS");
    std::cout << "  gatekeeperd pid " << daemon->pid() << ": listening on "
              << daemon->address() << " " << Fixed(e.startup_seconds, 1)
              << " s after launch, resident " << KibAsMib(e.rss_at_start_kib)
              << " then\n"
              << std::flush;
    e.run_id = StrCat(run_prefix_, "-e2e-", r);
    const double cpu0 = daemon->CpuSeconds();
    const double self0 = SelfCpuSeconds();
    const double reference0 = reference_->CpuSeconds();
    const auto threads0 = daemon->ThreadsCpu();
    const SystemCpu sys0 = SystemCpuSeconds();
    e.print_gate = RunPrintGate(StrCat("e2e-", r), manifest_.path,
                                manifest_.bytes, daemon->address(), e.run_id);
    const SystemCpu sys1 = SystemCpuSeconds();
    e.daemon_cpu = daemon->CpuSeconds() - cpu0;
    e.daemon_threads = BusiestThreads(threads0, daemon->ThreadsCpu(), 5);
    e.machine_busy = sys1.busy - sys0.busy;
    e.machine_steal = sys1.steal - sys0.steal;
    e.other_cpu = e.machine_busy - e.daemon_cpu - e.print_gate.CpuSeconds() -
                  (SelfCpuSeconds() - self0) -
                  (reference_->CpuSeconds() - reference0);
    e.peak_rss_kib = ProcStatusKib(daemon->pid(), "VmHWM");
    const uint64_t rss_end = ProcStatusKib(daemon->pid(), "VmRSS");
    const auto t_stop = std::chrono::steady_clock::now();
    e.daemon_exit = daemon->Stop(std::chrono::seconds(300));
    const double stop_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_stop)
            .count();
    e.db_after = FileSize(db_) + FileSize(dir_ / "gatekeeper.db-wal");

    PrintPrintGate("print-gate -> gatekeeperd (end to end)", e.print_gate);
    if (e.print_gate.ok) {
      const double wall = e.print_gate.process.seconds;
      std::cout << "    gatekeeperd: CPU " << Fixed(e.daemon_cpu, 2)
                << " s during the run (" << Fixed(e.daemon_cpu / wall, 2)
                << " cores); busiest threads: "
                << DescribeThreads(e.daemon_threads) << "\n"
                << "    machine: " << Fixed(e.machine_busy / wall, 2)
                << " cores busy on average, of which "
                << Fixed(std::max(e.other_cpu, 0.0) / wall, 2)
                << " by other processes";
      if (e.machine_steal > 0.05 * wall) {
        std::cout << ", " << Fixed(e.machine_steal / wall, 2)
                  << " cores stolen by the hypervisor";
      }
      std::cout << "\n";
    }
    std::cout << "    gatekeeperd: peak resident (VmHWM) "
              << KibAsMib(e.peak_rss_kib) << ", resident at the end "
              << KibAsMib(rss_end) << "; stopped with SIGTERM in "
              << Fixed(stop_seconds, 1) << " s: " << e.daemon_exit << "\n";
    const int64_t growth =
        static_cast<int64_t>(e.db_after) - static_cast<int64_t>(e.db_before);
    std::cout << "    database (gatekeeper.db + WAL, daemon stopped): "
              << Mib(e.db_before) << " before, " << Mib(e.db_after)
              << " after: " << (growth >= 0 ? "+" : "") << growth << " B";
    if (e.print_gate.ok && e.print_gate.documents > 0) {
      std::cout << " = "
                << Fixed(static_cast<double>(growth) /
                             static_cast<double>(e.print_gate.documents),
                         1)
                << " B a document";
    }
    std::cout << "\n" << std::flush;
    if (!e.print_gate.ok) return false;

    // The log, read back.
    auto evidence = ReadRunEvidence(db_, e.run_id, f_.customers);
    if (!evidence.ok()) {
      e.evidence_error = std::string(evidence.status().message());
      std::cout << "    log: cannot read the run: " << e.evidence_error << "\n";
      return true;  // reported as an evidence failure
    }
    e.evidence = *evidence;
    const RunEvidence& v = *e.evidence;
    const double docs = static_cast<double>(std::max<uint64_t>(v.documents, 1));
    std::cout << "    stored: batch bodies "
              << Fixed(static_cast<double>(v.body_bytes) / docs, 1)
              << " B a document, their entries' payload "
              << Fixed(static_cast<double>(v.payload_bytes) / docs, 1)
              << " B a document, " << Count(v.index_rows)
              << " per-customer index rows\n";
    const std::string& reference_digest =
        rounds_.back().vs_reference.run_digest;
    e.evidence_ok = v.closed && v.documents == f_.documents &&
                    v.bad_batches == 0 && v.unexpected_documents == 0 &&
                    v.digest == v.logged_digest &&
                    v.digest == e.print_gate.run_digest &&
                    (reference_digest.empty() || v.digest == reference_digest);
    std::cout << "    log (read back in " << Fixed(v.seconds, 1) << " s): run "
              << (v.closed ? "closed" : "NOT CLOSED") << ", "
              << Count(v.batches) << " batches, " << Count(v.documents)
              << " documents of " << Count(f_.documents) << ", "
              << Count(v.decisions) << " decisions; "
              << (v.unexpected_documents == 0
                      ? "each the manifest's row with the seed's verdicts"
                      : StrCat(Count(v.unexpected_documents),
                               " documents NOT as expected"))
              << "; "
              << (v.bad_batches == 0
                      ? "every batch matches its entry"
                      : StrCat(Count(v.bad_batches),
                               " batches NOT matching their entries"))
              << "\n";
    if (!v.first_problem.empty()) {
      std::cout << "    first problem: " << v.first_problem << "\n";
    }
    std::cout << "    run digest recomputed from the log " << v.digest << "\n"
              << "      logged at close:  "
              << (v.logged_digest == v.digest ? "same" : v.logged_digest)
              << "\n      print-gate's:     "
              << (e.print_gate.run_digest == v.digest ? "same"
                                                      : e.print_gate.run_digest)
              << "\n      reference run's:  "
              << (reference_digest.empty()       ? "(no reference run)"
                  : reference_digest == v.digest ? "same"
                                                 : reference_digest)
              << "\n    " << (e.evidence_ok ? "MATCH" : "MISMATCH") << "\n"
              << std::flush;
    return true;
  }

  // 5. print-gate on the manifest's first tenth.
  bool MemoryFlat() {
    if (!tenth_.has_value()) return true;
    std::cout << "\n== print-gate's memory: the manifest's first tenth against "
                 "the reference server\n";
    tenth_run_ =
        RunPrintGate("tenth", tenth_->path, tenth_->bytes,
                     reference_->address(), StrCat(run_prefix_, "-tenth"));
    PrintPrintGate("print-gate -> reference server, first tenth", *tenth_run_);
    return tenth_run_->ok;
  }

  // The figures against the targets; false when some run's log did not hold
  // what print-gate was told.
  bool Report() {
    bool evidence_ok = true;
    std::vector<double> bare_rate, bare_mb, ref_rate, ref_seconds, e2e_seconds,
        e2e_rate, ratio_ref, ratio_bare, startup, peak_gib, bytes_per_doc,
        pg_peak_ref, pg_peak_e2e, daemon_cpu, pg_cpu, first_pass;
    for (const Round& r : rounds_) {
      if (r.bare.ok) {
        bare_rate.push_back(r.bare.DocumentsPerSecond());
        bare_mb.push_back(r.bare.MegabytesPerSecond());
      }
      if (r.vs_reference.ok) {
        ref_rate.push_back(r.vs_reference.DocumentsPerSecond());
        ref_seconds.push_back(r.vs_reference.process.seconds);
        pg_peak_ref.push_back(
            static_cast<double>(r.vs_reference.process.max_rss_kib));
      }
      const EndToEnd& e = r.e2e;
      if (!e.ran) continue;
      if (e.print_gate.ok) {
        const double s = e.print_gate.process.seconds;
        e2e_seconds.push_back(s);
        e2e_rate.push_back(e.print_gate.DocumentsPerSecond());
        if (r.vs_reference.ok) {
          ratio_ref.push_back(s / r.vs_reference.process.seconds);
        }
        if (r.bare.ok && r.bare.documents > 0) {
          // The bare run's time for the same number of documents.
          ratio_bare.push_back(s /
                               (static_cast<double>(e.print_gate.documents) /
                                r.bare.DocumentsPerSecond()));
        }
        startup.push_back(e.startup_seconds);
        peak_gib.push_back(static_cast<double>(e.peak_rss_kib) / 1048576.0);
        bytes_per_doc.push_back(
            (static_cast<double>(e.db_after) -
             static_cast<double>(e.db_before)) /
            static_cast<double>(std::max<uint64_t>(e.print_gate.documents, 1)));
        pg_peak_e2e.push_back(
            static_cast<double>(e.print_gate.process.max_rss_kib));
        daemon_cpu.push_back(e.daemon_cpu);
        pg_cpu.push_back(e.print_gate.CpuSeconds());
        if (e.print_gate.first_pass_seconds >= 0) {
          first_pass.push_back(e.print_gate.first_pass_seconds);
        }
        evidence_ok = evidence_ok && e.evidence_ok;
      }
    }
    const size_t n = rounds_.size();
    std::cout << "\n== summary: " << Count(f_.documents) << " documents, "
              << Count(seed_.customers) << " customers seeded"
              << (n > 1 ? StrCat(", medians of ", n, " rounds") : "") << "\n";
    if (!bare_rate.empty()) {
      std::cout << "transport's limit (bare stream): "
                << Count(static_cast<uint64_t>(Median(bare_rate)))
                << " documents/s" << Range(bare_rate, 0) << ", "
                << Fixed(Median(bare_mb), 1) << " MB/s\n";
    }
    if (!ref_rate.empty()) {
      std::cout << "print-gate -> reference server: "
                << Fixed(Median(ref_seconds), 2)
                << " s = " << Count(static_cast<uint64_t>(Median(ref_rate)))
                << " documents/s" << Range(ref_rate, 0) << "\n";
    }
    if (!e2e_seconds.empty()) {
      const double s = Median(e2e_seconds);
      std::cout << "end to end (CSV -> print-gate -> gatekeeperd -> CSV, every "
                   "decision durable): "
                << Fixed(s, 2) << " s" << Range(e2e_seconds, 2, " s") << " = "
                << Count(static_cast<uint64_t>(Median(e2e_rate)))
                << " documents/s; target under " << kTargetSeconds
                << " s: " << (s < kTargetSeconds ? "met" : "not met") << "\n";
      if (!ratio_ref.empty()) {
        std::cout << "  = " << Fixed(Median(ratio_ref), 2)
                  << "x the time of print-gate against the reference server"
                  << Range(ratio_ref, 2, "x") << "\n";
      }
      if (!ratio_bare.empty()) {
        std::cout << "  = " << Fixed(Median(ratio_bare), 2)
                  << "x the time of the bare stream of the same round"
                  << Range(ratio_bare, 2, "x") << "\n";
      }
      std::cout << "  CPU during it: gatekeeperd "
                << Fixed(Median(daemon_cpu), 1) << " s, print-gate "
                << Fixed(Median(pg_cpu), 1) << " s";
      if (!first_pass.empty()) {
        std::cout << "; print-gate's first pass over the manifest "
                  << Fixed(Median(first_pass), 1) << " s of it";
      }
      std::cout << "\n";
      const double gib = Median(peak_gib);
      std::cout << "gatekeeperd peak resident (VmHWM) with "
                << Count(seed_.customers)
                << " customers' consents loaded: " << Fixed(gib, 2)
                << " GiB; target under " << kTargetDaemonGib
                << " GiB: " << (gib < kTargetDaemonGib ? "met" : "not met")
                << "\n"
                << "gatekeeperd start (launch to listening): "
                << Fixed(Median(startup), 1) << " s" << Range(startup, 1, " s")
                << "\n";
      const double bpd = Median(bytes_per_doc);
      std::cout << "durable footprint (database growth): " << Fixed(bpd, 1)
                << " B a document" << Range(bytes_per_doc, 1, " B")
                << "; target under " << kTargetBytesPerDocument
                << " B: " << (bpd < kTargetBytesPerDocument ? "met" : "not met")
                << "\n";
    }
    if (tenth_run_.has_value() && tenth_run_->ok && !pg_peak_ref.empty()) {
      std::cout << "print-gate peak resident: "
                << KibAsMib(tenth_run_->process.max_rss_kib) << " on "
                << Count(tenth_run_->documents) << " documents, "
                << KibAsMib(static_cast<uint64_t>(Median(pg_peak_ref)))
                << " on " << Count(f_.documents)
                << " (against the reference server)";
      if (!pg_peak_e2e.empty()) {
        std::cout << ", "
                  << KibAsMib(static_cast<uint64_t>(Median(pg_peak_e2e)))
                  << " end to end";
      }
      std::cout << "\n";
    }
    if (seed_.reused) {
      std::cout << "seeding: reused the existing seed\n";
    } else {
      std::cout << "seeding: " << Count(seed_.consents) << " consents in "
                << Fixed(seed_.import_seconds, 1) << " s, "
                << Count(seed_.withdrawals) << " withdrawals in "
                << Fixed(seed_.withdraw_seconds, 1) << " s\n";
    }
    std::cout << std::flush;
    return evidence_ok;
  }

  void Cleanup() {
    if (reference_) reference_->Stop();
    if (temp_dir_ && !f_.keep && !dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  Flags f_;
  fs::path dir_, db_, config_path_;
  bool temp_dir_ = false;
  std::string daemon_path_, print_gate_path_, run_prefix_;
  PrintSeedResult seed_;
  ManifestFile manifest_;
  std::optional<ManifestFile> tenth_;
  std::optional<Subprocess> reference_;
  std::vector<Round> rounds_;
  std::optional<PrintGateRun> tenth_run_;
};

}  // namespace
}  // namespace gatekeeper::bench

int main(int argc, char** argv) {
  using gatekeeper::bench::Flags;
  CLI::App app{
      "gkprintbench: the print-run benchmark: a manifest through print-gate "
      "and gatekeeperd end to end, against a reference server of the same "
      "protocol and the bare gRPC stream"};
  Flags f;
  bool serve_reference = false;
  app.add_option("--data-dir", f.data_dir,
                 "data directory; its seed and manifests are reused when "
                 "large enough (default: a fresh temporary directory)");
  app.add_flag("--keep", f.keep,
               "keep the temporary data directory at the end");
  app.add_option("--customers", f.customers, "customers to seed")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{20}, uint64_t{90'000'000}));
  app.add_option("--documents", f.documents, "documents in the manifest")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{99'999'999}));
  app.add_option("--rounds", f.rounds,
                 "repeat the bare stream, print-gate against the reference "
                 "server and the end-to-end run this many times, interleaved")
      ->capture_default_str()
      ->check(CLI::Range(1, 20));
  app.add_option("--batch-size", f.batch_size,
                 "documents a batch (print-gate --batch-size)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--in-flight", f.in_flight,
                 "batches ahead of their answers (print-gate --in-flight)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--gatekeeperd", f.gatekeeperd,
                 "daemon binary (default: ../daemon/gatekeeperd next to "
                 "gkprintbench's directory)");
  app.add_option("--print-gate", f.print_gate,
                 "print-gate binary (default: ../clients/print-gate/print-gate "
                 "next to gkprintbench's directory)");
  app.add_option("--startup-timeout", f.startup_timeout,
                 "seconds gatekeeperd may take to start listening")
      ->capture_default_str()
      ->check(CLI::Range(1, 7200));
  app.add_flag("--serve-reference", serve_reference,
               "internal: run the reference server (gkprintbench starts it "
               "itself)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  // As in gatekeeperd (see daemon/main.cc).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (serve_reference) return gatekeeper::bench::ServePrintReference();
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGINT, gatekeeper::bench::OnStopSignal);
  ::signal(SIGTERM, gatekeeper::bench::OnStopSignal);
  gatekeeper::bench::PrintBench bench(std::move(f));
  return bench.Main();
}
