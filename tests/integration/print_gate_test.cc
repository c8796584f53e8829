// print-gate end to end: the real binary run as a child against the real
// gatekeeperd on a free loopback port with a temp data_dir (campaigns and
// consents are set up over gRPC with the fixture's stubs).
//
// The tests of decide, redecide, reconcile and pull-list that get answers
// from the daemon follow the contract in insert_gate.proto
// (CheckInsertBatch, ReconcileRun, PullList); a daemon that does not
// implement those RPCs yet answers UNIMPLEMENTED and fails them. The others
// (usage, malformed input, an unreachable, silent or interrupted daemon) do
// not need those RPCs.
#include <arpa/inet.h>
#include <fcntl.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "clients/common/csv.h"
#include "daemon/common/crypto.h"
#include "tests/testing/child_process.h"
#include "tests/testing/daemon_fixture.h"
#include "tests/testing/unresponsive.h"

namespace gatekeeper {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;
using testing::ChildResult;
using testing::RefusingPort;
using testing::RunChild;
using testing::Stopped;

constexpr char kHikari[] = "hikari-leaflet";  // hikari-net: C-1001 consented
constexpr char kDenki[] = "denki-leaflet";    // denki-home: nobody consented
constexpr char kUnknown[] = "no-such-leaflet";
constexpr char kRun[] = "run-2026-12";

std::string PrintGatePath() { return PRINT_GATE_PATH; }

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// Files in `dir` whose name contains ".tmp-": what a run writes before it
// completes.
std::vector<std::string> TempFiles(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp-") != std::string::npos) out.push_back(name);
  }
  return out;
}

// The lines of `s` (without their line ends).
std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A manifest row as the test knows it.
struct Row {
  std::string document_id, customer_id;
  std::vector<std::string> codes;
};

// The CSV text of `rows` under the manifest's header, quoted where needed.
std::string ManifestText(const std::vector<Row>& rows,
                         std::string_view eol = "\n") {
  std::string out;
  gkclient::AppendCsvRecord(out, {"document_id", "customer_id", "insert_codes"},
                            eol);
  for (const Row& r : rows) {
    std::string codes;
    for (const std::string& c : r.codes)
      codes += (codes.empty() ? "" : ";") + c;
    gkclient::AppendCsvRecord(out, {r.document_id, r.customer_id, codes}, eol);
  }
  return out;
}

// The records of a CSV file's text (the header included).
std::vector<std::vector<std::string>> CsvRecords(const std::string& text) {
  std::istringstream in(text);
  gkclient::CsvReader reader(in);
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> fields;
  while (reader.Next(fields) == gkclient::CsvReader::Result::kRecord) {
    out.push_back(fields);
  }
  return out;
}

// "NO_CONSENT;CONSENT_WITHDRAWN" -> the same names in ascending code order.
std::string SortedReasons(const std::string& joined) {
  std::vector<int> codes;
  std::istringstream in(joined);
  for (std::string name; std::getline(in, name, ';');) {
    v1::Reason r = v1::REASON_UNSPECIFIED;
    EXPECT_TRUE(v1::Reason_Parse("REASON_" + name, &r)) << name;
    codes.push_back(r);
  }
  std::sort(codes.begin(), codes.end());
  std::string out;
  for (int c : codes) {
    out += (out.empty() ? "" : ";") +
           v1::Reason_Name(static_cast<v1::Reason>(c)).substr(7);
  }
  return out;
}

// The run digest of insert_gate.proto, recomputed from the manifest's rows
// and the rejects file: every code of every row, in order, is an ALLOW unless
// the rejects file blocks it.
std::string ExpectedDigest(const std::vector<Row>& rows,
                           const std::string& rejects_text) {
  std::map<std::pair<std::string, std::string>, std::string> blocked;
  const auto records = CsvRecords(rejects_text);
  for (size_t i = 1; i < records.size(); ++i) {
    const auto& r = records[i];
    EXPECT_EQ(r.size(), 4u);
    if (r.size() != 4 || r[3] == "MALFORMED_ROW") continue;
    blocked[{r[0], r[2]}] = SortedReasons(r[3]);
  }
  std::string lines;
  for (const Row& row : rows) {
    for (const std::string& code : row.codes) {
      const auto it = blocked.find({row.document_id, code});
      lines += row.document_id + "\t" + row.customer_id + "\t" + code + "\t" +
               (it == blocked.end() ? "ALLOW\tCONSENT_ON_RECORD"
                                    : "BLOCK\t" + it->second) +
               "\n";
    }
  }
  return ToHex(Sha256(lines));
}

class PrintGateTest : public testing::DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    work_ = dir_.path() / "print";
    fs::create_directories(work_);
  }

  // Approved INSERT campaigns for both companies, and C-1001's AD_INSERT
  // consent for hikari-net (C-2002 has none).
  void SetUpCampaignsAndConsents() {
    InsertCampaign(kHikari, "hikari-net");
    InsertCampaign(kDenki, "denki-home");
    ASSERT_TRUE(Record(AdConsent("C-1001")).ok());
  }

  void InsertCampaign(const std::string& id, const std::string& company) {
    v1::CreateCampaignRequest req;
    req.set_actor("alice");
    v1::Campaign* c = req.mutable_campaign();
    c->set_campaign_id(id);
    c->set_kind(v1::CAMPAIGN_KIND_INSERT);
    c->set_company_id(company);
    c->set_goods_type("光回線サービス");
    LawfulLeaflet(*c);
    *c->mutable_starts_at() = FromMicros(testing::Now() - testing::kDay);
    *c->mutable_ends_at() = FromMicros(testing::Now() + 30 * testing::kDay);
    v1::Campaign out;
    const grpc::Status s =
        campaigns_->CreateCampaign(testing::Ctx().get(), req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_TRUE(Approve(id, "bob").ok());
  }

  std::string Path(const std::string& name) const {
    return (work_ / name).string();
  }

  // print-gate's command line with --target (the daemon unless given) and
  // --actor, then `args`.
  std::vector<std::string> Argv(const std::vector<std::string>& args,
                                const std::string& target = "") {
    std::vector<std::string> argv = {
        PrintGatePath(), "--target",
        target.empty() ? daemon_->address() : target, "--actor", "print-shop"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  ChildResult PrintGate(const std::vector<std::string>& args,
                        const std::string& target = "") {
    return RunChild(Argv(args, target), {}, {}, std::chrono::seconds(120));
  }

  // Runs print-gate and expects `exit_code`; fails with its stderr.
  void Expect(int exit_code, const std::vector<std::string>& args) {
    const ChildResult r = PrintGate(args);
    ASSERT_EQ(r.exit_code, exit_code) << args[0] << ": " << r.err;
  }

  std::vector<std::string> DecideArgs(const std::string& manifest = "IN.csv",
                                      const std::string& run = kRun) {
    return {"decide",
            "--manifest",
            Path(manifest),
            "--out",
            Path("OUT.csv"),
            "--rejects",
            Path("REJECTS.csv"),
            "--run-id",
            run};
  }

  // The documents of every "print.batch" entry of `customers`, from the
  // entries' member_json (a JSON array of PrintedDocument), in log order.
  std::vector<std::string> BatchedDocuments(
      const std::vector<std::string>& customers) {
    std::vector<std::string> docs;
    for (const std::string& customer : customers) {
      for (const v1::AuditEntry& e : QueryAudit(customer)) {
        if (e.kind() != "print.batch") continue;
        google::protobuf::ListValue list;
        EXPECT_TRUE(
            google::protobuf::util::JsonStringToMessage(e.member_json(), &list)
                .ok())
            << e.member_json();
        for (const auto& v : list.values()) {
          const auto& fields = v.struct_value().fields();
          EXPECT_EQ(fields.at("customer_id").string_value(), customer);
          docs.push_back(fields.at("document_id").string_value());
        }
      }
    }
    return docs;
  }

  fs::path work_;
};

// The small manifest: quoting, a document with three codes of which one is
// allowed, an unknown campaign, customers without consent.
const std::vector<Row> kRows = {
    {"D-0001", "C-1001", {kHikari, kDenki, kUnknown}},
    {"D-0002", "C-2002", {kHikari}},
    {"D-0003", "C,1003", {}},
    {"D-0004", "C \"4\"", {kHikari}},
};
const char kManifest[] =
    "document_id,customer_id,insert_codes\n"
    "D-0001,C-1001,hikari-leaflet;denki-leaflet;no-such-leaflet\n"
    "\"D-0002\",\"C-2002\",\"hikari-leaflet\"\n"
    "D-0003,\"C,1003\",\n"
    "D-0004,\"C \"\"4\"\"\",hikari-leaflet\n";
const char kOut[] =
    "document_id,customer_id,insert_codes\n"
    "D-0001,C-1001,hikari-leaflet\n"
    "D-0002,C-2002,\n"
    "D-0003,\"C,1003\",\n"
    "D-0004,\"C \"\"4\"\"\",\n";
const char kRejects[] =
    "document_id,customer_id,insert_code,reasons\n"
    "D-0001,C-1001,denki-leaflet,NO_CONSENT\n"
    "D-0001,C-1001,no-such-leaflet,UNKNOWN_CAMPAIGN\n"
    "D-0002,C-2002,hikari-leaflet,NO_CONSENT\n"
    "D-0004,\"C \"\"4\"\"\",hikari-leaflet,NO_CONSENT\n";

// --- Without the print-run RPCs --------------------------------------------

TEST_F(PrintGateTest, UsageErrorsExitTwoWithOneLine) {
  WriteFile(work_ / "IN.csv", kManifest);
  const std::vector<std::vector<std::string>> cases = {
      {"decide", "--manifest", Path("IN.csv"), "--out", Path("OUT.csv"),
       "--rejects", Path("REJECTS.csv")},  // no --run-id
      {"decide", "--manifest", Path("IN.csv"), "--out", Path("OUT.csv"),
       "--rejects", Path("REJECTS.csv"), "--run-id", "run 1"},
      {"decide", "--manifest", Path("IN.csv"), "--out", Path("OUT.csv"),
       "--rejects", Path("REJECTS.csv"), "--run-id", std::string(65, 'r')},
      {"decide", "--manifest", Path("IN.csv"), "--out", Path("OUT.csv"),
       "--rejects", Path("REJECTS.csv"), "--run-id", "r", "--batch-size", "0"},
      {"decide", "--manifest", Path("IN.csv"), "--out", Path("OUT.csv"),
       "--rejects", Path("REJECTS.csv"), "--run-id", "r", "--batch-size",
       "10001"},
      {"decide", "--manifest", Path("IN.csv"), "--out", Path("IN.csv"),
       "--rejects", Path("REJECTS.csv"), "--run-id", "r"},
      {"decide", "--manifest", Path("IN.csv"), "--out", Path("OUT.csv"),
       "--rejects", Path("OUT.csv"), "--run-id", "r"},
      {"decide", "--manifest", Path("missing.csv"), "--out", Path("OUT.csv"),
       "--rejects", Path("REJECTS.csv"), "--run-id", "r"},
      {"reconcile", "--run-id", "r", "--inserted", Path("IN.csv"),
       "--spoiled-out", Path("R.csv")},  // --spoiled-out needs --manifest
      {"redecide", "--run-id", std::string(60, 'r'), "--documents",
       Path("IN.csv"), "--out", Path("OUT.csv"), "--rejects",
       Path("REJECTS.csv")},  // the derived id would be too long
      {"pull-list", "--run-id", "r"},
      {"no-such-command"},
      // Read twice (checked whole first): a pipe cannot be.
      {"decide", "--manifest", "/dev/stdin", "--out", Path("OUT.csv"),
       "--rejects", Path("REJECTS.csv"), "--run-id", "r"},
      {"--timeout", "0", "pull-list", "--run-id", "r", "--out", Path("P.csv")},
  };
  for (const auto& args : cases) {
    const ChildResult r = PrintGate(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << r.err;
    EXPECT_EQ(r.err.rfind("print-gate: ", 0), 0u) << joined << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "") << joined;
  }
  EXPECT_EQ(ReadFile(work_ / "IN.csv"), kManifest);
  EXPECT_FALSE(fs::exists(work_ / "OUT.csv"));
  EXPECT_TRUE(TempFiles(work_).empty());
}

struct MalformedCase {
  std::string name;
  std::string rows;  // after the header and one good row
  uint64_t line;
  std::string what;
};

class PrintGateMalformedTest
    : public PrintGateTest,
      public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(PrintGateMalformedTest, FailsNamingTheLineBeforeTheDaemonIsAsked) {
  // A refusing target: had print-gate asked the daemon first, the error
  // would be UNAVAILABLE.
  RefusingPort nobody;
  WriteFile(work_ / "IN.csv",
            "document_id,customer_id,insert_codes\n"
            "D-0001,C-1001,hikari-leaflet\n" +
                GetParam().rows);
  WriteFile(work_ / "OUT.csv", "an earlier run's output\n");
  const ChildResult r = PrintGate(DecideArgs(), nobody.address());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "print-gate: " + Path("IN.csv") + ":" +
                       std::to_string(GetParam().line) + ": " +
                       GetParam().what + "\n");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(ReadFile(work_ / "OUT.csv"), "an earlier run's output\n");
  EXPECT_FALSE(fs::exists(work_ / "REJECTS.csv"));
  EXPECT_TRUE(TempFiles(work_).empty());
}

INSTANTIATE_TEST_SUITE_P(
    Rows, PrintGateMalformedTest,
    ::testing::Values(
        MalformedCase{"TooFewFields", "D-0002,C-2002\n", 3,
                      "2 fields, expected 3"},
        MalformedCase{"TooManyFields", "D-0002,C-2002,a,b\n", 3,
                      "4 fields, expected 3"},
        MalformedCase{"QuoteInUnquotedField", "D-0002,C\"2002,a\n", 3,
                      "quote inside unquoted field 2"},
        MalformedCase{"CharacterAfterClosingQuote", "D-0002,\"C-2002\"x,a\n", 3,
                      "character after the closing quote of field 2"},
        MalformedCase{"EmptyDocumentId", "D-0002,C-2002,a\n,C-3003,a\n", 4,
                      "document_id is empty"},
        MalformedCase{"EmptyCustomerId", "D-0002,\"\",a\n", 3,
                      "customer_id is empty"},
        MalformedCase{"InvalidUtf8", "D-0002,C-\xE3\x81,a\n", 3,
                      "invalid UTF-8 in field 2"},
        MalformedCase{"LineBreakInAnId", "D-0002,\"C-\n2002\",a\n", 3,
                      "customer_id \"C-?2002\" contains a control character"},
        MalformedCase{"AfterBlankLines",
                      "\"D-0002\",C-2002,\"a\"\n\n\nD-0003,C-3003,a;a\n", 6,
                      "insert_codes: code \"a\" is named twice"},
        MalformedCase{"UnterminatedQuote",
                      "D-0002,C-2002,\"a\nD-0003,C-3003,b\n", 3,
                      "unterminated quoted field (field 3, opened on line "
                      "3) (on line 5)"}),
    [](const ::testing::TestParamInfo<MalformedCase>& param_info) {
      return param_info.param.name;
    });

TEST_F(PrintGateTest, WrongHeaderFailsOnLineOne) {
  RefusingPort nobody;
  WriteFile(work_ / "IN.csv", "document,customer,codes\nD-1,C-1,a\n");
  const ChildResult r = PrintGate(DecideArgs(), nobody.address());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "print-gate: " + Path("IN.csv") +
                       ":1: the header must be "
                       "document_id,customer_id,insert_codes, found "
                       "\"document,customer,codes\"\n");
}

TEST_F(PrintGateTest, UnterminatedQuoteFailsEvenWithSkipBad) {
  RefusingPort nobody;
  WriteFile(work_ / "IN.csv",
            "document_id,customer_id,insert_codes\nD-1,\"C-1,a\nD-2,C-2,a\n");
  std::vector<std::string> args = DecideArgs();
  args.push_back("--skip-bad");
  const ChildResult r = PrintGate(args, nobody.address());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(":2: unterminated quoted field"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(work_ / "OUT.csv"));
  EXPECT_TRUE(TempFiles(work_).empty());
}

TEST_F(PrintGateTest, UnreachableDaemonExitsTwoAndWritesNothing) {
  RefusingPort nobody;
  WriteFile(work_ / "IN.csv", kManifest);
  const ChildResult r = PrintGate(DecideArgs(), nobody.address());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("print-gate: UNAVAILABLE: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(work_ / "OUT.csv"));
  EXPECT_FALSE(fs::exists(work_ / "REJECTS.csv"));
  EXPECT_TRUE(TempFiles(work_).empty());

  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"pull-list", "--run-id", kRun, "--out", Path("PULL.csv")},
           {"reconcile", "--run-id", kRun, "--inserted", Path("INS.csv")}}) {
    WriteFile(work_ / "INS.csv",
              "document_id,inserted_codes,status\nD-0001,,OK\n");
    const ChildResult r2 = PrintGate(args, nobody.address());
    EXPECT_EQ(r2.exit_code, 2) << args[0];
    EXPECT_EQ(r2.err.rfind("print-gate: UNAVAILABLE: ", 0), 0u) << r2.err;
  }
  EXPECT_FALSE(fs::exists(work_ / "PULL.csv"));
  EXPECT_TRUE(TempFiles(work_).empty());
}

TEST_F(PrintGateTest, SilentDaemonTimesOut) {
  WriteFile(work_ / "IN.csv", kManifest);
  Stopped stopped(daemon_->pid());
  std::vector<std::string> args = {"--timeout", "1"};
  for (const auto& a : DecideArgs()) args.push_back(a);
  const auto start = std::chrono::steady_clock::now();
  const ChildResult r = PrintGate(args);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("print-gate: no answer from the daemon within 1 s", 0),
            0u)
      << r.err;
  EXPECT_LT(took, std::chrono::seconds(15));
  EXPECT_FALSE(fs::exists(work_ / "OUT.csv"));
  EXPECT_TRUE(TempFiles(work_).empty());
}

TEST_F(PrintGateTest, SigtermCancelsTheRunAndRemovesItsTemporaryFiles) {
  WriteFile(work_ / "IN.csv", kManifest);
  Stopped stopped(daemon_->pid());
  // The temporary outputs exist once the manifest was checked and before
  // the daemon is asked: wait for them, then interrupt.
  const int in = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  ASSERT_GE(in, 0);
  ASSERT_GE(::inotify_add_watch(in, work_.c_str(), IN_CREATE), 0);
  const std::vector<std::string> argv = Argv(DecideArgs());
  ChildProcess child(argv);
  ASSERT_TRUE(child.Start()) << child.error();
  bool created = false;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!created && std::chrono::steady_clock::now() < deadline) {
    pollfd p{in, POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) continue;
    alignas(inotify_event) char buf[4096];
    const ssize_t n = ::read(in, buf, sizeof buf);
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      if (ev->len > 0 && std::string(ev->name).rfind("OUT.csv.tmp-", 0) == 0) {
        created = true;
      }
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
  }
  ::close(in);
  ASSERT_TRUE(created);
  ASSERT_EQ(::kill(child.pid(), SIGTERM), 0);
  EXPECT_EQ(child.Wait(std::chrono::seconds(30)), 2);
  EXPECT_EQ(child.err().rfind("print-gate: interrupted", 0), 0u) << child.err();
  EXPECT_FALSE(fs::exists(work_ / "OUT.csv"));
  EXPECT_TRUE(TempFiles(work_).empty());
}

TEST_F(PrintGateTest, StaleTemporaryFilesOfAKilledRunAreRemoved) {
  // A pid that no longer exists: a child that exited and was reaped.
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(dead, &status, 0), dead);
  const std::string suffix = ".tmp-" + std::to_string(dead);
  WriteFile(work_ / ("OUT.csv" + suffix), "half a run\n");
  WriteFile(work_ / ("REJECTS.csv" + suffix), "half a run\n");
  // Another process's live file is left alone.
  const std::string live = "OUT.csv.tmp-" + std::to_string(::getpid());
  WriteFile(work_ / live, "someone else's\n");
  WriteFile(work_ / "IN.csv", kManifest);
  RefusingPort nobody;
  const ChildResult r = PrintGate(DecideArgs(), nobody.address());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(TempFiles(work_), std::vector<std::string>{live});
}

TEST_F(PrintGateTest, ReconcileFailsOnAMalformedRowBeforeTheDaemonIsAsked) {
  RefusingPort nobody;
  WriteFile(work_ / "INS.csv",
            "document_id,inserted_codes,status\n"
            "D-0001,hikari-leaflet,OK\n"
            "D-0002,,LOST\n");
  const ChildResult r =
      PrintGate({"reconcile", "--run-id", kRun, "--inserted", Path("INS.csv")},
                nobody.address());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "print-gate: " + Path("INS.csv") +
                       ":3: status \"LOST\" must be OK or SPOILED\n");
  EXPECT_EQ(r.out, "");
}

// --- With the print-run RPCs (CheckInsertBatch, ReconcileRun, PullList) ----

TEST_F(PrintGateTest, DecideWritesTheAllowedCodesTheRejectsAndTheDigest) {
  SetUpCampaignsAndConsents();
  WriteFile(work_ / "IN.csv", kManifest);
  const ChildResult r = PrintGate(DecideArgs());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // stderr is not a terminal: no progress bar
  EXPECT_EQ(ReadFile(work_ / "OUT.csv"), kOut);
  EXPECT_EQ(ReadFile(work_ / "REJECTS.csv"), kRejects);
  EXPECT_TRUE(TempFiles(work_).empty());
  const std::string digest = ExpectedDigest(kRows, kRejects);
  const std::string want = std::string("print_run_id: ") + kRun +
                           "\n"
                           "batches: 1\n"
                           "documents: 4\n"
                           "decisions: 5\n"
                           "allowed_by_campaign:\n"
                           "  hikari-leaflet: 1\n"
                           "blocked_by_reason:\n"
                           "  NO_CONSENT: 3\n"
                           "  UNKNOWN_CAMPAIGN: 1\n"
                           "out: " +
                           Path("OUT.csv") +
                           "\nrejects: " + Path("REJECTS.csv") + "\n";
  EXPECT_EQ(r.out.substr(0, want.size()), want) << r.out;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "run_digest: " + digest);
  // The log's batch entries hold every document once.
  std::vector<std::string> docs =
      BatchedDocuments({"C-1001", "C-2002", "C,1003", "C \"4\""});
  std::sort(docs.begin(), docs.end());
  EXPECT_EQ(docs,
            (std::vector<std::string>{"D-0001", "D-0002", "D-0003", "D-0004"}));
  EXPECT_TRUE(Verify().ok());
}

TEST_F(PrintGateTest, DecideKeepsCrlfLineEndsAndToleratesABom) {
  SetUpCampaignsAndConsents();
  const std::string crlf = ManifestText(kRows, "\r\n");
  WriteFile(work_ / "IN.csv", "\xEF\xBB\xBF" + crlf);
  const ChildResult r = PrintGate(DecideArgs());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto to_crlf = [](std::string s) {
    std::string out;
    for (char c : s) {
      if (c == '\n') out += '\r';
      out += c;
    }
    return out;
  };
  EXPECT_EQ(ReadFile(work_ / "OUT.csv"), to_crlf(kOut));
  EXPECT_EQ(ReadFile(work_ / "REJECTS.csv"), to_crlf(kRejects));
}

TEST_F(PrintGateTest, SkipBadPutsMalformedRowsInTheRejects) {
  SetUpCampaignsAndConsents();
  WriteFile(work_ / "IN.csv",
            "document_id,customer_id,insert_codes\n"
            "D-0001,C-1001,hikari-leaflet\n"
            "D-0002,C-2002\n"                   // line 3: two fields
            "D-0003,\"C-3\"x,hikari-leaflet\n"  // line 4: bad quoting
            "D-0004,C-1001,hikari-leaflet\n"
            ",C-1001,hikari-leaflet\n");  // line 6: no document id
  std::vector<std::string> args = DecideArgs();
  args.insert(args.end(), {"--skip-bad", "--batch-size", "1"});
  const ChildResult r = PrintGate(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(work_ / "OUT.csv"),
            "document_id,customer_id,insert_codes\n"
            "D-0001,C-1001,hikari-leaflet\n"
            "D-0004,C-1001,hikari-leaflet\n");
  EXPECT_EQ(ReadFile(work_ / "REJECTS.csv"),
            "document_id,customer_id,insert_code,reasons\n"
            "D-0002,C-2002,,MALFORMED_ROW\n"
            ",,,MALFORMED_ROW\n"
            ",C-1001,,MALFORMED_ROW\n");
  const std::string in = Path("IN.csv");
  EXPECT_EQ(r.err,
            "print-gate: " + in +
                ":3: 2 fields, expected 3 (skipped: MALFORMED_ROW in " +
                Path("REJECTS.csv") + ")\n" + "print-gate: " + in +
                ":4: character after the closing quote of field 2 (skipped: "
                "MALFORMED_ROW in " +
                Path("REJECTS.csv") + ")\n" + "print-gate: " + in +
                ":6: document_id is empty (skipped: MALFORMED_ROW in " +
                Path("REJECTS.csv") + ")\n");
  EXPECT_NE(r.out.find("\nmalformed_rows: 3\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\ndocuments: 2\n"), std::string::npos) << r.out;
}

// 30 documents, alternately of C-1001 (consented) and C-2002 (not).
std::vector<Row> ThirtyRows() {
  std::vector<Row> rows;
  for (int i = 0; i < 30; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "D-%04d", i);
    rows.push_back({id, i % 2 == 0 ? "C-1001" : "C-2002", {kHikari}});
  }
  return rows;
}

std::string ExpectedOut(const std::vector<Row>& rows) {
  std::string out = "document_id,customer_id,insert_codes\n";
  for (const Row& r : rows) {
    out += r.document_id + "," + r.customer_id + "," +
           (r.customer_id == "C-1001" ? kHikari : "") + "\n";
  }
  return out;
}

std::string ExpectedRejects(const std::vector<Row>& rows) {
  std::string out = "document_id,customer_id,insert_code,reasons\n";
  for (const Row& r : rows) {
    if (r.customer_id != "C-1001") {
      out +=
          r.document_id + "," + r.customer_id + "," + kHikari + ",NO_CONSENT\n";
    }
  }
  return out;
}

TEST_F(PrintGateTest, KilledRunIsResumedByTheSameCommand) {
  SetUpCampaignsAndConsents();
  const std::vector<Row> rows = ThirtyRows();
  WriteFile(work_ / "IN.csv", ManifestText(rows));
  std::vector<std::string> args = DecideArgs();
  args.insert(args.end(), {"--batch-size", "2", "--in-flight", "3"});
  // Killed (SIGKILL, by its test hook) once three batches were answered.
  std::vector<std::string> killed = args;
  killed.insert(killed.end(), {"--kill-after-batches", "3"});
  const ChildResult first = PrintGate(killed);
  EXPECT_EQ(first.exit_code, -1) << first.err;  // died by a signal
  EXPECT_FALSE(fs::exists(work_ / "OUT.csv"));
  EXPECT_FALSE(fs::exists(work_ / "REJECTS.csv"));
  EXPECT_FALSE(TempFiles(work_).empty());  // left behind by the kill

  const ChildResult second = PrintGate(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(ReadFile(work_ / "OUT.csv"), ExpectedOut(rows));
  EXPECT_EQ(ReadFile(work_ / "REJECTS.csv"), ExpectedRejects(rows));
  EXPECT_TRUE(TempFiles(work_).empty());
  EXPECT_NE(second.out.find("\nreplayed_batches: "), std::string::npos)
      << second.out;
  EXPECT_NE(second.out.find("\nbatches: 15\ndocuments: 30\ndecisions: 30\n"),
            std::string::npos)
      << second.out;
  EXPECT_EQ(Lines(second.out).back(),
            "run_digest: " + ExpectedDigest(rows, ExpectedRejects(rows)));

  // Each document was decided once: 15 batch entries, 30 documents in them.
  int batch_entries = 0;
  for (const v1::AuditEntry& e : QueryAudit()) {
    batch_entries += e.kind() == "print.batch";
  }
  EXPECT_EQ(batch_entries, 15);
  std::vector<std::string> docs = BatchedDocuments({"C-1001", "C-2002"});
  std::sort(docs.begin(), docs.end());
  std::vector<std::string> want;
  for (const Row& r : rows) want.push_back(r.document_id);
  EXPECT_EQ(docs, want);
  EXPECT_TRUE(Verify().ok());
}

TEST_F(PrintGateTest, ResumingWithAChangedManifestFails) {
  SetUpCampaignsAndConsents();
  std::vector<Row> rows = ThirtyRows();
  WriteFile(work_ / "IN.csv", ManifestText(rows));
  std::vector<std::string> args = DecideArgs();
  args.insert(args.end(), {"--batch-size", "2", "--in-flight", "1"});
  std::vector<std::string> killed = args;
  killed.insert(killed.end(), {"--kill-after-batches", "2"});
  ASSERT_NO_FATAL_FAILURE(Expect(-1, killed));
  rows[1].document_id = "D-9999";  // in batch 0, already decided
  WriteFile(work_ / "IN.csv", ManifestText(rows));
  const ChildResult r = PrintGate(args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("print-gate: " + Path("IN.csv") +
                            ":3: the manifest changed since the run began",
                        0),
            0u)
      << r.err;
  EXPECT_FALSE(fs::exists(work_ / "OUT.csv"));
  EXPECT_TRUE(TempFiles(work_).empty());
}

TEST_F(PrintGateTest, CompletedRunIsRefusedAndItsOutputsKept) {
  SetUpCampaignsAndConsents();
  WriteFile(work_ / "IN.csv", kManifest);
  ASSERT_NO_FATAL_FAILURE(Expect(0, DecideArgs()));
  // Marked, to see that the second run does not touch them.
  WriteFile(work_ / "OUT.csv", std::string(kOut) + "marker\n");
  WriteFile(work_ / "REJECTS.csv", std::string(kRejects) + "marker\n");
  const ChildResult r = PrintGate(DecideArgs());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("print-gate: FAILED_PRECONDITION: ", 0), 0u) << r.err;
  EXPECT_EQ(ReadFile(work_ / "OUT.csv"), std::string(kOut) + "marker\n");
  EXPECT_EQ(ReadFile(work_ / "REJECTS.csv"),
            std::string(kRejects) + "marker\n");
  EXPECT_TRUE(TempFiles(work_).empty());
}

// print-gate died after the daemon completed the run but before it renamed
// its outputs: the same command rebuilds them from the daemon's record, and
// nothing is decided again.
TEST_F(PrintGateTest, CompletedRunWhoseOutputsWereLostIsRebuilt) {
  SetUpCampaignsAndConsents();
  WriteFile(work_ / "IN.csv", kManifest);
  ASSERT_NO_FATAL_FAILURE(Expect(0, DecideArgs()));
  const std::string out = ReadFile(work_ / "OUT.csv");
  const std::string rejects = ReadFile(work_ / "REJECTS.csv");
  const size_t entries = QueryAudit().size();
  fs::remove(work_ / "OUT.csv");
  fs::remove(work_ / "REJECTS.csv");
  const ChildResult r = PrintGate(DecideArgs());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("was completed earlier"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("run_digest: "), std::string::npos);
  EXPECT_EQ(ReadFile(work_ / "OUT.csv"), out);
  EXPECT_EQ(ReadFile(work_ / "REJECTS.csv"), rejects);
  EXPECT_EQ(QueryAudit().size(), entries);
  EXPECT_TRUE(TempFiles(work_).empty());
  // A manifest with more documents than the completed run: refused.
  fs::remove(work_ / "OUT.csv");
  WriteFile(work_ / "IN.csv",
            std::string(kManifest) + "D-9999,C-1001,hikari-leaflet\n");
  const ChildResult more = PrintGate(DecideArgs());
  EXPECT_EQ(more.exit_code, 2);
  EXPECT_NE(more.err.find("the manifest has more"), std::string::npos)
      << more.err;
  EXPECT_FALSE(fs::exists(work_ / "OUT.csv"));
}

TEST_F(PrintGateTest, DuplicateDocumentIdIsRefusedNamingItsLine) {
  SetUpCampaignsAndConsents();
  WriteFile(work_ / "IN.csv",
            "document_id,customer_id,insert_codes\n"
            "D-0001,C-1001,hikari-leaflet\n"
            "D-0002,C-1001,hikari-leaflet\n"
            "D-0003,C-1001,hikari-leaflet\n"
            "D-0001,C-2002,hikari-leaflet\n");  // line 5: batch 1, item 1
  std::vector<std::string> args = DecideArgs();
  args.insert(args.end(), {"--batch-size", "2"});
  const ChildResult r = PrintGate(args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind(
                "print-gate: " + Path("IN.csv") + ":5: INVALID_ARGUMENT: ", 0),
            0u)
      << r.err;
  EXPECT_FALSE(fs::exists(work_ / "OUT.csv"));
  EXPECT_TRUE(TempFiles(work_).empty());
}

TEST_F(PrintGateTest, WithdrawalAfterTheRunPutsTheDocumentOnThePullList) {
  SetUpCampaignsAndConsents();
  WriteFile(work_ / "IN.csv", kManifest);
  ASSERT_NO_FATAL_FAILURE(Expect(0, DecideArgs()));
  Withdraw("C-1001", v1::PURPOSE_AD_INSERT);
  const ChildResult r =
      PrintGate({"pull-list", "--run-id", kRun, "--out", Path("PULL.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(work_ / "PULL.csv"),
            "document_id,customer_id,insert_code,reasons\n"
            "D-0001,C-1001,hikari-leaflet,CONSENT_WITHDRAWN\n");
  EXPECT_EQ(r.out, std::string("print_run_id: ") + kRun +
                       "\ndocuments: 1\nleaflets: 1\nout: " + Path("PULL.csv") +
                       "\n");
}

TEST_F(PrintGateTest, PullListOfAnUndisturbedRunIsEmpty) {
  SetUpCampaignsAndConsents();
  WriteFile(work_ / "IN.csv", kManifest);
  ASSERT_NO_FATAL_FAILURE(Expect(0, DecideArgs()));
  const ChildResult r =
      PrintGate({"pull-list", "--run-id", kRun, "--out", Path("PULL.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(work_ / "PULL.csv"),
            "document_id,customer_id,insert_code,reasons\n");
  EXPECT_NE(r.out.find("\ndocuments: 0\n"), std::string::npos) << r.out;
}

TEST_F(PrintGateTest, ReconcileWithAViolationExitsOne) {
  SetUpCampaignsAndConsents();
  WriteFile(work_ / "IN.csv", kManifest);
  ASSERT_NO_FATAL_FAILURE(Expect(0, DecideArgs()));
  WriteFile(work_ / "INS.csv",
            "document_id,inserted_codes,status\n"
            "D-0001,hikari-leaflet,OK\n"
            "D-0002,hikari-leaflet,OK\n"  // not allowed: a violation
            "D-0004,,SPOILED\n"
            "D-7777,,OK\n");  // never decided; D-0003 is missing
  const ChildResult r = PrintGate(
      {"reconcile", "--run-id", kRun, "--inserted", Path("INS.csv"),
       "--manifest", Path("IN.csv"), "--spoiled-out", Path("REPRINTS.csv")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err, "");
  const std::vector<std::string> lines = Lines(r.out);
  const std::vector<std::string> want = {
      std::string("print_run_id: ") + kRun,
      "pieces: 4",
      "violations: 1",
      "  D-0002 hikari-leaflet",
      "not_inserted: 0",
      "spoiled: 1",
      "  D-0004",
      "unknown_documents: 1",
      "  D-7777",
      "missing_pieces: 1",
  };
  ASSERT_GE(lines.size(), want.size() + 2) << r.out;
  EXPECT_EQ(std::vector<std::string>(lines.begin(), lines.begin() + 10), want);
  EXPECT_EQ(lines[10].rfind("audit_seq: ", 0), 0u);
  EXPECT_EQ(lines[11], "spoiled_out: " + Path("REPRINTS.csv"));
  EXPECT_EQ(ReadFile(work_ / "REPRINTS.csv"),
            "document_id,customer_id,insert_codes\n"
            "D-0004,\"C \"\"4\"\"\",hikari-leaflet\n");
  int violations = 0;
  for (const v1::AuditEntry& e : QueryAudit()) {
    violations += e.kind() == "print.violation";
  }
  EXPECT_EQ(violations, 1);
}

TEST_F(PrintGateTest, ReconcileWithoutAViolationExitsZero) {
  SetUpCampaignsAndConsents();
  WriteFile(work_ / "IN.csv", kManifest);
  ASSERT_NO_FATAL_FAILURE(Expect(0, DecideArgs()));
  WriteFile(work_ / "INS.csv",
            "document_id,inserted_codes,status\n"
            "D-0001,,OK\n"  // allowed and not inserted: no violation
            "D-0002,,OK\n"
            "D-0003,,OK\n"
            "D-0004,,OK\n");
  const ChildResult r =
      PrintGate({"reconcile", "--run-id", kRun, "--inserted", Path("INS.csv")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\nviolations: 0\nnot_inserted: 1\n  D-0001 "
                       "hikari-leaflet\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nmissing_pieces: 0\n"), std::string::npos) << r.out;
}

TEST_F(PrintGateTest, ReconcileOfAnUnknownRunFails) {
  WriteFile(work_ / "INS.csv", "document_id,inserted_codes,status\n");
  const ChildResult r = PrintGate(
      {"reconcile", "--run-id", "never-run", "--inserted", Path("INS.csv")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("print-gate: NOT_FOUND: ", 0), 0u) << r.err;
}

TEST_F(PrintGateTest, RedecideBlocksASpoiledPieceWhoseConsentWasWithdrawn) {
  SetUpCampaignsAndConsents();
  WriteFile(work_ / "IN.csv", kManifest);
  ASSERT_NO_FATAL_FAILURE(Expect(0, DecideArgs()));
  WriteFile(work_ / "INS.csv",
            "document_id,inserted_codes,status\n"
            "D-0001,hikari-leaflet,SPOILED\n"
            "D-0002,,OK\n"
            "D-0003,,OK\n"
            "D-0004,,OK\n");
  ASSERT_NO_FATAL_FAILURE(Expect(
      0,
      {"reconcile", "--run-id", kRun, "--inserted", Path("INS.csv"),
       "--manifest", Path("OUT.csv"), "--spoiled-out", Path("REPRINTS.csv")}));
  // From OUT.csv: the codes first allowed.
  const std::string reprints =
      "document_id,customer_id,insert_codes\nD-0001,C-1001,hikari-leaflet\n";
  ASSERT_EQ(ReadFile(work_ / "REPRINTS.csv"), reprints);
  Withdraw("C-1001", v1::PURPOSE_AD_INSERT);
  const ChildResult r = PrintGate(
      {"redecide", "--run-id", kRun, "--documents", Path("REPRINTS.csv"),
       "--out", Path("OUT2.csv"), "--rejects", Path("REJECTS2.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(work_ / "OUT2.csv"),
            "document_id,customer_id,insert_codes\nD-0001,C-1001,\n");
  EXPECT_EQ(ReadFile(work_ / "REJECTS2.csv"),
            "document_id,customer_id,insert_code,reasons\n"
            "D-0001,C-1001,hikari-leaflet,CONSENT_WITHDRAWN\n");
  // The derived run id: the first run's, ".reprint-", and 8 hex digits of
  // the documents file's SHA-256.
  const std::string derived =
      std::string(kRun) + ".reprint-" + ToHex(Sha256(reprints)).substr(0, 8);
  EXPECT_EQ(Lines(r.out).front(), "print_run_id: " + derived);
  EXPECT_NE(r.out.find(std::string("\nreprint_of: ") + kRun + "\n"),
            std::string::npos);
  // The same command again: that reprint run is complete.
  const ChildResult again = PrintGate(
      {"redecide", "--run-id", kRun, "--documents", Path("REPRINTS.csv"),
       "--out", Path("OUT2.csv"), "--rejects", Path("REJECTS2.csv")});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(again.err.rfind("print-gate: FAILED_PRECONDITION: ", 0), 0u)
      << again.err;
}

TEST_F(PrintGateTest, ProgressBarOnATerminal) {
  SetUpCampaignsAndConsents();
  WriteFile(work_ / "IN.csv", ManifestText(ThirtyRows()));
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  std::vector<std::string> args = DecideArgs();
  args.insert(args.end(), {"--batch-size", "5"});
  args = Argv(args);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(slave, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ASSERT_GT(pid, 0);
  ::close(slave);
  std::string err;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child closed the terminal
    err.append(buf, static_cast<size_t>(n));
  }
  ::close(master);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << err;
  EXPECT_NE(err.find("\r" + std::string(kRun) + " ["), std::string::npos)
      << err;
  EXPECT_NE(err.find("100% 30/30 documents"), std::string::npos) << err;
}

}  // namespace
}  // namespace gatekeeper
