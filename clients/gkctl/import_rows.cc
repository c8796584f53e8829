#include "clients/gkctl/import_rows.h"

#include <google/protobuf/util/time_util.h>

#include "clients/gkctl/common.h"
#include "daemon/common/strings.h"

namespace gkctl {
namespace {

namespace v1 = gatekeeper::v1;
using gatekeeper::StrCat;
using google::protobuf::util::TimeUtil;

// Few distinct values: each is parsed once.
int Enum(const google::protobuf::EnumDescriptor* d, std::string_view field,
         const std::string& value,
         std::unordered_map<std::string, int>& cache) {
  auto it = cache.find(value);
  if (it != cache.end()) return it->second;
  const int n = ParseEnumNumber(d, field, value);
  cache.emplace(value, n);
  return n;
}

void Time(std::string_view field, const std::string& value,
          google::protobuf::Timestamp* out) {
  if (value.empty()) throw Error(StrCat(field, ": is required"));
  if (!TimeUtil::FromString(value, out)) {
    throw Error(StrCat(field, ": invalid time \"", OneLine(value),
                       "\" (expected RFC 3339, e.g. "
                       "2026-04-01T00:00:00+09:00)"));
  }
}

}  // namespace

std::string ImportHeader() {
  std::string h;
  for (auto c : kImportColumns) h += StrCat(h.empty() ? "" : ",", c);
  return h;
}

bool IsImportHeader(const std::vector<std::string>& header) {
  if (header.size() != kImportColumnCount) return false;
  for (size_t i = 0; i < kImportColumnCount; ++i) {
    if (header[i] != kImportColumns[i]) return false;
  }
  return true;
}

void ImportRowParser::Parse(std::vector<std::string>& f,
                            v1::RecordConsentRequest& r) {
  if (f.size() != kImportColumnCount) {
    throw Error(
        StrCat("record: ", f.size(), " fields, expected ", kImportColumnCount));
  }
  if (f[0].empty()) throw Error("request_id: is required for an import");
  r.set_request_id(std::move(f[0]));
  r.set_customer_id(std::move(f[1]));
  r.set_purpose(static_cast<v1::Purpose>(
      Enum(google::protobuf::GetEnumDescriptor<v1::Purpose>(), "purpose", f[2],
           purposes_)));
  r.set_company_id(std::move(f[3]));
  r.set_phone_number(std::move(f[4]));
  r.set_notice_id(std::move(f[5]));
  r.set_channel(static_cast<v1::ConsentChannel>(
      Enum(google::protobuf::GetEnumDescriptor<v1::ConsentChannel>(), "channel",
           f[6], channels_)));
  r.set_evidence_ref(std::move(f[7]));
  Time("collected_at", f[8], r.mutable_collected_at());
  if (!f[9].empty()) Time("expires_at", f[9], r.mutable_expires_at());
  r.set_collected_by(std::move(f[10]));
}

}  // namespace gkctl
