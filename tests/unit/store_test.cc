// SqliteStore on a real database file in a temp dir; faults come from the
// fault-injecting VFS.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <set>
#include <thread>

#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "daemon/policy/campaign.h"
#include "daemon/store/sqlite_store.h"
#include "tests/testing/fault_vfs.h"
#include "tests/testing/temp_dir.h"

namespace gatekeeper {
namespace {

constexpr Micros kNow = 1'780'000'000'000'000;

// A decision's writes without a provision: its entry and a fresh id.
DecisionWrite Decision(AuditDraft draft) {
  return {std::move(draft), NewId("dec_"), std::nullopt};
}

class StoreTest : public ::testing::Test {
 protected:
  StoreTest() : clock_(kNow) { Reopen(); }
  ~StoreTest() override {
    testing::SetFailWrites(false);
    testing::SetFailSyncs(false);
  }

  void Reopen() {
    store_.reset();
    SqliteStoreOptions o;
    o.path = db_path();
    o.clock = &clock_;
    o.vfs = testing::FaultVfsName();
    o.index_run_entries = run_entries_;
    auto s = SqliteStore::Open(o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }

  std::string db_path() const { return (dir_.path() / "gk.db").string(); }

  // Runs SQL on the file behind the store's back, as an attacker would.
  void Tamper(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_free(err);
    sqlite3_close(db);
  }

  // One integer from SQL run on the file behind the store's back.
  int64_t QueryInt(const char* sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW) << sql;
    const int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }

  NewConsent Consent(std::string id, std::string request_id = "",
                     std::string customer = "C1",
                     v1::Purpose purpose = v1::PURPOSE_AD_INSERT,
                     std::string company = "hikari-net") {
    NewConsent c;
    c.consent_id = std::move(id);
    c.request_id = std::move(request_id);
    c.fingerprint = "fp-" + c.consent_id;
    c.customer_id = std::move(customer);
    c.purpose = purpose;
    c.company_id = std::move(company);
    if (purpose == v1::PURPOSE_TELEMARKETING) {
      c.phone_pseudonym = std::string(32, 'p');
      c.phone_masked = "+81 90-****-5678";
    }
    c.notice_id = "ad-2026-04";
    c.channel = v1::CONSENT_CHANNEL_WEB_FORM;
    c.evidence_ref = "form-1";
    c.collected_at = kNow - 10;
    c.collected_by = "web";
    c.recorded_at = kNow;
    return c;
  }

  std::vector<AuditRecord> Audit() {
    std::vector<AuditRecord> out;
    EXPECT_TRUE(store_
                    ->ScanAudit(0, 100000, "",
                                [&](const AuditRecord& r) {
                                  out.push_back(r);
                                  return true;
                                })
                    .ok());
    return out;
  }

  absl::StatusOr<uint64_t> Append(std::string kind,
                                  std::string customer = "C1") {
    std::promise<absl::StatusOr<uint64_t>> p;
    store_->AppendDecisionAsync(
        Decision({std::move(kind), "test", customer, "{}"}),
        {store_->StateVersion(), {CustomerKey(customer)}},
        [&](absl::StatusOr<uint64_t> s) { p.set_value(s); });
    return p.get_future().get();
  }

  std::vector<uint64_t> SeqsOf(std::string_view customer, uint64_t after,
                               uint32_t limit) {
    std::vector<uint64_t> out;
    absl::Status s =
        store_->ScanAudit(after, limit, customer, [&](const AuditRecord& r) {
          EXPECT_EQ(r.customer_id, customer);
          out.push_back(r.seq);
          return true;
        });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  // Every per-customer query, against a filter over the whole log.
  void ExpectCustomerQueriesMatchTheLog() {
    const std::vector<AuditRecord> all = Audit();
    for (std::string customer : {"C0", "C1", "C2", "C3", "nobody"}) {
      for (uint64_t after : {0, 1, 5, 8, 9, 17, 40}) {
        for (uint32_t limit : {1, 3, 1000}) {
          std::vector<uint64_t> want;
          for (const AuditRecord& r : all) {
            if (r.customer_id == customer && r.seq > after &&
                want.size() < limit) {
              want.push_back(r.seq);
            }
          }
          EXPECT_EQ(SeqsOf(customer, after, limit), want)
              << customer << " after " << after << " limit " << limit;
        }
      }
    }
  }

  // Appends n entries for customers C0..C3 and some with no customer.
  void AppendMixed(int n) {
    for (int i = 0; i < n; ++i) {
      const std::string customer = i % 5 == 4 ? "" : StrCat("C", (i * 7) % 4);
      ASSERT_TRUE(Append("decision.insert", customer).ok());
    }
  }

  testing::TempDir dir_;
  FakeClock clock_;
  uint64_t run_entries_ = 16384;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(StoreTest, CustomerQueriesAreExactAcrossIndexedRunsAndTheTail) {
  run_entries_ = 4;
  Reopen();
  AppendMixed(43);
  // Runs of 4: the first ten are complete, and the index keeps up.
  EXPECT_GE(QueryInt("SELECT indexed_through FROM audit_index_state"), 36);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM audit_customer_runs"),
            QueryInt("SELECT count(*) FROM audit WHERE customer_id <> '' AND "
                     "seq <= (SELECT indexed_through FROM audit_index_state)"));
  ExpectCustomerQueriesMatchTheLog();
  Reopen();  // the unindexed tail is read back from the log
  ExpectCustomerQueriesMatchTheLog();
  AppendMixed(10);
  ExpectCustomerQueriesMatchTheLog();
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(StoreTest, RunInterruptedByACrashIsIndexedAgainOnStart) {
  run_entries_ = 4;
  Reopen();
  AppendMixed(30);
  store_.reset();
  // As if the process died with run 5 half inserted and runs 6-7 not at all.
  Tamper(
      "DELETE FROM audit_customer_runs WHERE run > 5 OR (run = 5 AND seq > "
      "22); UPDATE audit_index_state SET indexed_through = 20");
  Reopen();
  EXPECT_EQ(QueryInt("SELECT indexed_through FROM audit_index_state"), 28);
  ExpectCustomerQueriesMatchTheLog();
}

TEST_F(StoreTest, EntriesDeletedFromTheUnindexedTailDoNotStopTheStart) {
  run_entries_ = 4;
  Reopen();
  AppendMixed(30);
  store_.reset();
  // Runs 5 and 6 back to unindexed, then a whole run and one more entry gone.
  Tamper(
      "DELETE FROM audit_customer_runs WHERE run >= 5; UPDATE "
      "audit_index_state SET indexed_through = 20; DELETE FROM audit WHERE "
      "seq BETWEEN 21 AND 24 OR seq = 26");
  Reopen();  // the log is VerifyAudit's to judge; the index covers the rest
  EXPECT_EQ(QueryInt("SELECT indexed_through FROM audit_index_state"), 28);
  ExpectCustomerQueriesMatchTheLog();
  EXPECT_FALSE(store_->VerifyAudit()->ok);
}

// What schema version 3 added.
#define kDropVersion3                                               \
  "DROP TABLE decisions; DROP TABLE provision_records; DROP TABLE " \
  "do_not_solicit; DROP TABLE disclosure_reports; DROP TABLE call_outcomes; "

// What schema version 4 added.
#define kDropVersion4 \
  "DROP TABLE print_index; DROP TABLE print_batches; DROP TABLE print_runs; "

// What schema version 5 added.
#define kDropVersion5                                                   \
  "DROP TABLE audit_merkle_chunks; DROP TABLE audit_checkpoints; DROP " \
  "TABLE audit_signing_keys; DROP TABLE audit_cut; "

TEST_F(StoreTest, UpgradesASchemaVersion4Database) {
  AppendMixed(10);
  store_.reset();
  Tamper(kDropVersion5 "PRAGMA user_version = 4");
  Reopen();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), 5);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM audit_checkpoints"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM audit_cut"), 0);
  EXPECT_EQ(*Append("decision.insert"), 11u);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(StoreTest, UpgradesASchemaVersion3Database) {
  AppendMixed(10);
  store_.reset();
  Tamper(kDropVersion5 kDropVersion4 "PRAGMA user_version = 3");
  Reopen();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), 5);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM print_runs"), 0);
  EXPECT_EQ(*Append("decision.insert"), 11u);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(StoreTest, UpgradesASchemaVersion2Database) {
  AppendMixed(10);
  store_.reset();
  Tamper(kDropVersion5 kDropVersion4 kDropVersion3 "PRAGMA user_version = 2");
  Reopen();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), 5);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM decisions"), 0);
  EXPECT_EQ(*Append("decision.insert"), 11u);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM decisions"), 1);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(StoreTest, UpgradesASchemaVersion1Database) {
  AppendMixed(25);
  store_.reset();
  Tamper(
      "DROP TABLE audit_customer_runs; DROP TABLE audit_index_state; "
      "CREATE INDEX audit_by_customer ON audit(customer_id, seq) WHERE "
      "customer_id <> ''; " kDropVersion5 kDropVersion4 kDropVersion3
      "PRAGMA user_version = 1");
  run_entries_ = 4;
  Reopen();
  EXPECT_EQ(QueryInt("PRAGMA user_version"), 5);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM sqlite_master WHERE name = "
                     "'audit_by_customer'"),
            0);
  EXPECT_EQ(QueryInt("SELECT indexed_through FROM audit_index_state"), 24);
  ExpectCustomerQueriesMatchTheLog();
}

TEST_F(StoreTest, RecordedConsentIsListedWithItsAuditEntry) {
  auto r = store_->RecordConsent(Consent("c1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->state(), v1::CONSENT_STATE_GRANTED);
  EXPECT_EQ(r->audit_seq(), 1u);
  auto list = store_->ListConsents("C1", false);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].consent_id(), "c1");
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].kind, "consent.recorded");
  EXPECT_EQ(audit[0].customer_id, "C1");
  EXPECT_NE(audit[0].payload_json.find("\"consent_id\":\"c1\""),
            std::string::npos);
}

TEST_F(StoreTest, SameRequestIdAndContentReturnsTheOriginal) {
  ASSERT_TRUE(store_->RecordConsent(Consent("c1", "req-1")).ok());
  NewConsent again = Consent("c2", "req-1");
  again.fingerprint = "fp-c1";  // same content, new server-side id
  auto r = store_->RecordConsent(again);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->consent_id(), "c1");
  EXPECT_EQ(store_->ListConsents("C1", true)->size(), 1u);
  EXPECT_EQ(Audit().size(), 1u);
}

TEST_F(StoreTest, SameRequestIdWithOtherContentIsAlreadyExists) {
  ASSERT_TRUE(store_->RecordConsent(Consent("c1", "req-1")).ok());
  auto r = store_->RecordConsent(Consent("c2", "req-1"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Audit().size(), 1u);
}

TEST_F(StoreTest, WithdrawalMarksConsentsAndKeepsHistory) {
  ASSERT_TRUE(store_->RecordConsent(Consent("c1")).ok());
  ASSERT_TRUE(
      store_->RecordConsent(Consent("c2", "", "C1", v1::PURPOSE_TELEMARKETING))
          .ok());
  ASSERT_TRUE(store_->RecordConsent(Consent("c3", "", "C2")).ok());
  Withdrawal w;
  w.request.set_customer_id("C1");
  w.request.set_purpose(v1::PURPOSE_AD_INSERT);
  w.request.set_channel(v1::CONSENT_CHANNEL_COUNTER);
  w.request.set_reason("customer asked");
  w.at = kNow + 5;
  auto r = store_->WithdrawConsent(w);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->consents_size(), 1);
  EXPECT_EQ(r->consents(0).consent_id(), "c1");
  EXPECT_EQ(r->consents(0).state(), v1::CONSENT_STATE_WITHDRAWN);

  auto current = store_->ListConsents("C1", false);
  ASSERT_EQ(current->size(), 1u);
  EXPECT_EQ((*current)[0].consent_id(), "c2");
  auto all = store_->ListConsents("C1", true);
  ASSERT_EQ(all->size(), 2u);
  const auto& c1 = (*all)[0].consent_id() == "c1" ? (*all)[0] : (*all)[1];
  ASSERT_EQ(c1.history_size(), 2);
  EXPECT_EQ(c1.history(1).state(), v1::CONSENT_STATE_WITHDRAWN);
  EXPECT_EQ(c1.history(1).reason(), "customer asked");
  EXPECT_EQ(c1.history(1).audit_seq(), r->audit_seq());

  auto facts =
      store_->ConsentsOfCustomer("C1", v1::PURPOSE_AD_INSERT, "hikari-net");
  ASSERT_EQ(facts->size(), 1u);
  EXPECT_EQ((*facts)[0].state, v1::CONSENT_STATE_WITHDRAWN);
  // C2 untouched.
  EXPECT_EQ(store_->ListConsents("C2", false)->size(), 1u);
}

TEST_F(StoreTest, WithdrawalWithNothingInScopeIsStillLogged) {
  Withdrawal w;
  w.request.set_customer_id("nobody");
  w.request.set_channel(v1::CONSENT_CHANNEL_IVR);
  auto r = store_->WithdrawConsent(w);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->consents_size(), 0);
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].kind, "consent.withdrawn");
}

TEST_F(StoreTest, RefusedWriteLeavesNoTraceInDecisionInputs) {
  ASSERT_TRUE(store_->RecordConsent(Consent("c1", "req-1")).ok());
  // Same request_id, other content: refused inside the batch.
  EXPECT_FALSE(store_->RecordConsent(Consent("c2", "req-1")).ok());
  auto facts =
      store_->ConsentsOfCustomer("C1", v1::PURPOSE_AD_INSERT, "hikari-net");
  ASSERT_EQ(facts->size(), 1u);
  EXPECT_EQ((*facts)[0].consent_id, "c1");
  EXPECT_TRUE(
      store_->ConsentsOfCustomer("C1", v1::PURPOSE_AD_INSERT, "denki-home")
          ->empty());
}

TEST_F(StoreTest, ConsentsOfPhoneFindsByPseudonym) {
  ASSERT_TRUE(
      store_->RecordConsent(Consent("c1", "", "C1", v1::PURPOSE_TELEMARKETING))
          .ok());
  auto f = store_->ConsentsOfPhone(std::string(32, 'p'),
                                   v1::PURPOSE_TELEMARKETING, "hikari-net");
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ((*f)[0].customer_id, "C1");
  EXPECT_TRUE(store_
                  ->ConsentsOfPhone(std::string(32, 'q'),
                                    v1::PURPOSE_TELEMARKETING, "hikari-net")
                  ->empty());
}

v1::Campaign Draft(std::string id) {
  v1::CreateCampaignRequest req;
  req.set_actor("alice");
  req.mutable_campaign()->set_campaign_id(std::move(id));
  req.mutable_campaign()->set_kind(v1::CAMPAIGN_KIND_INSERT);
  req.mutable_campaign()->set_company_id("hikari-net");
  req.mutable_campaign()->set_leaflet_sha256(std::string(64, 'a'));
  req.mutable_campaign()->set_legal_review_id("LR-1");
  return policy::NewDraft(req, kNow);
}

TEST_F(StoreTest, CampaignLifecycle) {
  ASSERT_TRUE(store_->CreateCampaign(Draft("k1"), "alice").ok());
  EXPECT_EQ(store_->CreateCampaign(Draft("k1"), "alice").status().code(),
            absl::StatusCode::kAlreadyExists);
  auto approved = store_->TransitionCampaign(
      "k1", "campaign.approved", "bob", [](const v1::Campaign& c) {
        return policy::Approve(c, "bob", "", kNow, {});
      });
  ASSERT_TRUE(approved.ok()) << approved.status();
  // Served from memory after the commit, under its own id.
  auto served = store_->GetCampaign("k1");
  ASSERT_TRUE(served.ok());
  ASSERT_NE(*served, nullptr);
  EXPECT_EQ((*served)->state(), v1::CAMPAIGN_STATE_APPROVED);
  EXPECT_EQ((*served)->campaign_id(), "k1");
  EXPECT_EQ(store_
                ->TransitionCampaign("nope", "campaign.approved", "bob",
                                     [](const v1::Campaign& c) { return c; })
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(*store_->GetCampaign("nope"), nullptr);
  EXPECT_EQ(store_->ListCampaigns()->size(), 1u);
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[1].kind, "campaign.approved");
  EXPECT_EQ(audit[1].actor, "bob");
}

TEST_F(StoreTest, RefusedTransitionWritesNothing) {
  ASSERT_TRUE(store_->CreateCampaign(Draft("k1"), "alice").ok());
  auto r = store_->TransitionCampaign(
      "k1", "campaign.approved", "alice", [](const v1::Campaign& c) {
        return policy::Approve(c, "alice", "", kNow, {});
      });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*store_->GetCampaign("k1"))->state(), v1::CAMPAIGN_STATE_DRAFT);
  EXPECT_EQ(Audit().size(), 1u);
  // The chain is intact and continues after the refused write.
  ASSERT_EQ(*Append("decision.insert"), 2u);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(StoreTest, ConcurrentAppendsGetContiguousSeqs) {
  constexpr int kThreads = 8, kEach = 100;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<uint64_t> seqs;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto s = Append("decision.insert");
        if (!s.ok()) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        seqs.insert(*s);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  ASSERT_EQ(seqs.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), static_cast<uint64_t>(kThreads * kEach));
  auto v = store_->VerifyAudit();
  EXPECT_TRUE(v->ok) << v->detail;
  EXPECT_EQ(v->entries_checked, static_cast<uint64_t>(kThreads * kEach));
}

TEST_F(StoreTest, WalStaysBoundedUnderSustainedWrites) {
  // Small thresholds: checkpoint from 50 pages, restart from 200 frames.
  store_.reset();
  SqliteStoreOptions o;
  o.path = db_path();
  o.clock = &clock_;
  o.checkpoint_pages = 50;
  o.restart_frames = 200;
  store_ = *SqliteStore::Open(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 400; ++i) ASSERT_TRUE(Append("decision.insert").ok());
    });
  }
  for (auto& t : threads) t.join();
  const auto wal = std::filesystem::file_size(db_path() + "-wal");
  // Without restarts the WAL holds a frame or more per commit (> 3000 frames,
  // over 12 MiB); bounded, it stays near 200 frames.
  EXPECT_LT(wal, 4u << 20) << wal << " bytes";
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(StoreTest, DataAndChainSurviveReopen) {
  ASSERT_TRUE(store_->RecordConsent(Consent("c1")).ok());
  ASSERT_TRUE(Append("decision.insert").ok());
  Reopen();
  EXPECT_EQ(store_->ListConsents("C1", false)->size(), 1u);
  // The in-memory decision inputs are rebuilt from the database.
  EXPECT_EQ(
      store_->ConsentsOfCustomer("C1", v1::PURPOSE_AD_INSERT, "hikari-net")
          ->size(),
      1u);
  EXPECT_EQ(*Append("decision.insert"), 3u);
  auto v = store_->VerifyAudit();
  EXPECT_TRUE(v->ok) << v->detail;
  EXPECT_EQ(v->entries_checked, 3u);
}

TEST_F(StoreTest, FailedSyncRefusesWritesUntilReopenAndLosesNothing) {
  ASSERT_EQ(*Append("decision.insert"), 1u);
  testing::SetFailSyncs(true);
  auto failed = Append("decision.insert");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable)
      << failed.status();
  auto failed_write = store_->RecordConsent(Consent("c1"));
  EXPECT_FALSE(failed_write.ok());
  testing::SetFailSyncs(false);
  // After an I/O error the store refuses writes until it is reopened.
  EXPECT_EQ(Append("decision.insert").status().code(),
            absl::StatusCode::kUnavailable);
  Reopen();
  // Nothing acknowledged was lost, nothing unacknowledged became visible,
  // and the chain continues where it was.
  EXPECT_TRUE(store_->ListConsents("C1", true)->empty());
  EXPECT_TRUE(
      store_->ConsentsOfCustomer("C1", v1::PURPOSE_AD_INSERT, "hikari-net")
          ->empty());
  EXPECT_EQ(*Append("decision.insert"), 2u);
  Reopen();
  auto v = store_->VerifyAudit();
  EXPECT_TRUE(v->ok) << v->detail;
  EXPECT_EQ(v->entries_checked, 2u);
}

TEST_F(StoreTest, DiskFullFailsTheAppend) {
  ASSERT_EQ(*Append("decision.insert"), 1u);
  testing::SetFailWrites(true);
  EXPECT_FALSE(Append("decision.insert").ok());
  testing::SetFailWrites(false);
  EXPECT_EQ(*Append("decision.insert"), 2u);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(StoreTest, AlteredEntryIsNamedByVerify) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Append("decision.insert").ok());
  Tamper("UPDATE audit SET actor = 'mallory' WHERE seq = 3");
  auto v = store_->VerifyAudit();
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 3u);
  EXPECT_NE(v->detail.find("entry 3"), std::string::npos) << v->detail;
}

TEST_F(StoreTest, TruncatedTailIsFoundAndBlocksStartup) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Append("decision.insert").ok());
  Tamper("DELETE FROM audit WHERE seq >= 4");
  auto v = store_->VerifyAudit();
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_bad_seq, 4u);
  store_.reset();
  SqliteStoreOptions o;
  o.path = db_path();
  EXPECT_EQ(SqliteStore::Open(o).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(StoreTest, AlteredLastEntryBlocksStartup) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Append("decision.insert").ok());
  store_.reset();
  Tamper("UPDATE audit SET payload_json = '{\"x\":1}' WHERE seq = 3");
  SqliteStoreOptions o;
  o.path = db_path();
  auto s = SqliteStore::Open(o);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss);
}

// Appends a decision that read C1 (and campaign k1) at `version`.
absl::StatusOr<uint64_t> AppendAt(SqliteStore& store, uint64_t version) {
  std::promise<absl::StatusOr<uint64_t>> p;
  store.AppendDecisionAsync(Decision({"decision.insert", "t", "C1", "{}"}),
                            {version, {CustomerKey("C1"), CampaignKey("k1")}},
                            [&](auto s) { p.set_value(s); });
  return p.get_future().get();
}

TEST_F(StoreTest, DecisionIsAbortedByAChangeToItsInputs) {
  const uint64_t before = store_->StateVersion();
  ASSERT_TRUE(store_->RecordConsent(Consent("c1")).ok());
  EXPECT_GT(store_->StateVersion(), before);
  EXPECT_EQ(AppendAt(*store_, before).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(*AppendAt(*store_, store_->StateVersion()), 2u);
}

TEST_F(StoreTest, DecisionIsNotAbortedByOtherCustomersChanges) {
  const uint64_t before = store_->StateVersion();
  ASSERT_TRUE(store_->RecordConsent(Consent("c1", "", "C2")).ok());
  Withdrawal w;
  w.request.set_customer_id("C2");
  w.request.set_channel(v1::CONSENT_CHANNEL_IVR);
  ASSERT_TRUE(store_->WithdrawConsent(w).ok());
  EXPECT_TRUE(AppendAt(*store_, before).ok());
}

TEST_F(StoreTest, DecisionIsAbortedByItsCampaignsChange) {
  const uint64_t before = store_->StateVersion();
  ASSERT_TRUE(store_->CreateCampaign(Draft("k1"), "alice").ok());
  EXPECT_EQ(AppendAt(*store_, before).status().code(),
            absl::StatusCode::kAborted);
}

TEST_F(StoreTest, DecisionIsAbortedByAWithdrawalOfItsNumber) {
  ASSERT_TRUE(
      store_->RecordConsent(Consent("c1", "", "C2", v1::PURPOSE_TELEMARKETING))
          .ok());
  const uint64_t before = store_->StateVersion();
  Withdrawal w;
  w.request.set_customer_id("C2");
  w.request.set_channel(v1::CONSENT_CHANNEL_IVR);
  ASSERT_TRUE(store_->WithdrawConsent(w).ok());
  // A dial decision by number only (no customer) read the pseudonym.
  std::promise<absl::StatusOr<uint64_t>> p;
  store_->AppendDecisionAsync(
      Decision({"decision.dial", "t", "", "{}"}),
      {before, {PhoneKey(std::string(32, 'p')), CampaignKey("k1")}},
      [&](auto s) { p.set_value(s); });
  EXPECT_EQ(p.get_future().get().status().code(), absl::StatusCode::kAborted);
}

TEST_F(StoreTest, DecideInWriterSeesCommittedStateAndAppends) {
  ASSERT_TRUE(store_->RecordConsent(Consent("c1")).ok());
  ASSERT_TRUE(
      store_->RecordConsent(Consent("c2", "", "C2", v1::PURPOSE_TELEMARKETING))
          .ok());
  std::promise<absl::StatusOr<uint64_t>> done;
  std::vector<ConsentFact> by_customer, by_phone;
  store_->DecideInWriterAsync(
      [&](StateView& state) -> absl::StatusOr<DecisionWrite> {
        auto a =
            state.ConsentsOfCustomer("C1", v1::PURPOSE_AD_INSERT, "hikari-net");
        auto b = state.ConsentsOfPhone(std::string(32, 'p'),
                                       v1::PURPOSE_TELEMARKETING, "hikari-net");
        if (!a.ok()) return a.status();
        if (!b.ok()) return b.status();
        by_customer = *a;
        by_phone = *b;
        return Decision({"decision.insert", "t", "C1", "{}"});
      },
      [&](auto s) { done.set_value(s); });
  EXPECT_EQ(*done.get_future().get(), 3u);
  ASSERT_EQ(by_customer.size(), 1u);
  EXPECT_EQ(by_customer[0].consent_id, "c1");
  ASSERT_EQ(by_phone.size(), 1u);
  EXPECT_EQ(by_phone[0].customer_id, "C2");
}

TEST_F(StoreTest, FailedInWriterDecisionAppendsNothingAndSparesTheBatch) {
  std::promise<absl::StatusOr<uint64_t>> failed;
  store_->DecideInWriterAsync(
      [](StateView&) -> absl::StatusOr<DecisionWrite> {
        return absl::InternalError("boom");
      },
      [&](auto s) { failed.set_value(s); });
  EXPECT_EQ(failed.get_future().get().status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(*Append("decision.insert"), 1u);
}

TEST_F(StoreTest, WriteFromAStoreCallbackIsRefusedInsteadOfDeadlocking) {
  // Callbacks run on the thread that commits; a write from one would wait
  // for a commit only that thread can make.
  std::promise<absl::Status> inner;
  store_->AppendDecisionAsync(
      Decision({"decision.insert", "t", "C1", "{}"}),
      {store_->StateVersion(), {CustomerKey("C1")}},
      [&](absl::StatusOr<uint64_t> seq) {
        ASSERT_TRUE(seq.ok()) << seq.status();
        inner.set_value(store_->RecordConsent(Consent("c1")).status());
      });
  auto f = inner.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(f.get().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(store_->ListConsents("C1", true)->empty());
  // The store goes on.
  EXPECT_TRUE(store_->RecordConsent(Consent("c1")).ok());
}

TEST_F(StoreTest, AppendsSubmittedFromCallbacksAreCommitted) {
  // A decision decided again after an abort is appended from the callback
  // of the first attempt; it joins the queue of the committing thread.
  constexpr int kChain = 50;
  std::promise<absl::StatusOr<uint64_t>> last;
  std::function<void(int)> append = [&](int left) {
    store_->AppendDecisionAsync(Decision({"decision.insert", "t", "C1", "{}"}),
                                {store_->StateVersion(), {CustomerKey("C1")}},
                                [&, left](absl::StatusOr<uint64_t> seq) {
                                  if (!seq.ok() || left == 1)
                                    return last.set_value(seq);
                                  append(left - 1);
                                });
  };
  append(kChain);
  auto f = last.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(*f.get(), static_cast<uint64_t>(kChain));
  EXPECT_EQ(store_->VerifyAudit()->entries_checked,
            static_cast<uint64_t>(kChain));
}

TEST_F(StoreTest, ClosedStoreRefusesWrites) {
  store_->Close();
  EXPECT_EQ(Append("decision.insert").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->RecordConsent(Consent("c1")).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(StoreTest, ImportIsAllOrNothing) {
  std::vector<NewConsent> batch = {Consent("c1"), Consent("c2"),
                                   Consent("c1")};  // duplicate primary key
  EXPECT_FALSE(store_->ImportConsents(batch).ok());
  EXPECT_TRUE(store_->ListConsents("C1", true)->empty());
  EXPECT_TRUE(Audit().empty());
  batch.pop_back();
  ASSERT_TRUE(store_->ImportConsents(batch).ok());
  EXPECT_EQ(store_->ListConsents("C1", true)->size(), 2u);
  EXPECT_EQ(Audit().size(), 2u);
}

}  // namespace
}  // namespace gatekeeper
