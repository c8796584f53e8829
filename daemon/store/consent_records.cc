#include "daemon/store/consent_records.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <span>
#include <thread>

#include "daemon/common/crypto.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/store/audit_table.h"
#include "daemon/store/index_snapshot.h"

namespace gatekeeper {
namespace {

#define GK_CONSENT_COLUMNS                                                  \
  "consent_id, customer_id, purpose, company_id, phone_masked, notice_id, " \
  "channel, evidence_ref, collected_at, expires_at, collected_by, state, "  \
  "recorded_at, audit_seq, request_id"

v1::ConsentRecord RowToConsent(const sqlite::Stmt& s) {
  v1::ConsentRecord r;
  r.set_consent_id(s.Text(0));
  r.set_customer_id(s.Text(1));
  r.set_purpose(static_cast<v1::Purpose>(s.Int(2)));
  r.set_company_id(s.Text(3));
  r.set_phone_masked(s.Text(4));
  r.set_notice_id(s.Text(5));
  r.set_channel(static_cast<v1::ConsentChannel>(s.Int(6)));
  r.set_evidence_ref(s.Text(7));
  *r.mutable_collected_at() = FromMicros(s.Int(8));
  if (!s.IsNull(9)) *r.mutable_expires_at() = FromMicros(s.Int(9));
  r.set_collected_by(s.Text(10));
  r.set_state(static_cast<v1::ConsentState>(s.Int(11)));
  *r.mutable_recorded_at() = FromMicros(s.Int(12));
  r.set_audit_seq(static_cast<uint64_t>(s.Int(13)));
  r.set_request_id(s.Text(14));
  return r;
}

absl::StatusOr<std::vector<v1::ConsentRecord>> ReadConsents(sqlite::Stmt& s) {
  std::vector<v1::ConsentRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(RowToConsent(s));
  }
  return out;
}

absl::StatusOr<std::vector<ConsentFact>> ReadFacts(sqlite::Stmt& s) {
  std::vector<ConsentFact> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ConsentFact f;
    f.consent_id = s.Text(0);
    f.customer_id = s.Text(1);
    f.phone_pseudonym = s.Text(2);
    f.collected_at = s.Int(3);
    f.expires_at = s.IsNull(4) ? 0 : s.Int(4);
    f.state = static_cast<v1::ConsentState>(s.Int(5));
    out.push_back(std::move(f));
  }
  return out;
}

absl::Status AddEvent(sqlite::Connection& db, std::string_view consent_id,
                      int64_t event_no, v1::ConsentState state, Micros at,
                      v1::ConsentChannel channel, std::string_view evidence_ref,
                      std::string_view reason, uint64_t seq) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("INSERT INTO consent_events(consent_id, event_no, state, "
                 "at, channel, evidence_ref, reason, audit_seq) "
                 "VALUES(?,?,?,?,?,?,?,?)"));
  s.Bind(1, consent_id)
      .Bind(2, event_no)
      .Bind(3, static_cast<int64_t>(state))
      .Bind(4, at)
      .Bind(5, static_cast<int64_t>(channel))
      .Bind(6, evidence_ref)
      .Bind(7, reason)
      .Bind(8, static_cast<int64_t>(seq));
  return s.Run();
}

// The GRANTED consents in scope: (consent id, phone pseudonym).
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> InScope(
    sqlite::Connection& db, const WithdrawScope& scope) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt q,
      db.Prepare("SELECT consent_id, phone_hmac FROM consents WHERE "
                 "customer_id = ?1 AND state = ?2 AND (?3 = 0 OR purpose = ?3) "
                 "AND (?4 = '' OR company_id = ?4) AND "
                 "(COALESCE(length(?5), 0) = 0 OR phone_hmac = ?5) "
                 "ORDER BY consent_id"));
  q.Bind(1, scope.customer_id)
      .Bind(2, static_cast<int64_t>(v1::CONSENT_STATE_GRANTED))
      .Bind(3, static_cast<int64_t>(scope.purpose))
      .Bind(4, scope.company_id)
      .BindBlob(5, scope.phone_pseudonym);
  std::vector<std::pair<std::string, std::string>> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.emplace_back(q.Text(0), q.IsNull(1) ? std::string() : q.Text(1));
  }
  return out;
}

}  // namespace

absl::StatusOr<v1::ConsentRecord> InsertConsent(WriteContext& w,
                                                const NewConsent& c) {
  v1::ConsentRecord r;
  r.set_consent_id(c.consent_id);
  r.set_customer_id(c.customer_id);
  r.set_purpose(c.purpose);
  r.set_company_id(c.company_id);
  r.set_phone_masked(c.phone_masked);
  r.set_notice_id(c.notice_id);
  r.set_channel(c.channel);
  r.set_evidence_ref(c.evidence_ref);
  *r.mutable_collected_at() = FromMicros(c.collected_at);
  if (c.expires_at != 0) *r.mutable_expires_at() = FromMicros(c.expires_at);
  r.set_collected_by(c.collected_by);
  r.set_state(v1::CONSENT_STATE_GRANTED);
  *r.mutable_recorded_at() = FromMicros(c.recorded_at);
  r.set_request_id(c.request_id);
  ASSIGN_OR_RETURN(uint64_t seq, w.Append({"consent.recorded", c.collected_by,
                                           c.customer_id, ProtoJson(r)}));
  r.set_audit_seq(seq);
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      w.db().Prepare("INSERT INTO consents(consent_id, customer_id, purpose, "
                     "company_id, phone_hmac, phone_masked, notice_id, "
                     "channel, evidence_ref, collected_at, expires_at, "
                     "collected_by, state, recorded_at, audit_seq, "
                     "request_id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  s.Bind(1, c.consent_id)
      .Bind(2, c.customer_id)
      .Bind(3, static_cast<int64_t>(c.purpose))
      .Bind(4, c.company_id);
  if (c.phone_pseudonym.empty()) {
    s.BindNull(5);
  } else {
    s.BindBlob(5, c.phone_pseudonym);
  }
  s.Bind(6, c.phone_masked)
      .Bind(7, c.notice_id)
      .Bind(8, static_cast<int64_t>(c.channel))
      .Bind(9, c.evidence_ref)
      .Bind(10, c.collected_at);
  if (c.expires_at == 0) {
    s.BindNull(11);
  } else {
    s.Bind(11, c.expires_at);
  }
  s.Bind(12, c.collected_by)
      .Bind(13, static_cast<int64_t>(v1::CONSENT_STATE_GRANTED))
      .Bind(14, c.recorded_at)
      .Bind(15, static_cast<int64_t>(seq))
      .Bind(16, c.request_id);
  RETURN_IF_ERROR(s.Run());
  RETURN_IF_ERROR(AddEvent(w.db(), c.consent_id, 1, v1::CONSENT_STATE_GRANTED,
                           c.recorded_at, c.channel, c.evidence_ref, "", seq));
  RETURN_IF_ERROR(w.RememberRequest("RecordConsent", c.request_id,
                                    c.fingerprint, c.consent_id));
  ConsentIndex::Change change{{}, /*only_state=*/false};
  change.entry.fact = {c.consent_id,      c.customer_id,
                       c.phone_pseudonym, c.collected_at,
                       c.expires_at,      v1::CONSENT_STATE_GRANTED};
  change.entry.purpose = c.purpose;
  change.entry.company_id = c.company_id;
  change.phone_masked = c.phone_masked;
  w.pending().consents.push_back(std::move(change));
  w.Touch(CustomerKey(c.customer_id));
  if (!c.phone_pseudonym.empty()) w.Touch(PhoneKey(c.phone_pseudonym));
  return r;
}

absl::StatusOr<std::optional<v1::ConsentRecord>> GetConsent(
    sqlite::Connection& db, std::string_view consent_id) {
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   db.Prepare("SELECT " GK_CONSENT_COLUMNS
                              " FROM consents WHERE consent_id = ?"));
  s.Bind(1, consent_id);
  ASSIGN_OR_RETURN(auto rows, ReadConsents(s));
  if (rows.empty()) return std::optional<v1::ConsentRecord>();
  return std::optional<v1::ConsentRecord>(std::move(rows[0]));
}

absl::StatusOr<std::vector<std::string>> ConsentsInScope(
    sqlite::Connection& db, const WithdrawScope& scope) {
  ASSIGN_OR_RETURN(auto rows, InScope(db, scope));
  std::vector<std::string> ids;
  for (auto& [id, phone] : rows) ids.push_back(std::move(id));
  return ids;
}

absl::StatusOr<std::vector<v1::ConsentRecord>> WithdrawInScope(
    WriteContext& w, const WithdrawScope& scope, Micros at,
    v1::ConsentChannel channel, std::string_view evidence_ref,
    std::string_view reason, uint64_t seq) {
  ASSIGN_OR_RETURN(auto rows, InScope(w.db(), scope));
  std::vector<v1::ConsentRecord> out;
  for (const auto& [id, phone] : rows) {
    ASSIGN_OR_RETURN(sqlite::Stmt u,
                     w.db().Prepare("UPDATE consents SET state = ? WHERE "
                                    "consent_id = ?"));
    u.Bind(1, static_cast<int64_t>(v1::CONSENT_STATE_WITHDRAWN)).Bind(2, id);
    RETURN_IF_ERROR(u.Run());
    ASSIGN_OR_RETURN(
        sqlite::Stmt n,
        w.db().Prepare("SELECT COALESCE(MAX(event_no), 0) + 1 "
                       "FROM consent_events WHERE consent_id = ?"));
    n.Bind(1, id);
    ASSIGN_OR_RETURN(bool row, n.Step());
    const int64_t event_no = row ? n.Int(0) : 1;
    RETURN_IF_ERROR(AddEvent(w.db(), id, event_no, v1::CONSENT_STATE_WITHDRAWN,
                             at, channel, evidence_ref, reason, seq));
    ConsentIndex::Change change{{}, /*only_state=*/true};
    change.entry.fact.consent_id = id;
    change.entry.fact.customer_id = scope.customer_id;
    change.entry.fact.phone_pseudonym = phone;
    change.entry.fact.state = v1::CONSENT_STATE_WITHDRAWN;
    w.pending().consents.push_back(std::move(change));
    w.Touch(CustomerKey(scope.customer_id));
    if (!phone.empty()) w.Touch(PhoneKey(phone));
    ASSIGN_OR_RETURN(std::optional<v1::ConsentRecord> rec,
                     GetConsent(w.db(), id));
    if (rec.has_value()) out.push_back(*std::move(rec));
  }
  return out;
}

absl::StatusOr<std::vector<v1::ConsentRecord>> ConsentPageOf(
    sqlite::Connection& db, std::string_view customer_id,
    std::string_view after_consent_id, size_t limit) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      customer_id.empty()
          ? db.Prepare("SELECT " GK_CONSENT_COLUMNS
                       " FROM consents WHERE consent_id > ?1 "
                       "ORDER BY consent_id LIMIT ?2")
          : db.Prepare("SELECT " GK_CONSENT_COLUMNS
                       " FROM consents WHERE consent_id > ?1 AND "
                       "customer_id = ?3 ORDER BY consent_id LIMIT ?2"));
  s.Bind(1, after_consent_id).Bind(2, static_cast<int64_t>(limit));
  if (!customer_id.empty()) s.Bind(3, customer_id);
  return ReadConsents(s);
}

absl::StatusOr<std::optional<std::string>> RecordedFingerprint(
    sqlite::Connection& db, std::string_view request_id) {
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   db.Prepare("SELECT fingerprint FROM requests WHERE "
                              "method = 'RecordConsent' AND request_id = ?"));
  s.Bind(1, request_id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(s.Text(0));
}

absl::StatusOr<std::vector<v1::ConsentRecord>> ListConsentsOf(
    sqlite::Connection& db, std::string_view customer_id,
    bool include_history) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      include_history
          ? db.Prepare("SELECT " GK_CONSENT_COLUMNS
                       " FROM consents WHERE customer_id = ? "
                       "ORDER BY recorded_at, consent_id")
          : db.Prepare("SELECT " GK_CONSENT_COLUMNS
                       " FROM consents WHERE customer_id = ? AND state = 1 "
                       "ORDER BY recorded_at, consent_id"));
  static_assert(v1::CONSENT_STATE_GRANTED == 1);
  s.Bind(1, customer_id);
  ASSIGN_OR_RETURN(std::vector<v1::ConsentRecord> out, ReadConsents(s));
  if (!include_history) return out;
  for (v1::ConsentRecord& r : out) {
    ASSIGN_OR_RETURN(
        sqlite::Stmt e,
        db.Prepare("SELECT state, at, channel, evidence_ref, reason, "
                   "audit_seq FROM consent_events WHERE consent_id = ? "
                   "ORDER BY event_no"));
    e.Bind(1, r.consent_id());
    while (true) {
      ASSIGN_OR_RETURN(bool row, e.Step());
      if (!row) break;
      v1::ConsentEvent* ev = r.add_history();
      ev->set_state(static_cast<v1::ConsentState>(e.Int(0)));
      *ev->mutable_at() = FromMicros(e.Int(1));
      ev->set_channel(static_cast<v1::ConsentChannel>(e.Int(2)));
      ev->set_evidence_ref(e.Text(3));
      ev->set_reason(e.Text(4));
      ev->set_audit_seq(static_cast<uint64_t>(e.Int(5)));
    }
  }
  return out;
}

absl::StatusOr<std::vector<ConsentFact>> ConsentFactsOfCustomer(
    sqlite::Connection& db, std::string_view customer_id, v1::Purpose purpose,
    std::string_view company_id) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT consent_id, customer_id, phone_hmac, collected_at, "
                 "expires_at, state FROM consents WHERE customer_id = ?1 AND "
                 "purpose = ?2 AND company_id = ?3"));
  s.Bind(1, customer_id)
      .Bind(2, static_cast<int64_t>(purpose))
      .Bind(3, company_id);
  return ReadFacts(s);
}

absl::StatusOr<std::vector<ConsentFact>> ConsentFactsOfPhone(
    sqlite::Connection& db, std::string_view phone_pseudonym,
    v1::Purpose purpose, std::string_view company_id) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT consent_id, customer_id, phone_hmac, collected_at, "
                 "expires_at, state FROM consents WHERE phone_hmac = "
                 "CAST(?1 AS BLOB) AND purpose = ?2 AND company_id = ?3"));
  s.Bind(1, phone_pseudonym)
      .Bind(2, static_cast<int64_t>(purpose))
      .Bind(3, company_id);
  return ReadFacts(s);
}

namespace {

// Rows of the consents table, their strings copied into one buffer, so that
// the index adds them a batch at a time (and looks ahead in the batch).
class RowBatch {
 public:
  static constexpr size_t kRows = 4096;

  void Clear() {
    text_.clear();
    rows_.clear();
    offsets_.clear();
  }
  bool full() const { return rows_.size() == kRows; }
  void Add(const sqlite::Stmt& s) {
    ConsentIndex::Row row;
    row.consent_id = Copy(s.TextView(0));
    row.customer_id = Copy(s.TextView(1));
    row.phone_pseudonym = Copy(s.TextView(2));
    row.collected_at = s.Int(3);
    row.expires_at = s.IsNull(4) ? 0 : s.Int(4);
    row.state = static_cast<v1::ConsentState>(s.Int(5));
    row.purpose = static_cast<v1::Purpose>(s.Int(6));
    row.company_id = Copy(s.TextView(7));
    row.phone_masked = Copy(s.TextView(8));  // used with a number only
    rows_.push_back(row);
  }
  // The rows, their views pointing into the buffer (which no longer moves).
  std::span<const ConsentIndex::Row> Rows() {
    size_t next = 0;
    for (ConsentIndex::Row& row : rows_) {
      for (std::string_view* v :
           {&row.consent_id, &row.customer_id, &row.phone_pseudonym,
            &row.company_id, &row.phone_masked}) {
        *v = std::string_view(text_.data() + offsets_[next++], v->size());
      }
    }
    return rows_;
  }

 private:
  // Appends the bytes. Only the size of the view returned is kept: Rows()
  // points it into the buffer.
  std::string_view Copy(std::string_view bytes) {
    offsets_.push_back(text_.size());
    text_.append(bytes);
    return bytes;
  }

  std::string text_;
  std::vector<ConsentIndex::Row> rows_;
  std::vector<size_t> offsets_;  // of each view, in Rows()' order
};

}  // namespace

absl::Status LoadConsentIndex(sqlite::Connection& db, ConsentIndex& index) {
  {
    // The largest rowid bounds the number of consents (purges remove some).
    ASSIGN_OR_RETURN(sqlite::Stmt n,
                     db.Prepare("SELECT max(rowid) FROM consents"));
    ASSIGN_OR_RETURN(bool row, n.Step());
    if (row && !n.IsNull(0)) index.Reserve(static_cast<size_t>(n.Int(0)));
  }
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT consent_id, customer_id, phone_hmac, "
                 "collected_at, expires_at, state, purpose, company_id, "
                 "phone_masked FROM consents"));
  // Two cores: this thread reads the table a batch ahead while another adds
  // the batch before it to the index (the index is touched by that thread
  // only, one batch at a time, in table order).
  RowBatch batches[2];
  std::mutex mu;
  std::condition_variable cv;
  int ready = -1;     // the batch handed over, -1: none; guarded by mu
  bool done = false;  // no more batches; guarded by mu
  std::thread loader([&] {
    for (;;) {
      int b;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return ready >= 0 || done; });
        if (ready < 0) return;
        b = ready;
      }
      index.Load(batches[b].Rows());
      {
        std::lock_guard<std::mutex> lock(mu);
        ready = -1;
      }
      cv.notify_all();
    }
  });
  // Hands batch b to the loader once it has taken the one before.
  auto hand_over = [&](int b) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return ready < 0; });
    ready = b;
    cv.notify_all();
  };
  absl::Status status;
  int filling = 0;
  for (;;) {
    auto row = s.Step();
    if (!row.ok()) {
      status = row.status();
      break;
    }
    if (!*row) break;
    batches[filling].Add(s);
    if (batches[filling].full()) {
      hand_over(filling);
      filling = 1 - filling;
      // The loader has taken the batch two back: refill its buffer.
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return ready != filling; });
      lock.unlock();
      batches[filling].Clear();
    }
  }
  if (status.ok()) hand_over(filling);
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return ready < 0; });
    done = true;
  }
  cv.notify_all();
  loader.join();
  return status;
}

absl::StatusOr<std::string> ConsentIndexSnapshotKey(sqlite::Connection& db) {
  ASSIGN_OR_RETURN(ChainHead head, LoadAuditHead(db));
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   db.Prepare("SELECT coalesce(max(rowid), 0) FROM consents"));
  ASSIGN_OR_RETURN(bool row, s.Step());
  const int64_t last = row ? s.Int(0) : 0;
  return StrCat("audit head ", head.seq, " ", ToHex(head.hash),
                ", last consent rowid ", last);
}

absl::StatusOr<std::string> LoadConsentIndexFrom(
    sqlite::Connection& db, const std::filesystem::path& snapshot,
    ConsentIndex& index) {
  ASSIGN_OR_RETURN(std::string key, ConsentIndexSnapshotKey(db));
  std::string why;
  {
    auto reader = SnapshotReader::Open(snapshot, key);
    if (reader.ok()) {
      const absl::Status restored = index.Restore(**reader);
      if (restored.ok())
        why = "";
      else
        why = StrCat("snapshot not used: ", restored.message());
    } else if (absl::IsNotFound(reader.status())) {
      why = "no snapshot";
    } else {
      why = StrCat("snapshot not used: ", reader.status().message());
    }
  }
  // Read once: after this start, only the next clean stop's is current.
  std::error_code ec;
  std::filesystem::remove(snapshot, ec);
  if (why.empty()) return std::string("from its snapshot");
  RETURN_IF_ERROR(LoadConsentIndex(db, index));
  return StrCat("from the consents table (", why, ")");
}

absl::Status SaveConsentIndexSnapshot(sqlite::Connection& db,
                                      const ConsentIndex& index,
                                      const std::filesystem::path& snapshot) {
  ASSIGN_OR_RETURN(std::string key, ConsentIndexSnapshotKey(db));
  ASSIGN_OR_RETURN(std::unique_ptr<SnapshotWriter> w,
                   SnapshotWriter::Create(snapshot, key));
  index.Save(*w);
  return w->Commit();
}

}  // namespace gatekeeper
