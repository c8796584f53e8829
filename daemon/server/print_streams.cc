// InsertGate's streaming RPCs (print runs): the gRPC reactors, glue over
// PrintRuns. One read and one write in flight at a time per stream, as the
// callback API requires; the next batch is read once one is accepted, so a
// few batches may be decided at once (on gRPC's threads) and one committed.
// Finish is called only when no decision and no write is in flight, so the
// reactor outlives every callback it handed out.
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "daemon/common/strings.h"
#include "daemon/server/refused.h"
#include "daemon/server/services.h"

namespace gatekeeper {
namespace {

// The actor of a stream's first message, checked against the caller
// (Access::CheckNamed): PERMISSION_DENIED when it names someone else. With
// authentication on, an empty actor is the caller's principal.
using ActorCheck =
    std::function<absl::StatusOr<std::string>(std::string_view actor)>;

ActorCheck ActorCheckFor(Access& access, grpc::CallbackServerContext* ctx,
                         std::string_view method, Access::Caller caller) {
  return [&access, ctx, method, caller = std::move(caller)](
             std::string_view actor) -> absl::StatusOr<std::string> {
    if (actor.empty() && caller.principal) return caller.principal->name;
    const grpc::Status s =
        access.CheckNamed(*ctx, method, caller, {{"actor", actor}});
    if (!s.ok()) return absl::PermissionDeniedError(s.error_message());
    return std::string(actor);
  };
}

class BatchStream final
    : public grpc::ServerBidiReactor<v1::InsertBatchRequest,
                                     v1::InsertBatchResponse> {
 public:
  // Batches decided or being decided before the next is read.
  static constexpr int kMaxInFlight = 4;

  BatchStream(PrintRuns& runs, ActorCheck check_actor)
      : runs_(runs), check_actor_(std::move(check_actor)) {
    StartRead(&req_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client closed its side without CloseRun (or went away): what
      // was decided stays decided; the run can be resumed.
      return Fail(absl::CancelledError(
          "the stream ended before CloseRun; open the run again to resume"));
    }
    switch (req_.kind_case()) {
      case v1::InsertBatchRequest::kOpen:
        return HandleOpen();
      case v1::InsertBatchRequest::kBatch:
        return HandleBatch();
      case v1::InsertBatchRequest::kClose: {
        std::lock_guard<std::mutex> lock(mu_);
        closing_ = true;
        break;
      }
      default:
        return Fail(absl::InvalidArgumentError(
            "request: one of open, batch or close is required"));
    }
    Progress();
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      writing_ = false;
      out_.pop_front();
      if (!ok) {
        write_failed_ = true;
        if (status_.ok()) {
          status_ = absl::CancelledError("the client stopped reading");
        }
      }
    }
    Progress();
  }

  void OnDone() override { delete this; }

 private:
  void HandleOpen() {
    absl::StatusOr<std::string> actor = check_actor_(req_.open().actor());
    if (!actor.ok()) return Fail(actor.status());
    req_.mutable_open()->set_actor(*std::move(actor));
    std::vector<v1::InsertBatchResponse> replayed;
    v1::RunSummary completed;
    absl::StatusOr<v1::RunOpened> opened =
        run_id_.empty()
            ? runs_.Open(
                  req_.open(),
                  [&](v1::BatchDecided b) {
                    replayed.emplace_back();
                    *replayed.back().mutable_batch() = std::move(b);
                  },
                  &completed)
            : absl::InvalidArgumentError("open: the run is open already");
    if (!opened.ok()) return Fail(opened.status());
    const bool done = opened->completed();
    {
      std::lock_guard<std::mutex> lock(mu_);
      run_id_ = opened->print_run_id();
      compact_ = req_.open().compact_answers();
      for (auto& r : replayed) out_.push_back(std::move(r));
      out_.emplace_back();
      *out_.back().mutable_opened() = *std::move(opened);
      if (done) {
        // A completed run replayed: its summary, then the end.
        out_.emplace_back();
        *out_.back().mutable_summary() = std::move(completed);
        closing_ = closed_ = summary_written_ = true;
      }
    }
    if (!done) StartRead(&req_);
    Progress();
  }

  void HandleBatch() {
    std::string run_id;
    {
      std::lock_guard<std::mutex> lock(mu_);
      run_id = run_id_;
      ++in_flight_;
    }
    if (run_id.empty()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        --in_flight_;
      }
      return Fail(absl::InvalidArgumentError(
          "open: the first request must open the run"));
    }
    // The next batch is read as soon as this one is accepted, so that it is
    // decided while this one is (or while this one's commit waits on disk).
    const auto read_next = [this] {
      bool read = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!status_.ok()) {
          // Stopped: read no more.
        } else if (in_flight_ < kMaxInFlight) {
          read = true;
        } else {
          read_paused_ = true;
        }
      }
      if (read) StartRead(&req_);
    };
    runs_.DecideBatch(
        run_id, std::move(*req_.mutable_batch()), compact_,
        [this](absl::StatusOr<v1::BatchDecided> r) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            --in_flight_;
            if (r.ok()) {
              out_.emplace_back();
              *out_.back().mutable_batch() = *std::move(r);
            } else if (status_.ok()) {
              status_ = r.status();
            }
          }
          Progress();
        },
        read_next);
    Progress();
  }

  void Fail(absl::Status s) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (status_.ok()) status_ = std::move(s);
    }
    Progress();
  }

  // Starts what can start now: a paused read, the next write, the close,
  // the finish. Everything that calls into gRPC happens outside mu_.
  void Progress() {
    bool read = false, close = false, finish = false;
    const v1::InsertBatchResponse* write = nullptr;
    absl::Status finish_with;
    std::string run_id;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      if (read_paused_ && in_flight_ < kMaxInFlight && status_.ok() &&
          !closing_) {
        read_paused_ = false;
        read = true;
      }
      if (closing_ && !closed_ && in_flight_ == 0 && status_.ok()) {
        closed_ = true;
        close = true;
        run_id = run_id_;
        ++in_flight_;  // the close: nothing finishes the call under it
      }
      // Answers of durable batches are delivered even after an error, so
      // the client knows what was decided before it.
      if (!writing_ && !out_.empty() && !write_failed_) {
        writing_ = true;
        write = &out_.front();
      }
      const bool done = !status_.ok() || (closed_ && summary_written_);
      if (done && !writing_ && in_flight_ == 0 && !close &&
          (out_.empty() || write_failed_)) {
        finished_ = true;
        finish = true;
        finish_with = status_;
      }
    }
    if (read) StartRead(&req_);
    if (write != nullptr) StartWrite(write);
    if (close) {
      // On a thread of its own: closing writes to the store and waits for it
      // (and sorts the run's index), and this may be a store callback (the
      // last batch's answer), which must not wait for the store.
      std::thread([this, run_id] { Close(run_id); }).detach();
      return;
    }
    if (finish) Finish(ToGrpcStatus(finish_with));
  }

  void Close(const std::string& run_id) {
    absl::StatusOr<v1::RunSummary> summary =
        run_id.empty() ? absl::InvalidArgumentError(
                             "close: no run was opened on this stream")
                       : runs_.Close(run_id);
    {
      std::lock_guard<std::mutex> lock(mu_);
      --in_flight_;
      if (summary.ok()) {
        out_.emplace_back();
        *out_.back().mutable_summary() = *std::move(summary);
        summary_written_ = true;  // once out_ drains
      } else if (status_.ok()) {
        status_ = summary.status();
      }
    }
    Progress();
  }

  PrintRuns& runs_;
  v1::InsertBatchRequest req_;  // the read in flight
  std::mutex mu_;
  std::deque<v1::InsertBatchResponse> out_;  // front: the write in flight
  std::string run_id_;                       // guarded by mu_
  bool compact_ = false;      // OpenRun.compact_answers; set before any batch
  int in_flight_ = 0;         // guarded by mu_
  bool writing_ = false;      // guarded by mu_
  bool read_paused_ = false;  // guarded by mu_
  bool closing_ = false;      // guarded by mu_
  bool closed_ = false;       // guarded by mu_
  bool summary_written_ = false;  // guarded by mu_: queued, last to go
  bool write_failed_ = false;     // guarded by mu_
  bool finished_ = false;         // guarded by mu_
  const ActorCheck check_actor_;
  absl::Status status_;  // guarded by mu_: the first error
};

class ReconcileStream final
    : public grpc::ServerReadReactor<v1::ReconcileRequest> {
 public:
  ReconcileStream(PrintRuns& runs, v1::ReconcileResponse* resp,
                  ActorCheck check_actor)
      : runs_(runs), resp_(resp), check_actor_(std::move(check_actor)) {
    StartRead(&req_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      if (rec_ == nullptr) {
        return Finish(ToGrpcStatus(absl::InvalidArgumentError(
            "start: the first request must name the run")));
      }
      auto r = rec_->Finish();
      if (r.ok()) *resp_ = *std::move(r);
      return Finish(ToGrpcStatus(r.status()));
    }
    absl::Status s;
    if (req_.has_start()) {
      if (rec_ != nullptr) {
        s = absl::InvalidArgumentError("start: given twice");
      } else if (auto actor = check_actor_(req_.start().actor()); !actor.ok()) {
        s = actor.status();
      } else {
        req_.mutable_start()->set_actor(*std::move(actor));
        auto r = runs_.StartReconcile(req_.start());
        if (r.ok()) {
          rec_ = *std::move(r);
        } else {
          s = r.status();
        }
      }
    } else if (req_.has_piece()) {
      s = rec_ == nullptr ? absl::InvalidArgumentError(
                                "start: the first request must name the run")
                          : rec_->Add(req_.piece());
    } else {
      s = absl::InvalidArgumentError("request: start or piece is required");
    }
    if (!s.ok()) return Finish(ToGrpcStatus(s));
    StartRead(&req_);
  }

  void OnDone() override { delete this; }

 private:
  PrintRuns& runs_;
  v1::ReconcileResponse* resp_;
  const ActorCheck check_actor_;
  v1::ReconcileRequest req_;
  std::unique_ptr<PrintRuns::Reconciliation> rec_;
};

class PullListStream final
    : public grpc::ServerWriteReactor<v1::PullListEntry> {
 public:
  PullListStream(PrintRuns& runs, const v1::PullListRequest& req,
                 std::shared_ptr<void> stream_slot)
      : stream_slot_(std::move(stream_slot)) {
    status_ = runs.PullList(req, [&](v1::PullListEntry e) {
      entries_.push_back(std::move(e));
      return true;
    });
    Next();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::CANCELLED);
    ++next_;
    Next();
  }

  void OnDone() override { delete this; }

 private:
  void Next() {
    if (!status_.ok()) return Finish(ToGrpcStatus(status_));
    if (next_ == entries_.size()) return Finish(grpc::Status::OK);
    StartWrite(&entries_[next_]);
  }

  absl::Status status_;
  const std::shared_ptr<void> stream_slot_;  // limits.max_streams_per_principal
  std::vector<v1::PullListEntry> entries_;
  size_t next_ = 0;
};

}  // namespace

grpc::ServerBidiReactor<v1::InsertBatchRequest, v1::InsertBatchResponse>*
InsertGateImpl::CheckInsertBatch(grpc::CallbackServerContext* ctx) {
  constexpr std::string_view kMethod =
      "/gatekeeper.v1.InsertGate/CheckInsertBatch";
  auto caller = access_.CheckStream(*ctx, kMethod);
  if (!caller.status.ok()) {
    return new RefusedBidi<v1::InsertBatchRequest, v1::InsertBatchResponse>(
        caller.status);
  }
  return new BatchStream(
      runs_, ActorCheckFor(access_, ctx, kMethod, std::move(caller)));
}

grpc::ServerReadReactor<v1::ReconcileRequest>* InsertGateImpl::ReconcileRun(
    grpc::CallbackServerContext* ctx, v1::ReconcileResponse* resp) {
  constexpr std::string_view kMethod = "/gatekeeper.v1.InsertGate/ReconcileRun";
  auto caller = access_.CheckStream(*ctx, kMethod);
  if (!caller.status.ok()) {
    return new RefusedRead<v1::ReconcileRequest>(caller.status);
  }
  return new ReconcileStream(
      runs_, resp, ActorCheckFor(access_, ctx, kMethod, std::move(caller)));
}

grpc::ServerWriteReactor<v1::PullListEntry>* InsertGateImpl::PullList(
    grpc::CallbackServerContext* ctx, const v1::PullListRequest* req) {
  auto caller = access_.CheckStream(*ctx, "/gatekeeper.v1.InsertGate/PullList");
  if (!caller.status.ok()) {
    return new RefusedWrite<v1::PullListEntry>(caller.status);
  }
  return new PullListStream(runs_, *req, std::move(caller.held));
}

}  // namespace gatekeeper
