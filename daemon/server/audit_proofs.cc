// AuditService: signed checkpoints and proofs (the work is in
// audit_checkpoints.cc).
#include "daemon/server/services.h"

namespace gatekeeper {
namespace {

grpc::Status NoCheckpoints() {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "this daemon does not sign checkpoints");
}

}  // namespace

grpc::Status AuditServiceImpl::GetCheckpoint(
    grpc::ServerContext* ctx, const v1::GetCheckpointRequest* req,
    v1::GetCheckpointResponse* resp) {
  if (auto caller =
          deps_.access.Check(*ctx, "/gatekeeper.v1.AuditService/GetCheckpoint");
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (checkpoints_ == nullptr) return NoCheckpoints();
  resp->set_public_key_pem(checkpoints_->public_key_pem());
  auto c = checkpoints_->Latest(req->fresh());
  // An empty log has no checkpoint yet; the key is there all the same.
  if (absl::IsFailedPrecondition(c.status())) return grpc::Status::OK;
  if (!c.ok()) return ToGrpcStatus(c.status());
  *resp->mutable_checkpoint() = *std::move(c);
  return grpc::Status::OK;
}

grpc::Status AuditServiceImpl::ProveEntry(grpc::ServerContext* ctx,
                                          const v1::ProveEntryRequest* req,
                                          v1::AuditProof* resp) {
  if (auto caller =
          deps_.access.Check(*ctx, "/gatekeeper.v1.AuditService/ProveEntry");
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (checkpoints_ == nullptr) return NoCheckpoints();
  auto p = checkpoints_->ProveEntry(req->seq(), req->tree_size());
  if (!p.ok()) return ToGrpcStatus(p.status());
  *resp = *std::move(p);
  return grpc::Status::OK;
}

grpc::Status AuditServiceImpl::ProveConsistency(
    grpc::ServerContext* ctx, const v1::ProveConsistencyRequest* req,
    v1::ProveConsistencyResponse* resp) {
  if (auto caller = deps_.access.Check(
          *ctx, "/gatekeeper.v1.AuditService/ProveConsistency");
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (checkpoints_ == nullptr) return NoCheckpoints();
  auto p = checkpoints_->ProveConsistency(req->old_size(), req->new_size());
  if (!p.ok()) return ToGrpcStatus(p.status());
  *resp = *std::move(p);
  return grpc::Status::OK;
}

}  // namespace gatekeeper
