// The event log (daemon/ops/event_log.h) against the real daemon: after a
// burst of mixed writes it holds every audit entry once, in seq order, with
// the documented fields; after kill -9, a directory gone or read-only for a
// while and a rotation (SIGUSR1) nothing is lost or repeated; a file that is
// not an event log keeps the daemon from starting.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "daemon/ops/event_json.h"
#include "tests/testing/daemon_fixture.h"
#include "tests/testing/http_fixture.h"

namespace gatekeeper::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// The event log's fields as README.md documents them ("The event log"): the
// backquoted names of the sentence of the table that begins `prefix` (up to
// its full stop), e.g. "A decision has".
std::set<std::string> ReadmeFields(const std::string& prefix) {
  std::ifstream in(std::string(GATEKEEPER_SOURCE_DIR) + "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  const size_t table = all.find("| the payload's fields |");
  std::set<std::string> names;
  if (table == std::string::npos) return names;
  const size_t from = all.find(prefix, table);
  if (from == std::string::npos) return names;
  const size_t end = all.find(". ", from);
  const std::string sentence = all.substr(from, end - from);
  for (size_t at = sentence.find('`'); at != std::string::npos;) {
    const size_t close = sentence.find('`', at + 1);
    if (close == std::string::npos) break;
    names.insert(sentence.substr(at + 1, close - at - 1));
    at = sentence.find('`', close + 1);
  }
  return names;
}

std::vector<Json> ReadLines(const fs::path& path) {
  std::vector<Json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    out.push_back(Json::parse(line, nullptr, /*allow_exceptions=*/false));
  }
  return out;
}

class EventLogTest : public HttpDaemonTest {
 protected:
  void SetUp() override {
    fs::create_directories(log_dir());
    StartHttpDaemon(Options());
    ApprovedCampaign("leaflet-fibre", v1::CAMPAIGN_KIND_INSERT);
    ApprovedCampaign("call-fibre", v1::CAMPAIGN_KIND_CALL);
  }

  fs::path log_dir() const { return dir_.path() / "log"; }
  fs::path log_path() const { return log_dir() / "events.jsonl"; }
  DaemonOptions Options() const {
    DaemonOptions o;
    o.extra_yaml = "event_log:\n  path: \"" + log_path().string() + "\"\n";
    return o;
  }

  // A mix of every kind of write, from four threads at once.
  void Burst(int per_thread, const std::string& tag) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          const std::string customer =
              "C-" + tag + "-" + std::to_string(t) + "-" + std::to_string(i);
          switch ((t + i) % 4) {
            case 0:
              EXPECT_TRUE(Record(AdConsent(customer)).ok());
              break;
            case 1:
              CheckInsert(customer, "leaflet-fibre");
              break;
            case 2:
              CheckDial(kOtherPhone, "call-fibre", customer);
              break;
            case 3:
              EXPECT_TRUE(Record(TmConsent(customer)).ok());
              break;
          }
        }
      });
    }
    for (auto& th : threads) th.join();
  }

  // Waits until the file holds as many lines as the log has entries.
  std::vector<Json> AwaitLines(const std::vector<fs::path>& files,
                               size_t want) {
    std::vector<Json> lines;
    for (int i = 0; i < 200; ++i) {
      lines.clear();
      for (const auto& f : files) {
        auto more = ReadLines(f);
        lines.insert(lines.end(), more.begin(), more.end());
      }
      if (lines.size() >= want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return lines;
  }

  // The entry's own fields (the README's table) and a decision's payload
  // fields (its sentence "A decision has ...").
  const std::set<std::string> kEntryFields = {"ts", "seq", "kind", "actor",
                                              "customer_id"};
  const std::set<std::string> decision_fields_ = ReadmeFields("A decision has");

  // The lines are the audit log: the same entries, once each, in order.
  void ExpectSameAsTheAuditLog(const std::vector<fs::path>& files) {
    ASSERT_GE(decision_fields_.size(), 10u) << "README's decision fields";
    const std::vector<v1::AuditEntry> entries = QueryAudit();
    ASSERT_FALSE(entries.empty());
    const std::vector<Json> lines = AwaitLines(files, entries.size());
    ASSERT_EQ(lines.size(), entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const Json& l = lines[i];
      const v1::AuditEntry& e = entries[i];
      ASSERT_TRUE(l.is_object()) << "line " << i;
      EXPECT_EQ(l.value("seq", uint64_t{0}), e.seq()) << l.dump();
      EXPECT_EQ(l.value("kind", ""), e.kind()) << l.dump();
      EXPECT_EQ(l.value("actor", ""), e.actor()) << l.dump();
      EXPECT_EQ(l.value("ts", ""),
                FormatRfc3339WithOffset(ToMicros(e.at()), 9 * 3600))
          << l.dump();
      if (!e.customer_id().empty()) {
        EXPECT_EQ(l.value("customer_id", ""), e.customer_id()) << l.dump();
      }
      const std::string text = l.dump();
      EXPECT_EQ(text.find("phone_hmac"), std::string::npos) << text;
      EXPECT_EQ(text.find("1234-5678"), std::string::npos) << text;
      EXPECT_EQ(text.find("12345678"), std::string::npos) << text;
      EXPECT_EQ(text.find("87654321"), std::string::npos) << text;
      if (e.kind().rfind("decision.", 0) == 0) {
        for (const char* key : {"decision_id", "purpose", "verdict", "reasons",
                                "campaign_id", "company_id", "latency_us"}) {
          EXPECT_TRUE(l.contains(key)) << key << " in " << text;
        }
        // Nothing the README does not name.
        for (const auto& [key, value] : l.items()) {
          EXPECT_TRUE(kEntryFields.count(key) + decision_fields_.count(key) > 0)
              << "undocumented field " << key << " in " << text;
        }
      }
      if (e.kind() == "decision.dial") {
        EXPECT_TRUE(l.contains("agent_id")) << text;
        EXPECT_TRUE(l.contains("phone_masked")) << text;
      }
    }
  }
};

TEST_F(EventLogTest, HoldsEveryAuditEntryInOrderAfterABurstOfMixedWrites) {
  Burst(40, "a");
  // An ALLOWed dial: its disclosure and provision record too.
  ASSERT_EQ(CheckDial(kPhone, "call-fibre").decision().verdict(),
            v1::VERDICT_ALLOW);
  ExpectSameAsTheAuditLog({log_path()});
}

TEST_F(EventLogTest, AKillNineLosesNothingAndRepeatsNothing) {
  Burst(30, "a");
  DropClients();
  daemon_->Kill();  // some entries may not be in the file yet
  StartDaemon(Options());
  Burst(10, "b");
  ExpectSameAsTheAuditLog({log_path()});
}

TEST_F(EventLogTest, CatchesUpAfterItsDirectoryWasGoneForAWhile) {
  Burst(5, "a");
  AwaitLines({log_path()}, QueryAudit().size());
  const fs::path away = dir_.path() / "log-away";
  fs::rename(log_dir(), away);
  Burst(10, "b");  // decided while nothing can be written
  for (int i = 0;
       i < 100 && daemon_->Stderr().find("event log") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(daemon_->Stderr().find("cannot open"), std::string::npos)
      << daemon_->Stderr();
  // The lines it could not write are counted for Prometheus.
  const std::string metrics = Get("/metrics").body;
  const std::string name = "\ngatekeeper_event_log_failed_lines_total ";
  const size_t at = metrics.find(name);
  ASSERT_NE(at, std::string::npos) << metrics;
  EXPECT_GE(std::stoull(metrics.substr(at + name.size())), 1u) << metrics;
  fs::rename(away, log_dir());
  ExpectSameAsTheAuditLog({log_path()});
  EXPECT_NE(daemon_->Stderr().find("writing again"), std::string::npos)
      << daemon_->Stderr();
}

// Read-only as a read-only mount would make them: the directory and the
// file immutable (chattr +i; even root cannot write), so that the daemon's
// open file refuses its writes (EPERM) for a while.
TEST_F(EventLogTest, CatchesUpAfterItsDirectoryWasReadOnlyForAWhile) {
  if (::geteuid() != 0) GTEST_SKIP() << "chattr +i needs root";
  Burst(5, "a");
  AwaitLines({log_path()}, QueryAudit().size());
  const std::string paths = log_dir().string() + "' '" + log_path().string();
  ASSERT_EQ(std::system(("chattr +i '" + paths + "'").c_str()), 0);
  struct Writable {
    std::string paths;
    ~Writable() { (void)std::system(("chattr -i '" + paths + "'").c_str()); }
  } writable{paths};
  Burst(10, "b");  // decided while nothing can be written
  for (int i = 0;
       i < 100 && daemon_->Stderr().find("cannot write") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(daemon_->Stderr().find("cannot write"), std::string::npos)
      << daemon_->Stderr();
  const std::string metrics = Get("/metrics").body;
  EXPECT_NE(metrics.find("\ngatekeeper_event_log_failed_lines_total "),
            std::string::npos);
  EXPECT_EQ(std::system(("chattr -i '" + paths + "'").c_str()), 0);
  ExpectSameAsTheAuditLog({log_path()});
  EXPECT_NE(daemon_->Stderr().find("writing again"), std::string::npos)
      << daemon_->Stderr();
}

TEST_F(EventLogTest, Sigusr1ReopensTheFileAfterARotation) {
  Burst(5, "a");
  AwaitLines({log_path()}, QueryAudit().size());
  const fs::path rotated = log_dir() / "events.jsonl.1";
  fs::rename(log_path(), rotated);
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  Burst(5, "b");
  ExpectSameAsTheAuditLog({rotated, log_path()});
  EXPECT_FALSE(ReadLines(log_path()).empty());
}

TEST_F(EventLogTest, ALineCutOffByACrashIsCutAwayOnStart) {
  Burst(5, "a");
  AwaitLines({log_path()}, QueryAudit().size());
  DropClients();
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  {
    std::ofstream out(log_path(), std::ios::app);
    out << R"({"ts":"2026-12-01T09:00:00+09:00","seq":)";  // no LF
  }
  StartDaemon(Options());
  Burst(5, "b");
  ExpectSameAsTheAuditLog({log_path()});  // every line parses
}

TEST_F(EventLogTest, AFileThatIsNotAnEventLogKeepsTheDaemonFromStarting) {
  DropClients();
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  {
    std::ofstream out(log_path(), std::ios::trunc);
    out << "Dec  1 09:00:00 host sshd[1]: not an event log\n";
  }
  DaemonProcess other(dir_.path() / "var", Options());
  EXPECT_FALSE(other.Start());
  EXPECT_NE(other.Stderr().find("event_log.path: " + log_path().string() +
                                " is not an event log"),
            std::string::npos)
      << other.Stderr();
}

}  // namespace
}  // namespace gatekeeper::testing
