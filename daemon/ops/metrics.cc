#include "daemon/ops/metrics.h"

#include <algorithm>
#include <cstdio>

#include "gatekeeper/v1/types.pb.h"

namespace gatekeeper {
namespace {

namespace v1 = gatekeeper::v1;

constexpr const char* kVerdicts[] = {"BLOCK", "ALLOW"};

std::string Trimmed(const std::string& name, std::string_view prefix) {
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

std::string PurposeName(int p) {
  if (!v1::Purpose_IsValid(p)) return std::to_string(p);
  return Trimmed(v1::Purpose_Name(static_cast<v1::Purpose>(p)), "PURPOSE_");
}

std::string ReasonName(int r) {
  if (!v1::Reason_IsValid(r)) return std::to_string(r);
  return Trimmed(v1::Reason_Name(static_cast<v1::Reason>(r)), "REASON_");
}

// A label value escaped as the exposition format asks (\\, \", \n).
std::string Escaped(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void Header(std::string& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (value > 0) {
    sum_nanos_.fetch_add(static_cast<uint64_t>(value * 1e9),
                         std::memory_order_relaxed);
  }
}

void Histogram::Expose(std::string_view name, std::string_view labels,
                       std::string& out) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < bounds_.size() ? Number(bounds_[i]) : "+Inf";
    out.append(name)
        .append("_bucket{")
        .append(labels)
        .append(sep)
        .append("le=\"")
        .append(le)
        .append("\"} ")
        .append(std::to_string(cumulative))
        .append("\n");
  }
  const std::string braces =
      labels.empty() ? "" : "{" + std::string(labels) + "}";
  out.append(name).append("_sum").append(braces).append(" ");
  out.append(Number(static_cast<double>(sum_nanos_.load()) / 1e9)).append("\n");
  out.append(name).append("_count").append(braces).append(" ");
  out.append(std::to_string(count_.load())).append("\n");
}

namespace {
const std::string kOther = "other";
const std::string kNone = "none";
}  // namespace

Metrics::Metrics(std::vector<std::string> companies, std::string version,
                 std::string commit)
    : version_(std::move(version)),
      commit_(std::move(commit)),
      commit_batch_size_({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}),
      fsync_duration_({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                       0.025, 0.05, 0.1, 0.25, 1}) {
  companies_.reset(new std::string[kMaxCompanies]);
  AddCompanies(companies);
  const size_t slots = kPurposes * 2 * kReasons * (kMaxCompanies + 2);
  decisions_.reset(new std::atomic<uint64_t>[slots]);
  for (size_t i = 0; i < slots; ++i) decisions_[i].store(0);
  for (int p = 0; p < kPurposes; ++p) {
    durations_.push_back(std::make_unique<Histogram>(
        std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                            0.1, 0.25, 0.5, 1, 2.5}));
  }
}

void Metrics::AddCompanies(const std::vector<std::string>& companies) {
  std::lock_guard<std::mutex> lock(companies_mu_);
  for (const std::string& id : companies) {
    const size_t n = known_.load(std::memory_order_relaxed);
    if (n == kMaxCompanies || CompanyIndex(id) < n) continue;
    companies_[n] = id;  // readers see it once known_ covers it
    known_.store(n + 1, std::memory_order_release);
  }
}

size_t Metrics::CompanyIndex(std::string_view company) const {
  if (company.empty()) return kMaxCompanies + 1;  // "none"
  const size_t n = known_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    if (companies_[i] == company) return i;
  }
  return kMaxCompanies;  // "other"
}

std::atomic<uint64_t>& Metrics::DecisionSlot(int purpose, bool allow,
                                             int reason, size_t company) {
  const size_t p = purpose >= 0 && purpose < kPurposes ? purpose : 0;
  return decisions_[((p * 2 + (allow ? 1 : 0)) * kReasons + reason) *
                        (kMaxCompanies + 2) +
                    company];
}

void Metrics::CountDecision(int purpose, bool allow, uint32_t reason_bits,
                            std::string_view company, uint64_t n) {
  const size_t c = CompanyIndex(company);
  for (int r = 0; r < kReasons; ++r) {
    if ((reason_bits & (1u << r)) != 0) {
      DecisionSlot(purpose, allow, r, c)
          .fetch_add(n, std::memory_order_relaxed);
    }
  }
}

void Metrics::CountVerdict(int purpose, bool allow, uint64_t n,
                           int64_t at_micros) {
  const size_t p = purpose >= 0 && purpose < kPurposes ? purpose : 0;
  verdicts_[p][allow ? 1 : 0].fetch_add(n, std::memory_order_relaxed);
  minutes_.Add(purpose, allow, n, at_micros);
}

void Metrics::ObserveDecisionDuration(int purpose, double seconds) {
  const size_t p = purpose >= 0 && purpose < kPurposes ? purpose : 0;
  durations_[p]->Observe(seconds);
}

Metrics::RpcCounter& Metrics::RpcMethod(std::string_view method) {
  std::lock_guard<std::mutex> lock(rpc_mu_);
  auto it = rpcs_.find(method);
  if (it == rpcs_.end()) {
    it = rpcs_.emplace(std::string(method), std::make_unique<RpcCounter>())
             .first;
  }
  return *it->second;
}

void Metrics::ObserveCommit(size_t writes, double commit_seconds) {
  commit_batch_size_.Observe(static_cast<double>(writes));
  fsync_duration_.Observe(commit_seconds);
}

DecisionStats Metrics::Stats(int64_t now_micros) const {
  DecisionStats out;
  for (int p = 0; p < kPurposes; ++p) {
    for (int v = 0; v < 2; ++v) {
      out.totals[p][v] = verdicts_[p][v].load(std::memory_order_relaxed);
    }
  }
  out.per_minute = minutes_.Last60(now_micros);
  const size_t companies = kMaxCompanies + 2;
  std::array<uint64_t, kReasons> blocked{};
  for (int p = 0; p < kPurposes; ++p) {
    for (int r = 0; r < kReasons; ++r) {
      for (size_t c = 0; c < companies; ++c) {
        blocked[r] += decisions_[(p * 2 * kReasons + r) * companies + c].load(
            std::memory_order_relaxed);
      }
    }
  }
  for (int r = 0; r < kReasons; ++r) {
    if (blocked[r] > 0)
      out.block_reasons.emplace_back(ReasonName(r), blocked[r]);
  }
  std::stable_sort(
      out.block_reasons.begin(), out.block_reasons.end(),
      [](const auto& a, const auto& b) { return a.second > b.second; });
  out.disclosure_violations = disclosure_violations_.load();
  return out;
}

std::string Metrics::Expose() const {
  std::string out;
  out.reserve(16384);
  Header(out, "gatekeeper_decisions_total", "counter",
         "Decisions answered (checks and print-run documents' leaflets), by "
         "purpose, verdict, reason and the campaign's company; a decision "
         "with two reasons counts under each.");
  const size_t companies = kMaxCompanies + 2;
  const size_t known = known_.load(std::memory_order_acquire);
  for (int p = 0; p < kPurposes; ++p) {
    for (int v = 0; v < 2; ++v) {
      for (int r = 0; r < kReasons; ++r) {
        for (size_t c = 0; c < companies; ++c) {
          const uint64_t n =
              decisions_[((p * 2 + v) * kReasons + r) * companies + c].load(
                  std::memory_order_relaxed);
          if (n == 0) continue;
          if (c >= known && c < kMaxCompanies) continue;
          const std::string& company =
              c < kMaxCompanies ? companies_[c]
                                : (c == kMaxCompanies ? kOther : kNone);
          out.append("gatekeeper_decisions_total{purpose=\"")
              .append(PurposeName(p))
              .append("\",verdict=\"")
              .append(kVerdicts[v])
              .append("\",reason=\"")
              .append(ReasonName(r))
              .append("\",company=\"")
              .append(Escaped(company))
              .append("\"} ")
              .append(std::to_string(n))
              .append("\n");
        }
      }
    }
  }
  Header(out, "gatekeeper_decision_duration_seconds", "histogram",
         "From a check's arrival to its durable answer, by purpose.");
  for (int p = 1; p < kPurposes; ++p) {
    durations_[p]->Expose("gatekeeper_decision_duration_seconds",
                          "purpose=\"" + PurposeName(p) + "\"", out);
  }
  Header(out, "gatekeeper_rpc_requests_total", "counter",
         "gRPC calls finished, by full method name and status code.");
  {
    std::lock_guard<std::mutex> lock(rpc_mu_);
    for (const auto& [method, counter] : rpcs_) {
      for (int code = 0; code < RpcCounter::kCodes; ++code) {
        const uint64_t n =
            counter->by_code[code].load(std::memory_order_relaxed);
        if (n == 0) continue;
        out.append("gatekeeper_rpc_requests_total{method=\"")
            .append(Escaped(method))
            .append("\",code=\"")
            .append(std::to_string(code))
            .append("\"} ")
            .append(std::to_string(n))
            .append("\n");
      }
    }
  }
  Header(out, "gatekeeper_commit_batch_size", "histogram",
         "Writes per durable group commit that appended audit entries.");
  commit_batch_size_.Expose("gatekeeper_commit_batch_size", "", out);
  Header(out, "gatekeeper_fsync_duration_seconds", "histogram",
         "Time COMMIT took (its fsync, synchronous=FULL) per group commit.");
  fsync_duration_.Expose("gatekeeper_fsync_duration_seconds", "", out);
  if (consents_) {
    Header(out, "gatekeeper_consents", "gauge",
           "Consents held, by purpose and current state.");
    for (const auto& [key, n] : consents_()) {
      out.append("gatekeeper_consents{purpose=\"")
          .append(Escaped(key.first))
          .append("\",state=\"")
          .append(Escaped(key.second))
          .append("\"} ")
          .append(std::to_string(n))
          .append("\n");
    }
  }
  Header(out, "gatekeeper_audit_head_seq", "gauge",
         "The seq of the last durable audit entry.");
  out.append("gatekeeper_audit_head_seq ")
      .append(std::to_string(audit_head_ ? audit_head_() : 0))
      .append("\n");
  Header(out, "gatekeeper_event_log_lag_entries", "gauge",
         "Durable audit entries not yet in the event log (0 without one).");
  out.append("gatekeeper_event_log_lag_entries ")
      .append(std::to_string(event_log_lag_ ? event_log_lag_() : 0))
      .append("\n");
  if (event_log_failed_lines_) {
    Header(out, "gatekeeper_event_log_failed_lines_total", "counter",
           "Event log lines that could not be written when due (each written "
           "later from the audit log).");
    out.append("gatekeeper_event_log_failed_lines_total ")
        .append(std::to_string(event_log_failed_lines_()))
        .append("\n");
  }
  Header(out, "gatekeeper_disclosure_violations_total", "counter",
         "Calls whose reported disclosure missed a required item "
         "(特定商取引法 Art. 16).");
  out.append("gatekeeper_disclosure_violations_total ")
      .append(std::to_string(disclosure_violations_.load()))
      .append("\n");
  Header(out, "gatekeeper_build_info", "gauge",
         "The running build: version and source commit.");
  out.append("gatekeeper_build_info{version=\"")
      .append(Escaped(version_))
      .append("\",commit=\"")
      .append(Escaped(commit_))
      .append("\"} 1\n");
  return out;
}

}  // namespace gatekeeper
