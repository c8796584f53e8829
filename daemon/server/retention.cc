#include "daemon/server/retention.h"

#include <spdlog/spdlog.h>

#include "daemon/audit/chunked_tree.h"
#include "daemon/common/iso_duration.h"
#include "daemon/common/status_macros.h"
#include "daemon/store/retention_records.h"

namespace gatekeeper {
namespace {

void Add(v1::PurgeCounts& sum, const v1::PurgeCounts& n) {
  sum.set_decision_entries(sum.decision_entries() + n.decision_entries());
  sum.set_provision_records(sum.provision_records() + n.provision_records());
  sum.set_withdrawn_consents(sum.withdrawn_consents() + n.withdrawn_consents());
  sum.set_disclosure_reports(sum.disclosure_reports() + n.disclosure_reports());
  sum.set_audit_entries(sum.audit_entries() + n.audit_entries());
}

}  // namespace

absl::StatusOr<v1::PurgeResponse> Retention::Run(
    bool dry_run, const std::string& requested_by) {
  std::lock_guard<std::mutex> lock(run_mu_);
  const std::shared_ptr<const ConfigSnapshot> snapshot = config_.Get();
  const auto& r = snapshot->config().retention();
  const Micros now = clock_.Now();
  PurgePlan plan;
  ASSIGN_OR_RETURN(Micros d, ParseIsoDuration(r.decisions()));
  ASSIGN_OR_RETURN(Micros p, ParseIsoDuration(r.provision_records()));
  ASSIGN_OR_RETURN(Micros w, ParseIsoDuration(r.withdrawn_consents()));
  ASSIGN_OR_RETURN(Micros x, ParseIsoDuration(r.disclosure_reports()));
  plan.decisions_before = now - d;
  plan.provision_records_before = now - p;
  plan.withdrawn_consents_before = now - w;
  plan.disclosure_reports_before = now - x;
  // Cut at the last complete chunk of a fresh checkpoint: the chunks below
  // are stored, so proofs of later entries never need a purged leaf.
  v1::PurgeResponse out;
  out.set_dry_run(dry_run);
  *out.mutable_decisions_before() = FromMicros(plan.decisions_before);
  *out.mutable_provision_records_before() =
      FromMicros(plan.provision_records_before);
  *out.mutable_withdrawn_consents_before() =
      FromMicros(plan.withdrawn_consents_before);
  *out.mutable_disclosure_reports_before() =
      FromMicros(plan.disclosure_reports_before);
  auto cp = checkpoints_.Latest(/*fresh=*/true);
  if (absl::IsFailedPrecondition(cp.status())) return out;  // empty log
  if (!cp.ok()) return cp.status();
  plan.cut_seq = cp->size() / ChunkedMerkleTree::kLeavesPerChunk *
                 ChunkedMerkleTree::kLeavesPerChunk;
  if (dry_run) plan.max_entries = UINT64_MAX >> 1;
  for (;;) {
    ASSIGN_OR_RETURN(Store::PurgeResult step,
                     store_.Purge(plan, dry_run, requested_by));
    Add(*out.mutable_purged(), step.counts);
    out.set_cut_seq(step.cut_seq);
    if (step.audit_seq != 0) out.add_audit_seqs(step.audit_seq);
    if (dry_run || step.counts.audit_entries() < plan.max_entries) break;
  }
  return out;
}

void Retention::StartDaily(std::chrono::milliseconds first,
                           std::chrono::milliseconds period) {
  thread_ = std::thread([this, first, period] {
    std::unique_lock<std::mutex> lock(mu_);
    std::chrono::milliseconds wait = first;
    while (!cv_.wait_for(lock, wait, [&] { return stopping_; })) {
      lock.unlock();
      auto r = Run(/*dry_run=*/false, "gatekeeperd");
      if (!r.ok()) {
        spdlog::error("retention purge failed: {}",
                      std::string(r.status().message()));
      } else if (r->purged().audit_entries() > 0 ||
                 r->purged().withdrawn_consents() > 0) {
        spdlog::info(
            "retention purge: {} audit entries ({} decisions, {} provision "
            "records, {} withdrawn consents, {} disclosure reports), chain "
            "cut at {}",
            r->purged().audit_entries(), r->purged().decision_entries(),
            r->purged().provision_records(), r->purged().withdrawn_consents(),
            r->purged().disclosure_reports(), r->cut_seq());
      }
      lock.lock();
      wait = period;
    }
  });
}

void Retention::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace gatekeeper
