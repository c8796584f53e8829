#include "daemon/store/sqlite_store.h"

#include <google/protobuf/util/json_util.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <iterator>

#include "absl/status/status.h"
#include "daemon/audit/print_batch.h"
#include "daemon/common/crypto.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/store/audit_table.h"
#include "daemon/store/campaign_records.h"
#include "daemon/store/consent_records.h"
#include "daemon/store/decision_records.h"
#include "daemon/store/do_not_solicit_records.h"
#include "daemon/store/print_run_records.h"
#include "daemon/store/retention_records.h"
#include "daemon/store/schema.h"
#include "daemon/store/verify_log.h"
#include "daemon/store/wal_buffer_vfs.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const SqliteStoreOptions& options) {
  // The writer's WAL appends go out in one write per commit
  // (wal_buffer_vfs.h); it syncs every commit (synchronous=FULL below).
  const char* writer_vfs =
      options.buffer_wal_writes ? WalBufferVfs(options.vfs) : options.vfs;
  if (options.buffer_wal_writes && writer_vfs == nullptr) {
    return absl::InvalidArgumentError("no such SQLite VFS");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Connection> db,
                   sqlite::Connection::Open(
                       options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                       writer_vfs));
  RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode = WAL"));
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = FULL"));
  // After a checkpoint resets the WAL, keep at most 64 MiB of it on disk.
  RETURN_IF_ERROR(db->Exec("PRAGMA journal_size_limit = 67108864"));
  RETURN_IF_ERROR(db->Exec("PRAGMA cache_size = -65536"));
  RETURN_IF_ERROR(Migrate(*db));
  ASSIGN_OR_RETURN(ChainHead head, LoadAuditHead(*db));
  // Checkpoints run on their own connection and thread, so a commit never
  // waits for one (they copy pages and fsync the database file).
  ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Connection> checkpointer,
                   sqlite::Connection::Open(options.path, SQLITE_OPEN_READWRITE,
                                            options.vfs));
  // A connection learns that the database is in WAL mode on its first read;
  // until then a checkpoint through it does nothing.
  RETURN_IF_ERROR(checkpointer->Exec("SELECT count(*) FROM sqlite_master"));
  ASSIGN_OR_RETURN(CampaignMap campaigns, LoadCampaigns(*db));
  auto store = std::unique_ptr<SqliteStore>(
      new SqliteStore(options, std::move(db), std::move(head)));
  sqlite::Connection& writer = *store->writer_;
  // The loads read whole tables once: through the writer's full cache they
  // would leave it 64 MiB of pages no write needs, resident for good.
  RETURN_IF_ERROR(writer.Exec("PRAGMA cache_size = -2048"));
  if (options.index_snapshot.empty()) {
    RETURN_IF_ERROR(LoadConsentIndex(writer, store->index_));
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(
        std::string how,
        LoadConsentIndexFrom(writer, options.index_snapshot, store->index_));
    spdlog::info(
        "consent index: {} consents {}, {:.2f} s", store->index_.size(), how,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count());
  }
  RETURN_IF_ERROR(LoadDoNotSolicitIndex(writer, store->do_not_solicit_));
  RETURN_IF_ERROR(LoadRecentDials(
      writer, options.clock->Now() - DialCounter::kKeep, store->dials_));
  RETURN_IF_ERROR(store->runs_index_.Load(writer));
  RETURN_IF_ERROR(writer.Exec("PRAGMA cache_size = -65536"));
  store->checkpointer_ = std::move(checkpointer);
  for (auto& [id, c] : campaigns) {
    store->campaigns_.emplace(
        id, std::make_shared<const v1::Campaign>(std::move(c)));
  }
  store->Start();
  return store;
}

SqliteStore::SqliteStore(SqliteStoreOptions options,
                         std::unique_ptr<sqlite::Connection> writer,
                         ChainHead head)
    : options_(std::move(options)),
      writer_(std::move(writer)),
      chain_(std::move(head)),
      durable_head_seq_(chain_.head().seq),
      runs_index_(options_.index_run_entries) {}

void SqliteStore::Start() {
  sqlite3_wal_hook(
      writer_->raw(),
      [](void* arg, sqlite3*, const char*, int wal_pages) {
        auto* self = static_cast<SqliteStore*>(arg);
        // Once per checkpoint_pages new frames, not on every commit: each
        // PASSIVE checkpoint copies the pages written since the last one and
        // fsyncs the database file, so asking after every commit copied the
        // hot pages (B-tree edges, the head anchor) and synced once per
        // commit.
        int& next = self->next_checkpoint_frames_;
        if (wal_pages < next - self->options_.checkpoint_pages) {
          next = self->options_.checkpoint_pages;  // the WAL was restarted
        }
        if (wal_pages >= next) {
          next = wal_pages + self->options_.checkpoint_pages;
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
  // The writer is gone: the index and the database hold still. Not after an
  // I/O error (the next start reads the rows).
  if (!options_.index_snapshot.empty() && writer_ != nullptr &&
      poisoned_.ok() && !snapshot_written_) {
    snapshot_written_ = true;
    const auto t0 = std::chrono::steady_clock::now();
    const absl::Status s =
        SaveConsentIndexSnapshot(*writer_, index_, options_.index_snapshot);
    if (s.ok()) {
      spdlog::info(
          "consent index: {} consents written to its snapshot, {:.2f} s",
          index_.size(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count());
    } else {
      spdlog::warn(
          "consent index: no snapshot written ({}); the next start "
          "reads the consents table",
          std::string(s.message()));
    }
  }
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

void SqliteStore::SubmitWrite(std::function<absl::Status(WriteContext&)> apply,
                              bool changes_state,
                              std::function<void(absl::Status)> done) {
  Submit({std::move(apply), std::move(done), changes_state,
          /*isolated=*/true});
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
  WriteContext ctx(*writer_, chain_, *options_.clock, dials_);
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
      spdlog::critical("{}", std::string(poisoned_.message()));
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
    // State changes and call reports run in a savepoint, so a refused one
    // leaves the others. A decision append has nothing to undo when it is
    // refused (ABORTED): that happens before any SQL runs; an SQL failure
    // fails the whole batch.
    const bool isolated = op.isolated;
    if (isolated && !(s = Control("SAVEPOINT op")).ok()) return fail_all(s);
    const WriteContext::Mark mark = ctx.mark();
    absl::Status result = op.apply(ctx);
    if (result.ok()) {
      any_ok = true;
      if (op.changes_state) {
        ++state_version_;
        const auto& touched = ctx.pending().touched;
        for (size_t k = mark.touched; k < touched.size(); ++k) {
          changes_.emplace_back(state_version_, touched[k]);
        }
      }
      if (isolated) s = Control("RELEASE op");
    } else if (isolated) {
      ctx.RollbackTo(mark);
      s = Control("ROLLBACK TO op");
      if (s.ok()) s = Control("RELEASE op");
    } else if (result.code() != absl::StatusCode::kAborted) {
      return fail_all(result);
    }
    if (!s.ok()) return fail_all(s);
    results.push_back(std::move(result));
  }
  WriteContext::Pending& pending = ctx.pending();
  // Keeps the per-customer index at twice the pace of the log.
  s = runs_index_.Step(*writer_, 64 + 2 * pending.appended.size());
  if (!s.ok()) return fail_all(s);
  if (any_ok && chain_.head().seq != committed.seq) {
    if (!(s = UpdateAuditHead(*writer_, chain_.head())).ok()) {
      return fail_all(s);
    }
  }
  const auto commit_start = std::chrono::steady_clock::now();
  if (!(s = Control("COMMIT")).ok()) {
    return fail_all(absl::UnavailableError(
        StrCat("commit failed, nothing was written: ", s.message())));
  }
  const std::chrono::duration<double> commit_time =
      std::chrono::steady_clock::now() - commit_start;
  if (!pending.campaigns.empty()) {
    std::unique_lock<std::shared_mutex> lock(campaigns_mu_);
    for (auto& c : pending.campaigns) {
      std::string id = c.campaign_id();  // before c is moved from
      campaigns_[std::move(id)] =
          std::make_shared<const v1::Campaign>(std::move(c));
    }
  }
  if (!pending.consents.empty()) index_.Apply(pending.consents);
  do_not_solicit_.Apply(pending.do_not_solicit);
  dials_.Add(pending.dials);
  runs_index_.Committed(pending.appended, chain_.head().seq);
  while (changes_.size() > kMaxRecentChanges) {
    changes_floor_ = changes_.front().first;
    changes_.pop_front();
  }
  // Published after the in-memory views: a decision that reads the new
  // version also reads the new campaigns, consents and entries.
  committed_state_version_.store(state_version_);
  if (chain_.head().seq != committed.seq) {
    durable_head_seq_.store(chain_.head().seq);
    if (options_.on_commit) {
      options_.on_commit(
          {chain_.head().seq, batch.size(), commit_time.count()});
    }
  }
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
                       GetConsent(w.db(), *seen));
      if (!prior.has_value()) {
        return absl::DataLossError(
            StrCat("request_id refers to missing consent ", *seen));
      }
      out = *std::move(prior);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(out, InsertConsent(w, consent));
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
      auto r = InsertConsent(w, c);
      if (!r.ok()) return r.status();
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ImportOutcome>> SqliteStore::ImportConsentBatch(
    const std::vector<NewConsent>& batch) {
  std::vector<ImportOutcome> out;
  absl::Status s = Write([&](WriteContext& w) -> absl::Status {
    out.clear();  // a retried apply starts over
    out.reserve(batch.size());
    for (const NewConsent& c : batch) {
      if (c.request_id.empty()) {
        return absl::InvalidArgumentError("request_id: is required");
      }
      auto seen = w.SeenRequest("RecordConsent", c.request_id, c.fingerprint);
      if (!seen.ok()) {
        if (seen.status().code() != absl::StatusCode::kAlreadyExists) {
          return seen.status();
        }
        out.push_back(ImportOutcome::kConflict);
        continue;
      }
      if (seen->has_value()) {
        out.push_back(ImportOutcome::kAlreadyPresent);
        continue;
      }
      auto r = InsertConsent(w, c);
      if (!r.ok()) return r.status();
      out.push_back(ImportOutcome::kImported);
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<ImportOutcome>> SqliteStore::ClassifyImport(
    const std::vector<NewConsent>& batch) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  RETURN_IF_ERROR(db->Exec("BEGIN"));
  std::vector<ImportOutcome> out;
  out.reserve(batch.size());
  absl::Status s;
  for (const NewConsent& c : batch) {
    auto fp = RecordedFingerprint(*db, c.request_id);
    if (!fp.ok()) {
      s = fp.status();
      break;
    }
    out.push_back(!fp->has_value()        ? ImportOutcome::kImported
                  : **fp == c.fingerprint ? ImportOutcome::kAlreadyPresent
                                          : ImportOutcome::kConflict);
  }
  (void)db->Exec("COMMIT");
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<v1::ConsentRecord>> SqliteStore::ConsentPage(
    std::string_view customer_id, std::string_view after_consent_id,
    size_t limit) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  return ConsentPageOf(*db, customer_id, after_consent_id, limit);
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
    const WithdrawScope scope{req.customer_id(), req.purpose(),
                              req.company_id(), ""};
    ASSIGN_OR_RETURN(std::vector<std::string> ids,
                     ConsentsInScope(w.db(), scope));
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
                  req.customer_id(), ProtoJson(payload)}));
    out.set_audit_seq(seq);
    ASSIGN_OR_RETURN(std::vector<v1::ConsentRecord> withdrawn,
                     WithdrawInScope(w, scope, wd.at, req.channel(),
                                     req.evidence_ref(), req.reason(), seq));
    for (auto& r : withdrawn) *out.add_consents() = std::move(r);
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
  // One read transaction: the consents and their events are one snapshot.
  RETURN_IF_ERROR(db->Exec("BEGIN"));
  auto result = ListConsentsOf(*db, customer_id, include_history);
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

absl::StatusOr<std::vector<DoNotSolicitFact>> SqliteStore::DoNotSolicitOf(
    std::string_view phone_pseudonym,
    const std::vector<std::string>& customer_ids) {
  return do_not_solicit_.Of(phone_pseudonym, customer_ids);
}

DialCounts SqliteStore::CountDials(std::string_view phone_pseudonym,
                                   std::string_view company_id,
                                   std::string_view campaign_id,
                                   Micros day_start, Micros since) {
  return dials_.Count(phone_pseudonym, company_id, campaign_id, day_start,
                      since);
}

absl::StatusOr<v1::Campaign> SqliteStore::CreateCampaign(
    const v1::Campaign& campaign, std::string_view actor) {
  absl::Status s = Write([&](WriteContext& w) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::Campaign> existing,
                     ReadCampaign(w.db(), campaign.campaign_id()));
    if (existing.has_value()) {
      return absl::AlreadyExistsError(
          StrCat("campaign.campaign_id: campaign \"", campaign.campaign_id(),
                 "\" already exists"));
    }
    RETURN_IF_ERROR(PutCampaign(w, campaign, /*insert=*/true));
    return w
        .Append(
            {"campaign.created", std::string(actor), "", ProtoJson(campaign)})
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
                     ReadCampaign(w.db(), campaign_id));
    if (!current.has_value()) {
      return absl::NotFoundError(
          StrCat("campaign_id: no campaign \"", campaign_id, "\""));
    }
    ASSIGN_OR_RETURN(out, transition(*current));
    RETURN_IF_ERROR(PutCampaign(w, out, /*insert=*/false));
    return w.Append({std::string(kind), std::string(actor), "", ProtoJson(out)})
        .status();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::shared_ptr<const v1::Campaign>> SqliteStore::GetCampaign(
    std::string_view campaign_id) {
  std::shared_lock<std::shared_mutex> lock(campaigns_mu_);
  auto it = campaigns_.find(campaign_id);
  if (it == campaigns_.end()) return std::shared_ptr<const v1::Campaign>();
  return it->second;
}

absl::StatusOr<std::vector<v1::Campaign>> SqliteStore::ListCampaigns() {
  std::shared_lock<std::shared_mutex> lock(campaigns_mu_);
  std::vector<v1::Campaign> out;
  out.reserve(campaigns_.size());
  for (const auto& [id, c] : campaigns_) out.push_back(*c);
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

absl::StatusOr<std::vector<uint64_t>> SqliteStore::LogEvents(
    std::vector<AuditDraft> drafts) {
  if (t_writing) {
    return absl::InternalError(
        "a store write was started from a store callback");
  }
  std::vector<uint64_t> seqs;
  std::promise<absl::Status> p;
  std::future<absl::Status> f = p.get_future();
  SubmitWrite(
      [&](WriteContext& w) -> absl::Status {
        seqs.clear();
        for (AuditDraft& d : drafts) {
          ASSIGN_OR_RETURN(uint64_t seq, w.Append(std::move(d)));
          seqs.push_back(seq);
        }
        return absl::OkStatus();
      },
      /*changes_state=*/false,
      [&p](absl::Status s) { p.set_value(std::move(s)); });
  RETURN_IF_ERROR(f.get());
  return seqs;
}

absl::StatusOr<uint64_t> SqliteStore::LogEvent(AuditDraft draft) {
  std::vector<AuditDraft> one;
  one.push_back(std::move(draft));
  ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, LogEvents(std::move(one)));
  return seqs.at(0);
}

namespace {

// Whether the print batch at `seq` (body) holds a document of the customer.
bool BatchHolds(std::string_view body, std::string_view customer_id) {
  auto docs = DecodePrintBatch(body);
  if (!docs.ok()) return true;  // let the reader see the entry (and fail)
  for (const DocumentVerdicts& d : *docs) {
    if (d.customer_id == customer_id) return true;
  }
  return false;
}

}  // namespace

absl::Status SqliteStore::ScanAudit(
    uint64_t after_seq, uint32_t limit, std::string_view customer_id,
    const std::function<bool(const AuditRecord&)>& fn) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  if (customer_id.empty()) return ScanAuditRange(*db, after_seq, limit, fn);
  // One read transaction: the indexes and the log are one snapshot.
  RETURN_IF_ERROR(db->Exec("BEGIN"));
  auto scan = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<AuditCut> cut, ReadAuditCut(*db));
    const uint64_t cut_seq = cut.has_value() ? cut->cut_seq : 0;
    // The customer's own entries (the run index), up to `limit` of them...
    std::vector<uint64_t> own;
    RETURN_IF_ERROR(CustomerRunIndexer::Scan(
        *db, options_.index_run_entries, after_seq, limit, customer_id,
        [&](uint64_t seq) -> absl::StatusOr<bool> {
          own.push_back(seq);
          return true;
        }));
    // ...merged in seq order with the print batches holding their documents.
    ASSIGN_OR_RETURN(std::vector<uint64_t> batches,
                     PrintBatchSeqsOf(*db, customer_id));
    std::vector<uint64_t> seqs;
    seqs.reserve(own.size() + batches.size());
    std::merge(own.begin(), own.end(), batches.begin(), batches.end(),
               std::back_inserter(seqs));
    uint32_t given = 0;
    for (size_t i = 0; i < seqs.size() && given < limit; ++i) {
      const uint64_t seq = seqs[i];
      if (seq <= after_seq || (i > 0 && seqs[i - 1] == seq)) continue;
      if (std::binary_search(batches.begin(), batches.end(), seq)) {
        ASSIGN_OR_RETURN(auto found, PrintBatchBySeq(*db, seq));
        if (found.has_value() && !BatchHolds(found->second, customer_id)) {
          continue;  // another customer with the same index key
        }
      }
      ASSIGN_OR_RETURN(std::optional<AuditRecord> r, ReadAuditEntry(*db, seq));
      if (!r.has_value() && seq <= cut_seq) continue;  // purged (retention)
      if (!r.has_value()) {
        return absl::DataLossError(
            StrCat("audit entry ", seq, " is indexed but missing"));
      }
      ++given;
      if (!fn(*r)) break;
    }
    return absl::OkStatus();
  };
  absl::Status s = scan();
  (void)db->Exec("COMMIT");
  return s;
}

absl::StatusOr<VerifyResult> SqliteStore::VerifyAudit() {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  RETURN_IF_ERROR(db->Exec("BEGIN"));
  auto result = VerifyLog(*db);
  (void)db->Exec("COMMIT");
  return result;
}

}  // namespace gatekeeper
