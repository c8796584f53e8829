#include "bench/seed.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <future>
#include <ostream>
#include <vector>

#include "absl/status/status.h"
#include "bench/machine.h"
#include "daemon/common/crypto.h"
#include "daemon/common/phone.h"
#include "daemon/common/strings.h"
#include "daemon/policy/campaign.h"
#include "daemon/policy/validate.h"
#include "daemon/server/fingerprint.h"
#include "daemon/server/new_consent.h"
#include "daemon/store/sqlite.h"
#include "daemon/store/sqlite_store.h"

namespace gatekeeper::bench {
namespace {

constexpr uint64_t kBatch = 10000;
constexpr uint64_t kMaxConsents = 90'000'000;  // distinct 090 numbers
constexpr int kLayoutVersion = 2;
// 2026-04-01T00:00:00Z: fixed, so a re-run computes the same fingerprints and
// an interrupted seed resumes (ImportConsents skips known request_ids).
constexpr Micros kCollectedAt = 1775001600LL * 1'000'000;
// 2026-07-01T00:00:00Z: the expiry of the expired groups.
constexpr Micros kExpiredAt = 1782864000LL * 1'000'000;

bool WithdrawnGroup(uint64_t i) { return i / 3 % 10 == 7; }
bool ExpiredGroup(uint64_t i) { return i / 3 % 10 == 8; }
constexpr char kCreator[] = "gkbench-creator";
constexpr char kApprover[] = "gkbench-approver";

constexpr SeedMarker kMarker{"gkbench-seed.txt", kLayoutVersion, "consents"};

// Builds consent i exactly as the daemon's RecordConsent would from the
// equivalent request (validation, pseudonym, fingerprint).
absl::StatusOr<NewConsent> BuildConsent(uint64_t i, const ConfigIndex& config,
                                        const Pseudonymizer& pseudonymizer,
                                        Micros now) {
  const bool dial = i % 3 == 1;
  v1::RecordConsentRequest req;
  req.set_request_id(StrCat("gkbench-seed-", i));
  req.set_customer_id(CustomerId(dial ? i - 1 : i));
  req.set_purpose(dial ? v1::PURPOSE_TELEMARKETING : v1::PURPOSE_AD_INSERT);
  req.set_company_id(kCompany);
  if (dial) req.set_phone_number(Phone(i));
  req.set_notice_id(dial ? kDialNotice : kInsertNotice);
  req.set_channel(v1::CONSENT_CHANNEL_IMPORT);
  req.set_evidence_ref("gkbench-seed");
  *req.mutable_collected_at() = FromMicros(kCollectedAt);
  if (ExpiredGroup(i)) *req.mutable_expires_at() = FromMicros(kExpiredAt);
  req.set_collected_by("gkbench");
  return ToNewConsent(req, config, pseudonymizer, now);
}

// Withdraws consent i of a withdrawn group (its customer's consents of its
// purpose), as the daemon's WithdrawConsent would.
absl::Status Withdraw(uint64_t i, SqliteStore& store,
                      const Pseudonymizer& pseudonymizer, Micros now) {
  const bool dial = i % 3 == 1;
  v1::WithdrawConsentRequest req;
  req.set_request_id(StrCat("gkbench-withdraw-", i));
  req.set_customer_id(CustomerId(dial ? i - 1 : i));
  req.set_purpose(dial ? v1::PURPOSE_TELEMARKETING : v1::PURPOSE_AD_INSERT);
  req.set_company_id(kCompany);
  req.set_channel(v1::CONSENT_CHANNEL_RECORDED_CALL);
  req.set_evidence_ref("gkbench-seed");
  req.set_reason("gkbench: the customer said no");
  req.set_requested_by("gkbench");
  Withdrawal w{req, Fingerprint(pseudonymizer, "WithdrawConsent", req), now};
  return store.WithdrawConsent(w).status();
}

// Withdraws the withdrawn groups' consents among [from, to), from four
// threads so that the store's group commit takes them many to a commit.
absl::Status WithdrawGroups(uint64_t from, uint64_t to, SqliteStore& store,
                            const Pseudonymizer& pseudonymizer) {
  std::vector<uint64_t> todo;
  for (uint64_t g = from / 3; 3 * g < to; ++g) {
    if (!WithdrawnGroup(3 * g)) continue;
    for (uint64_t i : {3 * g + 1, 3 * g + 2}) {
      if (i >= from && i < to) todo.push_back(i);
    }
  }
  constexpr int kThreads = 4;
  std::vector<std::future<absl::Status>> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.push_back(std::async(std::launch::async, [&, t] {
      const Micros now = SystemClock::Get().Now();
      for (size_t k = t; k < todo.size(); k += kThreads) {
        if (absl::Status s = Withdraw(todo[k], store, pseudonymizer, now);
            !s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    }));
  }
  absl::Status out;
  for (auto& w : workers) out.Update(w.get());
  return out;
}

// An APPROVED campaign of `kind` by gkbench whose window covers the next
// hours, or a new one (created and approved by two different actors).
absl::StatusOr<std::string> EnsureCampaign(SqliteStore& store,
                                           const ConfigIndex& config,
                                           v1::CampaignKind kind,
                                           std::ostream& log) {
  const Micros now = SystemClock::Get().Now();
  constexpr Micros kHour = 3600LL * 1'000'000;
  auto all = store.ListCampaigns();
  if (!all.ok()) return all.status();
  for (const v1::Campaign& c : *all) {
    if (c.kind() == kind && c.company_id() == kCompany &&
        c.state() == v1::CAMPAIGN_STATE_APPROVED &&
        c.created_by() == kCreator && ToMicros(c.starts_at()) <= now &&
        ToMicros(c.ends_at()) > now + 6 * kHour) {
      log << "reusing approved campaign " << c.campaign_id() << "\n";
      return c.campaign_id();
    }
  }
  const bool call = kind == v1::CAMPAIGN_KIND_CALL;
  v1::CreateCampaignRequest req;
  req.set_actor(kCreator);
  v1::Campaign* c = req.mutable_campaign();
  c->set_campaign_id(
      StrCat(call ? "gkbench-call-" : "gkbench-insert-", now / 1'000'000));
  c->set_kind(kind);
  c->set_company_id(kCompany);
  if (call) c->set_regime(v1::REGIME_TOKUSHOHO);
  c->set_goods_type(call ? "光回線サービス(ひかりネット光)"
                         : "光回線サービスのご案内チラシ");
  *c->mutable_starts_at() = FromMicros(now - kHour);
  *c->mutable_ends_at() = FromMicros(now + 30 * 24 * kHour);
  c->set_description("gkbench load test");
  const std::vector<std::string> items(
      config.config().ad_display_items().begin(),
      config.config().ad_display_items().end());
  if (!call) {
    // A lawful leaflet (特定商取引法 Art. 11): what approval requires.
    c->set_leaflet_sha256(ToHex(Sha256("gkbench leaflet artwork")));
    c->set_legal_review_id("gkbench-legal-review-1");
    for (const std::string& item : items) {
      (*c->mutable_disclosures())[item] = "gkbench";
    }
  }
  if (absl::Status s = policy::ValidateCreateCampaign(req, config); !s.ok()) {
    return s;
  }
  auto created = store.CreateCampaign(policy::NewDraft(req, now), kCreator);
  if (!created.ok()) return created.status();
  auto approved = store.TransitionCampaign(
      c->campaign_id(), "campaign.approved", kApprover,
      [now, &items](const v1::Campaign& current) {
        return policy::Approve(current, kApprover, "", now, items);
      });
  if (!approved.ok()) return approved.status();
  log << "created and approved campaign " << c->campaign_id() << " ("
      << v1::CampaignKind_Name(kind) << ", by " << kCreator << ", approved by "
      << kApprover << ")\n";
  return c->campaign_id();
}

}  // namespace

std::string CustomerId(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "bench-%08" PRIu64, i);
  return buf;
}

uint64_t InsertIndex(uint64_t k) { return 3 * (k / 2) + 2 * (k % 2); }
uint64_t DialIndex(uint64_t k) { return 3 * k + 1; }
uint64_t InsertIndices(uint64_t consents) {
  return 2 * (consents / 3) + (consents % 3 >= 1 ? 1 : 0);
}
uint64_t DialIndices(uint64_t consents) {
  return consents / 3 + (consents % 3 >= 2 ? 1 : 0);
}

std::string Phone(uint64_t i) {
  // 090 + [1-9]xxx xxxx: the third digit of a 090 subscriber number is never 0.
  const uint64_t d = 10'000'000 + (i % kMaxConsents);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "090-%04" PRIu64 "-%04" PRIu64, d / 10000,
                d % 10000);
  return buf;
}

absl::StatusOr<SeedResult> Seed(const std::filesystem::path& dir,
                                const ConfigIndex& config, uint64_t consents,
                                std::ostream& log,
                                const std::atomic<bool>* interrupted) {
  if (consents > kMaxConsents) {
    return absl::InvalidArgumentError(
        StrCat("--consents: at most ", kMaxConsents));
  }
  SeedResult out;
  const std::filesystem::path db = dir / "gatekeeper.db";
  std::error_code ec;
  const bool db_exists = std::filesystem::exists(db, ec);
  // A marker without its database describes nothing.
  const uint64_t marked = db_exists ? kMarker.Read(dir) : 0;
  if (db_exists && marked == 0 &&
      std::filesystem::exists(dir / kMarker.file, ec)) {
    return absl::FailedPreconditionError(
        StrCat(db.string(), " was seeded with another layout of consents; ",
               "seed a new --data-dir"));
  }
  const uint64_t from = marked;
  out.layout_consents = std::max(marked, consents);

  auto key = Pseudonymizer::LoadOrCreate(dir / "pseudonym.key");
  if (!key.ok()) return key.status();
  SqliteStoreOptions so;
  so.path = db.string();
  auto store = SqliteStore::Open(so);
  if (!store.ok()) return store.status();

  if (db_exists && marked >= consents) {
    out.reused = true;
    log << "reusing the seeded database in " << dir.string() << " (" << marked
        << " consents in the gkbench layout)\n";
  } else {
    if (db_exists) {
      log << "the database exists with " << marked
          << " consents marked as seeded; importing from index " << from
          << " (known request_ids are skipped)\n";
    }
    log << "seeding " << (consents - from) << " consents in batches of "
        << kBatch << " ...\n"
        << std::flush;
    const auto t0 = std::chrono::steady_clock::now();
    std::future<absl::Status> inflight;
    uint64_t inflight_end = from;
    uint64_t committed = from;
    uint64_t next_report = from + consents / 10;
    const uint64_t batches_total = (consents - from + kBatch - 1) / kBatch;
    // Two stages: this thread builds batch k+1 while the store commits k.
    for (uint64_t start = from; start < consents; start += kBatch) {
      if (interrupted != nullptr && interrupted->load()) {
        if (inflight.valid()) (void)inflight.get();
        return absl::CancelledError(
            StrCat("interrupted while seeding, after about ", committed,
                   " consents; a run on the same --data-dir resumes"));
      }
      const uint64_t end = std::min(consents, start + kBatch);
      const Micros now = SystemClock::Get().Now();
      std::vector<NewConsent> batch;
      batch.reserve(end - start);
      for (uint64_t i = start; i < end; ++i) {
        auto c = BuildConsent(i, config, *key, now);
        if (!c.ok()) {
          return absl::InternalError(
              StrCat("seed consent ", i, ": ", c.status().message()));
        }
        batch.push_back(*std::move(c));
      }
      if (inflight.valid()) {
        if (absl::Status s = inflight.get(); !s.ok()) return s;
        committed = inflight_end;
      }
      if (committed >= next_report && committed > from) {
        const double t = SecondsSince(t0);
        log << "  " << committed << " consents, " << static_cast<int>(t)
            << " s, " << static_cast<uint64_t>((committed - from) / t)
            << " consents/s\n"
            << std::flush;
        next_report = committed + consents / 10;
      }
      inflight_end = end;
      inflight = std::async(std::launch::async,
                            [s = store->get(), b = std::move(batch)] {
                              return s->ImportConsents(b);
                            });
    }
    if (inflight.valid()) {
      if (absl::Status s = inflight.get(); !s.ok()) return s;
    }
    log << "withdrawing the withdrawn groups' consents ...\n" << std::flush;
    if (absl::Status s = WithdrawGroups(from, consents, **store, *key);
        !s.ok()) {
      return s;
    }
    out.seconds = SecondsSince(t0);
    out.imported = consents - from;
    log << "seeded " << out.imported << " consents in " << batches_total
        << " transactions: " << out.seconds << " s, "
        << static_cast<uint64_t>(static_cast<double>(out.imported) /
                                 out.seconds)
        << " consents/s\n";
    if (absl::Status s = kMarker.Write(dir, consents); !s.ok()) return s;
  }

  auto insert = EnsureCampaign(**store, config, v1::CAMPAIGN_KIND_INSERT, log);
  if (!insert.ok()) return insert.status();
  auto call = EnsureCampaign(**store, config, v1::CAMPAIGN_KIND_CALL, log);
  if (!call.ok()) return call.status();
  out.insert_campaign = *insert;
  out.call_campaign = *call;
  (*store)->Close();
  store->reset();

  auto facts = ReadDbFacts(db, 0);
  if (!facts.ok()) return facts.status();
  out.db_consents = facts->consents;
  return out;
}

absl::StatusOr<DbFacts> ReadDbFacts(const std::filesystem::path& db,
                                    uint64_t after_seq) {
  // Read-write open (like the daemon's readers) so SQLite can recover or
  // create the WAL index; query_only forbids writes.
  auto conn = sqlite::Connection::Open(db.string(), SQLITE_OPEN_READWRITE);
  if (!conn.ok()) return conn.status();
  if (absl::Status s = (*conn)->Exec("PRAGMA query_only = 1"); !s.ok()) {
    return s;
  }
  DbFacts f;
  {
    auto s = (*conn)->Prepare("SELECT count(*) FROM consents");
    if (!s.ok()) return s.status();
    auto row = s->Step();
    if (!row.ok()) return row.status();
    f.consents = static_cast<uint64_t>(s->Int(0));
  }
  {
    auto s = (*conn)->Prepare("SELECT COALESCE(MAX(seq), 0) FROM audit");
    if (!s.ok()) return s.status();
    auto row = s->Step();
    if (!row.ok()) return row.status();
    f.head_seq = static_cast<uint64_t>(s->Int(0));
  }
  {
    auto s = (*conn)->Prepare(
        "SELECT count(*), COALESCE(SUM(kind IN ('decision.insert', "
        "'decision.dial')), 0) FROM audit WHERE seq > ?");
    if (!s.ok()) return s.status();
    s->Bind(1, static_cast<int64_t>(after_seq));
    auto row = s->Step();
    if (!row.ok()) return row.status();
    f.entries_after = static_cast<uint64_t>(s->Int(0));
    f.decisions_after = static_cast<uint64_t>(s->Int(1));
  }
  return f;
}

}  // namespace gatekeeper::bench
