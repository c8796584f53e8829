#include "bench/print_reference.h"

#include <grpcpp/grpcpp.h>

#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "bench/echo_server.h"
#include "bench/print_layout.h"
#include "daemon/audit/print_batch.h"
#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "gatekeeper/v1/insert_gate.grpc.pb.h"

namespace gatekeeper::bench {
namespace {

// The daemon's answer for a decided document (daemon/server/print_runs.cc).
void ToAnswer(const DocumentVerdicts& d, v1::DocumentDecision* out) {
  out->set_document_id(d.document_id);
  out->set_customer_id(d.customer_id);
  for (const CampaignVerdict& c : d.campaigns) {
    if (IsAllow(c.reasons)) {
      out->add_allowed_campaign_ids(c.campaign_id);
      continue;
    }
    v1::BlockedCampaign* b = out->add_blocked();
    b->set_campaign_id(c.campaign_id);
    for (int r = 0; r < 32; ++r) {
      if ((c.reasons & (1u << r)) != 0) {
        b->add_reasons(static_cast<v1::Reason>(r));
      }
    }
  }
}

std::string ReasonKey(int reason) {
  const std::string& name = v1::Reason_Name(static_cast<v1::Reason>(reason));
  return name.rfind("REASON_", 0) == 0 ? name.substr(7) : name;
}

// One print run's stream. As in the daemon's BatchStream, every call into
// gRPC happens outside mu_, and Finish only once no write is in flight.
class ReferenceStream final
    : public grpc::ServerBidiReactor<v1::InsertBatchRequest,
                                     v1::InsertBatchResponse> {
 public:
  ReferenceStream() { StartRead(&req_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      return Fail(grpc::Status(grpc::StatusCode::CANCELLED,
                               "the stream ended before CloseRun"));
    }
    switch (req_.kind_case()) {
      case v1::InsertBatchRequest::kOpen:
        return HandleOpen();
      case v1::InsertBatchRequest::kBatch:
        return HandleBatch();
      case v1::InsertBatchRequest::kClose:
        return HandleClose();
      default:
        return Fail(
            grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                         "request: one of open, batch or close is required"));
    }
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      writing_ = false;
      out_.pop_front();
      if (!ok) {
        write_failed_ = true;
        if (status_.ok()) {
          status_ = grpc::Status(grpc::StatusCode::CANCELLED,
                                 "the client stopped reading");
        }
      }
    }
    Progress();
  }

  void OnDone() override { delete this; }

 private:
  void HandleOpen() {
    if (!run_id_.empty()) {
      return Fail(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "open: the run is open already"));
    }
    run_id_ = req_.open().print_run_id();
    compact_ = req_.open().compact_answers();
    if (run_id_.empty()) {
      return Fail(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "print_run_id: is required"));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      out_.emplace_back();
      v1::RunOpened* opened = out_.back().mutable_opened();
      opened->set_print_run_id(run_id_);
      opened->set_next_batch_no(0);
    }
    StartRead(&req_);
    Progress();
  }

  // Decides the batch by the layout at once and queues its answer. Only the
  // reading side touches run_id_, next_batch_, digest_ and the counts.
  void HandleBatch() {
    const v1::InsertBatch& batch = req_.batch();
    if (run_id_.empty()) {
      return Fail(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "open: the first request must open the run"));
    }
    if (batch.batch_no() != next_batch_) {
      return Fail(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       StrCat("batches[", batch.batch_no(), "].batch_no: run ",
                              run_id_, " expects batch ", next_batch_)));
    }
    if (batch.items_size() == 0 || batch.items_size() > 10000) {
      return Fail(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          StrCat("batches[", batch.batch_no(), "].items: 1 to 10000 items")));
    }
    v1::InsertBatchResponse resp;
    v1::BatchDecided* answer = resp.mutable_batch();
    answer->set_batch_no(batch.batch_no());
    std::string lines;
    DocumentVerdicts d;
    for (const v1::InsertItem& item : batch.items()) {
      d.document_id = item.document_id();
      d.customer_id = item.customer_id();
      d.campaigns.clear();
      for (const std::string& campaign : item.campaign_ids()) {
        CampaignVerdict v;
        v.campaign_id = campaign;
        v.reasons = ExpectedReasons(item.customer_id(), campaign);
        ++decisions_;
        if (IsAllow(v.reasons)) {
          ++allowed_by_campaign_[campaign];
        } else {
          for (int r = 0; r < 32; ++r) {
            if ((v.reasons & (1u << r)) != 0) ++blocked_by_reason_[r];
          }
        }
        d.campaigns.push_back(std::move(v));
      }
      AppendDecisionLines(d, lines);
      if (compact_) {
        for (const CampaignVerdict& c : d.campaigns) {
          answer->add_reason_bits(c.reasons);
        }
      } else {
        ToAnswer(d, answer->add_documents());
      }
    }
    documents_ += static_cast<uint64_t>(batch.items_size());
    digest_.Update(lines);
    answer->set_batch_sha256(ToHex(Sha256(lines)));
    // A plausible seq, so that the answer has the daemon's size.
    answer->set_audit_seq(10'000'000 + batch.batch_no());
    ++next_batch_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      out_.push_back(std::move(resp));
    }
    StartRead(&req_);
    Progress();
  }

  void HandleClose() {
    if (run_id_.empty()) {
      return Fail(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "close: no run was opened on this stream"));
    }
    v1::InsertBatchResponse resp;
    v1::RunSummary* s = resp.mutable_summary();
    s->set_print_run_id(run_id_);
    s->set_batches(next_batch_);
    s->set_documents(documents_);
    s->set_decisions(decisions_);
    for (const auto& [c, n] : allowed_by_campaign_) {
      (*s->mutable_allowed_by_campaign())[c] = n;
    }
    for (const auto& [r, n] : blocked_by_reason_) {
      (*s->mutable_blocked_by_reason())[ReasonKey(r)] = n;
    }
    s->set_run_digest(ToHex(digest_.Finish()));
    s->set_audit_seq(10'000'000 + next_batch_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      out_.push_back(std::move(resp));
      summary_queued_ = true;
    }
    Progress();
  }

  void Fail(grpc::Status s) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (status_.ok()) status_ = std::move(s);
    }
    Progress();
  }

  // Starts the next write, or finishes once the summary (or the answers
  // before an error) went out.
  void Progress() {
    const v1::InsertBatchResponse* write = nullptr;
    bool finish = false;
    grpc::Status finish_with;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      if (!writing_ && !out_.empty() && !write_failed_) {
        writing_ = true;
        write = &out_.front();
      }
      const bool done = !status_.ok() || summary_queued_;
      if (done && !writing_ && (out_.empty() || write_failed_)) {
        finished_ = true;
        finish = true;
        finish_with = status_;
      }
    }
    if (write != nullptr) StartWrite(write);
    if (finish) Finish(finish_with);
  }

  v1::InsertBatchRequest req_;  // the read in flight
  // The reading side's (one read at a time):
  std::string run_id_;
  bool compact_ = false;  // OpenRun.compact_answers
  uint64_t next_batch_ = 0;
  uint64_t documents_ = 0, decisions_ = 0;
  std::map<std::string, uint64_t> allowed_by_campaign_;
  std::map<int, uint64_t> blocked_by_reason_;
  Sha256Hasher digest_;

  std::mutex mu_;
  std::deque<v1::InsertBatchResponse> out_;  // guarded; front: in flight
  bool writing_ = false;                     // guarded by mu_
  bool summary_queued_ = false;              // guarded by mu_
  bool write_failed_ = false;                // guarded by mu_
  bool finished_ = false;                    // guarded by mu_
  grpc::Status status_;                      // guarded by mu_: the first error
};

class ReferenceInsertGate final : public v1::InsertGate::CallbackService {
 public:
  grpc::ServerBidiReactor<v1::InsertBatchRequest, v1::InsertBatchResponse>*
  CheckInsertBatch(grpc::CallbackServerContext*) override {
    return new ReferenceStream();
  }
};

}  // namespace

int ServePrintReference() {
  const sigset_t stop = BlockStopSignals();
  ReferenceInsertGate service;
  return Serve(&service, "gkprintbench-reference", stop);
}

}  // namespace gatekeeper::bench
