#include "daemon/store/sqlite_store.h"

#include <google/protobuf/util/json_util.h>
#include <pthread.h>

#include <cstdio>
#include <future>

#include "absl/status/status.h"
#include "daemon/common/crypto.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {
namespace {

constexpr int kSchemaVersion = 2;

// Schema version 1. Times are microseconds since the Unix epoch. Phone numbers
// exist only as HMAC pseudonyms and masked strings. Version 2 replaces the
// audit_by_customer index with the run index of customer_runs.h.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE consents(
  consent_id   TEXT PRIMARY KEY,
  customer_id  TEXT NOT NULL,
  purpose      INTEGER NOT NULL,
  company_id   TEXT NOT NULL,
  phone_hmac   BLOB,
  phone_masked TEXT NOT NULL,
  notice_id    TEXT NOT NULL,
  channel      INTEGER NOT NULL,
  evidence_ref TEXT NOT NULL,
  collected_at INTEGER NOT NULL,
  expires_at   INTEGER,
  collected_by TEXT NOT NULL,
  state        INTEGER NOT NULL,
  recorded_at  INTEGER NOT NULL,
  audit_seq    INTEGER NOT NULL,
  request_id   TEXT NOT NULL);
CREATE INDEX consents_by_customer ON consents(customer_id, purpose, company_id);
CREATE INDEX consents_by_phone ON consents(phone_hmac, purpose, company_id)
  WHERE phone_hmac IS NOT NULL;
CREATE TABLE consent_events(
  consent_id   TEXT NOT NULL,
  event_no     INTEGER NOT NULL,
  state        INTEGER NOT NULL,
  at           INTEGER NOT NULL,
  channel      INTEGER NOT NULL,
  evidence_ref TEXT NOT NULL,
  reason       TEXT NOT NULL,
  audit_seq    INTEGER NOT NULL,
  PRIMARY KEY(consent_id, event_no)) WITHOUT ROWID;
CREATE TABLE requests(
  method      TEXT NOT NULL,
  request_id  TEXT NOT NULL,
  fingerprint BLOB NOT NULL,
  result      BLOB NOT NULL,
  PRIMARY KEY(method, request_id)) WITHOUT ROWID;
CREATE TABLE campaigns(
  campaign_id TEXT PRIMARY KEY,
  body        BLOB NOT NULL);
CREATE TABLE audit(
  seq          INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  actor        TEXT NOT NULL,
  customer_id  TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  prev_hash    BLOB NOT NULL,
  hash         BLOB NOT NULL);
CREATE INDEX audit_by_customer ON audit(customer_id, seq)
  WHERE customer_id <> '';
CREATE TABLE audit_head(
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash BLOB NOT NULL);
)sql";

constexpr char kConsentColumns[] =
    "consent_id, customer_id, purpose, company_id, phone_masked, notice_id, "
    "channel, evidence_ref, collected_at, expires_at, collected_by, state, "
    "recorded_at, audit_seq, request_id";

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

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

AuditRecord RowToAudit(const sqlite::Stmt& s) {
  AuditRecord r;
  r.seq = static_cast<uint64_t>(s.Int(0));
  r.at = s.Int(1);
  r.kind = s.Text(2);
  r.actor = s.Text(3);
  r.customer_id = s.Text(4);
  r.payload_json = s.Text(5);
  r.prev_hash = s.Text(6);
  r.hash = s.Text(7);
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

absl::Status Migrate(sqlite::Connection& db) {
  int64_t version = 0;
  {
    // Reset before the schema changes: DROP fails while a statement runs.
    ASSIGN_OR_RETURN(sqlite::Stmt v, db.Prepare("PRAGMA user_version"));
    ASSIGN_OR_RETURN(bool row, v.Step());
    if (row) version = v.Int(0);
  }
  if (version == kSchemaVersion) return absl::OkStatus();
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(StrCat(
        "database schema version ", version,
        " is newer than this gatekeeperd understands (", kSchemaVersion, ")"));
  }
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  absl::Status s;
  if (version < 1) s = db.Exec(kSchemaV1);
  if (s.ok()) s = db.Exec("DROP INDEX IF EXISTS audit_by_customer");
  if (s.ok()) s = db.Exec(kCustomerRunsSchema);
  if (s.ok()) s = db.Exec("PRAGMA user_version = 2");
  if (s.ok()) s = db.Exec("COMMIT");
  if (!s.ok()) (void)db.Exec("ROLLBACK");
  return s;
}

// Reads the head anchor and checks the last entry against it.
absl::StatusOr<ChainHead> LoadHead(sqlite::Connection& db) {
  ASSIGN_OR_RETURN(sqlite::Stmt h,
                   db.Prepare("SELECT seq, hash FROM audit_head WHERE id = 1"));
  ASSIGN_OR_RETURN(bool has_anchor, h.Step());
  ChainHead anchor;
  if (has_anchor) {
    anchor.seq = static_cast<uint64_t>(h.Int(0));
    anchor.hash = h.Text(1);
  }
  ASSIGN_OR_RETURN(
      sqlite::Stmt last,
      db.Prepare("SELECT seq, at, kind, actor, customer_id, payload_json, "
                 "prev_hash, hash FROM audit ORDER BY seq DESC LIMIT 1"));
  ASSIGN_OR_RETURN(bool has_last, last.Step());
  if (!has_last) {
    if (anchor.seq != 0) {
      return absl::DataLossError(
          StrCat("audit log is empty but its head anchor says ", anchor.seq,
                 " entries; run gkctl audit verify"));
    }
    return anchor;
  }
  const AuditRecord r = RowToAudit(last);
  if (r.seq != anchor.seq || r.hash != anchor.hash) {
    return absl::DataLossError(StrCat("audit log ends at entry ", r.seq,
                                      " but its head anchor says ", anchor.seq,
                                      "; the log was truncated or altered"));
  }
  if (ComputeEntryHash(r) != r.hash) {
    return absl::DataLossError(
        StrCat("audit entry ", r.seq,
               " does not match its hash; the log was altered"));
  }
  return anchor;
}

}  // namespace

// What a write sees inside its transaction.
class SqliteStore::WriteContext final : public StateView {
 public:
  WriteContext(sqlite::Connection& db, ChainBuilder& chain, const Clock& clock)
      : db_(db), chain_(chain), clock_(clock) {}
  sqlite::Connection& db() { return db_; }
  Micros Now() const { return clock_.Now(); }

  // Seals the draft onto the chain and inserts it; returns its seq.
  absl::StatusOr<uint64_t> Append(AuditDraft draft) {
    AuditRecord r = chain_.Seal(std::move(draft), clock_.Now());
    ASSIGN_OR_RETURN(
        sqlite::Stmt s,
        db_.Prepare("INSERT INTO audit(seq, at, kind, actor, customer_id, "
                    "payload_json, prev_hash, hash) VALUES(?,?,?,?,?,?,?,?)"));
    s.Bind(1, static_cast<int64_t>(r.seq))
        .Bind(2, r.at)
        .Bind(3, r.kind)
        .Bind(4, r.actor)
        .Bind(5, r.customer_id)
        .Bind(6, r.payload_json)
        .BindBlob(7, r.prev_hash)
        .BindBlob(8, r.hash);
    RETURN_IF_ERROR(s.Run());
    appended_.emplace_back(r.seq, std::move(r.customer_id));
    return r.seq;
  }

  // Idempotency: nullopt when the request_id is new; the stored result when
  // the fingerprint matches; ALREADY_EXISTS otherwise.
  absl::StatusOr<std::optional<std::string>> SeenRequest(
      std::string_view method, std::string_view request_id,
      std::string_view fingerprint) {
    if (request_id.empty()) return std::optional<std::string>();
    ASSIGN_OR_RETURN(sqlite::Stmt s,
                     db_.Prepare("SELECT fingerprint, result FROM requests "
                                 "WHERE method = ? AND request_id = ?"));
    s.Bind(1, method).Bind(2, request_id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<std::string>();
    if (s.Text(0) != fingerprint) {
      return absl::AlreadyExistsError(
          StrCat("request_id: \"", request_id,
                 "\" was already used for a request with different content"));
    }
    return std::optional<std::string>(s.Text(1));
  }

  absl::Status RememberRequest(std::string_view method,
                               std::string_view request_id,
                               std::string_view fingerprint,
                               std::string_view result) {
    if (request_id.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(sqlite::Stmt s,
                     db_.Prepare("INSERT INTO requests(method, request_id, "
                                 "fingerprint, result) VALUES(?,?,?,?)"));
    s.Bind(1, method)
        .Bind(2, request_id)
        .BindBlob(3, fingerprint)
        .BindBlob(4, result);
    return s.Run();
  }

  absl::StatusOr<std::optional<v1::ConsentRecord>> GetConsent(
      std::string_view consent_id) {
    static const std::string sql = StrCat(
        "SELECT ", kConsentColumns, " FROM consents WHERE consent_id = ?");
    ASSIGN_OR_RETURN(sqlite::Stmt s, db_.Prepare(sql.c_str()));
    s.Bind(1, consent_id);
    ASSIGN_OR_RETURN(auto rows, ReadConsents(s));
    if (rows.empty()) return std::optional<v1::ConsentRecord>();
    return std::optional<v1::ConsentRecord>(std::move(rows[0]));
  }

  absl::StatusOr<v1::ConsentRecord> InsertConsent(const NewConsent& c) {
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
    ASSIGN_OR_RETURN(uint64_t seq, Append({"consent.recorded", c.collected_by,
                                           c.customer_id, ToJson(r)}));
    r.set_audit_seq(seq);
    ASSIGN_OR_RETURN(
        sqlite::Stmt s,
        db_.Prepare("INSERT INTO consents(consent_id, customer_id, purpose, "
                    "company_id, phone_hmac, phone_masked, notice_id, channel, "
                    "evidence_ref, collected_at, expires_at, collected_by, "
                    "state, recorded_at, audit_seq, request_id) "
                    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
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
    RETURN_IF_ERROR(AddEvent(c.consent_id, 1, v1::CONSENT_STATE_GRANTED,
                             c.recorded_at, c.channel, c.evidence_ref, "",
                             seq));
    RETURN_IF_ERROR(RememberRequest("RecordConsent", c.request_id,
                                    c.fingerprint, c.consent_id));
    ConsentIndex::Change change{{}, /*only_state=*/false};
    change.entry.fact = {c.consent_id,      c.customer_id,
                         c.phone_pseudonym, c.collected_at,
                         c.expires_at,      v1::CONSENT_STATE_GRANTED};
    change.entry.purpose = c.purpose;
    change.entry.company_id = c.company_id;
    change.phone_masked = c.phone_masked;
    pending_consents_.push_back(std::move(change));
    return r;
  }

  absl::Status AddEvent(std::string_view consent_id, int64_t event_no,
                        v1::ConsentState state, Micros at,
                        v1::ConsentChannel channel,
                        std::string_view evidence_ref, std::string_view reason,
                        uint64_t seq) {
    ASSIGN_OR_RETURN(
        sqlite::Stmt s,
        db_.Prepare("INSERT INTO consent_events(consent_id, event_no, state, "
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

  // Reads through the write connection, so the transaction's own writes are
  // seen (the in-memory index only has committed ones).
  absl::StatusOr<std::vector<ConsentFact>> ConsentsOfCustomer(
      std::string_view customer_id, v1::Purpose purpose,
      std::string_view company_id) override {
    return FactsWhere(
        "SELECT consent_id, customer_id, phone_hmac, collected_at, expires_at, "
        "state FROM consents WHERE customer_id = ?1 AND purpose = ?2 AND "
        "company_id = ?3",
        customer_id, purpose, company_id);
  }

  absl::StatusOr<std::vector<ConsentFact>> ConsentsOfPhone(
      std::string_view phone_pseudonym, v1::Purpose purpose,
      std::string_view company_id) override {
    return FactsWhere(
        "SELECT consent_id, customer_id, phone_hmac, collected_at, expires_at, "
        "state FROM consents WHERE phone_hmac = CAST(?1 AS BLOB) AND "
        "purpose = ?2 AND company_id = ?3",
        phone_pseudonym, purpose, company_id);
  }

  absl::StatusOr<std::optional<v1::Campaign>> GetCampaign(
      std::string_view id) override {
    ASSIGN_OR_RETURN(
        sqlite::Stmt s,
        db_.Prepare("SELECT body FROM campaigns WHERE campaign_id = ?"));
    s.Bind(1, id);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<v1::Campaign>();
    v1::Campaign c;
    if (!c.ParseFromString(s.Text(0))) {
      return absl::DataLossError(
          StrCat("campaign ", id, ": stored record does not parse"));
    }
    return std::optional<v1::Campaign>(std::move(c));
  }

  // Campaigns and consents written in this transaction, for the in-memory
  // views after COMMIT.
  std::vector<v1::Campaign>& pending_campaigns() { return pending_campaigns_; }
  // The entries this transaction appended: (seq, customer_id).
  std::vector<std::pair<uint64_t, std::string>>& appended() {
    return appended_;
  }
  std::vector<ConsentIndex::Change>& pending_consents() {
    return pending_consents_;
  }

  absl::Status PutCampaign(const v1::Campaign& c, bool insert) {
    pending_campaigns_.push_back(c);
    ASSIGN_OR_RETURN(
        sqlite::Stmt s,
        db_.Prepare(insert ? "INSERT INTO campaigns(body, campaign_id) "
                             "VALUES(?, ?)"
                           : "UPDATE campaigns SET body = ? WHERE "
                             "campaign_id = ?"));
    std::string body;
    c.SerializeToString(&body);
    s.BindBlob(1, body).Bind(2, c.campaign_id());
    return s.Run();
  }

 private:
  absl::StatusOr<std::vector<ConsentFact>> FactsWhere(
      const char* sql, std::string_view key, v1::Purpose purpose,
      std::string_view company_id) {
    ASSIGN_OR_RETURN(sqlite::Stmt s, db_.Prepare(sql));
    s.Bind(1, key).Bind(2, static_cast<int64_t>(purpose)).Bind(3, company_id);
    return ReadFacts(s);
  }

  sqlite::Connection& db_;
  ChainBuilder& chain_;
  const Clock& clock_;
  std::vector<v1::Campaign> pending_campaigns_;
  std::vector<ConsentIndex::Change> pending_consents_;
  std::vector<std::pair<uint64_t, std::string>> appended_;
};

// A read connection borrowed from the pool; returned on destruction.
class SqliteStore::ReadLease {
 public:
  ReadLease(SqliteStore* store, std::unique_ptr<sqlite::Connection> conn,
            absl::Status status)
      : store_(store), conn_(std::move(conn)), status_(std::move(status)) {}
  ReadLease(ReadLease&&) = default;
  ~ReadLease() {
    if (conn_ != nullptr) {
      std::lock_guard<std::mutex> lock(store_->pool_mu_);
      store_->readers_.push_back(std::move(conn_));
    }
  }
  const absl::Status& status() const { return status_; }
  sqlite::Connection* operator->() { return conn_.get(); }
  sqlite::Connection& operator*() { return *conn_; }

 private:
  SqliteStore* store_;
  std::unique_ptr<sqlite::Connection> conn_;
  absl::Status status_;
};

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const SqliteStoreOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Connection> db,
                   sqlite::Connection::Open(
                       options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                       options.vfs));
  RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode = WAL"));
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = FULL"));
  // After a checkpoint resets the WAL, keep at most 64 MiB of it on disk.
  RETURN_IF_ERROR(db->Exec("PRAGMA journal_size_limit = 67108864"));
  RETURN_IF_ERROR(db->Exec("PRAGMA cache_size = -65536"));
  RETURN_IF_ERROR(Migrate(*db));
  ASSIGN_OR_RETURN(ChainHead head, LoadHead(*db));
  // Checkpoints run on their own connection and thread, so a commit never
  // waits for one (they copy pages and fsync the database file).
  ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Connection> checkpointer,
                   sqlite::Connection::Open(options.path, SQLITE_OPEN_READWRITE,
                                            options.vfs));
  // A connection learns that the database is in WAL mode on its first read;
  // until then a checkpoint through it does nothing.
  RETURN_IF_ERROR(checkpointer->Exec("SELECT count(*) FROM sqlite_master"));
  std::map<std::string, v1::Campaign, std::less<>> campaigns;
  {
    ASSIGN_OR_RETURN(sqlite::Stmt s,
                     db->Prepare("SELECT campaign_id, body FROM campaigns"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      v1::Campaign c;
      if (!c.ParseFromString(s.Text(1))) {
        return absl::DataLossError(
            StrCat("campaign ", s.Text(0), ": stored record does not parse"));
      }
      campaigns.emplace(s.Text(0), std::move(c));
    }
  }
  auto store = std::unique_ptr<SqliteStore>(
      new SqliteStore(options, std::move(db), std::move(head)));
  RETURN_IF_ERROR(store->LoadConsentIndex());
  RETURN_IF_ERROR(store->runs_index_.Load(*store->writer_));
  store->checkpointer_ = std::move(checkpointer);
  store->campaigns_ = std::move(campaigns);
  store->Start();
  return store;
}

SqliteStore::SqliteStore(SqliteStoreOptions options,
                         std::unique_ptr<sqlite::Connection> writer,
                         ChainHead head)
    : options_(std::move(options)),
      writer_(std::move(writer)),
      chain_(std::move(head)),
      runs_index_(options_.index_run_entries) {}

absl::Status SqliteStore::LoadConsentIndex() {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      writer_->Prepare("SELECT consent_id, customer_id, phone_hmac, "
                       "collected_at, expires_at, state, purpose, company_id, "
                       "phone_masked FROM consents"));
  std::vector<ConsentIndex::Change> changes;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ConsentIndex::Change c{{}, /*only_state=*/false};
    c.entry.fact.consent_id = s.Text(0);
    c.entry.fact.customer_id = s.Text(1);
    c.entry.fact.phone_pseudonym = s.Text(2);
    c.entry.fact.collected_at = s.Int(3);
    c.entry.fact.expires_at = s.IsNull(4) ? 0 : s.Int(4);
    c.entry.fact.state = static_cast<v1::ConsentState>(s.Int(5));
    c.entry.purpose = static_cast<v1::Purpose>(s.Int(6));
    c.entry.company_id = s.Text(7);
    if (!c.entry.fact.phone_pseudonym.empty()) c.phone_masked = s.Text(8);
    changes.push_back(std::move(c));
    if (changes.size() == 100000) {
      index_.Apply(changes);
      changes.clear();
    }
  }
  index_.Apply(changes);
  return absl::OkStatus();
}

void SqliteStore::Start() {
  sqlite3_wal_hook(
      writer_->raw(),
      [](void* arg, sqlite3*, const char*, int wal_pages) {
        auto* self = static_cast<SqliteStore*>(arg);
        if (wal_pages >= self->options_.checkpoint_pages) {
          self->RequestCheckpoint();
        }
        return SQLITE_OK;
      },
      this);
  // Named for top -H and perf.
  writer_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "gk-writer");
    WriterLoop();
  });
  checkpoint_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "gk-checkpoint");
    CheckpointLoop();
  });
}

SqliteStore::~SqliteStore() { Close(); }

void SqliteStore::Close() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    closing_ = true;
  }
  writer_cv_.notify_one();
  // The writer thread drains what is queued once no one leads, then exits.
  if (writer_thread_.joinable()) writer_thread_.join();
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_closing_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
}

namespace {
// Set while this thread is the writer: a Write() from one of the callbacks it
// runs would wait for a commit only this thread can make.
thread_local bool t_writing = false;
}  // namespace

void SqliteStore::Submit(Op op) {
  {
    std::unique_lock<std::mutex> lock(queue_mu_);
    if (!closing_) {
      queue_.push_back(std::move(op));
      // A writer takes it with its next batch (after a checkpoint hold, the
      // writer thread does); otherwise this thread becomes the writer.
      if (writer_busy_ || writer_paused_) return;
      writer_busy_ = true;
      lock.unlock();
      Lead();
      return;
    }
  }
  op.done(absl::UnavailableError("store is closed"));
}

absl::Status SqliteStore::Write(
    std::function<absl::Status(WriteContext&)> apply) {
  if (t_writing) {
    // It would wait for a commit that only this thread can make.
    return absl::InternalError(
        "a store write was started from a store callback");
  }
  std::promise<absl::Status> p;
  std::future<absl::Status> f = p.get_future();
  Submit({std::move(apply), [&p](absl::Status s) { p.set_value(std::move(s)); },
          /*changes_state=*/true, /*isolated=*/true});
  return f.get();
}

void SqliteStore::Lead() {
  t_writing = true;
  std::vector<Op> batch;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (queue_.empty() || writer_paused_) {
        writer_busy_ = false;
        t_writing = false;
        // A checkpoint hold waits for this; after it (or at Close) the
        // writer thread drains what is left.
        if (writer_paused_) writer_left_cv_.notify_all();
        if (writer_paused_ || closing_) writer_cv_.notify_one();
        return;
      }
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    batch.clear();
  }
}

void SqliteStore::WriterLoop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      writer_cv_.wait(lock, [&] {
        return !writer_busy_ && !writer_paused_ &&
               (closing_ || !queue_.empty());
      });
      if (queue_.empty()) return;  // closing and drained
      writer_busy_ = true;
    }
    Lead();
  }
}

absl::Status SqliteStore::Control(const char* sql) {
  ASSIGN_OR_RETURN(sqlite::Stmt s, writer_->Prepare(sql));
  return s.Run();
}

void SqliteStore::RunBatch(std::vector<Op>& batch) {
  const ChainHead committed = chain_.head();
  const uint64_t committed_version = state_version_;
  std::vector<absl::Status> results;
  results.reserve(batch.size());
  WriteContext ctx(*writer_, chain_, *options_.clock);
  // Runs the callers' callbacks here, on the committing thread.
  auto complete = [&](const absl::Status* all) {
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].done(all ? *all : std::move(results[i]));
    }
  };
  const size_t changes_mark = changes_.size();
  auto fail_all = [&](const absl::Status& why) {
    changes_.resize(changes_mark);
    // After an I/O error (a failed fsync above all) the kernel may have
    // dropped the pages it could not write, so a later "successful" commit
    // could sit on a log with a hole: refuse every write until a restart
    // recovers from what is really on disk. A full disk is not such an
    // error; writes resume when space returns.
    const int code = sqlite3_extended_errcode(writer_->raw());
    if ((code & 0xff) == SQLITE_IOERR && poisoned_.ok()) {
      poisoned_ = absl::UnavailableError(StrCat(
          "the store had an I/O error (", sqlite3_errstr(code),
          ") and refuses writes until gatekeeperd restarts: ", why.message()));
      // Operators must learn of it even before a log pipeline exists.
      std::fprintf(stderr, "gatekeeperd: %s\n",
                   std::string(poisoned_.message()).c_str());
      if (options_.on_refusing_writes) options_.on_refusing_writes(poisoned_);
    }
    (void)Control("ROLLBACK");
    runs_index_.RolledBack();
    chain_.Rewind(committed);
    state_version_ = committed_version;
    complete(&why);
  };
  if (!poisoned_.ok()) {
    complete(&poisoned_);
    return;
  }
  absl::Status s = Control("BEGIN IMMEDIATE");
  if (!s.ok()) return fail_all(s);
  bool any_ok = false;
  for (Op& op : batch) {
    // State changes run in a savepoint, so a refused one leaves the others.
    // A decision append has nothing to undo: it is refused (ABORTED) before
    // any SQL runs, and an SQL failure fails the whole batch.
    const bool isolated = op.isolated;
    if (isolated && !(s = Control("SAVEPOINT op")).ok()) return fail_all(s);
    const ChainHead mark = chain_.head();
    const size_t campaigns_mark = ctx.pending_campaigns().size();
    const size_t consents_mark = ctx.pending_consents().size();
    const size_t appended_mark = ctx.appended().size();
    absl::Status result = op.apply(ctx);
    if (result.ok()) {
      any_ok = true;
      if (op.changes_state) {
        ++state_version_;
        const auto& consents = ctx.pending_consents();
        for (size_t c = consents_mark; c < consents.size(); ++c) {
          const ConsentFact& f = consents[c].entry.fact;
          changes_.emplace_back(state_version_, CustomerKey(f.customer_id));
          if (!f.phone_pseudonym.empty()) {
            changes_.emplace_back(state_version_, PhoneKey(f.phone_pseudonym));
          }
        }
        const auto& campaigns = ctx.pending_campaigns();
        for (size_t c = campaigns_mark; c < campaigns.size(); ++c) {
          changes_.emplace_back(state_version_,
                                CampaignKey(campaigns[c].campaign_id()));
        }
      }
      if (isolated) s = Control("RELEASE op");
    } else if (isolated) {
      chain_.Rewind(mark);
      ctx.pending_campaigns().resize(campaigns_mark);
      ctx.pending_consents().resize(consents_mark);
      ctx.appended().resize(appended_mark);
      s = Control("ROLLBACK TO op");
      if (s.ok()) s = Control("RELEASE op");
    } else if (result.code() != absl::StatusCode::kAborted) {
      return fail_all(result);
    }
    if (!s.ok()) return fail_all(s);
    results.push_back(std::move(result));
  }
  // Keeps the per-customer index at twice the pace of the log.
  s = runs_index_.Step(*writer_, 64 + 2 * ctx.appended().size());
  if (!s.ok()) return fail_all(s);
  if (any_ok && chain_.head().seq != committed.seq) {
    auto head = writer_->Prepare(
        "INSERT INTO audit_head(id, seq, hash) VALUES(1, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = "
        "excluded.hash");
    if (!head.ok()) return fail_all(head.status());
    head->Bind(1, static_cast<int64_t>(chain_.head().seq))
        .BindBlob(2, chain_.head().hash);
    if (!(s = head->Run()).ok()) return fail_all(s);
  }
  if (!(s = Control("COMMIT")).ok()) {
    return fail_all(absl::UnavailableError(
        StrCat("commit failed, nothing was written: ", s.message())));
  }
  if (!ctx.pending_campaigns().empty()) {
    std::unique_lock<std::shared_mutex> lock(campaigns_mu_);
    for (auto& c : ctx.pending_campaigns()) {
      campaigns_[c.campaign_id()] = std::move(c);
    }
  }
  if (!ctx.pending_consents().empty()) index_.Apply(ctx.pending_consents());
  runs_index_.Committed(ctx.appended(), chain_.head().seq);
  while (changes_.size() > kMaxRecentChanges) {
    changes_floor_ = changes_.front().first;
    changes_.pop_front();
  }
  // Published after the in-memory views: a decision that reads the new
  // version also reads the new campaigns and consents.
  committed_state_version_.store(state_version_);
  complete(nullptr);
}

void SqliteStore::RequestCheckpoint() {
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_wanted_ = true;
  }
  checkpoint_cv_.notify_one();
}

void SqliteStore::CheckpointLoop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(checkpoint_mu_);
      checkpoint_cv_.wait(
          lock, [&] { return checkpoint_closing_ || checkpoint_wanted_; });
      if (checkpoint_closing_) return;
      checkpoint_wanted_ = false;
    }
    // PASSIVE copies the bulk without blocking the writer. Under steady load
    // it never catches up with the commits made meanwhile, and the WAL would
    // grow without bound. So once the WAL holds kRestartFrames, the writer is
    // held between two batches while a FULL checkpoint copies the frames
    // left; its next commit starts the WAL from the beginning again. Readers on
    // an older snapshot (a long VerifyAudit) make FULL give up after a short
    // busy wait rather than hold the writer. A failure (e.g. I/O) leaves the
    // WAL longer; the next request retries.
    sqlite3* db = checkpointer_->raw();
    int wal_frames = 0;
    (void)sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE,
                                    &wal_frames, nullptr);
    if (wal_frames < options_.restart_frames) continue;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      writer_paused_ = true;
      writer_left_cv_.wait(lock, [&] { return !writer_busy_; });
    }
    sqlite3_busy_timeout(db, 20);
    (void)sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_FULL, nullptr,
                                    nullptr);
    sqlite3_busy_timeout(db, 5000);
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      writer_paused_ = false;
    }
    // Writes queued during the hold had no one to lead them.
    writer_cv_.notify_one();
  }
}

absl::StatusOr<std::unique_ptr<sqlite::Connection>> SqliteStore::NewReader() {
  ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Connection> c,
                   sqlite::Connection::Open(
                       options_.path, SQLITE_OPEN_READWRITE, options_.vfs));
  RETURN_IF_ERROR(c->Exec("PRAGMA query_only = 1"));
  return c;
}

SqliteStore::ReadLease SqliteStore::Acquire() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!readers_.empty()) {
      auto c = std::move(readers_.back());
      readers_.pop_back();
      return ReadLease(this, std::move(c), absl::OkStatus());
    }
  }
  auto c = NewReader();
  if (!c.ok()) return ReadLease(this, nullptr, c.status());
  return ReadLease(this, *std::move(c), absl::OkStatus());
}

absl::StatusOr<v1::ConsentRecord> SqliteStore::RecordConsent(
    const NewConsent& consent) {
  v1::ConsentRecord out;
  absl::Status s = Write([&](WriteContext& w) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> seen,
                     w.SeenRequest("RecordConsent", consent.request_id,
                                   consent.fingerprint));
    if (seen.has_value()) {
      ASSIGN_OR_RETURN(std::optional<v1::ConsentRecord> prior,
                       w.GetConsent(*seen));
      if (!prior.has_value()) {
        return absl::DataLossError(
            StrCat("request_id refers to missing consent ", *seen));
      }
      out = *std::move(prior);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(out, w.InsertConsent(consent));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status SqliteStore::ImportConsents(const std::vector<NewConsent>& batch) {
  return Write([&](WriteContext& w) -> absl::Status {
    for (const NewConsent& c : batch) {
      ASSIGN_OR_RETURN(
          std::optional<std::string> seen,
          w.SeenRequest("RecordConsent", c.request_id, c.fingerprint));
      if (seen.has_value()) continue;
      auto r = w.InsertConsent(c);
      if (!r.ok()) return r.status();
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::WithdrawConsentResponse> SqliteStore::WithdrawConsent(
    const Withdrawal& wd) {
  v1::WithdrawConsentResponse out;
  const v1::WithdrawConsentRequest& req = wd.request;
  absl::Status s = Write([&](WriteContext& w) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::optional<std::string> seen,
        w.SeenRequest("WithdrawConsent", req.request_id(), wd.fingerprint));
    if (seen.has_value()) {
      if (!out.ParseFromString(*seen)) {
        return absl::DataLossError("stored withdrawal response does not parse");
      }
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(
        sqlite::Stmt q,
        w.db().Prepare("SELECT consent_id, phone_hmac FROM consents WHERE "
                       "customer_id = ? "
                       "AND state = ? AND (?3 = 0 OR purpose = ?3) AND "
                       "(?4 = '' OR company_id = ?4) ORDER BY consent_id"));
    q.Bind(1, req.customer_id())
        .Bind(2, static_cast<int64_t>(v1::CONSENT_STATE_GRANTED))
        .Bind(3, static_cast<int64_t>(req.purpose()))
        .Bind(4, req.company_id());
    std::vector<std::string> ids;
    std::map<std::string, std::string> phones;  // consent id -> pseudonym
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      ids.push_back(q.Text(0));
      if (!q.IsNull(1)) phones[ids.back()] = q.Text(1);
    }
    v1::WithdrawalPayload payload;
    payload.set_request_id(req.request_id());
    payload.set_customer_id(req.customer_id());
    payload.set_purpose(req.purpose());
    payload.set_company_id(req.company_id());
    payload.set_channel(req.channel());
    payload.set_evidence_ref(req.evidence_ref());
    payload.set_reason(req.reason());
    payload.set_requested_by(req.requested_by());
    for (const auto& id : ids) payload.add_consent_ids(id);
    ASSIGN_OR_RETURN(
        uint64_t seq,
        w.Append({"consent.withdrawn",
                  req.requested_by().empty() ? std::string("customer")
                                             : req.requested_by(),
                  req.customer_id(), ToJson(payload)}));
    out.set_audit_seq(seq);
    for (const auto& id : ids) {
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
      ConsentIndex::Change change{{}, /*only_state=*/true};
      change.entry.fact.consent_id = id;
      change.entry.fact.customer_id = req.customer_id();
      change.entry.fact.phone_pseudonym = phones[id];
      change.entry.fact.state = v1::CONSENT_STATE_WITHDRAWN;
      w.pending_consents().push_back(std::move(change));
      RETURN_IF_ERROR(w.AddEvent(id, event_no, v1::CONSENT_STATE_WITHDRAWN,
                                 wd.at, req.channel(), req.evidence_ref(),
                                 req.reason(), seq));
      ASSIGN_OR_RETURN(std::optional<v1::ConsentRecord> rec, w.GetConsent(id));
      if (rec.has_value()) *out.add_consents() = *std::move(rec);
    }
    std::string result;
    out.SerializeToString(&result);
    return w.RememberRequest("WithdrawConsent", req.request_id(),
                             wd.fingerprint, result);
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<v1::ConsentRecord>> SqliteStore::ListConsents(
    std::string_view customer_id, bool include_history) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  static const std::string current_sql =
      StrCat("SELECT ", kConsentColumns,
             " FROM consents WHERE customer_id = ? AND state = ",
             static_cast<int>(v1::CONSENT_STATE_GRANTED),
             " ORDER BY recorded_at, consent_id");
  static const std::string all_sql =
      StrCat("SELECT ", kConsentColumns,
             " FROM consents WHERE customer_id = ? "
             "ORDER BY recorded_at, consent_id");
  RETURN_IF_ERROR(db->Exec("BEGIN"));
  auto result = [&]() -> absl::StatusOr<std::vector<v1::ConsentRecord>> {
    ASSIGN_OR_RETURN(
        sqlite::Stmt s,
        db->Prepare(include_history ? all_sql.c_str() : current_sql.c_str()));
    s.Bind(1, customer_id);
    ASSIGN_OR_RETURN(std::vector<v1::ConsentRecord> out, ReadConsents(s));
    if (!include_history) return out;
    for (v1::ConsentRecord& r : out) {
      ASSIGN_OR_RETURN(
          sqlite::Stmt e,
          db->Prepare("SELECT state, at, channel, evidence_ref, reason, "
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
  }();
  (void)db->Exec("COMMIT");
  return result;
}

absl::StatusOr<std::vector<ConsentFact>> SqliteStore::ConsentsOfCustomer(
    std::string_view customer_id, v1::Purpose purpose,
    std::string_view company_id) {
  return index_.OfCustomer(customer_id, purpose, company_id);
}

absl::StatusOr<std::vector<ConsentFact>> SqliteStore::ConsentsOfPhone(
    std::string_view phone_pseudonym, v1::Purpose purpose,
    std::string_view company_id) {
  return index_.OfPhone(phone_pseudonym, purpose, company_id);
}

std::optional<std::string> SqliteStore::KnownPhoneMask(
    std::string_view phone_pseudonym) {
  return index_.MaskOfPhone(phone_pseudonym);
}

absl::StatusOr<v1::Campaign> SqliteStore::CreateCampaign(
    const v1::Campaign& campaign, std::string_view actor) {
  absl::Status s = Write([&](WriteContext& w) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::Campaign> existing,
                     w.GetCampaign(campaign.campaign_id()));
    if (existing.has_value()) {
      return absl::AlreadyExistsError(
          StrCat("campaign.campaign_id: campaign \"", campaign.campaign_id(),
                 "\" already exists"));
    }
    RETURN_IF_ERROR(w.PutCampaign(campaign, /*insert=*/true));
    return w
        .Append({"campaign.created", std::string(actor), "", ToJson(campaign)})
        .status();
  });
  if (!s.ok()) return s;
  return campaign;
}

absl::StatusOr<v1::Campaign> SqliteStore::TransitionCampaign(
    std::string_view campaign_id, std::string_view kind, std::string_view actor,
    const CampaignTransition& transition) {
  v1::Campaign out;
  absl::Status s = Write([&](WriteContext& w) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::Campaign> current,
                     w.GetCampaign(campaign_id));
    if (!current.has_value()) {
      return absl::NotFoundError(
          StrCat("campaign_id: no campaign \"", campaign_id, "\""));
    }
    ASSIGN_OR_RETURN(out, transition(*current));
    RETURN_IF_ERROR(w.PutCampaign(out, /*insert=*/false));
    return w.Append({std::string(kind), std::string(actor), "", ToJson(out)})
        .status();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::optional<v1::Campaign>> SqliteStore::GetCampaign(
    std::string_view campaign_id) {
  std::shared_lock<std::shared_mutex> lock(campaigns_mu_);
  auto it = campaigns_.find(campaign_id);
  if (it == campaigns_.end()) return std::optional<v1::Campaign>();
  return std::optional<v1::Campaign>(it->second);
}

absl::StatusOr<std::vector<v1::Campaign>> SqliteStore::ListCampaigns() {
  std::shared_lock<std::shared_mutex> lock(campaigns_mu_);
  std::vector<v1::Campaign> out;
  out.reserve(campaigns_.size());
  for (const auto& [id, c] : campaigns_) out.push_back(c);
  return out;
}

uint64_t SqliteStore::StateVersion() const {
  return committed_state_version_.load();
}

bool SqliteStore::Conflicts(const DecisionInputs& inputs) const {
  if (inputs.state_version == state_version_) return false;
  if (inputs.state_version < changes_floor_) return true;
  for (auto it = changes_.rbegin();
       it != changes_.rend() && it->first > inputs.state_version; ++it) {
    for (const std::string& key : inputs.keys) {
      if (it->second == key) return true;
    }
  }
  return false;
}

void SqliteStore::SubmitAppend(
    std::function<absl::StatusOr<AuditDraft>(WriteContext&)> make_draft,
    bool isolated, AppendDone done) {
  auto seq = std::make_shared<uint64_t>(0);
  Submit({[make_draft = std::move(make_draft),
           seq](WriteContext& w) -> absl::Status {
            ASSIGN_OR_RETURN(AuditDraft draft, make_draft(w));
            ASSIGN_OR_RETURN(*seq, w.Append(std::move(draft)));
            return absl::OkStatus();
          },
          [seq, done = std::move(done)](absl::Status s) {
            if (s.ok()) {
              done(*seq);
            } else {
              done(std::move(s));
            }
          },
          /*changes_state=*/false, isolated});
}

void SqliteStore::AppendDecisionAsync(AuditDraft draft, DecisionInputs inputs,
                                      AppendDone done) {
  SubmitAppend(
      [this, draft = std::move(draft), inputs = std::move(inputs)](
          WriteContext&) mutable -> absl::StatusOr<AuditDraft> {
        if (Conflicts(inputs)) {
          return absl::AbortedError(
              "consents or campaigns changed while deciding");
        }
        return std::move(draft);
      },
      /*isolated=*/false, std::move(done));
}

void SqliteStore::DecideInWriterAsync(Decider decide, AppendDone done) {
  SubmitAppend(
      [decide = std::move(decide)](
          WriteContext& w) -> absl::StatusOr<AuditDraft> { return decide(w); },
      /*isolated=*/true, std::move(done));
}

absl::Status SqliteStore::ScanAudit(
    uint64_t after_seq, uint32_t limit, std::string_view customer_id,
    const std::function<bool(const AuditRecord&)>& fn) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  if (!customer_id.empty()) {
    // One read transaction: the run index and the log are one snapshot.
    RETURN_IF_ERROR(db->Exec("BEGIN"));
    absl::Status s = CustomerRunIndexer::Scan(
        *db, options_.index_run_entries, after_seq, limit, customer_id,
        [&](uint64_t seq) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(
              sqlite::Stmt e,
              db->Prepare("SELECT seq, at, kind, actor, customer_id, "
                          "payload_json, prev_hash, hash FROM audit "
                          "WHERE seq = ?"));
          e.Bind(1, static_cast<int64_t>(seq));
          ASSIGN_OR_RETURN(bool row, e.Step());
          if (!row) {
            return absl::DataLossError(
                StrCat("audit entry ", seq, " is indexed but missing"));
          }
          return fn(RowToAudit(e));
        });
    (void)db->Exec("COMMIT");
    return s;
  }
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db->Prepare("SELECT seq, at, kind, actor, customer_id, payload_json, "
                  "prev_hash, hash FROM audit WHERE seq > ?1 ORDER BY seq "
                  "LIMIT ?2"));
  s.Bind(1, static_cast<int64_t>(after_seq))
      .Bind(2, static_cast<int64_t>(limit));
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row || !fn(RowToAudit(s))) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifyResult> SqliteStore::VerifyAudit() {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  RETURN_IF_ERROR(db->Exec("BEGIN"));
  auto result = [&]() -> absl::StatusOr<VerifyResult> {
    ChainVerifier verifier;
    ASSIGN_OR_RETURN(
        sqlite::Stmt s,
        db->Prepare("SELECT seq, at, kind, actor, customer_id, payload_json, "
                    "prev_hash, hash FROM audit ORDER BY seq"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row || !verifier.Feed(RowToAudit(s))) break;
    }
    ASSIGN_OR_RETURN(
        sqlite::Stmt h,
        db->Prepare("SELECT seq, hash FROM audit_head WHERE id = 1"));
    ASSIGN_OR_RETURN(bool has_anchor, h.Step());
    ChainHead anchor;
    if (has_anchor) {
      anchor.seq = static_cast<uint64_t>(h.Int(0));
      anchor.hash = h.Text(1);
    }
    return verifier.Finish(anchor);
  }();
  (void)db->Exec("COMMIT");
  return result;
}

}  // namespace gatekeeper
