// Config reload (SIGHUP) through the real gatekeeperd: a good file is logged
// with its SHA-256 and governs the next decision; a bad file or a change of a
// restart-only key changes nothing and says why; under a stream of dials,
// every decision sees one config whole, never half of each.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "gatekeeper/v1/audit_payload.pb.h"
#include "tests/testing/daemon_fixture.h"

namespace gatekeeper {
namespace {

using testing::DaemonOptions;
using testing::kPhone;

constexpr char kSellerA[] = "ひかりネット株式会社";
constexpr char kSellerB[] = "ひかりネットワークス株式会社";

class ReloadTest : public testing::DaemonTest {
 protected:
  void SetUp() override {
    DaemonOptions o;
    o.extra_yaml = "solicitation_statement: \"A: {goods_type}のご案内\"\n";
    StartDaemon(o);
    original_ = Read(daemon_->config_path());
  }

  static std::string Read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void Write(const std::string& text) {
    std::ofstream out(daemon_->config_path(),
                      std::ios::binary | std::ios::trunc);
    out << text;
  }
  static std::string Replace(std::string text, const std::string& from,
                             const std::string& to) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  }
  // The original config with seller B and statement B.
  std::string ConfigB() const {
    return Replace(Replace(original_, kSellerA, kSellerB), "\"A: ", "\"B: ");
  }

  static size_t Count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + 1)) {
      ++n;
    }
    return n;
  }
  // Sends SIGHUP and waits for the daemon's line about it: true when it says
  // the config was reloaded, false when it says it was refused.
  bool Hup() {
    const std::string before = daemon_->Stderr();
    const size_t done = Count(before, "config reloaded from");
    const size_t refused = Count(before, "config reload refused");
    EXPECT_EQ(::kill(daemon_->pid(), SIGHUP), 0);
    for (int i = 0; i < 1000; ++i) {
      const std::string err = daemon_->Stderr();
      if (Count(err, "config reloaded from") > done) return true;
      if (Count(err, "config reload refused") > refused) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "no word on the reload: " << daemon_->Stderr();
    return false;
  }

  std::vector<v1::ConfigReloadedPayload> Reloads() {
    std::vector<v1::ConfigReloadedPayload> out;
    for (const v1::AuditEntry& e : QueryAudit()) {
      if (e.kind() != "config.reloaded") continue;
      EXPECT_EQ(e.actor(), "gatekeeperd");
      v1::ConfigReloadedPayload p;
      EXPECT_TRUE(
          google::protobuf::util::JsonStringToMessage(e.payload_json(), &p)
              .ok())
          << e.payload_json();
      out.push_back(p);
    }
    return out;
  }

  void DialReady() {
    ASSERT_TRUE(Record(TmConsent()).ok());
    ASSERT_TRUE(CreateCampaign("k1", v1::CAMPAIGN_KIND_CALL).ok());
    ASSERT_TRUE(Approve("k1").ok());
  }

  std::string original_;
};

TEST_F(ReloadTest, AGoodFileIsLoggedWithItsHashAndGovernsTheNextDial) {
  DialReady();
  v1::CheckDialResponse before = CheckDial(kPhone, "k1");
  EXPECT_EQ(before.disclosure().seller_name(), kSellerA);
  EXPECT_EQ(before.disclosure().solicitation_statement(),
            "A: 光回線サービスのご案内");

  const std::string b =
      ConfigB() + "frequency_caps: {per_number_per_campaign_per_day: 1}\n";
  Write(b);
  ASSERT_TRUE(Hup()) << daemon_->Stderr();
  const std::string err = daemon_->Stderr();
  EXPECT_NE(err.find("changed companies, solicitation_statement, "
                     "frequency_caps"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(ToHex(Sha256(b))), std::string::npos) << err;

  std::vector<v1::ConfigReloadedPayload> reloads = Reloads();
  ASSERT_EQ(reloads.size(), 1u);
  EXPECT_EQ(reloads[0].sha256(), ToHex(Sha256(b)));
  EXPECT_EQ(reloads[0].previous_sha256(), ToHex(Sha256(original_)));
  EXPECT_EQ(reloads[0].path(), daemon_->config_path().string());
  EXPECT_EQ(reloads[0].generation(), 2u);
  EXPECT_EQ(std::vector<std::string>(reloads[0].changed().begin(),
                                     reloads[0].changed().end()),
            (std::vector<std::string>{"companies", "solicitation_statement",
                                      "frequency_caps"}));

  // The new seller and statement; the new cap counts the dial made before.
  v1::CheckDialResponse after = CheckDial(kPhone, "k1");
  EXPECT_EQ(ReasonsOf(after.decision()),
            testing::ReasonList{v1::REASON_FREQUENCY_CAP});
  Write(ConfigB());
  ASSERT_TRUE(Hup());
  after = CheckDial(kPhone, "k1");
  ASSERT_EQ(after.decision().verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(after.disclosure().seller_name(), kSellerB);
  EXPECT_EQ(after.disclosure().solicitation_statement(),
            "B: 光回線サービスのご案内");
  EXPECT_TRUE(Verify().ok());
}

TEST_F(ReloadTest, ABadFileChangesNothingAndSaysWhy) {
  DialReady();
  Write(Replace(ConfigB(), "calling_hours: {start: \"00:00\"",
                "calling_hours: {start: \"25:00\""));
  EXPECT_FALSE(Hup());
  EXPECT_NE(daemon_->Stderr().find("calling_hours.start"), std::string::npos)
      << daemon_->Stderr();
  Write("companies: [");  // not even YAML
  EXPECT_FALSE(Hup());
  std::filesystem::remove(daemon_->config_path());
  EXPECT_FALSE(Hup());
  EXPECT_NE(daemon_->Stderr().find("cannot read file"), std::string::npos)
      << daemon_->Stderr();

  EXPECT_TRUE(Reloads().empty());
  v1::CheckDialResponse r = CheckDial(kPhone, "k1");
  ASSERT_EQ(r.decision().verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(r.disclosure().seller_name(), kSellerA);
  EXPECT_EQ(HealthCheck(), std::string("\x08\x01", 2));
}

TEST_F(ReloadTest, RestartOnlyKeysAreRefusedByName) {
  Write(Replace(original_, "listen: \"127.0.0.1:0\"",
                "listen: \"127.0.0.1:50999\"") +
        "max_batch: 64\n");
  EXPECT_FALSE(Hup());
  EXPECT_NE(daemon_->Stderr().find("listen, max_batch cannot change while the "
                                   "daemon runs; restart it to apply them"),
            std::string::npos)
      << daemon_->Stderr();
  Write(Replace(original_, daemon_->data_dir().string(), "/elsewhere"));
  EXPECT_FALSE(Hup());
  EXPECT_NE(daemon_->Stderr().find("data_dir cannot change"), std::string::npos)
      << daemon_->Stderr();
  EXPECT_TRUE(Reloads().empty());
  // The daemon still answers where it listened.
  EXPECT_EQ(CheckInsert("C-1001", "none").verdict(), v1::VERDICT_BLOCK);
}

// A reload or log-rotation signal sent the moment the daemon listens (as a
// deploy script might) is handled, never the default action that ends the
// process: both signals are caught before the port opens.
TEST_F(ReloadTest, ASignalAsSoonAsTheDaemonListensIsHandled) {
  for (int i = 0; i < 30; ++i) {
    Restart();
    ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
    ASSERT_TRUE(Hup()) << i << ": " << daemon_->Stderr();
    ASSERT_EQ(CheckInsert("C-1001", "none").verdict(), v1::VERDICT_BLOCK) << i;
  }
}

// Dialers run while the config flips between A and B twenty times: every
// answer is whole (seller and statement from the same file), none fails,
// both are seen, and each reload is in the log with its file's hash.
TEST_F(ReloadTest, UnderLoadEveryDecisionSeesOneConfigWhole) {
  DialReady();
  const std::string a = original_, b = ConfigB();
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, torn{0}, seen_a{0}, seen_b{0};
  std::vector<std::thread> dialers;
  for (int t = 0; t < 4; ++t) {
    dialers.emplace_back([&] {
      auto stub = v1::DialGate::NewStub(daemon_->Channel());
      while (!stop.load()) {
        v1::CheckDialRequest req;
        req.set_phone_number(kPhone);
        req.set_campaign_id("k1");
        req.set_agent_id("agent-7");
        v1::CheckDialResponse r;
        grpc::ClientContext ctx;
        if (!stub->CheckDial(&ctx, req, &r).ok() ||
            r.decision().verdict() != v1::VERDICT_ALLOW) {
          failures.fetch_add(1);
          continue;
        }
        const bool seller_b = r.disclosure().seller_name() == kSellerB;
        const bool statement_b =
            r.disclosure().solicitation_statement().rfind("B: ", 0) == 0;
        if (seller_b != statement_b) torn.fetch_add(1);
        (seller_b ? seen_b : seen_a).fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    Write(i % 2 == 0 ? b : a);
    EXPECT_TRUE(Hup()) << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop.store(true);
  for (auto& t : dialers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(seen_a.load(), 0);
  EXPECT_GT(seen_b.load(), 0);

  std::vector<v1::ConfigReloadedPayload> reloads = Reloads();
  ASSERT_EQ(reloads.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(reloads[i].sha256(), ToHex(Sha256(i % 2 == 0 ? b : a))) << i;
    EXPECT_EQ(reloads[i].generation(), static_cast<uint64_t>(i + 2));
  }
  EXPECT_TRUE(Verify().ok());
}

}  // namespace
}  // namespace gatekeeper
