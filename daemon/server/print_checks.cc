// PrintRuns' checks after printing (ReconcileRun, PullList): a closed run's
// documents read back from its stored batches, the inserter's pieces
// reconciled against them, and the run's ALLOWs decided again now.
#include <unordered_map>
#include <unordered_set>

#include "daemon/audit/print_batch.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/policy/request_strings.h"
#include "daemon/policy/validate.h"
#include "daemon/server/print_decisions.h"
#include "daemon/server/print_runs.h"
#include "daemon/store/print_run_records.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {

namespace {

constexpr size_t kMaxListed = 10000;

// A closed run's documents: where each is stored, and its decisions on
// demand, batch by batch (a run may hold ten million; a few decoded batches
// are kept, since pieces come back in about the order they were printed).
class RunDocuments {
 public:
  static absl::StatusOr<std::unique_ptr<RunDocuments>> Load(
      Store& store, const std::string& run_id) {
    auto out = std::unique_ptr<RunDocuments>(new RunDocuments(store, run_id));
    absl::Status error;
    RETURN_IF_ERROR(store.ScanPrintBatches(
        run_id, 0, [&](uint64_t batch_no, uint64_t seq, std::string_view body) {
          auto docs = DecodePrintBatch(body);
          if (!docs.ok()) {
            error = docs.status();
            return false;
          }
          out->seqs_.push_back(seq);
          for (const DocumentVerdicts& d : *docs) {
            auto [it, fresh] =
                out->where_.emplace(DocHash(d.document_id), batch_no);
            if (!fresh) it->second = kMany;  // two ids with one hash
          }
          return true;
        }));
    RETURN_IF_ERROR(error);
    return out;
  }

  // The document's decisions; nullptr when the run has no such document.
  absl::StatusOr<const DocumentVerdicts*> Find(const std::string& id) {
    auto it = where_.find(DocHash(id));
    if (it == where_.end()) return nullptr;
    if (it->second != kMany) return FindIn(it->second, id);
    for (uint64_t b = 0; b < seqs_.size(); ++b) {
      ASSIGN_OR_RETURN(const DocumentVerdicts* d, FindIn(b, id));
      if (d != nullptr) return d;
    }
    return nullptr;
  }
  size_t size() const { return where_.size(); }

 private:
  static constexpr uint64_t kMany = UINT64_MAX;
  struct Batch {
    std::vector<DocumentVerdicts> docs;
    std::unordered_map<std::string_view, size_t> index;
  };
  RunDocuments(Store& store, std::string run_id)
      : store_(store), run_id_(std::move(run_id)) {}

  absl::StatusOr<const DocumentVerdicts*> FindIn(uint64_t batch_no,
                                                 const std::string& id) {
    auto it = cache_.find(batch_no);
    if (it == cache_.end()) {
      if (cache_.size() >= 8) cache_.erase(cache_.begin());
      ASSIGN_OR_RETURN(std::optional<std::string> body,
                       store_.PrintBatchBody(seqs_.at(batch_no)));
      if (!body.has_value()) {
        return absl::DataLossError(
            StrCat("print run ", run_id_, ": batch ", batch_no, " is missing"));
      }
      ASSIGN_OR_RETURN(std::vector<DocumentVerdicts> docs,
                       DecodePrintBatch(*body));
      auto batch = std::make_unique<Batch>();
      batch->docs = std::move(docs);
      for (size_t i = 0; i < batch->docs.size(); ++i) {
        batch->index.emplace(batch->docs[i].document_id, i);
      }
      it = cache_.emplace(batch_no, std::move(batch)).first;
    }
    auto found = it->second->index.find(id);
    if (found == it->second->index.end()) return nullptr;
    return &it->second->docs[found->second];
  }

  Store& store_;
  const std::string run_id_;
  std::vector<uint64_t> seqs_;                    // by batch_no
  std::unordered_map<uint64_t, uint64_t> where_;  // document hash -> batch
  std::map<uint64_t, std::unique_ptr<Batch>> cache_;
};

absl::StatusOr<PrintRun> ClosedRun(Store& store, const std::string& run_id) {
  ASSIGN_OR_RETURN(std::optional<PrintRun> run, store.GetPrintRun(run_id));
  if (!run.has_value()) {
    return absl::NotFoundError(StrCat("print_run_id: no print run ", run_id));
  }
  if (!run->closed) {
    return absl::FailedPreconditionError(
        StrCat("print_run_id: run ", run_id, " is not completed"));
  }
  return *std::move(run);
}

}  // namespace

class ReconciliationImpl final : public PrintRuns::Reconciliation {
 public:
  ReconciliationImpl(Store& store, PrintRun run, std::string actor,
                     std::unique_ptr<RunDocuments> docs)
      : store_(store),
        run_(std::move(run)),
        actor_(std::move(actor)),
        docs_(std::move(docs)) {}

  absl::Status Add(const v1::InsertedPiece& piece) override {
    const std::string& id = piece.document_id();
    if (!IsDocumentId(id)) {
      return absl::InvalidArgumentError(
          StrCat("pieces[", pieces_, "].document_id: is not a document id"));
    }
    for (int j = 0; j < piece.inserted_campaign_ids_size(); ++j) {
      if (!policy::ValidateCampaignId("", piece.inserted_campaign_ids(j))
               .ok()) {
        return absl::InvalidArgumentError(
            StrCat("pieces[", pieces_, "].inserted_campaign_ids[", j,
                   "]: not a campaign id (1-64 characters of "
                   "[A-Za-z0-9._-])"));
      }
    }
    if (piece.status() != v1::PIECE_STATUS_OK &&
        piece.status() != v1::PIECE_STATUS_SPOILED) {
      return absl::InvalidArgumentError(
          StrCat("pieces[", pieces_, "].status: OK or SPOILED is required"));
    }
    ++pieces_;
    ASSIGN_OR_RETURN(const DocumentVerdicts* d, docs_->Find(id));
    if (d == nullptr) {
      resp_.set_unknown_count(resp_.unknown_count() + 1);
      if (resp_.unknown_document_ids_size() < static_cast<int>(kMaxListed)) {
        resp_.add_unknown_document_ids(id);
      }
      return absl::OkStatus();
    }
    if (!seen_.insert(id).second) {
      return absl::InvalidArgumentError(StrCat(
          "pieces[", pieces_ - 1, "].document_id: ", id, " reported twice"));
    }
    if (piece.status() == v1::PIECE_STATUS_SPOILED) {
      resp_.set_spoiled_count(resp_.spoiled_count() + 1);
      if (resp_.spoiled_document_ids_size() < static_cast<int>(kMaxListed)) {
        resp_.add_spoiled_document_ids(id);
      }
      return absl::OkStatus();
    }
    std::vector<std::string> not_allowed, missing;
    for (const std::string& c : piece.inserted_campaign_ids()) {
      bool allowed = false;
      for (const CampaignVerdict& v : d->campaigns) {
        allowed = allowed || (v.campaign_id == c && IsAllow(v.reasons));
      }
      if (!allowed) not_allowed.push_back(c);
    }
    for (const CampaignVerdict& v : d->campaigns) {
      if (!IsAllow(v.reasons)) continue;
      if (std::find(piece.inserted_campaign_ids().begin(),
                    piece.inserted_campaign_ids().end(),
                    v.campaign_id) == piece.inserted_campaign_ids().end()) {
        missing.push_back(v.campaign_id);
      }
    }
    if (!not_allowed.empty()) {
      resp_.set_violation_count(resp_.violation_count() + 1);
      v1::PrintViolationPayload p;
      p.set_print_run_id(run_.run_id);
      p.set_document_id(id);
      p.set_customer_id(d->customer_id);
      for (const std::string& c : not_allowed) p.add_campaign_ids(c);
      violations_.push_back(
          {"print.violation", actor_, d->customer_id, Json(p)});
      if (resp_.violations_size() < static_cast<int>(kMaxListed)) {
        v1::PieceFinding* f = resp_.add_violations();
        f->set_document_id(id);
        for (const std::string& c : not_allowed) f->add_campaign_ids(c);
      }
    }
    if (!missing.empty()) {
      resp_.set_not_inserted_count(resp_.not_inserted_count() + 1);
      if (resp_.not_inserted_size() < static_cast<int>(kMaxListed)) {
        v1::PieceFinding* f = resp_.add_not_inserted();
        f->set_document_id(id);
        for (const std::string& c : missing) f->add_campaign_ids(c);
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<v1::ReconcileResponse> Finish() override {
    resp_.set_pieces(pieces_);
    resp_.set_missing_pieces(docs_->size() - seen_.size());
    v1::PrintReconciledPayload p;
    p.set_print_run_id(run_.run_id);
    p.set_actor(actor_);
    p.set_pieces(pieces_);
    p.set_violations(resp_.violation_count());
    p.set_not_inserted(resp_.not_inserted_count());
    p.set_spoiled(resp_.spoiled_count());
    p.set_unknown(resp_.unknown_count());
    p.set_missing_pieces(resp_.missing_pieces());
    // The violations, then the reconciliation, in pieces of a bounded size.
    violations_.push_back({"print.reconciled", actor_, "", Json(p)});
    constexpr size_t kChunk = 10000;
    uint64_t last = 0;
    for (size_t from = 0; from < violations_.size(); from += kChunk) {
      std::vector<AuditDraft> chunk(
          std::make_move_iterator(violations_.begin() +
                                  static_cast<std::ptrdiff_t>(from)),
          std::make_move_iterator(violations_.begin() +
                                  static_cast<std::ptrdiff_t>(std::min(
                                      violations_.size(), from + kChunk))));
      ASSIGN_OR_RETURN(std::vector<uint64_t> seqs,
                       store_.LogEvents(std::move(chunk)));
      last = seqs.back();
    }
    resp_.set_audit_seq(last);
    return resp_;
  }

 private:
  Store& store_;
  const PrintRun run_;
  const std::string actor_;
  std::unique_ptr<RunDocuments> docs_;
  uint64_t pieces_ = 0;
  std::unordered_set<std::string> seen_;
  v1::ReconcileResponse resp_;
  std::vector<AuditDraft> violations_;
};

absl::StatusOr<std::unique_ptr<PrintRuns::Reconciliation>>
PrintRuns::StartReconcile(const v1::ReconcileStart& start) {
  RETURN_IF_ERROR(policy::CheckRequestStrings(start));
  if (start.actor().empty() || start.actor().size() > 128) {
    return absl::InvalidArgumentError("actor: is required (1-128 bytes)");
  }
  ASSIGN_OR_RETURN(PrintRun run, ClosedRun(store_, start.print_run_id()));
  ASSIGN_OR_RETURN(std::unique_ptr<RunDocuments> docs,
                   RunDocuments::Load(store_, run.run_id));
  return std::make_unique<ReconciliationImpl>(store_, std::move(run),
                                              start.actor(), std::move(docs));
}

absl::Status PrintRuns::PullList(
    const v1::PullListRequest& req,
    const std::function<bool(v1::PullListEntry)>& emit) {
  RETURN_IF_ERROR(policy::CheckRequestStrings(req));
  ASSIGN_OR_RETURN(PrintRun run, ClosedRun(store_, req.print_run_id()));
  DocumentDecider decider(store_, clock_.Now());
  absl::Status error;
  bool go_on = true;
  RETURN_IF_ERROR(store_.ScanPrintBatches(
      run.run_id, 0, [&](uint64_t, uint64_t, std::string_view body) {
        auto docs = DecodePrintBatch(body);
        if (!docs.ok()) {
          error = docs.status();
          return false;
        }
        for (const DocumentVerdicts& d : *docs) {
          v1::PullListEntry e;
          for (const CampaignVerdict& then : d.campaigns) {
            if (!IsAllow(then.reasons)) continue;
            const CampaignVerdict now =
                decider.Decide(d.customer_id, then.campaign_id);
            if (IsAllow(now.reasons)) continue;
            v1::BlockedCampaign* b = e.add_now_blocked();
            b->set_campaign_id(then.campaign_id);
            ForEachReason(now.reasons, [&](int r) {
              b->add_reasons(static_cast<v1::Reason>(r));
            });
          }
          if (e.now_blocked_size() == 0) continue;
          e.set_document_id(d.document_id);
          e.set_customer_id(d.customer_id);
          if (!emit(std::move(e))) {
            go_on = false;
            return false;
          }
        }
        return go_on;
      }));
  return error;
}

}  // namespace gatekeeper
