// AdminService: backups of the database while the daemon serves, and
// retention purges.
#ifndef GATEKEEPER_DAEMON_SERVER_ADMIN_SERVICE_H_
#define GATEKEEPER_DAEMON_SERVER_ADMIN_SERVICE_H_

#include <filesystem>

#include "daemon/server/access.h"
#include "daemon/server/audit_checkpoints.h"
#include "daemon/server/retention.h"
#include "daemon/store/store.h"
#include "gatekeeper/v1/admin_service.grpc.pb.h"

namespace gatekeeper {

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  // Backups are staged in `data_dir` (they need as much free space there as
  // the database takes) and removed once sent.
  AdminServiceImpl(Access& access, Store& store, AuditCheckpoints& checkpoints,
                   Retention& retention, std::filesystem::path data_dir)
      : access_(access),
        store_(store),
        checkpoints_(checkpoints),
        retention_(retention),
        data_dir_(std::move(data_dir)) {}

  grpc::Status Backup(grpc::ServerContext* ctx, const v1::BackupRequest* req,
                      grpc::ServerWriter<v1::BackupChunk>* writer) override;
  grpc::Status Purge(grpc::ServerContext*, const v1::PurgeRequest* req,
                     v1::PurgeResponse* resp) override;

 private:
  Access& access_;
  Store& store_;
  AuditCheckpoints& checkpoints_;
  Retention& retention_;
  const std::filesystem::path data_dir_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_ADMIN_SERVICE_H_
