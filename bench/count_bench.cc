// gkcountbench: what counting the metrics costs a decision.
//
// The daemon counts its metrics only when its HTTP side is configured (it has
// nowhere to serve them otherwise). This tool seeds one database (the layout
// of seed.h), copies it, and starts two gatekeeperd processes on the copies:
// "counted" with `http:` (every decision counted by purpose, verdict, reason
// and company, its duration observed, every RPC counted by the interceptor)
// and "uncounted" without. In each round it runs CheckInsert and CheckDial at
// --concurrency against both, in an order that alternates from round to round
// (ABBA), and prints each run, then the median over the rounds of the
// per-round ratios counted/uncounted of QPS and of p50 and p99 latency, with
// the daemons' CPU per check.
//
// It also times the counting itself in this process: Metrics::CountDecision
// and ObserveDecisionDuration, as Gates::Count calls them, over a mix of
// purposes, verdicts, reasons and companies. That gives a bound that this
// shared machine's noise cannot blur: nanoseconds of counting per decision
// against the microseconds of daemon CPU a check costs.
//
// At the end it reads the counted daemon's /metrics and checks that its
// decision counters add up to the checks it answered (exit 3 otherwise).
//
//   gkcountbench [--consents N] [--duration S] [--rounds N]
//                [--concurrency C] [--gatekeeperd PATH]
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "bench/load.h"
#include "bench/machine.h"
#include "bench/seed.h"
#include "bench/subprocess.h"
#include "daemon/common/strings.h"
#include "daemon/config/config.h"
#include "daemon/ops/metrics.h"

namespace gatekeeper::bench {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_interrupted{false};
void OnStopSignal(int) { g_interrupted.store(true); }

struct Flags {
  std::string data_dir;
  uint64_t consents = 200'000;
  double duration = 5;
  double warmup = 0.5;
  int concurrency = 64;
  int rounds = 5;
  size_t channels = 4;
  std::string gatekeeperd;
};

// A running daemon on its own copy of the seed.
struct Side {
  std::string name;  // "counted", "uncounted"
  fs::path dir;
  std::optional<Subprocess> daemon;
  Channels channels;
  std::string http;  // "host:port" of the counted side's HTTP server
  uint64_t answered = 0;
};

struct Run1 {
  std::string op, side;
  int round = 0;
  RunResult result;
  double cpu_us_per_call = 0;  // the daemon's CPU over the window, per call
};

// GET http://host:port/path; the body.
absl::StatusOr<std::string> HttpGet(const std::string& hostport,
                                    const std::string& path) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  using boost::asio::ip::tcp;
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    const size_t colon = hostport.rfind(':');
    beast::tcp_stream stream(io);
    stream.connect(resolver.resolve(hostport.substr(0, colon),
                                    hostport.substr(colon + 1)));
    http::request<http::string_body> req(http::verb::get, path, 11);
    req.set(http::field::host, hostport);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    if (res.result_int() != 200) {
      return absl::UnavailableError(
          StrCat("GET ", path, ": HTTP ", res.result_int()));
    }
    return res.body();
  } catch (const std::exception& e) {
    return absl::UnavailableError(StrCat("GET ", path, ": ", e.what()));
  }
}

// The sum of gatekeeper_decisions_total's samples. A decision counts once
// under each of its reasons; the tool's checks are all ALLOWs of seeded
// consents, with one reason each, so the sum is the decisions counted.
uint64_t SumDecisions(const std::string& exposition) {
  uint64_t sum = 0;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("gatekeeper_decisions_total{", 0) != 0) continue;
    sum += std::stoull(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// ns per decision counted: CountDecision + ObserveDecisionDuration, as
// Gates::Count calls them, over a mix of labels. Median of 5 passes.
double CountingNanos() {
  Metrics m({"hikari-net", "denki-home"}, "bench", "bench");
  const char* companies[] = {"hikari-net", "denki-home", "other-co", ""};
  constexpr int kPerPass = 2'000'000;
  std::vector<double> passes;
  for (int pass = 0; pass < 5; ++pass) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kPerPass; ++i) {
      const int purpose = 1 + (i & 1);
      const bool allow = (i & 6) != 0;
      const uint32_t reasons = allow ? 1u << 1 : (1u << 2) | (1u << (i & 15));
      m.CountDecision(purpose, allow, reasons, companies[(i >> 3) & 3]);
      m.ObserveDecisionDuration(purpose, 0.0001 * (i & 63));
    }
    passes.push_back(SecondsSince(t0) * 1e9 / kPerPass);
  }
  return Median(passes);
}

class CountBench {
 public:
  explicit CountBench(Flags f) : f_(std::move(f)) {}
  ~CountBench() {
    for (Side& s : sides_) {
      s.channels.clear();
      if (s.daemon) s.daemon->Stop();
    }
    if (temporary_) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  int Main() {
    if (absl::Status s = Setup(); !s.ok()) {
      std::cerr << "gkcountbench: setup failed: " << s.message() << "\n";
      return 1;
    }
    const double ns = CountingNanos();
    std::printf(
        "counting in-process (Metrics::CountDecision + "
        "ObserveDecisionDuration, a mix of labels): %.1f ns a decision "
        "(median of 5 passes of 2,000,000)\n\n",
        ns);
    RunAll();
    if (g_interrupted.load()) return 130;
    Report(ns);
    return CheckCounts() ? 0 : 3;
  }

 private:
  absl::Status Setup() {
    auto dir = PrepareDataDir(f_.data_dir, "gkcountbench");
    if (!dir.ok()) return dir.status();
    dir_ = dir->path;
    temporary_ = dir->temporary;
    std::cout << "gkcountbench: " << std::thread::hardware_concurrency()
              << " CPUs (nproc), " << CpuModel() << "\ndata dir "
              << dir_.string() << " on " << FsType(dir_) << "\n";
    const fs::path seed_dir = dir_ / "seed";
    fs::create_directories(seed_dir);
    {
      auto config =
          LoadConfigText(ExampleConfigYaml("gkcountbench", seed_dir), "seed");
      if (!config.ok()) return config.status();
      const ConfigIndex index(*std::move(config));
      auto seed = Seed(seed_dir, index, f_.consents, std::cout, &g_interrupted);
      if (!seed.ok()) return seed.status();
      seed_ = *std::move(seed);
    }
    std::string daemon_path = f_.gatekeeperd;
    if (daemon_path.empty()) {
      daemon_path =
          (fs::path(SelfExe()).parent_path() / ".." / "daemon" / "gatekeeperd")
              .lexically_normal()
              .string();
    }
    sides_.resize(2);
    sides_[0].name = "counted";
    sides_[1].name = "uncounted";
    for (Side& side : sides_) {
      side.dir = dir_ / side.name;
      std::error_code ec;
      fs::remove_all(side.dir, ec);
      fs::create_directories(side.dir);
      for (const char* file : {"gatekeeper.db", "pseudonym.key"}) {
        fs::copy_file(seed_dir / file, side.dir / file, ec);
        if (ec) {
          return absl::UnavailableError(
              StrCat("cannot copy ", file, ": ", ec.message()));
        }
      }
      const fs::path config = side.dir / "gatekeeper.yaml";
      {
        std::ofstream out(config);
        out << ExampleConfigYaml(
            "gkcountbench", side.dir,
            StrCat("calling_hours: {start: \"00:00\", end: \"24:00\"}\n",
                   side.name == "counted" ? "http: {listen: \"127.0.0.1:0\"}\n"
                                          : ""));
      }
      auto d = Subprocess::Start({daemon_path, "--config", config.string()},
                                 (side.dir / "gatekeeperd.log").string(),
                                 std::chrono::seconds(60));
      if (!d.ok()) return d.status();
      side.daemon.emplace(*std::move(d));
      side.channels = MakeChannels(side.daemon->address(), f_.channels);
      if (side.channels.empty()) {
        return absl::UnavailableError(
            StrCat("cannot connect to the ", side.name, " daemon"));
      }
      std::cout << side.name << " gatekeeperd pid " << side.daemon->pid()
                << " on " << side.daemon->address() << "\n";
    }
    // "gatekeeperd: http on ADDR (/metrics, ...)" comes before the listening
    // line.
    const std::string key = "http on ";
    for (const std::string& line : sides_[0].daemon->preamble()) {
      if (const size_t at = line.find(key); at != std::string::npos) {
        const size_t from = at + key.size();
        sides_[0].http = line.substr(from, line.find(' ', from) - from);
      }
    }
    if (sides_[0].http.empty()) {
      return absl::UnavailableError(
          "the counted daemon did not say where its HTTP side listens");
    }
    std::cout << "counted daemon's /metrics on " << sides_[0].http << "\n\n";
    return absl::OkStatus();
  }

  void RunAll() {
    std::printf("%-12s %-10s %-4s %9s %10s %8s %8s %12s\n", "op", "daemon",
                "rnd", "calls", "QPS", "p50 ms", "p99 ms", "CPU us/call");
    for (int round = 0; round < f_.rounds && !g_interrupted.load(); ++round) {
      for (const std::string op : {"CheckInsert", "CheckDial"}) {
        // ABBA: the side that goes first alternates.
        const int first = round % 2;
        for (int k = 0; k < 2 && !g_interrupted.load(); ++k) {
          Side& side = sides_[(first + k) % 2];
          auto o = op == "CheckInsert"
                       ? MakeCheckInsertOp(side.channels, seed_.insert_campaign,
                                           seed_.layout_consents)
                       : MakeCheckDialOp(side.channels, seed_.call_campaign,
                                         seed_.layout_consents);
          RunOptions ro;
          ro.concurrency = f_.concurrency;
          ro.warmup_seconds = f_.warmup;
          ro.duration_seconds = f_.duration;
          ro.seed = 1 + round;
          ro.interrupted = &g_interrupted;
          double cpu0 = 0, cpu1 = 0;
          ro.at_window_start = [&] { cpu0 = side.daemon->CpuSeconds(); };
          ro.at_window_end = [&] { cpu1 = side.daemon->CpuSeconds(); };
          Run1 r{op, side.name, round, Run(*o, ro), 0};
          side.answered += r.result.total_ok;
          if (r.result.calls > 0) {
            r.cpu_us_per_call = (cpu1 - cpu0) * 1e6 / r.result.calls;
          }
          std::printf("%-12s %-10s r%-3d %9llu %10.0f %8.2f %8.2f %12.1f%s\n",
                      op.c_str(), side.name.c_str(), round + 1,
                      static_cast<unsigned long long>(r.result.calls),
                      r.result.Qps(), r.result.PercentileMs(50),
                      r.result.PercentileMs(99), r.cpu_us_per_call,
                      r.result.errors > 0 ? "  ERRORS" : "");
          std::fflush(stdout);
          if (r.result.errors > 0) {
            std::printf("  first error: %s\n", r.result.first_error.c_str());
          }
          runs_.push_back(std::move(r));
        }
      }
    }
  }

  const Run1* Find(const std::string& op, const std::string& side,
                   int round) const {
    for (const Run1& r : runs_) {
      if (r.op == op && r.side == side && r.round == round) return &r;
    }
    return nullptr;
  }

  void Report(double counting_ns) const {
    std::printf(
        "\ncounted / uncounted, median over %d rounds of each round's ratio "
        "(QPS: above 1 is faster counted; latency and CPU: below 1 is less "
        "counted):\n",
        f_.rounds);
    for (const std::string op : {"CheckInsert", "CheckDial"}) {
      std::vector<double> qps, p50, p99, cpu;
      std::vector<double> cpu_counted;
      for (int round = 0; round < f_.rounds; ++round) {
        const Run1* a = Find(op, "counted", round);
        const Run1* b = Find(op, "uncounted", round);
        if (a == nullptr || b == nullptr || b->result.Qps() <= 0) continue;
        qps.push_back(a->result.Qps() / b->result.Qps());
        p50.push_back(a->result.PercentileMs(50) / b->result.PercentileMs(50));
        p99.push_back(a->result.PercentileMs(99) / b->result.PercentileMs(99));
        if (b->cpu_us_per_call > 0) {
          cpu.push_back(a->cpu_us_per_call / b->cpu_us_per_call);
        }
        cpu_counted.push_back(a->cpu_us_per_call);
      }
      if (qps.empty()) continue;
      auto range = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        char buf[48];
        std::snprintf(buf, sizeof(buf), "%.3f-%.3f", v.front(), v.back());
        return std::string(buf);
      };
      const double check_us = Median(cpu_counted);
      std::printf(
          "  %-11s QPS %.3f (%s), p50 %.3f (%s), p99 %.3f (%s), daemon CPU "
          "a check %.3f (%s); counting %.1f ns of %.1f us of daemon CPU a "
          "check: %.3f%%\n",
          op.c_str(), Median(qps), range(qps).c_str(), Median(p50),
          range(p50).c_str(), Median(p99), range(p99).c_str(), Median(cpu),
          range(cpu).c_str(), counting_ns, check_us,
          check_us > 0 ? 100.0 * counting_ns / (check_us * 1000.0) : 0.0);
    }
  }

  // The counted daemon's decision counters against the checks it answered.
  bool CheckCounts() const {
    auto metrics = HttpGet(sides_[0].http, "/metrics");
    if (!metrics.ok()) {
      std::printf("metrics: cannot read: %s\n",
                  std::string(metrics.status().message()).c_str());
      return false;
    }
    const uint64_t counted = SumDecisions(*metrics);
    const bool ok = counted == sides_[0].answered;
    std::printf(
        "metrics: gatekeeper_decisions_total sums to %llu; the counted daemon "
        "answered %llu checks OK: %s\n",
        static_cast<unsigned long long>(counted),
        static_cast<unsigned long long>(sides_[0].answered),
        ok ? "equal" : "DIFFERENT");
    return ok;
  }

  Flags f_;
  fs::path dir_;
  bool temporary_ = false;
  SeedResult seed_;
  std::vector<Side> sides_;
  std::vector<Run1> runs_;
};

}  // namespace
}  // namespace gatekeeper::bench

int main(int argc, char** argv) {
  using gatekeeper::bench::Flags;
  CLI::App app{
      "gkcountbench: a gatekeeperd counting its metrics against one that does "
      "not, on copies of one seed"};
  Flags f;
  app.add_option("--data-dir", f.data_dir,
                 "where to seed (default: a temporary directory, removed)");
  app.add_option("--consents", f.consents, "consents to seed")
      ->check(CLI::Range(uint64_t{1000}, uint64_t{100'000'000}));
  app.add_option("--duration", f.duration, "measured seconds per run")
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", f.warmup, "unmeasured seconds before each run")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--concurrency", f.concurrency, "calls outstanding")
      ->check(CLI::Range(1, 1024));
  app.add_option("--rounds", f.rounds, "rounds (each runs both daemons)")
      ->check(CLI::Range(1, 100));
  app.add_option("--gatekeeperd", f.gatekeeperd,
                 "daemon binary (default: ../daemon/gatekeeperd)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  ::signal(SIGINT, gatekeeper::bench::OnStopSignal);
  ::signal(SIGTERM, gatekeeper::bench::OnStopSignal);
  ::signal(SIGPIPE, SIG_IGN);
  return gatekeeper::bench::CountBench(std::move(f)).Main();
}
