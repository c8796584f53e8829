#include "daemon/server/print_runs.h"

#include <algorithm>
#include <array>
#include <deque>

#include "absl/container/flat_hash_set.h"
#include "daemon/audit/print_batch.h"
#include "daemon/common/crypto.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/policy/decide.h"
#include "daemon/policy/request_strings.h"
#include "daemon/policy/validate.h"
#include "daemon/server/print_decisions.h"
#include "daemon/store/print_run_records.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {
namespace {

// How often a batch whose inputs changed is decided again before the run
// gives up on it (UNAVAILABLE: the client resumes later).
constexpr int kMaxAttempts = 10;

absl::Status InvalidItem(uint64_t batch_no, int item, std::string_view what) {
  return absl::InvalidArgumentError(
      StrCat("batches[", batch_no, "].items[", item, "].", what));
}

void ToAnswer(const DocumentVerdicts& d, v1::DocumentDecision& out) {
  out.set_document_id(d.document_id);
  out.set_customer_id(d.customer_id);
  for (const CampaignVerdict& c : d.campaigns) {
    if (IsAllow(c.reasons)) {
      out.add_allowed_campaign_ids(c.campaign_id);
      continue;
    }
    v1::BlockedCampaign* b = out.add_blocked();
    b->set_campaign_id(c.campaign_id);
    ForEachReason(c.reasons,
                  [&](int r) { b->add_reasons(static_cast<v1::Reason>(r)); });
  }
}

// Counts by a few keys (a batch's campaigns), found by a scan.
class SmallCounter {
 public:
  uint64_t& Of(std::string_view key) {
    for (auto& [k, n] : entries_) {
      if (k == key) return n;
    }
    return entries_.emplace_back(key, 0).second;
  }
  const std::vector<std::pair<std::string_view, uint64_t>>& entries() const {
    return entries_;
  }

 private:
  std::vector<std::pair<std::string_view, uint64_t>> entries_;
};

void Tally(
    std::vector<std::pair<std::string_view, std::array<uint32_t, 32>>>& t,
    std::string_view campaign, uint32_t reasons) {
  // A run has a few leaflets: a scan, most often ending at the first.
  auto it = t.begin();
  while (it != t.end() && it->first != campaign) ++it;
  if (it == t.end()) {
    t.emplace_back(campaign, std::array<uint32_t, 32>{});
    it = t.end() - 1;
  }
  ForEachReason(reasons, [&](int r) { ++it->second[static_cast<size_t>(r)]; });
}

std::string ReasonKey(int reason) {
  const std::string& name = v1::Reason_Name(static_cast<v1::Reason>(reason));
  return name.rfind("REASON_", 0) == 0 ? name.substr(7) : name;
}

}  // namespace

// A batch on its way: decided (perhaps again), then appended in run order.
struct BatchJob {
  v1::InsertBatch batch;
  std::vector<DocumentVerdicts> verdicts;
  std::string lines;  // the canonical decision lines
  v1::PrintBatchPayload payload;
  std::vector<std::string> keys;        // conflict keys
  std::vector<uint64_t> index_entries;  // PrintIndexEntry per document
  uint64_t state_version = 0;
  int attempts = 0;
  bool compact = false;  // answered by reason_bits
  // Decisions by campaign and reason (bit r; an ALLOW under
  // CONSENT_ON_RECORD), for the metrics.
  std::vector<std::pair<std::string_view, std::array<uint32_t, 32>>> tallies;
  bool decided = false;  // guarded by the run's mu
  std::function<void(absl::StatusOr<v1::BatchDecided>)> done;
};

struct PrintRuns::Run {
  std::mutex mu;
  PrintRun stored;  // run_no, run_id, actor, reprint_of
  // Durable so far (guarded by mu):
  uint64_t next_durable = 0;
  uint64_t documents = 0;
  uint64_t decisions = 0;
  std::map<std::string, uint64_t> allowed_by_campaign;
  std::map<std::string, uint64_t> blocked_by_reason;
  Sha256Hasher digest;
  std::vector<uint64_t> index_entries;  // PrintIndexEntry per document
  // Accepted (decided or in the queue), guarded by mu:
  uint64_t next_accepted = 0;
  absl::flat_hash_set<uint64_t> doc_hashes;
  // In the order accepted; decided concurrently, appended from the front.
  std::deque<std::shared_ptr<BatchJob>> queue;
  bool appending = false;  // the front job is being appended
  bool broken = false;     // a store error: rebuild from the store
  // A reprint run: the original run's document hashes.
  absl::flat_hash_set<uint64_t> original_docs;
};

PrintRuns::~PrintRuns() = default;

absl::StatusOr<std::shared_ptr<PrintRuns::Run>> PrintRuns::Rebuild(
    const PrintRun& stored) {
  auto run = std::make_shared<Run>();
  run->stored = stored;
  absl::Status error;
  RETURN_IF_ERROR(store_.ScanPrintBatches(
      stored.run_id, 0,
      [&](uint64_t batch_no, uint64_t, std::string_view body) {
        auto docs = DecodePrintBatch(body);
        if (!docs.ok()) {
          error = docs.status();
          return false;
        }
        std::string lines;
        for (const DocumentVerdicts& d : *docs) {
          run->doc_hashes.insert(DocHash(d.document_id));
          run->index_entries.push_back(
              PrintIndexEntry(PrintCustomerKey(d.customer_id),
                              static_cast<uint32_t>(batch_no)));
          AppendDecisionLines(d, lines);
          for (const CampaignVerdict& c : d.campaigns) {
            ++run->decisions;
            if (IsAllow(c.reasons)) {
              ++run->allowed_by_campaign[c.campaign_id];
            } else {
              ForEachReason(c.reasons, [&](int r) {
                ++run->blocked_by_reason[ReasonKey(r)];
              });
            }
          }
        }
        run->documents += docs->size();
        run->digest.Update(lines);
        run->next_durable = batch_no + 1;
        return true;
      }));
  RETURN_IF_ERROR(error);
  if (run->next_durable != stored.next_batch_no) {
    return absl::DataLossError(StrCat("print run ", stored.run_id, " has ",
                                      run->next_durable, " batches stored, ",
                                      stored.next_batch_no, " recorded"));
  }
  run->next_accepted = run->next_durable;
  if (!stored.reprint_of.empty()) {
    RETURN_IF_ERROR(store_.ScanPrintBatches(
        stored.reprint_of, 0, [&](uint64_t, uint64_t, std::string_view body) {
          auto docs = DecodePrintBatch(body);
          if (!docs.ok()) {
            error = docs.status();
            return false;
          }
          for (const DocumentVerdicts& d : *docs) {
            run->original_docs.insert(DocHash(d.document_id));
          }
          return true;
        }));
    RETURN_IF_ERROR(error);
  }
  return run;
}

absl::Status PrintRuns::Replay(
    const std::string& run_id,
    const std::function<void(v1::BatchDecided)>& replay) {
  absl::Status error;
  RETURN_IF_ERROR(store_.ScanPrintBatches(
      run_id, 0, [&](uint64_t batch_no, uint64_t seq, std::string_view body) {
        auto docs = DecodePrintBatch(body);
        if (!docs.ok()) {
          error = docs.status();
          return false;
        }
        v1::BatchDecided b;
        b.set_batch_no(batch_no);
        b.set_audit_seq(seq);
        b.set_replayed(true);
        std::string lines;
        for (const DocumentVerdicts& d : *docs) {
          ToAnswer(d, *b.add_documents());
          AppendDecisionLines(d, lines);
        }
        b.set_batch_sha256(ToHex(Sha256(lines)));
        replay(std::move(b));
        return true;
      }));
  return error;
}

absl::StatusOr<v1::RunOpened> PrintRuns::Open(
    const v1::OpenRun& req, const std::function<void(v1::BatchDecided)>& replay,
    v1::RunSummary* completed) {
  RETURN_IF_ERROR(policy::CheckRequestStrings(req));
  if (!policy::ValidateCampaignId("print_run_id", req.print_run_id()).ok()) {
    return absl::InvalidArgumentError(
        "print_run_id: is required: 1-64 characters of [A-Za-z0-9._-]");
  }
  if (req.actor().empty() || req.actor().size() > 128) {
    return absl::InvalidArgumentError("actor: is required (1-128 bytes)");
  }
  if (req.replay_completed()) {
    ASSIGN_OR_RETURN(std::optional<PrintRun> done,
                     store_.GetPrintRun(req.print_run_id()));
    if (done.has_value() && done->closed) {
      if (done->reprint_of != req.reprint_of()) {
        return absl::InvalidArgumentError(
            StrCat("reprint_of: run ", done->run_id, " was opened with \"",
                   done->reprint_of, "\""));
      }
      if (!completed->ParseFromString(done->summary)) {
        return absl::DataLossError(StrCat(
            "print run ", done->run_id, ": its stored summary does not parse"));
      }
      completed->set_audit_seq(done->closed_seq);
      RETURN_IF_ERROR(Replay(done->run_id, replay));
      v1::RunOpened out;
      out.set_print_run_id(done->run_id);
      out.set_next_batch_no(done->next_batch_no);
      out.set_documents(done->documents);
      out.set_resumed(true);
      out.set_completed(true);
      return out;
    }
  }
  if (!req.reprint_of().empty()) {
    ASSIGN_OR_RETURN(std::optional<PrintRun> original,
                     store_.GetPrintRun(req.reprint_of()));
    if (!original.has_value()) {
      return absl::NotFoundError(
          StrCat("reprint_of: no print run ", req.reprint_of()));
    }
    if (!original->closed) {
      return absl::FailedPreconditionError(
          StrCat("reprint_of: run ", req.reprint_of(), " is not completed"));
    }
  }
  PrintRun fresh;
  fresh.run_id = req.print_run_id();
  fresh.actor = req.actor();
  fresh.reprint_of = req.reprint_of();
  fresh.opened_at = clock_.Now();
  v1::PrintRunOpenedPayload p;
  p.set_print_run_id(fresh.run_id);
  p.set_actor(fresh.actor);
  p.set_reprint_of(fresh.reprint_of);
  ASSIGN_OR_RETURN(
      auto opened,
      store_.OpenPrintRun(fresh, {"print.opened", req.actor(), "", Json(p)}));
  const PrintRun& stored = opened.first;
  if (stored.reprint_of != req.reprint_of()) {
    return absl::InvalidArgumentError(StrCat("reprint_of: run ", stored.run_id,
                                             " was opened with \"",
                                             stored.reprint_of, "\""));
  }
  std::shared_ptr<Run> run;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = runs_.find(stored.run_id);
    if (it != runs_.end()) {
      std::lock_guard<std::mutex> run_lock(it->second->mu);
      if (!it->second->broken && it->second->queue.empty()) run = it->second;
    }
  }
  if (run == nullptr) {
    ASSIGN_OR_RETURN(run, Rebuild(stored));
    std::lock_guard<std::mutex> lock(mu_);
    runs_[stored.run_id] = run;
  }
  if (req.replay_decided()) RETURN_IF_ERROR(Replay(stored.run_id, replay));
  v1::RunOpened out;
  out.set_print_run_id(stored.run_id);
  std::lock_guard<std::mutex> run_lock(run->mu);
  out.set_next_batch_no(run->next_accepted);
  out.set_documents(run->documents);
  out.set_resumed(!opened.second);
  return out;
}

void PrintRuns::DecideBatch(
    const std::string& run_id, v1::InsertBatch batch, bool compact,
    std::function<void(absl::StatusOr<v1::BatchDecided>)> done,
    const std::function<void()>& accepted) {
  std::shared_ptr<Run> run;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = runs_.find(run_id);
    if (it != runs_.end()) run = it->second;
  }
  if (run == nullptr) {
    return done(absl::FailedPreconditionError(
        StrCat("print_run_id: run ", run_id, " is not open")));
  }
  const uint64_t batch_no = batch.batch_no();
  if (batch.items_size() == 0 || batch.items_size() > max_items_) {
    return done(absl::InvalidArgumentError(
        StrCat("batches[", batch_no, "].items: 1 to ", max_items_,
               " items a batch (limits.max_batch_items)")));
  }
  // Checked before anything is accepted: a bad batch changes nothing.
  std::shared_ptr<BatchJob> job;
  std::vector<uint64_t> hashes;
  hashes.reserve(static_cast<size_t>(batch.items_size()));
  {
    std::lock_guard<std::mutex> lock(run->mu);
    if (run->broken) {
      return done(absl::UnavailableError(
          StrCat("print run ", run_id,
                 " had a store error; open it again to resume")));
    }
    if (batch_no != run->next_accepted) {
      return done(absl::InvalidArgumentError(
          StrCat("batches[", batch_no, "].batch_no: run ", run_id,
                 " expects batch ", run->next_accepted)));
    }
    // Each document's hash goes into the run's set as it is checked (one
    // probe a document); a bad item takes this batch's back out.
    const auto fail = [&](absl::Status status) {
      for (uint64_t h : hashes) run->doc_hashes.erase(h);
      return done(std::move(status));
    };
    for (int i = 0; i < batch.items_size(); ++i) {
      const v1::InsertItem& item = batch.items(i);
      if (!IsDocumentId(item.document_id())) {
        return fail(InvalidItem(batch_no, i,
                                "document_id: is required: 1-128 characters "
                                "of [A-Za-z0-9._:/-]"));
      }
      if (absl::Status s =
              policy::ValidateCustomerId("customer_id", item.customer_id());
          !s.ok()) {
        return fail(InvalidItem(batch_no, i, std::string(s.message())));
      }
      if (item.campaign_ids_size() > kMaxCandidates) {
        return fail(InvalidItem(batch_no, i,
                                StrCat("campaign_ids: at most ", kMaxCandidates,
                                       " leaflets an item")));
      }
      for (int j = 0; j < item.campaign_ids_size(); ++j) {
        if (!policy::ValidateCampaignId("campaign_ids", item.campaign_ids(j))
                 .ok()) {
          return fail(InvalidItem(
              batch_no, i, StrCat("campaign_ids[", j, "]: not a campaign id")));
        }
        for (int k = 0; k < j; ++k) {
          if (item.campaign_ids(k) == item.campaign_ids(j)) {
            return fail(InvalidItem(
                batch_no, i, StrCat("campaign_ids[", j, "]: named twice")));
          }
        }
      }
      const uint64_t h = DocHash(item.document_id());
      if (!run->doc_hashes.insert(h).second) {
        const auto earlier = std::find(hashes.begin(), hashes.end(), h);
        const bool in_batch =
            earlier != hashes.end() &&
            batch.items(static_cast<int>(earlier - hashes.begin()))
                    .document_id() == item.document_id();
        return fail(
            InvalidItem(batch_no, i,
                        StrCat("document_id: ", item.document_id(),
                               in_batch ? " is twice in the batch"
                                        : " was already decided in this run")));
      }
      hashes.push_back(h);
      if (!run->stored.reprint_of.empty() && !run->original_docs.contains(h)) {
        return fail(InvalidItem(
            batch_no, i,
            StrCat("document_id: ", item.document_id(), " is not in run ",
                   run->stored.reprint_of, ", which this run reprints")));
      }
    }
    ++run->next_accepted;
    // Queued in the order accepted, whatever order the deciding ends in.
    job = std::make_shared<BatchJob>();
    job->batch = std::move(batch);
    job->compact = compact;
    job->done = std::move(done);
    run->queue.push_back(job);
  }
  if (accepted) accepted();
  Decide(*run, *job);
  bool append = false;
  {
    std::lock_guard<std::mutex> lock(run->mu);
    job->decided = true;
    // Otherwise appended once the batches before it are durable (or failed
    // with them: then it is no longer queued).
    if (!run->appending && !run->queue.empty() && run->queue.front() == job) {
      run->appending = true;
      append = true;
    }
  }
  if (append) Append(std::move(run), std::move(job));
}

void PrintRuns::Decide(const Run& run, BatchJob& job) {
  const Micros now = clock_.Now();
  job.state_version = store_.StateVersion();
  ++job.attempts;
  job.lines.clear();
  job.keys.clear();
  job.index_entries.clear();
  job.tallies.clear();
  const auto items = static_cast<size_t>(job.batch.items_size());
  if (job.verdicts.empty()) {
    // The ids move from the request into the verdicts (a copy of each
    // document id was an allocation); deciding again reuses them.
    job.verdicts.resize(items);
    for (size_t i = 0; i < items; ++i) {
      v1::InsertItem& item = *job.batch.mutable_items(static_cast<int>(i));
      job.verdicts[i].document_id = std::move(*item.mutable_document_id());
      job.verdicts[i].customer_id = std::move(*item.mutable_customer_id());
    }
  }
  // Sized once: grown by appends they were copied several times a batch.
  job.lines.reserve(items * 160);
  job.keys.reserve(items + 16);
  job.index_entries.reserve(items);
  DocumentDecider decider(store_, now);
  v1::PrintBatchPayload& p = job.payload;
  p.Clear();
  uint64_t decisions = 0;
  // Counted here, put into the payload's maps once: a map lookup by a string
  // key (and the key made) for every decision cost more than deciding it.
  SmallCounter allowed;
  uint64_t blocked[32] = {};
  // The customers of the next window are prefetched while this one is
  // decided (and the first window before it is).
  constexpr size_t kWindow = 256;
  std::vector<std::string_view> ahead;
  const auto prefetch = [&](size_t from) {
    ahead.clear();
    for (size_t i = from; i < std::min(from + kWindow, items); ++i) {
      ahead.push_back(job.verdicts[i].customer_id);
    }
    if (!ahead.empty()) store_.PrefetchCustomers(ahead);
  };
  prefetch(0);
  for (size_t i = 0; i < items; ++i) {
    if (i % kWindow == 0) prefetch(i + kWindow);
    const v1::InsertItem& item = job.batch.items(static_cast<int>(i));
    DocumentVerdicts& d = job.verdicts[i];
    d.campaigns.clear();
    d.campaigns.reserve(static_cast<size_t>(item.campaign_ids_size()));
    for (const std::string& campaign : item.campaign_ids()) {
      CampaignVerdict v = decider.Decide(d.customer_id, campaign);
      ++decisions;
      Tally(job.tallies, campaign, v.reasons);
      if (IsAllow(v.reasons)) {
        ++allowed.Of(campaign);
      } else {
        ForEachReason(v.reasons, [&](int r) { ++blocked[r]; });
      }
      d.campaigns.push_back(std::move(v));
    }
    AppendDecisionLines(d, job.lines);
    job.keys.push_back(CustomerKey(d.customer_id));
    job.index_entries.push_back(
        PrintIndexEntry(PrintCustomerKey(d.customer_id),
                        static_cast<uint32_t>(job.batch.batch_no())));
  }
  absl::flat_hash_set<std::string_view> campaigns;
  for (const v1::InsertItem& item : job.batch.items()) {
    for (const std::string& campaign : item.campaign_ids()) {
      if (campaigns.insert(campaign).second) {
        job.keys.push_back(CampaignKey(campaign));
      }
    }
  }
  for (const auto& [campaign, n] : allowed.entries()) {
    (*p.mutable_allowed_by_campaign())[std::string(campaign)] += n;
  }
  for (int r = 0; r < 32; ++r) {
    if (blocked[r] > 0)
      (*p.mutable_blocked_by_reason())[ReasonKey(r)] += blocked[r];
  }
  p.set_print_run_id(run.stored.run_id);
  p.set_batch_no(job.batch.batch_no());
  p.set_documents(static_cast<uint64_t>(job.verdicts.size()));
  p.set_decisions(decisions);
  p.set_decisions_sha256(ToHex(Sha256(job.lines)));
  p.set_policy_version(policy::kPolicyVersion);
}

// Appends the run's oldest batch; on success the next one follows.
void PrintRuns::Append(std::shared_ptr<Run> run,
                       std::shared_ptr<BatchJob> job) {
  PrintBatchWrite write;
  write.run_id = run->stored.run_id;
  write.batch_no = job->batch.batch_no();
  write.body = EncodePrintBatch(job->verdicts);
  write.draft = {"print.batch", StrCat("print-run:", run->stored.run_id), "",
                 Json(job->payload)};
  write.documents = job->payload.documents();
  write.decisions = job->payload.decisions();
  store_.AppendPrintBatchAsync(
      std::move(write), {job->state_version, job->keys},
      [this, run, job](absl::StatusOr<uint64_t> seq) {
        if (seq.status().code() == absl::StatusCode::kAborted &&
            job->attempts < kMaxAttempts) {
          // Its inputs changed while it waited: decide it again.
          Decide(*run, *job);
          return Append(run, job);
        }
        std::shared_ptr<BatchJob> next;
        std::vector<std::shared_ptr<BatchJob>> failed;
        {
          std::lock_guard<std::mutex> lock(run->mu);
          run->queue.pop_front();
          if (seq.ok()) {
            ++run->next_durable;
            run->documents += job->verdicts.size();
            run->decisions += job->payload.decisions();
            for (const auto& [c, n] : job->payload.allowed_by_campaign()) {
              run->allowed_by_campaign[c] += n;
            }
            for (const auto& [r, n] : job->payload.blocked_by_reason()) {
              run->blocked_by_reason[r] += n;
            }
            run->digest.Update(job->lines);
            run->index_entries.insert(run->index_entries.end(),
                                      job->index_entries.begin(),
                                      job->index_entries.end());
            if (!run->queue.empty() && run->queue.front()->decided) {
              next = run->queue.front();  // still appending
            } else {
              run->appending = false;  // its decider appends it
            }
          } else {
            // The run's memory no longer matches the store: the client
            // opens the run again, which rebuilds it from what is durable.
            // Jobs still being decided find themselves no longer queued.
            run->broken = true;
            run->appending = false;
            failed.assign(run->queue.begin(), run->queue.end());
            run->queue.clear();
          }
        }
        if (!seq.ok()) {
          job->done(seq.status());
          for (auto& f : failed) f->done(seq.status());
          return;
        }
        CountBatch(*job);
        v1::BatchDecided answer;
        answer.set_batch_no(job->batch.batch_no());
        answer.set_audit_seq(*seq);
        answer.set_batch_sha256(job->payload.decisions_sha256());
        if (job->compact) {
          auto& bits = *answer.mutable_reason_bits();
          bits.Reserve(static_cast<int>(job->payload.decisions()));
          for (const DocumentVerdicts& d : job->verdicts) {
            for (const CampaignVerdict& c : d.campaigns) bits.Add(c.reasons);
          }
        } else {
          answer.mutable_documents()->Reserve(
              static_cast<int>(job->verdicts.size()));
          for (const DocumentVerdicts& d : job->verdicts) {
            ToAnswer(d, *answer.add_documents());
          }
        }
        job->done(std::move(answer));
        if (next != nullptr) Append(run, next);
      });
}

void PrintRuns::CountBatch(const BatchJob& job) const {
  if (metrics_ == nullptr) return;
  uint64_t allowed = 0;  // an ALLOW has the one reason CONSENT_ON_RECORD
  for (const auto& [campaign, counts] : job.tallies) {
    allowed += counts[v1::REASON_CONSENT_ON_RECORD];
    std::string company;
    if (auto c = store_.GetCampaign(campaign); c.ok() && *c != nullptr) {
      company = (*c)->company_id();
    }
    for (int r = 0; r < 32; ++r) {
      if (counts[static_cast<size_t>(r)] == 0) continue;
      const bool allow = r == v1::REASON_CONSENT_ON_RECORD;
      metrics_->CountDecision(v1::PURPOSE_AD_INSERT, allow, 1u << r, company,
                              counts[static_cast<size_t>(r)]);
    }
  }
  // The batch is durable now; its decisions count in this minute.
  const Micros now = clock_.Now();
  metrics_->CountVerdict(v1::PURPOSE_AD_INSERT, true, allowed, now);
  metrics_->CountVerdict(v1::PURPOSE_AD_INSERT, false,
                         job.payload.decisions() - allowed, now);
}

absl::StatusOr<v1::RunSummary> PrintRuns::Close(const std::string& run_id) {
  std::shared_ptr<Run> run;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = runs_.find(run_id);
    if (it != runs_.end()) run = it->second;
  }
  if (run == nullptr) {
    return absl::FailedPreconditionError(
        StrCat("print_run_id: run ", run_id, " is not open"));
  }
  v1::RunSummary summary;
  std::vector<uint64_t> entries;
  {
    std::lock_guard<std::mutex> lock(run->mu);
    if (!run->queue.empty() || run->next_durable != run->next_accepted) {
      return absl::FailedPreconditionError(
          StrCat("print run ", run_id, " has batches not yet decided"));
    }
    summary.set_print_run_id(run_id);
    summary.set_batches(run->next_durable);
    summary.set_documents(run->documents);
    summary.set_decisions(run->decisions);
    for (const auto& [c, n] : run->allowed_by_campaign) {
      (*summary.mutable_allowed_by_campaign())[c] = n;
    }
    for (const auto& [r, n] : run->blocked_by_reason) {
      (*summary.mutable_blocked_by_reason())[r] = n;
    }
    summary.set_run_digest(ToHex(run->digest.Finish()));
    entries = std::move(run->index_entries);
    run->broken = true;  // taken apart: reopening rebuilds it from the store
  }
  SortPrintIndexEntries(entries);
  std::string body;
  summary.SerializeToString(&body);
  auto seq = store_.ClosePrintRun(
      run_id, std::move(entries),
      {"print.closed", StrCat("print-run:", run_id), "", Json(summary)}, body);
  {
    std::lock_guard<std::mutex> lock(mu_);
    runs_.erase(run_id);  // closed, or to be rebuilt from the store
  }
  if (!seq.ok()) return seq.status();
  summary.set_audit_seq(*seq);
  return summary;
}

// ---- After printing ----

}  // namespace gatekeeper
