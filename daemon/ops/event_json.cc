#include "daemon/ops/event_json.h"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace gatekeeper {
namespace {

using Json = nlohmann::ordered_json;

bool IsPseudonymKey(std::string_view key) { return key == "phone_hmac"; }

// Drops pseudonyms of phone numbers at any depth.
void Scrub(Json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (IsPseudonymKey(it.key())) {
        it = j.erase(it);
      } else {
        Scrub(it.value());
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (Json& v : j) Scrub(v);
  }
}

}  // namespace

std::string FormatRfc3339WithOffset(Micros at, int utc_offset_seconds) {
  std::string s =
      FormatRfc3339(at + static_cast<Micros>(utc_offset_seconds) * 1'000'000);
  if (utc_offset_seconds == 0 || s.empty() || s.back() != 'Z') return s;
  s.pop_back();
  const int abs = std::abs(utc_offset_seconds);
  char offset[16];
  std::snprintf(offset, sizeof offset, "%c%02d:%02d",
                utc_offset_seconds < 0 ? '-' : '+', abs / 3600,
                abs % 3600 / 60);
  s += offset;
  return s;
}

Json EventObject(const AuditRecord& entry, int utc_offset_seconds) {
  Json line = Json::object();
  line["ts"] = FormatRfc3339WithOffset(entry.at, utc_offset_seconds);
  line["seq"] = entry.seq;
  line["kind"] = entry.kind;
  line["actor"] = entry.actor;
  if (!entry.customer_id.empty()) line["customer_id"] = entry.customer_id;
  Json payload = Json::parse(entry.payload_json, nullptr,
                             /*allow_exceptions=*/false);
  if (payload.is_object()) {
    Scrub(payload);
    for (auto& [key, value] : payload.items()) {
      auto same = line.find(key);
      if (same == line.end()) {
        line[key] = std::move(value);
      } else if (*same != value) {
        line["payload_" + key] = std::move(value);
      }
    }
    // Written by protobuf's JSON mapping, the payload omits a zero; the
    // dashboards' field is there on every decision.
    if (entry.kind.rfind("decision.", 0) == 0 && !line.contains("latency_us")) {
      line["latency_us"] = 0;
    }
  } else if (!entry.payload_json.empty()) {
    // Not an object (never written so): kept whole, as text.
    line["payload_json"] = entry.payload_json;
  }
  return line;
}

void AppendEventLine(const AuditRecord& entry, int utc_offset_seconds,
                     std::string& out) {
  const Json line = EventObject(entry, utc_offset_seconds);
  out += line.dump(-1, ' ', /*ensure_ascii=*/false,
                   Json::error_handler_t::replace);
  out += '\n';
}

}  // namespace gatekeeper
