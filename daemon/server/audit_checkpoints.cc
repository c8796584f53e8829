#include "daemon/server/audit_checkpoints.h"

#include <spdlog/spdlog.h>

#include "daemon/audit/merkle.h"
#include "daemon/audit/proof.h"
#include "daemon/common/crypto.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/server/services.h"

namespace gatekeeper {
namespace {

void AddHex(const std::vector<std::string>& hashes,
            google::protobuf::RepeatedPtrField<std::string>* out) {
  for (const std::string& h : hashes) out->Add(ToHex(h));
}

}  // namespace

AuditCheckpoints::AuditCheckpoints(Store& store, Ed25519Signer signer,
                                   const Clock& clock, const AuditFeed& feed,
                                   std::chrono::milliseconds interval)
    : store_(store),
      signer_(std::move(signer)),
      clock_(clock),
      feed_(feed),
      interval_(interval) {}

absl::StatusOr<std::unique_ptr<AuditCheckpoints>> AuditCheckpoints::Start(
    Store& store, Ed25519Signer signer, const Clock& clock,
    const AuditFeed& feed, std::chrono::milliseconds interval) {
  std::unique_ptr<AuditCheckpoints> c(
      new AuditCheckpoints(store, std::move(signer), clock, feed, interval));
  {
    std::lock_guard<std::mutex> lock(c->mu_);
    ASSIGN_OR_RETURN(std::vector<std::string> chunks, store.MerkleChunks());
    for (std::string& h : chunks) c->tree_.AppendChunk(std::move(h));
    if (c->tree_.size() > feed.Head()) {
      return absl::DataLossError(
          StrCat("audit_merkle_chunks cover ", c->tree_.size(),
                 " entries but the log has ", feed.Head()));
    }
    RETURN_IF_ERROR(c->AdvanceLocked(feed.Head()));
    ASSIGN_OR_RETURN(c->latest_, store.GetCheckpoint(0));
    if (c->latest_.has_value()) {
      // The log must still be the one the latest checkpoint signed.
      const v1::Checkpoint& cp = *c->latest_;
      auto root = cp.size() <= c->tree_.size()
                      ? c->tree_.Root(cp.size(), c->Reader())
                      : absl::StatusOr<std::string>(absl::DataLossError(
                            "the log is shorter than the checkpoint"));
      if (!root.ok() || ToHex(*root) != cp.root_hash()) {
        return absl::DataLossError(StrCat(
            "the audit log no longer matches its signed checkpoint of ",
            cp.size(), " entries (signed ", FormatRfc3339(ToMicros(cp.at())),
            "): it was rewritten or truncated",
            root.ok() ? "" : StrCat(" (", root.status().message(), ")")));
      }
    }
    if (c->tree_.size() > 0) RETURN_IF_ERROR(c->SignLocked().status());
  }
  c->thread_ = std::thread([raw = c.get()] { raw->Loop(); });
  return c;
}

AuditCheckpoints::~AuditCheckpoints() { Stop(); }

void AuditCheckpoints::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status s = AdvanceLocked(feed_.Head());
  if (s.ok() && tree_.size() > 0) s = SignLocked().status();
  if (!s.ok())
    spdlog::warn("last audit checkpoint not signed: {}",
                 std::string(s.message()));
}

void AuditCheckpoints::Loop() {
  std::unique_lock<std::mutex> stop_lock(stop_mu_);
  for (;;) {
    stop_cv_.wait_for(stop_lock, interval_, [&] { return stopping_; });
    if (stopping_) return;
    stop_lock.unlock();
    {
      std::lock_guard<std::mutex> lock(mu_);
      const uint64_t head = feed_.Head();
      if (head > tree_.size() || !unsaved_.empty()) {
        absl::Status s = AdvanceLocked(head);
        if (s.ok()) s = SignLocked().status();
        if (!s.ok()) {
          spdlog::error("audit checkpoint not signed: {}",
                        std::string(s.message()));
        }
      }
    }
    stop_lock.lock();
  }
}

ChunkedMerkleTree::LeafReader AuditCheckpoints::Reader() {
  return [this](uint64_t lo,
                uint64_t hi) -> absl::StatusOr<std::vector<std::string>> {
    std::vector<std::string> leaves;
    leaves.reserve(hi - lo);
    RETURN_IF_ERROR(
        store_.ScanAuditHashes(lo, hi, [&](uint64_t, std::string_view hash) {
          leaves.push_back(MerkleLeafHash(hash));
        }));
    return leaves;
  };
}

absl::Status AuditCheckpoints::AdvanceLocked(uint64_t head) {
  if (head <= tree_.size()) return absl::OkStatus();
  uint64_t expected = tree_.size() + 1;
  absl::Status gap;
  RETURN_IF_ERROR(store_.ScanAuditHashes(
      tree_.size(), head, [&](uint64_t seq, std::string_view hash) {
        if (seq != expected) {
          if (gap.ok()) {
            gap = absl::DataLossError(
                StrCat("audit entry ", expected, " is missing"));
          }
          return;
        }
        ++expected;
        std::optional<std::string> chunk =
            tree_.AppendLeaf(MerkleLeafHash(hash));
        if (chunk.has_value()) {
          unsaved_.emplace_back(tree_.chunks() - 1, *std::move(chunk));
        }
      }));
  RETURN_IF_ERROR(gap);
  if (expected != head + 1) {
    return absl::DataLossError(StrCat("audit entry ", expected, " is missing"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Checkpoint> AuditCheckpoints::SignLocked() {
  const uint64_t size = tree_.size();
  if (size == 0) {
    return absl::FailedPreconditionError(
        "the audit log is empty: there is nothing to sign");
  }
  if (latest_.has_value() && latest_->size() == size && unsaved_.empty()) {
    return *latest_;
  }
  std::optional<v1::Checkpoint> fresh;
  if (!latest_.has_value() || latest_->size() != size) {
    ASSIGN_OR_RETURN(std::string root, tree_.Root(size, Reader()));
    v1::Checkpoint c;
    c.set_size(size);
    c.set_root_hash(ToHex(root));
    Micros at = clock_.Now();
    // Checkpoints' times never run backwards.
    if (latest_.has_value()) at = std::max(at, ToMicros(latest_->at()));
    *c.mutable_at() = FromMicros(at);
    c.set_key_id(signer_.key_id());
    c.set_signature(ToHex(signer_.Sign(CheckpointText(c))));
    fresh = std::move(c);
  }
  RETURN_IF_ERROR(
      store_.SaveCheckpoint(unsaved_, fresh, signer_.public_key_pem()));
  unsaved_.clear();
  if (fresh.has_value()) latest_ = std::move(fresh);
  return *latest_;
}

absl::StatusOr<v1::Checkpoint> AuditCheckpoints::Latest(bool fresh) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fresh) {
    RETURN_IF_ERROR(AdvanceLocked(feed_.Head()));
    return SignLocked();
  }
  if (!latest_.has_value()) {
    return absl::FailedPreconditionError(
        "the audit log is empty: there is no checkpoint yet");
  }
  return *latest_;
}

absl::StatusOr<v1::Checkpoint> AuditCheckpoints::CheckpointLocked(
    uint64_t size) {
  if (size == 0 || (latest_.has_value() && latest_->size() == size)) {
    if (!latest_.has_value()) {
      return absl::FailedPreconditionError(
          "the audit log is empty: there is no checkpoint yet");
    }
    return *latest_;
  }
  ASSIGN_OR_RETURN(std::optional<v1::Checkpoint> c, store_.GetCheckpoint(size));
  if (!c.has_value()) {
    return absl::NotFoundError(
        StrCat("no checkpoint of ", size, " entries was signed"));
  }
  return *std::move(c);
}

absl::StatusOr<v1::AuditProof> AuditCheckpoints::ProveEntry(
    uint64_t seq, uint64_t tree_size) {
  if (seq == 0) return absl::InvalidArgumentError("seq: must be at least 1");
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<AuditRecord> entry;
  RETURN_IF_ERROR(store_.ScanAudit(seq - 1, 1, "", [&](const AuditRecord& r) {
    if (r.seq == seq) entry = r;
    return false;
  }));
  if (!entry.has_value()) {
    return absl::NotFoundError(StrCat("seq: no audit entry has seq ", seq));
  }
  if (ComputeEntryHash(*entry) != entry->hash) {
    return absl::DataLossError(
        StrCat("audit entry ", seq, " does not match its hash"));
  }
  if (tree_size == 0 && (!latest_.has_value() || latest_->size() < seq)) {
    RETURN_IF_ERROR(AdvanceLocked(feed_.Head()));
    RETURN_IF_ERROR(SignLocked().status());
  }
  ASSIGN_OR_RETURN(v1::Checkpoint cp, CheckpointLocked(tree_size));
  if (seq > cp.size()) {
    return absl::FailedPreconditionError(
        StrCat("seq: entry ", seq, " is newer than the checkpoint of ",
               cp.size(), " entries"));
  }
  auto proved =
      InclusionProof(seq - 1, cp.size(), [&](uint64_t lo, uint64_t hi) {
        return tree_.SubtreeHash(lo, hi, Reader());
      });
  if (absl::IsDataLoss(proved.status())) {
    // Neighbours of a kept entry were purged (retention): its leaf path is
    // gone; the audit.purged entry's digest of the kept entries covers it.
    return absl::FailedPreconditionError(StrCat(
        "seq: entry ", seq,
        " is below a retention cut and entries beside it were purged: it "
        "cannot be proved against a checkpoint (VerifyAudit checks it "
        "against the audit.purged entry's digest)"));
  }
  if (!proved.ok()) return proved.status();
  std::vector<std::string> path = *std::move(proved);
  v1::AuditProof out;
  out.set_format(kAuditProofFormat);
  *out.mutable_entry() = ToAuditEntry(*entry);
  out.set_leaf_index(seq - 1);
  AddHex(path, out.mutable_inclusion_path());
  *out.mutable_checkpoint() = std::move(cp);
  // What the auditor will check, checked first.
  if (!VerifyInclusion(seq - 1, out.checkpoint().size(),
                       MerkleLeafHash(entry->hash), path,
                       *FromHex(out.checkpoint().root_hash()))) {
    return absl::DataLossError(
        StrCat("entry ", seq, " does not prove against the checkpoint of ",
               out.checkpoint().size(), " entries: the log was rewritten"));
  }
  return out;
}

absl::StatusOr<v1::ProveConsistencyResponse> AuditCheckpoints::ProveConsistency(
    uint64_t old_size, uint64_t new_size) {
  std::lock_guard<std::mutex> lock(mu_);
  if (old_size == 0) {
    return absl::InvalidArgumentError("old_size: must be at least 1");
  }
  ASSIGN_OR_RETURN(v1::Checkpoint newer, CheckpointLocked(new_size));
  if (old_size > newer.size()) {
    return absl::InvalidArgumentError(StrCat("old_size: ", old_size,
                                             " is beyond the new checkpoint's ",
                                             newer.size(), " entries"));
  }
  ASSIGN_OR_RETURN(v1::Checkpoint older, CheckpointLocked(old_size));
  ASSIGN_OR_RETURN(std::vector<std::string> path,
                   ConsistencyProof(older.size(), newer.size(),
                                    [&](uint64_t lo, uint64_t hi) {
                                      return tree_.SubtreeHash(lo, hi,
                                                               Reader());
                                    }));
  v1::ProveConsistencyResponse out;
  *out.mutable_old_checkpoint() = std::move(older);
  *out.mutable_new_checkpoint() = std::move(newer);
  AddHex(path, out.mutable_path());
  return out;
}

}  // namespace gatekeeper
