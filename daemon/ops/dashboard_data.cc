#include "daemon/ops/dashboard_data.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>

#include "daemon/common/strings.h"
#include "daemon/ops/event_json.h"
#include "gatekeeper/v1/types.pb.h"

namespace gatekeeper {
namespace {

namespace v1 = gatekeeper::v1;
using Json = nlohmann::ordered_json;

constexpr v1::Purpose kShownPurposes[] = {v1::PURPOSE_AD_INSERT,
                                          v1::PURPOSE_TELEMARKETING};

std::string Trimmed(std::string_view s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) == prefix) s.remove_prefix(prefix.size());
  return std::string(s);
}

// Names as /metrics has them: AD_INSERT, ALLOW, NO_CONSENT.
std::string PurposeName(v1::Purpose p) {
  return Trimmed(v1::Purpose_Name(p), "PURPOSE_");
}

// A string field of a flattened entry without its enum prefix; "" when it
// is absent (protobuf's JSON mapping leaves empty fields out).
std::string Str(const Json& e, const char* key, std::string_view prefix = {}) {
  const auto it = e.find(key);
  if (it == e.end() || !it->is_string()) return "";
  return Trimmed(it->get_ref<const std::string&>(), prefix);
}

// protobuf's JSON mapping writes 64-bit integers as strings and leaves out
// zeros; a number or a decimal string, else 0.
uint64_t U64(const Json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    const int64_t n = v.get<int64_t>();
    return n > 0 ? static_cast<uint64_t>(n) : 0;
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    return ec == std::errc() && end == s.data() + s.size() ? n : 0;
  }
  return 0;
}

uint64_t U64(const Json& e, const char* key) {
  const auto it = e.find(key);
  return it == e.end() ? 0 : U64(*it);
}

Json Strings(const Json& e, const char* key, std::string_view prefix = {}) {
  Json out = Json::array();
  const auto it = e.find(key);
  if (it == e.end() || !it->is_array()) return out;
  for (const Json& v : *it) {
    if (v.is_string()) {
      out.push_back(Trimmed(v.get_ref<const std::string&>(), prefix));
    }
  }
  return out;
}

Json ByVerdict(const std::array<uint64_t, 2>& counts) {
  Json out = Json::object();
  out["ALLOW"] = counts[1];
  out["BLOCK"] = counts[0];
  return out;
}

Json ByPurpose(
    const std::array<std::array<uint64_t, 2>, MinuteRing::kPurposes>& counts,
    Json out = Json::object()) {
  for (v1::Purpose p : kShownPurposes) {
    out[PurposeName(p)] = ByVerdict(counts[static_cast<size_t>(p)]);
  }
  return out;
}

Json Common(const Json& e) {
  Json row = Json::object();
  row["ts"] = Str(e, "ts");
  row["seq"] = U64(e, "seq");
  row["kind"] = Str(e, "kind");
  return row;
}

// A check's decision (decision.insert, decision.dial).
Json DecisionRow(const Json& e) {
  Json row = Common(e);
  row["purpose"] = Str(e, "purpose", "PURPOSE_");
  row["verdict"] = Str(e, "verdict", "VERDICT_");
  row["reasons"] = Strings(e, "reasons", "REASON_");
  for (const char* key : {"campaign_id", "company_id", "phone_masked",
                          "agent_id", "customer_id"}) {
    row[key] = Str(e, key);
  }
  return row;
}

// A print run's batch: one row for its documents, with its counts and the
// reasons its blocked leaflets had.
Json BatchRow(const Json& e) {
  Json row = Common(e);
  row["purpose"] = PurposeName(v1::PURPOSE_AD_INSERT);
  Json reasons = Json::array();
  if (const auto it = e.find("blocked_by_reason");
      it != e.end() && it->is_object()) {
    for (const auto& kv : it->items()) reasons.push_back(kv.key());
  }
  row["reasons"] = std::move(reasons);
  uint64_t allowed = 0;
  if (const auto it = e.find("allowed_by_campaign");
      it != e.end() && it->is_object()) {
    for (const auto& kv : it->items()) allowed += U64(kv.value());
  }
  const uint64_t decisions = U64(e, "decisions");
  row["print_run_id"] = Str(e, "print_run_id");
  row["batch_no"] = U64(e, "batch_no");
  row["documents"] = U64(e, "documents");
  row["decisions"] = decisions;
  row["allowed"] = allowed;
  row["blocked"] = decisions > allowed ? decisions - allowed : 0;
  return row;
}

// A disclosure report that missed a required item (disclosure.violation).
Json ViolationRow(const Json& e) {
  Json row = Common(e);
  for (const char* key : {"decision_id", "agent_id", "campaign_id",
                          "company_id", "customer_id"}) {
    row[key] = Str(e, key);
  }
  row["violations"] = Strings(e, "violations");
  return row;
}

Json Health(const DashboardInputs& in) {
  Json h = Json::object();
  h["ready"] = in.ready;
  if (!in.ready) h["why"] = in.not_ready_why;
  if (in.event_log.has_value()) {
    h["event_log"] = {{"lag", in.event_log->lag},
                      {"failed_lines", in.event_log->failed_lines}};
  } else {
    h["event_log"] = nullptr;
  }
  return h;
}

Json Audit(const DashboardInputs& in) {
  Json a = Json::object();
  a["head_seq"] = in.head_seq;
  if (!in.last_verify.has_value()) {
    a["last_verify"] = nullptr;
    return a;
  }
  const VerifyOutcome& v = *in.last_verify;
  Json last = Json::object();
  last["at"] = FormatRfc3339WithOffset(v.at, in.utc_offset_seconds);
  last["ok"] = v.ok;
  last["entries_checked"] = v.entries_checked;
  if (!v.ok) last["problem"] = v.problem;
  a["last_verify"] = std::move(last);
  return a;
}

}  // namespace

std::string BuildDashboardJson(const DashboardInputs& in) {
  const int offset = in.utc_offset_seconds;
  Json out = Json::object();
  out["generated_at"] = FormatRfc3339WithOffset(in.now, offset);
  out["health"] = Health(in);
  out["audit"] = Audit(in);
  Json minutes = Json::array();
  for (const MinuteRing::Minute& m : in.stats.per_minute) {
    Json minute = Json::object();
    minute["minute"] = FormatRfc3339WithOffset(m.start_micros, offset);
    minutes.push_back(ByPurpose(m.counts, std::move(minute)));
  }
  out["per_minute"] = std::move(minutes);
  out["totals"] = ByPurpose(in.stats.totals);
  Json reasons = Json::array();
  for (const auto& [reason, n] : in.stats.block_reasons) {
    if (reasons.size() == kDashboardTopReasons) break;
    reasons.push_back({{"reason", reason}, {"count", n}});
  }
  out["top_block_reasons"] = std::move(reasons);
  out["disclosure_violations"] = in.stats.disclosure_violations;
  Json recent = Json::array();
  Json violations = Json::array();
  for (auto it = in.tail.rbegin(); it != in.tail.rend(); ++it) {
    const std::string& kind = it->kind;
    const bool decision = kind == "decision.insert" || kind == "decision.dial";
    const bool batch = kind == "print.batch";
    const bool violation = kind == "disclosure.violation";
    if ((decision || batch) && recent.size() < kDashboardRecentRows) {
      const Json e = EventObject(*it, offset);
      recent.push_back(decision ? DecisionRow(e) : BatchRow(e));
    } else if (violation && violations.size() < kDashboardRecentViolations) {
      violations.push_back(ViolationRow(EventObject(*it, offset)));
    }
  }
  out["recent"] = std::move(recent);
  out["recent_violations"] = std::move(violations);
  if (!in.tail_error.empty()) out["recent_error"] = in.tail_error;
  return out.dump(-1, ' ', /*ensure_ascii=*/false,
                  Json::error_handler_t::replace);
}

DashboardInputs CollectDashboard(const DashboardSources& s) {
  DashboardInputs in;
  in.now = s.clock.Now();
  in.utc_offset_seconds = s.utc_offset_seconds;
  in.ready = !s.ready || s.ready(&in.not_ready_why);
  if (in.ready) in.not_ready_why.clear();
  if (s.event_log != nullptr) {
    in.event_log =
        EventLogHealth{s.event_log->lag(), s.event_log->failed_lines()};
  }
  in.head_seq = s.feed.Head();
  in.last_verify = s.last_verify.Get();
  in.stats = s.metrics.Stats(in.now);
  // The entries up to the head the page shows, so that the rows and
  // head_seq agree.
  const uint64_t after = in.head_seq > kDashboardTailEntries
                             ? in.head_seq - kDashboardTailEntries
                             : 0;
  if (in.head_seq > after) {
    in.tail.reserve(static_cast<size_t>(in.head_seq - after));
    const absl::Status st =
        s.store.ScanAudit(after, static_cast<uint32_t>(in.head_seq - after), "",
                          [&](const AuditRecord& r) {
                            in.tail.push_back(r);
                            return true;
                          });
    if (!st.ok()) {
      in.tail.clear();
      in.tail_error = StrCat("the audit log could not be read: ", st.message());
    }
  }
  return in;
}

std::string DashboardJson(const DashboardSources& s) {
  return BuildDashboardJson(CollectDashboard(s));
}

}  // namespace gatekeeper
