// Retention on a real SqliteStore with an injected clock: records past their
// period are purged, the chain is cut with an audit.purged entry, and the log
// verifies across the purge and a reopen; a kept entry removed or changed
// below the cut is found. Also the ISO 8601 periods.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <future>

#include "daemon/common/crypto.h"
#include "daemon/common/iso_duration.h"
#include "daemon/store/retention_records.h"
#include "daemon/store/sqlite_store.h"
#include "tests/testing/temp_dir.h"

namespace gatekeeper {
namespace {

constexpr Micros kStart = 1'780'000'000'000'000;
constexpr Micros kDay = 86'400'000'000;

class RetentionTest : public ::testing::Test {
 protected:
  RetentionTest() : clock_(kStart) { Reopen(); }

  void Reopen() {
    store_.reset();
    SqliteStoreOptions o;
    o.path = (dir_.path() / "gk.db").string();
    o.clock = &clock_;
    auto s = SqliteStore::Open(o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }

  void Record(const std::string& id, const std::string& customer) {
    NewConsent c;
    c.consent_id = id;
    c.request_id = "req-" + id;
    c.fingerprint = "fp-" + id;
    c.customer_id = customer;
    c.purpose = v1::PURPOSE_AD_INSERT;
    c.company_id = "hikari-net";
    c.notice_id = "ad-2026-04";
    c.channel = v1::CONSENT_CHANNEL_WEB_FORM;
    c.evidence_ref = "form-1";
    c.collected_at = clock_.Now() - 10;
    c.collected_by = "web";
    c.recorded_at = clock_.Now();
    ASSERT_TRUE(store_->RecordConsent(c).ok());
  }

  void Withdraw(const std::string& customer) {
    Withdrawal w;
    w.request.set_request_id("wreq-" + customer);
    w.request.set_customer_id(customer);
    w.request.set_channel(v1::CONSENT_CHANNEL_COUNTER);
    w.fingerprint = "fpw-" + customer;
    w.at = clock_.Now();
    ASSERT_TRUE(store_->WithdrawConsent(w).ok());
  }

  uint64_t Decide(const std::string& customer) {
    std::promise<absl::StatusOr<uint64_t>> p;
    store_->AppendDecisionAsync(
        {{"decision.insert", "print-shop", customer, "{}"},
         NewId("dec_"),
         std::nullopt},
        {store_->StateVersion(), {CustomerKey(customer)}},
        [&](absl::StatusOr<uint64_t> s) { p.set_value(s); });
    auto seq = p.get_future().get();
    EXPECT_TRUE(seq.ok()) << seq.status();
    return seq.value_or(0);
  }

  PurgePlan Plan() {
    PurgePlan p;
    const Micros now = clock_.Now();
    p.decisions_before = now - *ParseIsoDuration("P1Y");
    p.provision_records_before = now - *ParseIsoDuration("P3Y");
    p.withdrawn_consents_before = now - *ParseIsoDuration("P3Y");
    p.disclosure_reports_before = now - *ParseIsoDuration("P3Y");
    p.cut_seq = store_->DurableHeadSeq();
    return p;
  }

  VerifyResult Verify() {
    auto v = store_->VerifyAudit();
    EXPECT_TRUE(v.ok()) << v.status();
    return v.value_or(VerifyResult{});
  }

  int64_t Count(const char* sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir_.path() / "gk.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW) << sql;
    const int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }

  void Tamper(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "gk.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  // Two customers' consents (C1's withdrawn), and three decisions; a year
  // and a month later, more of both.
  void History() {
    Record("cns-1", "C1");                     // seq 1
    Record("cns-2", "C2");                     // seq 2
    Withdraw("C1");                            // seq 3
    for (int i = 0; i < 3; ++i) Decide("C2");  // seqs 4-6
    clock_.Advance(400 * kDay);
    Record("cns-3", "C3");  // seq 7
    Decide("C3");           // seq 8
  }

  testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(RetentionTest, OldDecisionsArePurgedAndTheLogVerifiesAcrossAReopen) {
  History();
  auto r = store_->Purge(Plan(), /*dry_run=*/false, "dba");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->counts.decision_entries(), 3u);
  EXPECT_EQ(r->counts.withdrawn_consents(), 0u);  // withdrawn 400 days ago
  EXPECT_EQ(r->counts.audit_entries(), 3u);
  EXPECT_EQ(r->cut_seq, 8u);
  EXPECT_EQ(r->audit_seq, 9u);
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE seq BETWEEN 4 AND 6"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM decisions"), 1);
  VerifyResult v = Verify();
  EXPECT_TRUE(v.ok) << v.detail;
  EXPECT_EQ(v.entries_checked, 6u);  // 1-3, 7-8 kept, and the purge's entry
  EXPECT_NE(v.detail.find("retention cut at entry 8"), std::string::npos)
      << v.detail;
  // The customer's own history skips what went.
  std::vector<uint64_t> seqs;
  ASSERT_TRUE(store_
                  ->ScanAudit(0, 100, "C2",
                              [&](const AuditRecord& e) {
                                seqs.push_back(e.seq);
                                return true;
                              })
                  .ok());
  EXPECT_EQ(seqs, std::vector<uint64_t>{2});

  Reopen();
  v = Verify();
  EXPECT_TRUE(v.ok) << v.detail;
  // Writes go on after the cut, and verify.
  Decide("C3");
  EXPECT_TRUE(Verify().ok);

  // Three years after the withdrawal, the withdrawn consent goes too, with
  // its history and entries.
  clock_.Advance(3 * 366 * kDay);
  Record("cns-4", "C4");
  r = store_->Purge(Plan(), false, "dba");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->counts.withdrawn_consents(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM consents WHERE consent_id = 'cns-1'"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM consent_events WHERE consent_id = "
                  "'cns-1'"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE seq IN (1, 3)"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM requests WHERE request_id = "
                  "'req-cns-1'"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM requests WHERE request_id = "
                  "'wreq-C1'"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM requests WHERE request_id = "
                  "'req-cns-2'"),
            1);  // a consent in force keeps its record
  auto listed = store_->ListConsents("C1", true);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  // Checks no longer see it either (NO_CONSENT rather than WITHDRAWN), as
  // after a restart.
  auto facts =
      store_->ConsentsOfCustomer("C1", v1::PURPOSE_AD_INSERT, "hikari-net");
  ASSERT_TRUE(facts.ok());
  EXPECT_TRUE(facts->empty());
  const auto counts = store_->ConsentCounts();
  const auto withdrawn = counts.find({"AD_INSERT", "WITHDRAWN"});
  ASSERT_NE(withdrawn, counts.end());
  EXPECT_EQ(withdrawn->second, 0u);
  EXPECT_TRUE(Verify().ok);
  Reopen();
  v = Verify();
  EXPECT_TRUE(v.ok) << v.detail;
}

TEST_F(RetentionTest, ADryRunSaysWhatWouldGoAndRemovesNothing) {
  History();
  const int64_t before = Count("SELECT count(*) FROM audit");
  auto r = store_->Purge(Plan(), /*dry_run=*/true, "dba");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->counts.decision_entries(), 3u);
  EXPECT_EQ(r->audit_seq, 0u);
  EXPECT_EQ(Count("SELECT count(*) FROM audit"), before);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_cut"), 0);
  // Nothing past its time: nothing is written either.
  clock_.Set(kStart);
  r = store_->Purge(Plan(), false, "dba");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->audit_seq, 0u);
  EXPECT_EQ(Count("SELECT count(*) FROM audit"), before);
}

TEST_F(RetentionTest, AKeptEntryRemovedOrChangedBelowTheCutIsFound) {
  History();
  ASSERT_TRUE(store_->Purge(Plan(), false, "dba").ok());
  ASSERT_TRUE(Verify().ok);
  store_.reset();
  Tamper("DELETE FROM audit WHERE seq = 2");
  Reopen();
  VerifyResult v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 9u);
  EXPECT_NE(v.detail.find("are not those it logged"), std::string::npos)
      << v.detail;
}

TEST_F(RetentionTest, AKeptEntryAlteredBelowTheCutIsNamed) {
  History();
  ASSERT_TRUE(store_->Purge(Plan(), false, "dba").ok());
  store_.reset();
  Tamper("UPDATE audit SET actor = 'mallory' WHERE seq = 2");
  Reopen();
  VerifyResult v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 2u);
  EXPECT_NE(v.detail.find("kept below the retention cut"), std::string::npos)
      << v.detail;
}

TEST(IsoDurationTest, PeriodsAreCountedLong) {
  EXPECT_EQ(*ParseIsoDuration("P1Y"), 366 * kDay);
  EXPECT_EQ(*ParseIsoDuration("P3Y"), 3 * 366 * kDay);
  EXPECT_EQ(*ParseIsoDuration("P18M"), 18 * 31 * kDay);
  EXPECT_EQ(*ParseIsoDuration("P1Y2M3W4D"), (366 + 62 + 21 + 4) * kDay);
  EXPECT_EQ(*ParseIsoDuration("PT12H30M5S"),
            (12 * 3600 + 30 * 60 + 5) * 1'000'000LL);
  for (const char* bad : {"", "P", "1Y", "P1", "PY", "P1X", "P1H", "PT1D",
                          "P-1Y", "P1Y ", "P99999999Y"}) {
    EXPECT_FALSE(ParseIsoDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace gatekeeper
