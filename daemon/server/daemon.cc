#include "daemon/server/daemon.h"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "absl/status/status.h"
#include "daemon/common/strings.h"
#include "daemon/ops/audit_feed.h"
#include "daemon/ops/dashboard.h"
#include "daemon/ops/dashboard_data.h"
#include "daemon/ops/event_log.h"
#include "daemon/ops/http_server.h"
#include "daemon/ops/log.h"
#include "daemon/ops/metrics.h"
#include "daemon/server/admin_service.h"
#include "daemon/server/gates.h"
#include "daemon/server/live_config.h"
#include "daemon/server/rpc_metrics.h"
#include "daemon/server/services.h"
#include "daemon/server/tls.h"
#include "daemon/store/sqlite_store.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {

// Owned pieces, in construction order (destroyed in reverse).
struct Daemon::State {
  LiveConfig config;
  std::mutex reload_mu;  // one reload at a time
  const Clock& clock;
  int lock_fd = -1;
  std::optional<Pseudonymizer> pseudonymizer;
  AuditFeed feed;  // the durable head, published after each commit
  std::unique_ptr<Metrics> metrics;
  LastVerify last_verify;  // VerifyAudit's last outcome, for the dashboard
  std::atomic<bool> store_refusing{false};
  std::atomic<bool> stopping{false};
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<Access> access;
  std::unique_ptr<EventLog> event_log;  // stopped before the store closes
  std::unique_ptr<AuditCheckpoints> checkpoints;  // stopped likewise
  std::unique_ptr<Gates> gates;
  std::unique_ptr<CallReports> call_reports;
  std::unique_ptr<PrintRuns> print_runs;
  std::unique_ptr<ConsentServiceImpl> consent;
  std::unique_ptr<CampaignServiceImpl> campaign;
  std::unique_ptr<AuditServiceImpl> audit;
  std::unique_ptr<Retention> retention;  // stopped before the store closes
  std::unique_ptr<AdminServiceImpl> admin;
  std::unique_ptr<InsertGateImpl> insert_gate;
  std::unique_ptr<DialGateImpl> dial_gate;
  std::mutex server_mu;  // guards `server` while it is being set
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<HttpServer> http;  // stopped first
  std::once_flag shutdown_once;

  // At most one line every 10 s: a failing disk makes every commit slow.
  std::atomic<int64_t> last_slow_log{0};
  std::atomic<uint64_t> slow_since_log{0};
  void SlowCommit(const CommitInfo& c) {
    const int64_t now = clock.Now();
    const uint64_t more = slow_since_log.fetch_add(1) + 1;
    int64_t last = last_slow_log.load();
    if (now - last < 10'000'000 ||
        !last_slow_log.compare_exchange_strong(last, now)) {
      return;
    }
    slow_since_log.store(0);
    spdlog::warn(
        "slow commit: {} writes took {:.3f} s to commit (fsync); {} slow "
        "commits since the last such line",
        c.writes, c.commit_seconds, more);
  }

  State(Config c, std::string sha256, const Clock& clk)
      : config(std::make_shared<const ConfigSnapshot>(std::move(c),
                                                      std::move(sha256), 1)),
        clock(clk) {}
  ~State() {
    if (lock_fd >= 0) ::close(lock_fd);
  }
};

namespace {

// An exclusive advisory lock on data_dir/LOCK: two daemons appending to one
// chain would fork it.
absl::StatusOr<int> LockDataDir(const std::filesystem::path& dir) {
  const std::string path = (dir / "LOCK").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(
        StrCat("data_dir ", dir.string(), " is in use by another gatekeeperd"));
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(
    Config config, const Clock& clock, std::string config_sha256) {
  auto st = std::make_unique<State>(std::move(config), std::move(config_sha256),
                                    clock);
  // What is read once at start (listen, data_dir, ...); a reload cannot
  // change these, so this snapshot's values stay the running ones.
  const std::shared_ptr<const ConfigSnapshot> initial = st->config.Get();
  const Config& cfg = initial->config();
  const std::filesystem::path dir(cfg.data_dir());
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(
        StrCat("data_dir: cannot create ", dir.string(), ": ", ec.message()));
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  auto lock = LockDataDir(dir);
  if (!lock.ok()) return lock.status();
  st->lock_fd = *lock;

  auto key = Pseudonymizer::LoadOrCreate(dir / "pseudonym.key");
  if (!key.ok()) return key.status();
  st->pseudonymizer.emplace(*std::move(key));

  // Metrics are counted only when the HTTP side can serve them.
  if (cfg.has_http()) {
    std::vector<std::string> company_ids;
    for (const auto& c : cfg.companies()) company_ids.push_back(c.id());
    st->metrics = std::make_unique<Metrics>(
        std::move(company_ids), GATEKEEPER_VERSION, GATEKEEPER_COMMIT);
  }

  SqliteStoreOptions so;
  so.path = (dir / "gatekeeper.db").string();
  so.clock = &clock;
  so.max_batch = cfg.max_batch();
  so.index_snapshot = (dir / "consent_index.snapshot").string();
  // A store that refuses writes cannot decide: tell health checkers.
  State* raw = st.get();
  so.on_refusing_writes = [raw](const absl::Status&) {
    raw->store_refusing.store(true);
    std::lock_guard<std::mutex> guard(raw->server_mu);
    if (raw->server != nullptr) {
      if (auto* health = raw->server->GetHealthCheckService()) {
        health->SetServingStatus(false);
      }
    }
  };
  so.on_commit = [raw](const CommitInfo& c) {
    raw->feed.Publish(c.head_seq);
    if (raw->metrics != nullptr) {
      raw->metrics->ObserveCommit(c.writes, c.commit_seconds);
    }
    if (c.commit_seconds >= 1.0) raw->SlowCommit(c);
  };
  auto store = SqliteStore::Open(so);
  if (!store.ok()) return store.status();
  st->store = *std::move(store);
  st->feed.Publish(st->store->DurableHeadSeq());
  if (cfg.has_event_log()) {
    EventLogOptions eo;
    eo.path = cfg.event_log().path();
    eo.position_path = (dir / "event_log.position").string();
    eo.utc_offset_seconds = ParseUtcOffset(cfg.utc_offset()).value_or(0);
    auto log = EventLog::Start(std::move(eo), *st->store, st->feed);
    if (!log.ok()) {
      st->store->Close();
      return log.status();
    }
    st->event_log = *std::move(log);
  }

  auto signer = Ed25519Signer::LoadOrCreate(dir / "audit_signing.key",
                                            dir / "audit_signing.pub");
  if (!signer.ok()) {
    st->store->Close();
    return signer.status();
  }
  auto checkpoints = AuditCheckpoints::Start(
      *st->store, *std::move(signer), clock, st->feed,
      std::chrono::seconds(cfg.audit_checkpoints().interval_seconds()));
  if (!checkpoints.ok()) {
    st->store->Close();
    return checkpoints.status();
  }
  st->checkpoints = *std::move(checkpoints);

  st->access = std::make_unique<Access>(st->config, *st->store, clock);
  ServiceDeps deps{*st->store, *st->access, st->config, *st->pseudonymizer,
                   clock};
  st->gates = std::make_unique<Gates>(
      *st->store, st->config, *st->pseudonymizer, clock, st->metrics.get());
  st->consent = std::make_unique<ConsentServiceImpl>(deps);
  st->campaign = std::make_unique<CampaignServiceImpl>(deps);
  st->audit = std::make_unique<AuditServiceImpl>(
      deps, st->feed, &st->last_verify, st->checkpoints.get());
  st->retention = std::make_unique<Retention>(*st->store, *st->checkpoints,
                                              st->config, clock);
  // Daily, the first time ten minutes after start.
  st->retention->StartDaily(std::chrono::minutes(10), std::chrono::hours(24));
  st->admin = std::make_unique<AdminServiceImpl>(
      *st->access, *st->store, *st->checkpoints, *st->retention, dir);
  st->print_runs = std::make_unique<PrintRuns>(
      *st->store, clock, st->metrics.get(),
      static_cast<int>(cfg.limits().max_batch_items()));
  Metrics* m = st->metrics.get();
  st->insert_gate = std::make_unique<InsertGateImpl>(
      *st->access, *st->gates, *st->print_runs,
      m != nullptr ? &m->RpcMethod(InsertGateImpl::kCheckInsert) : nullptr);
  st->call_reports = std::make_unique<CallReports>(
      *st->store, st->config, *st->pseudonymizer, clock, st->metrics.get());
  st->dial_gate = std::make_unique<DialGateImpl>(
      *st->access, *st->gates, *st->call_reports,
      m != nullptr ? &m->RpcMethod(DialGateImpl::kCheckDial) : nullptr);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // limits.max_message_bytes: by default 32 MiB, as a print batch at its
  // limits is about 13 MB (gRPC's default would refuse it at 4 MB).
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(cfg.limits().max_message_bytes()));
  int port = 0;
  auto credentials = ServerCredentialsFor(cfg.tls());
  if (!credentials.ok()) {
    st->store->Close();
    return credentials.status();
  }
  builder.AddListeningPort(cfg.listen(), *credentials, &port);
  builder.RegisterService(st->consent.get());
  builder.RegisterService(st->campaign.get());
  builder.RegisterService(st->audit.get());
  builder.RegisterService(st->admin.get());
  builder.RegisterService(st->insert_gate.get());
  builder.RegisterService(st->dial_gate.get());
  if (st->metrics != nullptr) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(std::make_unique<RpcMetricsFactory>(
        *st->metrics, std::vector<std::string>{InsertGateImpl::kCheckInsert,
                                               DialGateImpl::kCheckDial}));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  {
    std::lock_guard<std::mutex> guard(st->server_mu);
    st->server = builder.BuildAndStart();
  }
  if (st->server == nullptr || port == 0) {
    st->store->Close();
    return absl::UnavailableError(
        StrCat("listen: cannot listen on ", cfg.listen()));
  }
  if (cfg.has_http()) {
    st->metrics->SetAuditHead([raw] { return raw->feed.Head(); });
    st->metrics->SetConsents([raw] { return raw->store->ConsentCounts(); });
    if (raw->event_log != nullptr) {
      st->metrics->SetEventLogFailedLines(
          [raw] { return raw->event_log->failed_lines(); });
    }
    st->metrics->SetEventLogLag([raw] {
      return raw->event_log != nullptr ? raw->event_log->lag() : 0;
    });
    HttpHandlers h;
    h.metrics = [raw] { return raw->metrics->Expose(); };
    h.ready = [raw](std::string* why) {
      if (raw->stopping.load()) {
        *why = "the daemon is stopping";
        return false;
      }
      if (raw->store_refusing.load()) {
        *why = "the store refuses writes after an I/O error (see stderr)";
        return false;
      }
      return true;
    };
    h.ready_note = [raw] {
      return raw->config.Get()->principals.configured()
                 ? std::string()
                 : std::string(
                       "warning: no authentication (config principals is "
                       "empty): every caller may call every RPC; for "
                       "development only");
    };
    h.dashboard = [] { return std::string(DashboardHtml()); };
    const DashboardSources dashboard{
        *raw->metrics,
        *raw->store,
        raw->feed,
        raw->event_log.get(),
        raw->last_verify,
        h.ready,
        clock,
        ParseUtcOffset(cfg.utc_offset()).value_or(0)};
    h.dashboard_data = [dashboard] { return DashboardJson(dashboard); };
    auto http = HttpServer::Start(cfg.http().listen(), std::move(h));
    if (!http.ok()) {
      st->server->Shutdown();
      st->store->Close();
      return http.status();
    }
    st->http = *std::move(http);
  }
  std::string address = cfg.listen().substr(0, cfg.listen().rfind(':'));
  StrAppend(&address, ":", port);
  auto daemon = std::unique_ptr<Daemon>(new Daemon(std::move(st)));
  daemon->address_ = std::move(address);
  return daemon;
}

Daemon::Daemon(std::unique_ptr<State> state) : state_(std::move(state)) {}

bool Daemon::authenticates() const {
  return state_->config.Get()->principals.configured();
}

std::string Daemon::security() const {
  const auto snapshot = state_->config.Get();
  const auto& tls = snapshot->config().tls();
  std::string out = tls.cert_file().empty()        ? "plaintext (loopback)"
                    : tls.client_ca_file().empty() ? "TLS"
                                                   : "mutual TLS";
  const int n = snapshot->config().principals_size();
  StrAppend(&out, ", ",
            n == 0 ? std::string("no authentication")
                   : StrCat(n, n == 1 ? " principal" : " principals"));
  return out;
}

Daemon::~Daemon() { Shutdown(); }

absl::StatusOr<Daemon::Reloaded> Daemon::ReloadConfig(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->reload_mu);
  auto text = ReadConfigFile(path);
  if (!text.ok()) return text.status();
  const std::shared_ptr<const ConfigSnapshot> current = state_->config.Get();
  auto plan = PlanReload(*current, *text, path);
  if (!plan.ok()) return plan.status();
  // The evidence first: a reload the log cannot record is not made.
  v1::ConfigReloadedPayload p;
  p.set_path(path);
  p.set_sha256(plan->next->sha256);
  p.set_previous_sha256(current->sha256);
  p.set_generation(plan->next->generation);
  for (const std::string& key : plan->changed) p.add_changed(key);
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(p, &json, opts);
  auto seq = state_->store->LogEvent(
      {"config.reloaded", "gatekeeperd", "", std::move(json)});
  if (!seq.ok()) {
    return absl::Status(seq.status().code(),
                        StrCat("the reload could not be logged, so it was not "
                               "made: ",
                               seq.status().message()));
  }
  if (state_->metrics != nullptr) {
    std::vector<std::string> ids;
    for (const auto& c : plan->next->config().companies()) {
      ids.push_back(c.id());
    }
    state_->metrics->AddCompanies(ids);
  }
  state_->config.Set(plan->next);
  return Reloaded{*seq, plan->next->sha256, std::move(plan->changed)};
}

void Daemon::ReopenEventLog() {
  if (state_->event_log != nullptr) state_->event_log->Reopen();
}

void Daemon::Shutdown(std::chrono::milliseconds grace) {
  std::call_once(state_->shutdown_once, [&] {
    if (auto* health = state_->server->GetHealthCheckService()) {
      health->SetServingStatus(false);
    }
    state_->stopping.store(true);   // /readyz: 503 from now on
    state_->audit->StopWatchers();  // they would hold the drain
    state_->server->Shutdown(std::chrono::system_clock::now() + grace);
    state_->server->Wait();
    // Everything durable goes into the event log before the store closes.
    if (state_->event_log != nullptr) state_->event_log->Stop();
    state_->retention->Stop();
    state_->checkpoints->Stop();  // signs a last checkpoint
    state_->feed.Close();
    state_->store->Close();
    if (state_->http != nullptr) state_->http->Stop();
  });
}

std::string Daemon::http_address() const {
  return state_->http != nullptr ? state_->http->address() : "";
}

}  // namespace gatekeeper
