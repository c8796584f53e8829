#include "bench/print_seed.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <mutex>
#include <ostream>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "bench/machine.h"
#include "bench/print_layout.h"
#include "bench/seed.h"
#include "daemon/common/crypto.h"
#include "daemon/common/phone.h"
#include "daemon/common/strings.h"
#include "daemon/policy/campaign.h"
#include "daemon/policy/validate.h"
#include "daemon/server/new_consent.h"
#include "daemon/server/fingerprint.h"
#include "daemon/store/sqlite.h"
#include "daemon/store/sqlite_store.h"

namespace gatekeeper::bench {
namespace {

namespace fs = std::filesystem;

constexpr int kLayoutVersion = 1;
// Customers per ImportConsents transaction (about 10,800 consents).
constexpr uint64_t kBatchCustomers = 10000;
// Concurrent WithdrawConsent callers: their writes share group commits.
constexpr int kWithdrawThreads = 64;
constexpr Micros kDay = 86400LL * 1'000'000;
// 2026-04-01T00:00:00Z: fixed, so that a resumed seed computes the same
// request fingerprints (ImportConsents skips known request ids).
constexpr Micros kCollectedAt = 1775001600LL * 1'000'000;
// The expired consents: collected a year earlier, expired at kCollectedAt.
constexpr Micros kExpiredCollectedAt = kCollectedAt - 365 * kDay;
constexpr char kCreator[] = "gkprintbench-creator";
constexpr char kApprover[] = "gkprintbench-approver";

constexpr SeedMarker kMarker{"gkprintbench-seed.txt", kLayoutVersion,
                             "customers"};

// Consent of customer i (an AD_INSERT one, or with `phone` its TELEMARKETING
// one), built as the daemon's RecordConsent builds it from the equivalent
// request: validation, pseudonym, fingerprint.
absl::StatusOr<NewConsent> BuildConsent(uint64_t i, bool phone,
                                        const ConfigIndex& config,
                                        const Pseudonymizer& pseudonymizer,
                                        Micros now) {
  const bool expired = !phone && KindOf(i) == ConsentKind::kExpired;
  v1::RecordConsentRequest req;
  req.set_request_id(
      StrCat(phone ? "gkprintbench-tm-" : "gkprintbench-ad-", i));
  req.set_customer_id(CustomerIdOf(i));
  req.set_purpose(phone ? v1::PURPOSE_TELEMARKETING : v1::PURPOSE_AD_INSERT);
  req.set_company_id(kCompany);
  if (phone) req.set_phone_number(Phone(i));
  req.set_notice_id(phone ? kDialNotice : kInsertNotice);
  req.set_channel(v1::CONSENT_CHANNEL_IMPORT);
  req.set_evidence_ref("gkprintbench-seed");
  *req.mutable_collected_at() =
      FromMicros(expired ? kExpiredCollectedAt : kCollectedAt);
  if (expired) *req.mutable_expires_at() = FromMicros(kCollectedAt);
  req.set_collected_by("gkprintbench");
  return ToNewConsent(req, config, pseudonymizer, now);
}

// The consents of customers [start, end).
absl::StatusOr<std::vector<NewConsent>> BuildBatch(
    uint64_t start, uint64_t end, const ConfigIndex& config,
    const Pseudonymizer& pseudonymizer) {
  const Micros now = SystemClock::Get().Now();
  std::vector<NewConsent> batch;
  batch.reserve(static_cast<size_t>((end - start) * 11 / 10 + 1));
  for (uint64_t i = start; i < end; ++i) {
    for (const bool phone : {false, true}) {
      if (phone ? !HasPhoneConsent(i) : !HasInsertConsent(i)) continue;
      auto c = BuildConsent(i, phone, config, pseudonymizer, now);
      if (!c.ok()) {
        return absl::InternalError(
            StrCat("seed consent of customer ", i, ": ", c.status().message()));
      }
      batch.push_back(*std::move(c));
    }
  }
  return batch;
}

// Imports customers [from, to), building batch k+1 while the store commits k.
absl::Status Import(SqliteStore& store, uint64_t from, uint64_t to,
                    const ConfigIndex& config,
                    const Pseudonymizer& pseudonymizer, std::ostream& log,
                    const std::atomic<bool>* interrupted, uint64_t* consents) {
  const auto t0 = std::chrono::steady_clock::now();
  std::future<absl::Status> inflight;
  uint64_t inflight_end = from, inflight_consents = 0;
  uint64_t committed = from;
  const uint64_t step = std::max<uint64_t>((to - from) / 10, 1);
  uint64_t next_report = from + step;
  for (uint64_t start = from; start < to; start += kBatchCustomers) {
    if (interrupted != nullptr && interrupted->load()) {
      if (inflight.valid()) (void)inflight.get();
      return absl::CancelledError(
          StrCat("interrupted while seeding, after about ", committed,
                 " customers; a run on the same --data-dir resumes"));
    }
    const uint64_t end = std::min(to, start + kBatchCustomers);
    auto batch = BuildBatch(start, end, config, pseudonymizer);
    if (!batch.ok()) return batch.status();
    if (inflight.valid()) {
      if (absl::Status s = inflight.get(); !s.ok()) return s;
      committed = inflight_end;
      *consents += inflight_consents;
    }
    if (committed >= next_report) {
      const double t = SecondsSince(t0);
      log << "  " << committed << " customers, " << *consents << " consents, "
          << static_cast<int>(t) << " s, "
          << static_cast<uint64_t>(static_cast<double>(*consents) / t)
          << " consents/s\n"
          << std::flush;
      next_report = committed + step;
    }
    inflight_end = end;
    inflight_consents = batch->size();
    inflight = std::async(
        std::launch::async,
        [s = &store, b = *std::move(batch)] { return s->ImportConsents(b); });
  }
  if (inflight.valid()) {
    if (absl::Status s = inflight.get(); !s.ok()) return s;
    *consents += inflight_consents;
  }
  return absl::OkStatus();
}

// Withdraws the AD_INSERT consent of every kWithdrawn customer in [from, to)
// through Store::WithdrawConsent, as the consent desk would one by one, from
// kWithdrawThreads threads so that the store group-commits them.
absl::Status Withdraw(SqliteStore& store, uint64_t from, uint64_t to,
                      const ConfigIndex& config,
                      const Pseudonymizer& pseudonymizer, std::ostream& log,
                      const std::atomic<bool>* interrupted,
                      uint64_t* withdrawals) {
  // Customers i with i mod 20 in {11, 12}: two per block of 20.
  std::atomic<uint64_t> next_block{from / 20};
  const uint64_t end_block = (to + 19) / 20;
  std::atomic<uint64_t> done{0};
  std::mutex mu;
  absl::Status first_error;  // guarded by mu
  std::atomic<bool> stop{false};
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t expected = std::max<uint64_t>((to - from) / 10, 1);
  auto work = [&] {
    for (;;) {
      const uint64_t b = next_block.fetch_add(1);
      if (b >= end_block || stop.load() ||
          (interrupted != nullptr && interrupted->load())) {
        return;
      }
      for (uint64_t i = 20 * b + 11; i <= 20 * b + 12; ++i) {
        if (i < from || i >= to) continue;
        v1::WithdrawConsentRequest req;
        req.set_request_id(StrCat("gkprintbench-wd-", i));
        req.set_customer_id(CustomerIdOf(i));
        req.set_purpose(v1::PURPOSE_AD_INSERT);
        req.set_company_id(kCompany);
        req.set_channel(v1::CONSENT_CHANNEL_COUNTER);
        req.set_evidence_ref("gkprintbench-seed");
        req.set_reason("お客様のお申し出");
        req.set_requested_by("gkprintbench");
        absl::Status s = policy::ValidateWithdrawConsent(req, config);
        if (s.ok()) {
          Withdrawal w{req, Fingerprint(pseudonymizer, "WithdrawConsent", req),
                       SystemClock::Get().Now()};
          auto r = store.WithdrawConsent(w);
          if (!r.ok()) {
            s = r.status();
          } else if (r->consents_size() != 1) {
            s = absl::InternalError(StrCat("withdrawing customer ", i, ": ",
                                           r->consents_size(),
                                           " consents withdrawn, not 1"));
          }
        }
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.ok()) first_error = s;
          stop.store(true);
          return;
        }
        const uint64_t n = done.fetch_add(1) + 1;
        if (n % (expected / 5 + 1) == 0) {
          const double t = SecondsSince(t0);
          std::lock_guard<std::mutex> lock(mu);
          log << "  " << n << " withdrawals, " << static_cast<int>(t) << " s, "
              << static_cast<uint64_t>(static_cast<double>(n) / t)
              << " withdrawals/s\n"
              << std::flush;
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kWithdrawThreads; ++t) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  *withdrawals = done.load();
  std::lock_guard<std::mutex> lock(mu);
  if (!first_error.ok()) return first_error;
  if (interrupted != nullptr && interrupted->load()) {
    return absl::CancelledError(
        "interrupted while withdrawing; a run on the same --data-dir resumes");
  }
  return absl::OkStatus();
}

// leaflet-a, -b and -c: created by kCreator and approved by kApprover, unless
// they exist already (a draft left by an interrupted seed is approved).
absl::Status EnsureCampaigns(SqliteStore& store, const ConfigIndex& config,
                             std::ostream& log) {
  const Micros now = SystemClock::Get().Now();
  auto all = store.ListCampaigns();
  if (!all.ok()) return all.status();
  const std::vector<std::string> items(
      config.config().ad_display_items().begin(),
      config.config().ad_display_items().end());
  for (const char* id : kLeaflets) {
    const v1::Campaign* found = nullptr;
    for (const v1::Campaign& c : *all) {
      if (c.campaign_id() == id) found = &c;
    }
    if (found != nullptr && found->state() == v1::CAMPAIGN_STATE_APPROVED) {
      continue;
    }
    if (found == nullptr) {
      v1::CreateCampaignRequest req;
      req.set_actor(kCreator);
      v1::Campaign* c = req.mutable_campaign();
      c->set_campaign_id(id);
      c->set_kind(v1::CAMPAIGN_KIND_INSERT);
      c->set_company_id(kCompany);
      c->set_goods_type("光回線サービスのご案内チラシ");
      *c->mutable_starts_at() = FromMicros(now - kDay);
      *c->mutable_ends_at() = FromMicros(now + 3650 * kDay);
      c->set_description(StrCat("gkprintbench: ", id));
      // A lawful leaflet (特定商取引法 Art. 11): what approval requires.
      c->set_leaflet_sha256(ToHex(Sha256(StrCat("gkprintbench artwork ", id))));
      c->set_legal_review_id(StrCat("gkprintbench-legal-review-", id));
      for (const std::string& item : items) {
        (*c->mutable_disclosures())[item] = "gkprintbench";
      }
      if (absl::Status s = policy::ValidateCreateCampaign(req, config);
          !s.ok()) {
        return s;
      }
      auto created = store.CreateCampaign(policy::NewDraft(req, now), kCreator);
      if (!created.ok()) return created.status();
    }
    auto approved = store.TransitionCampaign(
        id, "campaign.approved", kApprover,
        [now, &items](const v1::Campaign& current) {
          return policy::Approve(current, kApprover, "", now, items);
        });
    if (!approved.ok()) return approved.status();
    log << "created and approved campaign " << id << " (INSERT, by " << kCreator
        << ", approved by " << kApprover << ")\n";
  }
  return absl::OkStatus();
}

// Reads the campaigns straight from the database (without opening the store,
// which would load every consent into memory).
absl::Status CheckCampaigns(const fs::path& db) {
  auto conn = sqlite::Connection::Open(db.string(), SQLITE_OPEN_READWRITE);
  if (!conn.ok()) return conn.status();
  if (absl::Status s = (*conn)->Exec("PRAGMA query_only = 1"); !s.ok()) {
    return s;
  }
  const Micros now = SystemClock::Get().Now();
  for (const char* id : kLeaflets) {
    auto s =
        (*conn)->Prepare("SELECT body FROM campaigns WHERE campaign_id = ?");
    if (!s.ok()) return s.status();
    s->Bind(1, std::string_view(id));
    auto row = s->Step();
    if (!row.ok()) return row.status();
    v1::Campaign c;
    if (!*row || !c.ParseFromString(s->Text(0))) {
      return absl::FailedPreconditionError(
          StrCat("campaign ", id, " is missing from the seeded database"));
    }
    if (c.state() != v1::CAMPAIGN_STATE_APPROVED ||
        c.kind() != v1::CAMPAIGN_KIND_INSERT || ToMicros(c.starts_at()) > now ||
        ToMicros(c.ends_at()) <= now + kDay) {
      return absl::FailedPreconditionError(
          StrCat("campaign ", id, " of the seeded database is ",
                 v1::CampaignState_Name(c.state()), " from ",
                 FormatRfc3339(ToMicros(c.starts_at())), " to ",
                 FormatRfc3339(ToMicros(c.ends_at())),
                 ": not usable now; seed a fresh --data-dir"));
    }
  }
  return absl::OkStatus();
}

// Appends v as at least 8 decimal digits.
void AppendPadded(std::string& out, uint64_t v) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n < 8) buf[n++] = '0';
  while (n > 0) out.push_back(buf[--n]);
}

}  // namespace

absl::StatusOr<PrintSeedResult> SeedPrint(
    const fs::path& dir, const ConfigIndex& config, uint64_t customers,
    std::ostream& log, const std::atomic<bool>* interrupted) {
  PrintSeedResult out;
  const fs::path db = dir / "gatekeeper.db";
  std::error_code ec;
  const bool db_exists = fs::exists(db, ec);
  // A marker without its database describes nothing.
  const uint64_t marked = db_exists ? kMarker.Read(dir) : 0;
  out.customers = std::max(marked, customers);
  auto key = Pseudonymizer::LoadOrCreate(dir / "pseudonym.key");
  if (!key.ok()) return key.status();

  if (db_exists && marked >= customers) {
    out.reused = true;
    log << "reusing the seeded database in " << dir.string() << " (" << marked
        << " customers of the gkprintbench layout)\n";
  } else {
    if (db_exists) {
      log << "the database exists with " << marked
          << " customers marked as seeded; seeding from customer " << marked
          << " (known request ids are skipped)\n";
    }
    SqliteStoreOptions so;
    so.path = db.string();
    auto store = SqliteStore::Open(so);
    if (!store.ok()) return store.status();
    log << "seeding customers " << marked << " to " << customers
        << ": consents by ImportConsents in transactions of " << kBatchCustomers
        << " customers ...\n"
        << std::flush;
    auto t0 = std::chrono::steady_clock::now();
    absl::Status s = Import(**store, marked, customers, config, *key, log,
                            interrupted, &out.consents);
    out.import_seconds = SecondsSince(t0);
    if (s.ok()) {
      log << "imported " << out.consents << " consents in "
          << out.import_seconds << " s: "
          << static_cast<uint64_t>(static_cast<double>(out.consents) /
                                   out.import_seconds)
          << " consents/s\n"
          << "withdrawing 2 customers in 20 by WithdrawConsent from "
          << kWithdrawThreads << " threads ...\n"
          << std::flush;
      t0 = std::chrono::steady_clock::now();
      s = Withdraw(**store, marked, customers, config, *key, log, interrupted,
                   &out.withdrawals);
      out.withdraw_seconds = SecondsSince(t0);
    }
    if (s.ok()) {
      log << "withdrew " << out.withdrawals << " consents in "
          << out.withdraw_seconds << " s: "
          << static_cast<uint64_t>(static_cast<double>(out.withdrawals) /
                                   out.withdraw_seconds)
          << " withdrawals/s\n"
          << std::flush;
      t0 = std::chrono::steady_clock::now();
      s = EnsureCampaigns(**store, config, log);
      out.campaign_seconds = SecondsSince(t0);
    }
    (*store)->Close();
    store->reset();
    if (!s.ok()) return s;
    if (absl::Status m = kMarker.Write(dir, customers); !m.ok()) return m;
  }
  if (absl::Status s = CheckCampaigns(db); !s.ok()) return s;
  return out;
}

absl::StatusOr<ManifestFile> EnsureManifest(const fs::path& dir,
                                            uint64_t documents,
                                            uint64_t customers) {
  ManifestFile out;
  out.path = dir / StrCat("print-manifest-v1-", documents, "-of-", customers,
                          "-customers.csv");
  std::error_code ec;
  if (fs::exists(out.path, ec)) {
    out.reused = true;
    out.bytes = static_cast<uint64_t>(fs::file_size(out.path, ec));
    return out;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path tmp = out.path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f)
      return absl::UnavailableError(StrCat("cannot write ", tmp.string()));
    std::string buf = "document_id,customer_id,insert_codes\n";
    buf.reserve(1 << 20);
    for (uint64_t d = 0; d < documents; ++d) {
      buf += "BILL-202612-";
      AppendPadded(buf, d);
      buf += ",cust-";
      AppendPadded(buf, CustomerOfDocument(d, customers));
      buf += ',';
      const DocumentCodes codes = CodesOfDocument(d);
      for (int k = 0; k < codes.count; ++k) {
        if (k > 0) buf += ';';
        buf += codes.codes[static_cast<size_t>(k)];
      }
      buf += '\n';
      if (buf.size() > (1 << 20) - 256) {
        f.write(buf.data(), static_cast<std::streamsize>(buf.size()));
        out.bytes += buf.size();
        buf.clear();
      }
    }
    f.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    out.bytes += buf.size();
    f.flush();
    if (!f) {
      return absl::UnavailableError(
          StrCat("writing ", tmp.string(), " failed"));
    }
  }
  fs::rename(tmp, out.path, ec);
  if (ec) return absl::UnavailableError(ec.message());
  out.seconds = SecondsSince(t0);
  return out;
}

}  // namespace gatekeeper::bench
