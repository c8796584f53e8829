// Backups end to end: a copy taken through AdminService.Backup while
// writers run verifies offline (gatekeeperd --verify-data-dir), restores
// into a working daemon, and a copy altered afterwards is refused with its
// first problem named.
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "gatekeeper/v1/admin_service.grpc.pb.h"
#include "tests/testing/daemon_fixture.h"

namespace gatekeeper::testing {
namespace {

class BackupTest : public DaemonTest {
 protected:
  // Streams a backup into `path`; returns the call's status.
  grpc::Status TakeBackup(const std::filesystem::path& path,
                          v1::BackupSummary* summary,
                          std::string requested_by = "nightly-job") {
    auto admin = v1::AdminService::NewStub(daemon_->Channel());
    v1::BackupRequest req;
    req.set_requested_by(std::move(requested_by));
    grpc::ClientContext ctx;
    auto reader = admin->Backup(&ctx, req);
    std::ofstream out(path, std::ios::binary);
    v1::BackupChunk chunk;
    while (reader->Read(&chunk)) {
      out << chunk.data();
      if (chunk.has_summary()) *summary = chunk.summary();
    }
    return reader->Finish();
  }

  static int64_t Query(const std::filesystem::path& db_path,
                       const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
  }

  static void Exec(const std::filesystem::path& db_path,
                   const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
};

TEST_F(BackupTest, ACopyTakenWhileWritesRunVerifiesAndRestores) {
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string c =
            "C-" + std::to_string(t) + "-" + std::to_string(i);
        if (Record(AdConsent(c)).ok()) ++written;
        CheckInsert(c, "k1");
      }
    });
  }
  while (written.load() < 50)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const std::filesystem::path copy = dir_.path() / "backup.db";
  v1::BackupSummary summary;
  grpc::Status s = TakeBackup(copy, &summary);
  const int during = written.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (auto& w : writers) w.join();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(static_cast<uint64_t>(std::filesystem::file_size(copy)),
            summary.bytes());
  EXPECT_GT(written.load(), during) << "the writers went on meanwhile";

  RunResult r = RunGatekeeperd({"--verify-data-dir", copy.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("OK: integrity_check ok"), std::string::npos) << r.out;
  // The copy holds its own entry and at least what its checkpoint signed.
  EXPECT_EQ(
      Query(copy, "SELECT count(*) FROM audit WHERE kind = 'admin.backup'"), 1);
  EXPECT_GE(Query(copy, "SELECT max(seq) FROM audit"),
            static_cast<int64_t>(summary.checkpoint().size()));
  EXPECT_GE(summary.checkpoint().size(), summary.audit_seq());
  // The live directory verifies too.
  r = RunGatekeeperd({"--verify-data-dir", daemon_->data_dir().string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  // Restore: the copy and the two keys make a working data_dir.
  const std::filesystem::path restored = dir_.path() / "restored" / "var";
  std::filesystem::create_directories(restored);
  std::filesystem::copy_file(copy, restored / "gatekeeper.db");
  for (const char* key : {"pseudonym.key", "audit_signing.key"}) {
    std::filesystem::copy_file(daemon_->data_dir() / key, restored / key);
  }
  DaemonProcess second(restored);
  ASSERT_TRUE(second.Start()) << second.error();
  auto audit = v1::AuditService::NewStub(second.Channel());
  v1::VerifyAuditResponse v;
  ASSERT_TRUE(
      audit->VerifyAudit(Ctx().get(), v1::VerifyAuditRequest(), &v).ok());
  EXPECT_TRUE(v.ok()) << v.detail();
  auto consents = v1::ConsentService::NewStub(second.Channel());
  v1::ListConsentsRequest lr;
  lr.set_customer_id("C-0-0");
  v1::ListConsentsResponse lresp;
  ASSERT_TRUE(consents->ListConsents(Ctx().get(), lr, &lresp).ok());
  EXPECT_EQ(lresp.consents_size(), 1);
}

TEST_F(BackupTest, AnAlteredCopyIsRefusedNamingTheProblem) {
  ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Record(AdConsent("C-" + std::to_string(i))).ok());
  }
  const std::filesystem::path copy = dir_.path() / "backup.db";
  v1::BackupSummary summary;
  ASSERT_TRUE(TakeBackup(copy, &summary).ok());
  auto altered = [&](const std::string& name, const std::string& sql) {
    const std::filesystem::path p = dir_.path() / name;
    std::filesystem::copy_file(copy, p);
    Exec(p, sql);
    return RunGatekeeperd({"--verify-data-dir", p.string()});
  };
  RunResult r =
      altered("content.db", "UPDATE audit SET actor = 'mallory' WHERE seq = 4");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("FAILED: audit log broken at entry 4"),
            std::string::npos)
      << r.out;
  // The tail cut off and the head anchor moved back with it: the chain is
  // whole, but the signed checkpoint says there was more.
  r = altered("truncated.db",
              "DELETE FROM audit WHERE seq > 8; UPDATE audit_head SET seq = 8, "
              "hash = (SELECT hash FROM audit WHERE seq = 8)");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("it was truncated"), std::string::npos) << r.out;
  r = RunGatekeeperd({"--verify-data-dir", (dir_.path() / "none.db").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("not found"), std::string::npos) << r.out;
  // A data_dir whose public key is not the signer's.
  const std::filesystem::path other = dir_.path() / "other";
  std::filesystem::create_directories(other);
  std::filesystem::copy_file(copy, other / "gatekeeper.db");
  std::ofstream(other / "audit_signing.pub") << "-----BEGIN PUBLIC KEY-----\n";
  r = RunGatekeeperd({"--verify-data-dir", other.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("is not the key the latest checkpoint was signed with"),
            std::string::npos)
      << r.out;
}

TEST_F(BackupTest, ABackupNeedsSomeoneToAnswerForIt) {
  v1::BackupSummary summary;
  grpc::Status s = TakeBackup(dir_.path() / "b.db", &summary, "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "requested_by: is required");
}

}  // namespace
}  // namespace gatekeeper::testing
