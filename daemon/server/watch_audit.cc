// AuditService.WatchAudit: follows the audit log (AuditFeed) and streams
// each entry once durable. One gRPC thread per watcher: gRPC's flow control
// bounds what is buffered for a slow reader, the entries are read from the
// store at the reader's pace, and a reader that falls too far behind the head
// is dropped, so a consumer never holds memory or a decision.
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

grpc::Status AuditServiceImpl::WatchAudit(
    grpc::ServerContext* ctx, const v1::WatchAuditRequest* req,
    grpc::ServerWriter<v1::AuditEntry>* writer) {
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

  const uint64_t max_backlog =
      deps_.config.config().watch_audit().max_backlog();
  uint64_t cursor = req->after_seq();  // the last entry looked at
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
      if (!writer->Write(e)) return grpc::Status::CANCELLED;
    }
    cursor = std::max(cursor, last);
  }
}

}  // namespace gatekeeper
