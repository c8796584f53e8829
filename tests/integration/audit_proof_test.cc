// Signed checkpoints and Merkle proofs of the audit log, end to end: the real
// daemon signs, proves every entry of a small log, proves an older
// checkpoint's log a prefix of the newer, and refuses to start on a log
// rewritten under a signed checkpoint. Proofs are checked as an auditor
// would, with only the public key file.
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "daemon/audit/merkle.h"
#include "daemon/audit/proof.h"
#include "daemon/common/crypto.h"
#include "tests/testing/daemon_fixture.h"

namespace gatekeeper::testing {
namespace {

class AuditProofTest : public DaemonTest {
 protected:
  std::string PublicKey() {
    std::ifstream in(daemon_->data_dir() / "audit_signing.pub");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  v1::Checkpoint Checkpoint(bool fresh) {
    v1::GetCheckpointRequest req;
    req.set_fresh(fresh);
    v1::GetCheckpointResponse resp;
    grpc::Status s = audit_->GetCheckpoint(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.public_key_pem(), PublicKey());
    return resp.checkpoint();
  }

  grpc::Status Prove(uint64_t seq, uint64_t tree_size, v1::AuditProof* out) {
    v1::ProveEntryRequest req;
    req.set_seq(seq);
    req.set_tree_size(tree_size);
    return audit_->ProveEntry(Ctx().get(), req, out);
  }

  // A small log of every kind of entry the walkthrough makes.
  void SmallLog() {
    ApprovedCampaign("k1", v1::CAMPAIGN_KIND_INSERT);
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(Record(AdConsent("C-10" + std::to_string(i))).ok());
      CheckInsert("C-10" + std::to_string(i), "k1");
    }
    Withdraw("C-100", v1::PURPOSE_AD_INSERT);
    CheckInsert("C-100", "k1");
  }

  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(
        sqlite3_open((daemon_->data_dir() / "gatekeeper.db").c_str(), &db),
        SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
};

TEST_F(AuditProofTest, EveryEntryOfASmallLogIsProvedToTheSignedCheckpoint) {
  SmallLog();
  const v1::Checkpoint cp = Checkpoint(/*fresh=*/true);
  ASSERT_GE(cp.size(), 16u);
  const std::string pem = PublicKey();
  EXPECT_NE(pem.find("BEGIN PUBLIC KEY"), std::string::npos);
  for (uint64_t seq = 1; seq <= cp.size(); ++seq) {
    v1::AuditProof p;
    grpc::Status s = Prove(seq, 0, &p);
    ASSERT_TRUE(s.ok()) << seq << ": " << s.error_message();
    EXPECT_EQ(p.checkpoint().size(), cp.size());
    EXPECT_EQ(p.checkpoint().root_hash(), cp.root_hash());
    absl::Status check = CheckAuditProof(p, pem);
    EXPECT_TRUE(check.ok()) << seq << ": " << check;
  }
  // The entries are the log's own.
  v1::AuditProof p;
  ASSERT_TRUE(Prove(2, 0, &p).ok());
  EXPECT_EQ(p.entry().kind(), "campaign.approved");
  // The private key never leaves data_dir, 0600.
  EXPECT_EQ(
      std::filesystem::status(daemon_->data_dir() / "audit_signing.key")
              .permissions() &
          std::filesystem::perms::mask,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(AuditProofTest, ATamperedEntryOrAWrongKeyFailsTheProof) {
  SmallLog();
  v1::AuditProof p;
  ASSERT_TRUE(Prove(5, 0, &p).ok());
  const std::string pem = PublicKey();
  ASSERT_TRUE(CheckAuditProof(p, pem).ok());

  v1::AuditProof tampered = p;
  tampered.mutable_entry()->set_payload_json(
      std::string(p.entry().payload_json()).replace(0, 1, " "));
  EXPECT_EQ(CheckAuditProof(tampered, pem).code(), absl::StatusCode::kDataLoss);
  tampered = p;
  tampered.set_inclusion_path(0, std::string(64, '0'));
  EXPECT_EQ(CheckAuditProof(tampered, pem).code(), absl::StatusCode::kDataLoss);

  // Another daemon's key (data_dir of a second daemon).
  TempDir other;
  DaemonProcess second(other.path() / "var");
  ASSERT_TRUE(second.Start()) << second.error();
  std::ifstream in(second.data_dir() / "audit_signing.pub");
  std::stringstream other_pem;
  other_pem << in.rdbuf();
  ASSERT_NE(other_pem.str(), pem);
  EXPECT_EQ(CheckAuditProof(p, other_pem.str()).code(),
            absl::StatusCode::kPermissionDenied);

  // An entry changed in the database behind the daemon's back is not
  // proved.
  Sql("UPDATE audit SET payload_json = replace(payload_json, 'C-10', 'C-20') "
      "WHERE seq = 5");
  v1::AuditProof again;
  EXPECT_EQ(Prove(5, 0, &again).error_code(), grpc::StatusCode::DATA_LOSS);
}

TEST_F(AuditProofTest, AnOlderCheckpointIsProvedAPrefixOfTheNewer) {
  SmallLog();
  const v1::Checkpoint old_cp = Checkpoint(/*fresh=*/true);
  v1::AuditProof old_proof;
  ASSERT_TRUE(Prove(3, 0, &old_proof).ok());
  for (int i = 0; i < 5; ++i) CheckInsert("C-101", "k1");
  const v1::Checkpoint new_cp = Checkpoint(/*fresh=*/true);
  ASSERT_EQ(new_cp.size(), old_cp.size() + 5);

  v1::ProveConsistencyRequest req;
  req.set_old_size(old_cp.size());
  v1::ProveConsistencyResponse resp;
  ASSERT_TRUE(audit_->ProveConsistency(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.old_checkpoint().root_hash(), old_cp.root_hash());
  EXPECT_EQ(resp.new_checkpoint().size(), new_cp.size());

  // The auditor's old proof, extended by the new checkpoint.
  v1::AuditProof p;
  ASSERT_TRUE(Prove(3, 0, &p).ok());
  *p.mutable_older_checkpoint() = old_proof.checkpoint();
  *p.mutable_consistency_path() = resp.path();
  EXPECT_TRUE(CheckAuditProof(p, PublicKey()).ok());
  // An entry is still proved against the older checkpoint it was in.
  v1::AuditProof at_old;
  ASSERT_TRUE(Prove(3, old_cp.size(), &at_old).ok());
  EXPECT_EQ(at_old.checkpoint().root_hash(), old_cp.root_hash());
  EXPECT_TRUE(CheckAuditProof(at_old, PublicKey()).ok());
  // But not an entry newer than it.
  EXPECT_EQ(Prove(new_cp.size(), old_cp.size(), &at_old).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(AuditProofTest, BadRequestsAreNamed) {
  SmallLog();
  v1::AuditProof p;
  grpc::Status s = Prove(0, 0, &p);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("seq"), std::string::npos);
  s = Prove(999, 0, &p);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  s = Prove(1, 7, &p);  // no checkpoint of 7 entries was signed
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ProveConsistencyRequest req;
  req.set_old_size(0);
  v1::ProveConsistencyResponse resp;
  EXPECT_EQ(audit_->ProveConsistency(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuditProofTest, CheckpointsAreSignedPeriodicallyAndSurviveARestart) {
  DaemonOptions every_second;
  every_second.extra_yaml = "audit_checkpoints:\n  interval_seconds: 1\n";
  Restart(every_second);
  SmallLog();
  // Within a few intervals a checkpoint covers the log, unasked.
  v1::Checkpoint cp;
  for (int i = 0; i < 50; ++i) {
    cp = Checkpoint(/*fresh=*/false);
    if (cp.size() == 16) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(cp.size(), 16u);
  Restart();
  EXPECT_EQ(Checkpoint(false).root_hash(), cp.root_hash());
  v1::AuditProof p;
  ASSERT_TRUE(Prove(16, 0, &p).ok());
  EXPECT_TRUE(CheckAuditProof(p, PublicKey()).ok());
}

TEST_F(AuditProofTest, ALogRewrittenUnderASignedCheckpointStopsTheStart) {
  SmallLog();
  Checkpoint(/*fresh=*/true);
  DropClients();
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  // Entry 4 rewritten with a fresh hash (the chain after it no longer
  // links, but the start only checks the head: the signed root catches it).
  Sql("UPDATE audit SET hash = randomblob(32) WHERE seq = 4");
  DaemonProcess again(daemon_->data_dir());
  EXPECT_FALSE(again.Start());
  EXPECT_NE(again.Stderr().find("no longer matches its signed checkpoint"),
            std::string::npos)
      << again.Stderr();
}

}  // namespace
}  // namespace gatekeeper::testing
