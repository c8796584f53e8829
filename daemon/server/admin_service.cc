#include "daemon/server/admin_service.h"

#include <google/protobuf/util/json_util.h>

#include <fstream>

#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "daemon/server/services.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

// Removes the staged copy however the call ends.
struct RemoveOnExit {
  std::filesystem::path path;
  ~RemoveOnExit() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

}  // namespace

grpc::Status AdminServiceImpl::Backup(
    grpc::ServerContext* ctx, const v1::BackupRequest* req,
    grpc::ServerWriter<v1::BackupChunk>* writer) {
  const auto caller =
      access_.CheckStream(*ctx, "/gatekeeper.v1.AdminService/Backup",
                          {{"requested_by", req->requested_by()}});
  if (!caller.status.ok()) return caller.status;
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (req->requested_by().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "requested_by: is required");
  }
  // The evidence first: the copy holds its own entry.
  v1::BackupPayload payload;
  payload.set_requested_by(req->requested_by());
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(payload, &json, opts);
  auto seq = store_.LogEvent(
      {"admin.backup", req->requested_by(), "", std::move(json)});
  if (!seq.ok()) return ToGrpcStatus(seq.status());
  // A checkpoint covering the copy, so that it verifies on its own.
  auto checkpoint = checkpoints_.Latest(/*fresh=*/true);
  if (!checkpoint.ok()) return ToGrpcStatus(checkpoint.status());

  RemoveOnExit staged{data_dir_ / StrCat(NewId("backup_"), ".db.tmp")};
  if (absl::Status s = store_.BackupTo(staged.path.string()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  std::ifstream in(staged.path, std::ios::binary);
  if (!in) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "cannot read the staged backup");
  }
  Sha256Hasher hash;
  uint64_t bytes = 0;
  v1::BackupChunk chunk;
  std::string buf(kChunkBytes, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const size_t n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    const std::string_view piece(buf.data(), n);
    hash.Update(piece);
    bytes += n;
    chunk.set_data(std::string(piece));
    if (ctx->IsCancelled() || !writer->Write(chunk)) {
      return grpc::Status(grpc::StatusCode::CANCELLED,
                          "the client went away during the backup");
    }
  }
  if (in.bad()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "cannot read the staged backup");
  }
  v1::BackupChunk last;
  v1::BackupSummary* summary = last.mutable_summary();
  summary->set_bytes(bytes);
  summary->set_sha256(ToHex(hash.Finish()));
  *summary->mutable_checkpoint() = *std::move(checkpoint);
  summary->set_audit_seq(*seq);
  writer->Write(last);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::Purge(grpc::ServerContext* ctx,
                                     const v1::PurgeRequest* req,
                                     v1::PurgeResponse* resp) {
  if (auto caller = access_.Check(*ctx, "/gatekeeper.v1.AdminService/Purge",
                                  {{"requested_by", req->requested_by()}});
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (req->requested_by().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "requested_by: is required");
  }
  auto r = retention_.Run(req->dry_run(), req->requested_by());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

}  // namespace gatekeeper
