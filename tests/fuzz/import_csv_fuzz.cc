// gkctl consent import's file: CsvReader, the header, each record parsed into
// a RecordConsentRequest (ImportRowParser), and that request checked as the
// daemon checks every imported row (policy::ValidateRecordConsent) against
// the example config. Beyond not crashing: reading always ends, and a
// request the daemon's check accepts carries every required field.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "clients/common/csv.h"
#include "clients/gkctl/common.h"
#include "clients/gkctl/import_rows.h"
#include "daemon/config/config.h"
#include "daemon/policy/validate.h"

namespace {

const gatekeeper::ConfigIndex& Config() {
  static const gatekeeper::ConfigIndex* index = [] {
    auto c = gatekeeper::LoadConfigFile(GATEKEEPER_SOURCE_DIR
                                        "/config/gatekeeper.example.yaml");
    if (!c.ok()) __builtin_trap();
    return new gatekeeper::ConfigIndex(*std::move(c));
  }();
  return *index;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const gatekeeper::ConfigIndex& config = Config();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  gkclient::CsvReader reader(in);
  std::vector<std::string> fields;
  gkctl::ImportRowParser parser;
  // 2026-06-01T00:00:00Z: after the example's notices take effect.
  constexpr gatekeeper::Micros kNow = 1'780'272'000'000'000;
  bool header = true;
  for (size_t records = 0; records <= size + 1; ++records) {
    const auto r = reader.Next(fields);
    if (r == gkclient::CsvReader::Result::kEnd) return 0;
    if (r == gkclient::CsvReader::Result::kError) {
      if (reader.fatal()) return 0;
      continue;
    }
    if (header) {
      header = false;
      (void)gkctl::IsImportHeader(fields);
      continue;
    }
    gatekeeper::v1::RecordConsentRequest req;
    try {
      parser.Parse(fields, req);
    } catch (const gkctl::Error&) {
      continue;
    }
    auto checked = gatekeeper::policy::ValidateRecordConsent(req, config, kNow);
    if (checked.ok() &&
        (req.request_id().empty() || req.customer_id().empty() ||
         req.company_id().empty() || !req.has_collected_at())) {
      __builtin_trap();
    }
  }
  __builtin_trap();  // more records than bytes: the reader does not advance
}
