// The daemon's metrics in the Prometheus text exposition format (0.0.4).
// Counting is a relaxed atomic add into a slot found by index (label values
// come only from bounded sets: purposes, verdicts, reasons, the configured
// companies, RPC methods and status codes; never a customer or document id),
// so it costs a decision a few nanoseconds. Gauges read at scrape time come
// from callbacks. Beside the exposition, the dashboard reads decisions by
// verdict (since start and per minute over the last hour) and block reasons
// from Stats(). Thread-safe.
#ifndef GATEKEEPER_DAEMON_OPS_METRICS_H_
#define GATEKEEPER_DAEMON_OPS_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/ops/minute_ring.h"

namespace gatekeeper {

// Observations in fixed buckets; exposed cumulatively.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // Appends the _bucket, _sum and _count lines with `labels` ("" or
  // `purpose="AD_INSERT"`).
  void Expose(std::string_view name, std::string_view labels,
              std::string& out) const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_nanos_{0};  // sum of values in 1e-9 units
};

// What the dashboard shows of the decisions counted.
struct DecisionStats {
  // Decisions (not reasons) since start by [purpose][verdict], purpose by
  // its proto number, verdict 0 BLOCK, 1 ALLOW.
  std::array<std::array<uint64_t, 2>, MinuteRing::kPurposes> totals{};
  std::vector<MinuteRing::Minute> per_minute;  // the last 60, oldest first
  // BLOCK decisions since start by reason, named as in /metrics, most first
  // (a decision with two reasons counts under each).
  std::vector<std::pair<std::string, uint64_t>> block_reasons;
  uint64_t disclosure_violations = 0;
};

class Metrics {
 public:
  // `companies`: the configured company ids (decisions for others count as
  // company "other"; for no known campaign, "none"). At most kMaxCompanies
  // get a label of their own; the rest count as "other".
  Metrics(std::vector<std::string> companies, std::string version,
          std::string commit);

  // Companies a reloaded config added get labels of their own from now on
  // (within kMaxCompanies). Labels are never taken away: counters only grow.
  void AddCompanies(const std::vector<std::string>& companies);
  static constexpr size_t kMaxCompanies = 64;

  // A decision answered: purpose and reasons by their proto enum numbers;
  // `company` empty when the campaign was unknown.
  void CountDecision(int purpose, bool allow, uint32_t reason_bits,
                     std::string_view company, uint64_t n = 1);
  // `n` decisions answered with the verdict, decided at `at_micros` (since
  // the epoch): the dashboard's totals and minutes. Counted beside
  // CountDecision, which counts by reason.
  void CountVerdict(int purpose, bool allow, uint64_t n, int64_t at_micros);
  // From a check's arrival to its answer (durable), in seconds.
  void ObserveDecisionDuration(int purpose, double seconds);
  // A finished RPC, by full method name and status code.
  void CountRpc(std::string_view method, int code) {
    RpcMethod(method).Count(code);
  }
  // One method's finished calls by status code (codes past 16 count as 2,
  // UNKNOWN).
  struct RpcCounter {
    static constexpr int kCodes = 17;
    void Count(int code) {
      by_code[code >= 0 && code < kCodes ? code : 2].fetch_add(
          1, std::memory_order_relaxed);
    }
    std::atomic<uint64_t> by_code[kCodes] = {};
  };
  // The counter of `method`, made on its first call and kept for the
  // Metrics' lifetime (callers may keep the reference: no lock to count).
  RpcCounter& RpcMethod(std::string_view method);
  // A group commit: its writes and how long COMMIT (its fsync) took.
  void ObserveCommit(size_t writes, double commit_seconds);
  void CountDisclosureViolation() { disclosure_violations_.fetch_add(1); }

  // Gauges read at scrape time (set once, before serving).
  void SetAuditHead(std::function<uint64_t()> f) { audit_head_ = std::move(f); }
  void SetEventLogLag(std::function<uint64_t()> f) {
    event_log_lag_ = std::move(f);
  }
  // Lines the event log could not write when first due (written later from
  // the audit log); exposed only when set.
  void SetEventLogFailedLines(std::function<uint64_t()> f) {
    event_log_failed_lines_ = std::move(f);
  }
  // (purpose, state) -> count.
  void SetConsents(
      std::function<std::map<std::pair<std::string, std::string>, uint64_t>()>
          f) {
    consents_ = std::move(f);
  }

  // The exposition (text/plain; version=0.0.4).
  std::string Expose() const;
  // The dashboard's counts, the minutes up to the one holding `now_micros`.
  DecisionStats Stats(int64_t now_micros) const;

 private:
  static constexpr int kPurposes = 3;  // UNSPECIFIED, AD_INSERT, TELEMARKETING
  static constexpr int kReasons = 32;
  static_assert(kPurposes == MinuteRing::kPurposes);
  size_t CompanyIndex(std::string_view company) const;
  std::atomic<uint64_t>& DecisionSlot(int purpose, bool allow, int reason,
                                      size_t company);

  // Company labels: slots [0, known_) are set once and never change; then
  // "other" (kMaxCompanies) and "none" (kMaxCompanies + 1).
  std::unique_ptr<std::string[]> companies_;
  std::atomic<size_t> known_{0};
  std::mutex companies_mu_;  // serializes AddCompanies
  const std::string version_, commit_;
  std::unique_ptr<std::atomic<uint64_t>[]> decisions_;
  std::vector<std::unique_ptr<Histogram>> durations_;  // by purpose
  Histogram commit_batch_size_;
  Histogram fsync_duration_;
  std::atomic<uint64_t> disclosure_violations_{0};
  // [purpose][verdict], as in DecisionStats::totals.
  std::array<std::array<std::atomic<uint64_t>, 2>, kPurposes> verdicts_{};
  MinuteRing minutes_;
  mutable std::mutex rpc_mu_;  // guards the map, not the counts
  std::map<std::string, std::unique_ptr<RpcCounter>, std::less<>> rpcs_;
  std::function<uint64_t()> audit_head_, event_log_lag_,
      event_log_failed_lines_;
  std::function<std::map<std::pair<std::string, std::string>, uint64_t>()>
      consents_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_OPS_METRICS_H_
