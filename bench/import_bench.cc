// gkimportbench: how fast consents are imported durably from CSV.
//
// Writes a realistic CSV of --rows rows (default 1,000,000: both purposes,
// a third telemarketing consents with a phone number, some with an expiry)
// in the data directory, then runs --rounds rounds of two runs, in an order
// that alternates from round to round (AB, BA, ...), each on a fresh empty
// database:
//   gkctl  `gkctl consent import FILE` against a real gatekeeperd, timed end
//          to end: both of its passes (the validate_only check of every row,
//          then the import) and the daemon's durable commits;
//   store  the same file in this process, without gRPC: read and parsed,
//          converted as the daemon converts (ToNewConsent: validation,
//          HMACs), and written with Store::ImportConsentBatch in 10,000-row
//          transactions (the daemon's per-message transaction), conversion of
//          batch k+1 overlapping the commit of batch k. It times its phases
//          (parse, convert, write), so the writer's bound is known.
// Prints each run, then the medians of rows/s and of the per-round ratio
// gkctl/store.
//
//   gkimportbench [--rows N] [--rounds N] [--data-dir DIR] [--keep]
//                 [--gatekeeperd PATH] [--gkctl PATH]
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>

#include "bench/machine.h"
#include "bench/subprocess.h"
#include "clients/common/csv.h"
#include "daemon/common/strings.h"
#include "daemon/config/config.h"
#include "daemon/server/new_consent.h"
#include "daemon/store/sqlite_store.h"

namespace gatekeeper::bench {
namespace {

namespace fs = std::filesystem;
using google::protobuf::util::TimeUtil;

constexpr char kHeader[] =
    "request_id,customer_id,purpose,company_id,phone_number,notice_id,"
    "channel,evidence_ref,collected_at,expires_at,collected_by\r\n";
constexpr size_t kBatch = 10'000;

struct Flags {
  uint64_t rows = 1'000'000;
  int rounds = 3;
  std::string data_dir, gatekeeperd, gkctl;
  bool keep = false;
};

// Row i: two ad-insert consents (alternating companies) for every
// telemarketing consent with a mobile number; every seventh expires.
void AppendRow(std::string& out, uint64_t i) {
  const bool tm = i % 3 == 0;
  char phone[24] = "";
  if (tm) {
    std::snprintf(phone, sizeof phone, "090-%04llu-%04llu",
                  static_cast<unsigned long long>(1000 + (i / 10000) % 9000),
                  static_cast<unsigned long long>(i % 10000));
  }
  char line[512];
  std::snprintf(line, sizeof line,
                "imp-%llu,C-%08llu,%s,%s,%s,%s,%s,scan-2025-%07llu,"
                "2025-04-01T10:00:00+09:00,%s,billing-center\r\n",
                static_cast<unsigned long long>(i),
                static_cast<unsigned long long>(i / 2),
                tm ? "telemarketing" : "ad-insert",
                tm || i % 2 == 0 ? "hikari-net" : "denki-home", phone,
                tm ? "tm-2026-04" : "ad-2026-04",
                tm ? "recorded-call" : "paper-form",
                static_cast<unsigned long long>(i),
                i % 7 == 0 ? "2030-03-31T23:59:59+09:00" : "");
  out += line;
}

absl::Status WriteCsv(const fs::path& p, uint64_t rows) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  std::string buf = kHeader;
  for (uint64_t i = 0; i < rows; ++i) {
    AppendRow(buf, i);
    if (buf.size() > (1 << 20)) {
      out << buf;
      buf.clear();
    }
  }
  out << buf;
  out.close();
  if (!out) return absl::UnavailableError(StrCat("cannot write ", p.string()));
  return absl::OkStatus();
}

// The fields of one record as gkctl's import reads them.
bool ParseRow(std::vector<std::string>& f, v1::RecordConsentRequest& r) {
  if (f.size() != 11) return false;
  r.set_request_id(std::move(f[0]));
  r.set_customer_id(std::move(f[1]));
  r.set_purpose(f[2] == "telemarketing" ? v1::PURPOSE_TELEMARKETING
                                        : v1::PURPOSE_AD_INSERT);
  r.set_company_id(std::move(f[3]));
  r.set_phone_number(std::move(f[4]));
  r.set_notice_id(std::move(f[5]));
  r.set_channel(f[6] == "recorded-call" ? v1::CONSENT_CHANNEL_RECORDED_CALL
                                        : v1::CONSENT_CHANNEL_PAPER_FORM);
  r.set_evidence_ref(std::move(f[7]));
  if (!TimeUtil::FromString(f[8], r.mutable_collected_at())) return false;
  if (!f[9].empty() && !TimeUtil::FromString(f[9], r.mutable_expires_at())) {
    return false;
  }
  r.set_collected_by(std::move(f[10]));
  return true;
}

struct Run {
  std::string name;
  int round = 0;
  double seconds = 0;
  double rows_per_s = 0;
  std::string detail;
};

class Bench {
 public:
  explicit Bench(Flags f) : f_(std::move(f)) {}

  int Main() {
    auto dir = PrepareDataDir(f_.data_dir, "gkimportbench");
    if (!dir.ok()) return Fail(dir.status());
    dir_ = dir->path;
    const fs::path bin = fs::path(SelfExe()).parent_path() / "..";
    if (f_.gatekeeperd.empty()) {
      f_.gatekeeperd =
          (bin / "daemon" / "gatekeeperd").lexically_normal().string();
    }
    if (f_.gkctl.empty()) {
      f_.gkctl = (bin / "clients" / "gkctl").lexically_normal().string();
    }
    std::cout << "gkimportbench: " << std::thread::hardware_concurrency()
              << " CPUs (nproc), " << CpuModel() << "\ndata dir "
              << dir_.string() << " on " << FsType(dir_) << "\n";
    csv_ = dir_ / "consents.csv";
    const auto t0 = std::chrono::steady_clock::now();
    if (absl::Status s = WriteCsv(csv_, f_.rows); !s.ok()) return Fail(s);
    std::cout << "wrote " << f_.rows << " rows (" << Mib(FileSize(csv_))
              << ") to " << csv_.string() << " in " << SecondsSince(t0)
              << " s\n\n";
    std::vector<Run> runs;
    for (int round = 1; round <= f_.rounds; ++round) {
      const bool gkctl_first = round % 2 == 1;
      for (int k = 0; k < 2; ++k) {
        auto r = (k == 0) == gkctl_first ? RunGkctl(round) : RunStore(round);
        if (!r.ok()) return Fail(r.status());
        std::cout << "round " << round << " " << r->name << ": " << f_.rows
                  << " rows in " << r->seconds << " s, "
                  << static_cast<uint64_t>(r->rows_per_s) << " rows/s"
                  << r->detail << "\n"
                  << std::flush;
        runs.push_back(*std::move(r));
      }
    }
    std::vector<double> g, s, ratio;
    for (const Run& r : runs)
      (r.name == "gkctl" ? g : s).push_back(r.rows_per_s);
    for (size_t i = 0; i < g.size() && i < s.size(); ++i) {
      ratio.push_back(g[i] / s[i]);
    }
    std::cout << "\nmedian over " << f_.rounds << " rounds: gkctl "
              << static_cast<uint64_t>(Median(g)) << " rows/s, store "
              << static_cast<uint64_t>(Median(s)) << " rows/s, gkctl/store "
              << Median(ratio) << "\n";
    if (dir->temporary && !f_.keep) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
    return 0;
  }

 private:
  static int Fail(const absl::Status& s) {
    std::cerr << "gkimportbench: " << s.message() << "\n";
    return 1;
  }

  fs::path FreshDir(std::string_view name) {
    const fs::path d = dir_ / name;
    std::error_code ec;
    fs::remove_all(d, ec);
    fs::create_directories(d);
    return d;
  }

  absl::StatusOr<Run> RunGkctl(int round) {
    const fs::path d = FreshDir("gkctl");
    const fs::path config = d / "gatekeeper.yaml";
    {
      std::ofstream out(config);
      out << ExampleConfigYaml("gkimportbench", d / "var");
    }
    auto daemon = Subprocess::Start(
        {f_.gatekeeperd, "--config", config.string()},
        (d / "gatekeeperd.log").string(), std::chrono::seconds(60));
    if (!daemon.ok()) return daemon.status();
    const double cpu0 = daemon->CpuSeconds();
    auto done = RunToCompletion({f_.gkctl, "--target", daemon->address(),
                                 "consent", "import", csv_.string()},
                                (d / "gkctl.out").string(),
                                (d / "gkctl.err").string(), {}, nullptr);
    if (!done.ok()) return done.status();
    const double daemon_cpu = daemon->CpuSeconds() - cpu0;
    daemon->Stop();
    if (done->exit_code != 0) {
      return absl::InternalError(StrCat(
          "gkctl ", done->exit, ": ", TailOfFile((d / "gkctl.err").string())));
    }
    Run r{"gkctl", round, done->seconds,
          static_cast<double>(f_.rows) / done->seconds, ""};
    std::ostringstream detail;
    detail << " (gkctl CPU " << done->user_seconds + done->system_seconds
           << " s, daemon CPU " << daemon_cpu << " s; "
           << TailOfFile((d / "gkctl.out").string(), 200);
    r.detail = detail.str();
    while (!r.detail.empty() && r.detail.back() == '\n') r.detail.pop_back();
    r.detail += ")";
    return r;
  }

  absl::StatusOr<Run> RunStore(int round) {
    const fs::path d = FreshDir("store");
    auto config =
        LoadConfigText(ExampleConfigYaml("gkimportbench", d), "bench");
    if (!config.ok()) return config.status();
    const ConfigIndex index(*std::move(config));
    auto key = Pseudonymizer::LoadOrCreate(d / "pseudonym.key");
    if (!key.ok()) return key.status();
    SqliteStoreOptions so;
    so.path = (d / "gatekeeper.db").string();
    auto store = SqliteStore::Open(so);
    if (!store.ok()) return store.status();

    const auto t0 = std::chrono::steady_clock::now();
    std::ifstream in(csv_, std::ios::binary);
    gkclient::CsvReader reader(in);
    std::vector<std::string> fields;
    reader.Next(fields);  // the header
    // write_s: inside ImportConsentBatch (one call in flight at a time, and
    // each is joined before the next starts).
    double parse_s = 0, convert_s = 0, wait_s = 0, write_s = 0;
    uint64_t imported = 0;
    std::future<absl::StatusOr<std::vector<ImportOutcome>>> inflight;
    auto collect = [&]() -> absl::Status {
      const auto w0 = std::chrono::steady_clock::now();
      auto out = inflight.get();
      wait_s += SecondsSince(w0);
      if (!out.ok()) return out.status();
      for (ImportOutcome o : *out) imported += o == ImportOutcome::kImported;
      return absl::OkStatus();
    };
    bool end = false;
    while (!end) {
      std::vector<v1::RecordConsentRequest> reqs;
      reqs.reserve(kBatch);
      auto p0 = std::chrono::steady_clock::now();
      while (reqs.size() < kBatch) {
        if (reader.Next(fields) != gkclient::CsvReader::Result::kRecord) {
          end = true;
          break;
        }
        reqs.emplace_back();
        if (!ParseRow(fields, reqs.back())) {
          return absl::InternalError(StrCat("line ", reader.line()));
        }
      }
      parse_s += SecondsSince(p0);
      p0 = std::chrono::steady_clock::now();
      const Micros now = SystemClock::Get().Now();
      std::vector<NewConsent> batch;
      batch.reserve(reqs.size());
      for (const auto& r : reqs) {
        auto c = ToNewConsent(r, index, *key, now);
        if (!c.ok()) return c.status();
        batch.push_back(*std::move(c));
      }
      convert_s += SecondsSince(p0);
      if (inflight.valid()) {
        if (absl::Status s = collect(); !s.ok()) return s;
      }
      if (batch.empty()) break;
      inflight = std::async(std::launch::async,
                            [s = store->get(), b = std::move(batch), &write_s] {
                              const auto w0 = std::chrono::steady_clock::now();
                              auto out = s->ImportConsentBatch(b);
                              write_s += SecondsSince(w0);
                              return out;
                            });
    }
    if (inflight.valid()) {
      if (absl::Status s = collect(); !s.ok()) return s;
    }
    const double seconds = SecondsSince(t0);
    if (imported != f_.rows) {
      return absl::InternalError(
          StrCat("store imported ", imported, " of ", f_.rows));
    }
    Run r{"store", round, seconds, static_cast<double>(f_.rows) / seconds, ""};
    std::ostringstream detail;
    detail << " (parse " << parse_s << " s, convert " << convert_s
           << " s, write " << write_s << " s = "
           << static_cast<uint64_t>(static_cast<double>(f_.rows) /
                                    std::max(1e-9, write_s))
           << " rows/s for the writer alone, waited for it " << wait_s << " s)";
    r.detail = detail.str();
    return r;
  }

  Flags f_;
  fs::path dir_, csv_;
};

}  // namespace
}  // namespace gatekeeper::bench

int main(int argc, char** argv) {
  gatekeeper::bench::Flags f;
  CLI::App app{"gkimportbench: consents imported durably from CSV, a second"};
  app.add_option("--rows", f.rows, "Rows in the CSV")->capture_default_str();
  app.add_option("--rounds", f.rounds, "Rounds (each runs gkctl and store)")
      ->capture_default_str();
  app.add_option("--data-dir", f.data_dir,
                 "Where the CSV and the databases go (default: a temp dir)");
  app.add_flag("--keep", f.keep, "Keep the temp dir");
  app.add_option("--gatekeeperd", f.gatekeeperd, "The daemon binary");
  app.add_option("--gkctl", f.gkctl, "The gkctl binary");
  CLI11_PARSE(app, argc, argv);
  return gatekeeper::bench::Bench(f).Main();
}
