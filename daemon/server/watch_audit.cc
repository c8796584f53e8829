// AuditService.WatchAudit: follows the audit log (AuditFeed) and streams
// each entry once durable. One gRPC thread per watcher: gRPC's flow control
// bounds what is buffered for a slow reader, the entries are read from the
// store at the reader's pace, and a reader that falls too far behind the head
// is dropped, so a consumer never holds memory or a decision. A reader that
// stops reading altogether leaves its writer waiting in Write, where it
// cannot look at the log: a watchdog cancels it once the log has moved more
// than the backlog past it.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "daemon/server/services.h"

namespace gatekeeper {
namespace {

constexpr int kMaxWatchers = 64;
constexpr uint32_t kChunk = 256;

bool Wanted(const v1::WatchAuditRequest& req, const std::string& kind) {
  if (req.kinds().empty()) return true;
  for (const std::string& k : req.kinds()) {
    if (k == kind || (k.back() == '.' && kind.rfind(k, 0) == 0)) return true;
  }
  return false;
}

}  // namespace

v1::AuditEntry ToAuditEntry(const AuditRecord& r) {
  v1::AuditEntry e;
  e.set_seq(r.seq);
  *e.mutable_at() = FromMicros(r.at);
  e.set_kind(r.kind);
  e.set_actor(r.actor);
  e.set_customer_id(r.customer_id);
  e.set_payload_json(r.payload_json);
  e.set_prev_hash(ToHex(r.prev_hash));
  e.set_hash(ToHex(r.hash));
  return e;
}

AuditServiceImpl::AuditServiceImpl(ServiceDeps deps, const AuditFeed& feed,
                                   LastVerify* last_verify,
                                   AuditCheckpoints* checkpoints)
    : deps_(deps),
      feed_(feed),
      last_verify_(last_verify),
      checkpoints_(checkpoints),
      watchdog_([this] { Watchdog(); }) {}

AuditServiceImpl::~AuditServiceImpl() {
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    watchdog_stop_ = true;
  }
  watch_cv_.notify_all();
  watchdog_.join();
}

void AuditServiceImpl::StopWatchers() {
  stopping_.store(true);
  std::unique_lock<std::mutex> lock(watch_mu_);
  // Cancelling at once would race a Write that is just ending and lose the
  // UNAVAILABLE that tells the consumer where to resume: streams between
  // writes see stopping_ within one wait and end themselves.
  watch_cv_.wait_for(lock, kStopWait, [this] { return active_.empty(); });
  for (Watcher* w : active_) {
    if (w->writing_since.load() != 0) w->ctx->TryCancel();
  }
}

void AuditServiceImpl::Watchdog() {
  std::unique_lock<std::mutex> lock(watch_mu_);
  while (!watch_cv_.wait_for(lock, std::chrono::milliseconds(500),
                             [this] { return watchdog_stop_; })) {
    const uint64_t head = feed_.Head();
    const int64_t now =
        std::chrono::steady_clock::now().time_since_epoch().count();
    for (Watcher* w : active_) {
      const uint64_t cursor = w->cursor.load();
      const int64_t since = w->writing_since.load();
      if (since == 0 || now - since < w->stalled_after.count() ||
          w->cancelled.load() || head <= cursor ||
          head - cursor <= w->max_backlog) {
        continue;
      }
      w->cancelled.store(true);
      w->ctx->TryCancel();  // its Write returns false
      spdlog::warn(
          "WatchAudit: cancelled a consumer that stopped reading: nothing "
          "taken for {} s, {} entries behind the log (at most {}), after seq "
          "{}",
          std::chrono::duration_cast<std::chrono::seconds>(w->stalled_after)
              .count(),
          head - cursor, w->max_backlog, cursor);
    }
  }
}

grpc::Status AuditServiceImpl::WatchAudit(
    grpc::ServerContext* ctx, const v1::WatchAuditRequest* req,
    grpc::ServerWriter<v1::AuditEntry>* writer) {
  const auto caller =
      deps_.access.CheckStream(*ctx, "/gatekeeper.v1.AuditService/WatchAudit");
  if (!caller.status.ok()) return caller.status;
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  for (int i = 0; i < req->kinds_size(); ++i) {
    const std::string& k = req->kinds(i);
    if (k.empty() || k.size() > 64) {
      return ToGrpcStatus(absl::InvalidArgumentError(
          StrCat("kinds[", i, "]: 1 to 64 characters (\"decision.dial\", or ",
                 "a prefix such as \"decision.\")")));
    }
  }
  if (watchers_.fetch_add(1) >= kMaxWatchers) {
    watchers_.fetch_sub(1);
    return ToGrpcStatus(absl::ResourceExhaustedError(
        StrCat("at most ", kMaxWatchers, " WatchAudit streams at once")));
  }
  struct Leave {
    std::atomic<int>& n;
    ~Leave() { n.fetch_sub(1); }
  } leave{watchers_};

  const std::shared_ptr<const ConfigSnapshot> config = deps_.config.Get();
  const uint64_t max_backlog = config->config().watch_audit().max_backlog();
  uint64_t cursor = req->after_seq();  // the last entry looked at
  Watcher me;
  me.ctx = ctx;
  me.max_backlog = max_backlog;
  me.stalled_after = std::chrono::seconds(
      config->config().watch_audit().stalled_after_seconds());
  me.cursor.store(cursor);
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    active_.insert(&me);
  }
  struct Unregister {
    AuditServiceImpl& s;
    Watcher* w;
    ~Unregister() {
      {
        std::lock_guard<std::mutex> lock(s.watch_mu_);
        s.active_.erase(w);
      }
      s.watch_cv_.notify_all();
    }
  } unregister{*this, &me};
  std::vector<v1::AuditEntry> chunk;
  while (true) {
    if (stopping_.load()) {
      return ToGrpcStatus(absl::UnavailableError(StrCat(
          "the daemon is stopping; watch again with after_seq=", cursor)));
    }
    if (ctx->IsCancelled()) return grpc::Status::CANCELLED;
    const uint64_t head = feed_.Head();
    if (cursor >= head) {
      feed_.WaitBeyond(cursor, std::chrono::milliseconds(200));
      continue;
    }
    if (head - cursor > max_backlog) {
      return ToGrpcStatus(absl::ResourceExhaustedError(
          StrCat("this consumer fell ", head - cursor,
                 " entries behind the log (at most ", max_backlog,
                 "): watch again with after_seq=", cursor,
                 " (QueryAudit reads the gap)")));
    }
    chunk.clear();
    uint64_t last = cursor;
    const absl::Status s =
        deps_.store.ScanAudit(cursor, kChunk, "", [&](const AuditRecord& r) {
          last = r.seq;
          if (Wanted(*req, r.kind)) chunk.push_back(ToAuditEntry(r));
          return true;
        });
    if (!s.ok()) return ToGrpcStatus(s);
    for (const v1::AuditEntry& e : chunk) {
      if (stopping_.load()) {
        return ToGrpcStatus(absl::UnavailableError(
            StrCat("the daemon is stopping; watch again with after_seq=",
                   e.seq() - 1)));
      }
      // Checked before each write: a slow reader's writes wait on flow
      // control while the log moves on.
      const uint64_t now_head = feed_.Head();
      if (now_head - std::min(now_head, e.seq()) > max_backlog) {
        cursor = e.seq() - 1;
        return ToGrpcStatus(absl::ResourceExhaustedError(
            StrCat("this consumer fell ", now_head - cursor,
                   " entries behind the log (at most ", max_backlog,
                   "): watch again with after_seq=", cursor,
                   " (QueryAudit reads the gap)")));
      }
      me.cursor.store(e.seq() - 1);  // everything before e was sent
      me.writing_since.store(std::max<int64_t>(
          1, std::chrono::steady_clock::now().time_since_epoch().count()));
      const bool written = writer->Write(e);
      me.writing_since.store(0);
      if (!written) {
        if (me.cancelled.load()) {
          return ToGrpcStatus(absl::ResourceExhaustedError(
              StrCat("this consumer stopped reading while the log moved more "
                     "than ",
                     max_backlog,
                     " entries on: watch again with "
                     "after_seq=",
                     me.cursor.load())));
        }
        return grpc::Status::CANCELLED;
      }
    }
    cursor = std::max(cursor, last);
    me.cursor.store(cursor);
  }
}

}  // namespace gatekeeper
