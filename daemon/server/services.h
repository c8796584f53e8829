// The gRPC services. Glue only: convert, validate (policy/validate.h), call the
// store or the gates, map the status (ToGrpcStatus). Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_SERVICES_H_
#define GATEKEEPER_DAEMON_SERVER_SERVICES_H_

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "absl/status/status.h"
#include "daemon/common/clock.h"
#include "daemon/common/phone.h"
#include "daemon/ops/audit_feed.h"
#include "daemon/ops/last_verify.h"
#include "daemon/server/access.h"
#include "daemon/server/audit_checkpoints.h"
#include "daemon/server/call_reports.h"
#include "daemon/server/gates.h"
#include "daemon/server/live_config.h"
#include "daemon/server/print_runs.h"
#include "daemon/store/store.h"
#include "gatekeeper/v1/audit_service.grpc.pb.h"
#include "gatekeeper/v1/campaign_service.grpc.pb.h"
#include "gatekeeper/v1/consent_service.grpc.pb.h"
#include "gatekeeper/v1/dial_gate.grpc.pb.h"
#include "gatekeeper/v1/insert_gate.grpc.pb.h"

namespace gatekeeper {

// absl and gRPC share code numbers; the message is kept.
grpc::Status ToGrpcStatus(const absl::Status& s);

// policy::CheckRequestStrings as a gRPC status: every string of the request
// bounded and free of control characters (INVALID_ARGUMENT naming the field).
grpc::Status BoundedStrings(const google::protobuf::Message& request);

// An audit record as the API answers it (hashes in hex).
v1::AuditEntry ToAuditEntry(const AuditRecord& r);

// Everything a service needs; owned by the Daemon, outlives the services.
// A call reads one snapshot of the config (config.Get()).
struct ServiceDeps {
  Store& store;
  Access& access;  // asked first by every handler
  const LiveConfig& config;
  const Pseudonymizer& pseudonymizer;
  const Clock& clock;
};

class ConsentServiceImpl final : public v1::ConsentService::Service {
 public:
  explicit ConsentServiceImpl(ServiceDeps deps) : deps_(deps) {}
  grpc::Status RecordConsent(grpc::ServerContext*,
                             const v1::RecordConsentRequest* req,
                             v1::ConsentRecord* resp) override;
  grpc::Status WithdrawConsent(grpc::ServerContext*,
                               const v1::WithdrawConsentRequest* req,
                               v1::WithdrawConsentResponse* resp) override;
  grpc::Status ListConsents(grpc::ServerContext*,
                            const v1::ListConsentsRequest* req,
                            v1::ListConsentsResponse* resp) override;
  grpc::Status ListDoNotSolicit(grpc::ServerContext*,
                                const v1::ListDoNotSolicitRequest* req,
                                v1::ListDoNotSolicitResponse* resp) override;
  grpc::Status ClearDoNotSolicit(grpc::ServerContext*,
                                 const v1::ClearDoNotSolicitRequest* req,
                                 v1::DoNotSolicitEntry* resp) override;
  grpc::Status ImportConsents(
      grpc::ServerContext*,
      grpc::ServerReader<v1::ImportConsentsRequest>* reader,
      v1::ImportConsentsResponse* resp) override;
  grpc::Status ExportConsents(
      grpc::ServerContext*, const v1::ExportConsentsRequest* req,
      grpc::ServerWriter<v1::ExportConsentsResponse>* writer) override;

 private:
  ServiceDeps deps_;
};

// ImportConsents' limits (documented in consent_service.proto).
inline constexpr uint32_t kDefaultImportErrors = 100;
inline constexpr uint32_t kMaxImportErrors = 1'000'000;
// ExportConsents' page size.
inline constexpr size_t kExportPageSize = 1'000;

class CampaignServiceImpl final : public v1::CampaignService::Service {
 public:
  explicit CampaignServiceImpl(ServiceDeps deps) : deps_(deps) {}
  grpc::Status CreateCampaign(grpc::ServerContext*,
                              const v1::CreateCampaignRequest* req,
                              v1::Campaign* resp) override;
  grpc::Status ApproveCampaign(grpc::ServerContext*,
                               const v1::ApproveCampaignRequest* req,
                               v1::Campaign* resp) override;
  grpc::Status RetireCampaign(grpc::ServerContext*,
                              const v1::RetireCampaignRequest* req,
                              v1::Campaign* resp) override;
  grpc::Status GetCampaign(grpc::ServerContext*,
                           const v1::GetCampaignRequest* req,
                           v1::Campaign* resp) override;
  grpc::Status ListCampaigns(grpc::ServerContext*,
                             const v1::ListCampaignsRequest* req,
                             v1::ListCampaignsResponse* resp) override;

 private:
  ServiceDeps deps_;
};

class AuditServiceImpl final : public v1::AuditService::Service {
 public:
  // `last_verify` (optional) keeps the outcome of each VerifyAudit;
  // `checkpoints` (optional: UNIMPLEMENTED without) signs and proves.
  AuditServiceImpl(ServiceDeps deps, const AuditFeed& feed,
                   LastVerify* last_verify = nullptr,
                   AuditCheckpoints* checkpoints = nullptr);
  ~AuditServiceImpl() override;
  grpc::Status QueryAudit(grpc::ServerContext* ctx,
                          const v1::QueryAuditRequest* req,
                          grpc::ServerWriter<v1::AuditEntry>* writer) override;
  grpc::Status VerifyAudit(grpc::ServerContext*,
                           const v1::VerifyAuditRequest* req,
                           v1::VerifyAuditResponse* resp) override;
  grpc::Status SubjectReport(grpc::ServerContext*,
                             const v1::SubjectReportRequest* req,
                             v1::SubjectReportResponse* resp) override;
  grpc::Status WatchAudit(grpc::ServerContext* ctx,
                          const v1::WatchAuditRequest* req,
                          grpc::ServerWriter<v1::AuditEntry>* writer) override;
  // In audit_proofs.cc.
  grpc::Status GetCheckpoint(grpc::ServerContext*,
                             const v1::GetCheckpointRequest* req,
                             v1::GetCheckpointResponse* resp) override;
  grpc::Status ProveEntry(grpc::ServerContext*,
                          const v1::ProveEntryRequest* req,
                          v1::AuditProof* resp) override;
  grpc::Status ProveConsistency(grpc::ServerContext*,
                                const v1::ProveConsistencyRequest* req,
                                v1::ProveConsistencyResponse* resp) override;
  // Ends every WatchAudit: the daemon is stopping. Each stream ends itself
  // with UNAVAILABLE naming where to resume; one still blocked in a Write
  // after kStopWait (a reader that does not read) is cancelled.
  void StopWatchers();
  static constexpr std::chrono::milliseconds kStopWait{1000};

  // A WatchAudit stream, as the watchdog sees it.
  struct Watcher {
    grpc::ServerContext* ctx = nullptr;
    uint64_t max_backlog = 0;
    std::chrono::steady_clock::duration stalled_after{};
    std::atomic<uint64_t> cursor{0};  // the entries up to it were sent
    // When the pending Write began (steady clock ticks); 0 when none is.
    std::atomic<int64_t> writing_since{0};
    std::atomic<bool> cancelled{false};
  };

 private:
  // Every 500 ms: a watcher waiting in one Write for longer than
  // watch_audit.stalled_after_seconds while the log is more than its backlog
  // past it has a reader that stopped reading; it is cancelled, so that it
  // does not hold a gRPC thread until the client goes away.
  void Watchdog();

  ServiceDeps deps_;
  const AuditFeed& feed_;
  LastVerify* const last_verify_;
  AuditCheckpoints* const checkpoints_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> watchers_{0};
  std::mutex watch_mu_;
  // Wakes the watchdog to stop, and StopWatchers when a stream leaves.
  std::condition_variable watch_cv_;
  std::set<Watcher*> active_;   // guarded by watch_mu_
  bool watchdog_stop_ = false;  // guarded by watch_mu_
  std::thread watchdog_;
};

// The check RPCs use the callback API: no thread waits while the decision's
// audit entry is committed.
class InsertGateImpl final : public v1::InsertGate::CallbackService {
 public:
  // `checks` (optional) counts CheckInsert calls by status: the hot path
  // counts itself rather than through the RPC interceptor (see
  // rpc_metrics.h).
  static constexpr char kCheckInsert[] =
      "/gatekeeper.v1.InsertGate/CheckInsert";
  InsertGateImpl(Access& access, Gates& gates, PrintRuns& runs,
                 Metrics::RpcCounter* checks = nullptr)
      : access_(access), gates_(gates), runs_(runs), checks_(checks) {}
  grpc::ServerUnaryReactor* CheckInsert(grpc::CallbackServerContext* ctx,
                                        const v1::CheckInsertRequest* req,
                                        v1::Decision* resp) override;
  // print_streams.cc
  grpc::ServerBidiReactor<v1::InsertBatchRequest, v1::InsertBatchResponse>*
  CheckInsertBatch(grpc::CallbackServerContext* ctx) override;
  grpc::ServerReadReactor<v1::ReconcileRequest>* ReconcileRun(
      grpc::CallbackServerContext* ctx, v1::ReconcileResponse* resp) override;
  grpc::ServerWriteReactor<v1::PullListEntry>* PullList(
      grpc::CallbackServerContext* ctx,
      const v1::PullListRequest* req) override;

 private:
  Access& access_;
  Gates& gates_;
  PrintRuns& runs_;
  Metrics::RpcCounter* const checks_;
};

class DialGateImpl final : public v1::DialGate::CallbackService {
 public:
  // `checks` (optional) counts CheckDial calls by status, as
  // InsertGateImpl's.
  static constexpr char kCheckDial[] = "/gatekeeper.v1.DialGate/CheckDial";
  DialGateImpl(Access& access, Gates& gates, CallReports& reports,
               Metrics::RpcCounter* checks = nullptr)
      : access_(access), gates_(gates), reports_(reports), checks_(checks) {}
  grpc::ServerUnaryReactor* CheckDial(grpc::CallbackServerContext* ctx,
                                      const v1::CheckDialRequest* req,
                                      v1::CheckDialResponse* resp) override;
  grpc::ServerUnaryReactor* ReportDisclosure(
      grpc::CallbackServerContext* ctx, const v1::ReportDisclosureRequest* req,
      v1::ReportDisclosureResponse* resp) override;
  grpc::ServerUnaryReactor* ReportOutcome(
      grpc::CallbackServerContext* ctx, const v1::ReportOutcomeRequest* req,
      v1::ReportOutcomeResponse* resp) override;

 private:
  Access& access_;
  Gates& gates_;
  CallReports& reports_;
  Metrics::RpcCounter* const checks_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_SERVICES_H_
