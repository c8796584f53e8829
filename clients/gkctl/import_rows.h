// The rows of gkctl consent import's CSV file: its header and the parsing of
// a record into a RecordConsentRequest. The file itself is read with
// gkclient::CsvReader; the daemon validates each request as RecordConsent
// would. Kept apart from the command so that tests/fuzz can drive it.
#ifndef GATEKEEPER_CLIENTS_GKCTL_IMPORT_ROWS_H_
#define GATEKEEPER_CLIENTS_GKCTL_IMPORT_ROWS_H_

#include <iterator>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gatekeeper/v1/consent_service.pb.h"

namespace gkctl {

// The import file's columns, in this order.
inline constexpr std::string_view kImportColumns[] = {
    "request_id",   "customer_id", "purpose",     "company_id",
    "phone_number", "notice_id",   "channel",     "evidence_ref",
    "collected_at", "expires_at",  "collected_by"};
inline constexpr size_t kImportColumnCount = std::size(kImportColumns);

// "request_id,customer_id,...": the header line without its line end.
std::string ImportHeader();
// True when `header` is exactly kImportColumns.
bool IsImportHeader(const std::vector<std::string>& header);

// Parses record fields into a request; throws Error("<field>: <reason>").
// Moves the strings out of `f`. Not thread-safe (it caches enum names).
class ImportRowParser {
 public:
  void Parse(std::vector<std::string>& f,
             gatekeeper::v1::RecordConsentRequest& r);

 private:
  std::unordered_map<std::string, int> purposes_, channels_;
};

}  // namespace gkctl

#endif  // GATEKEEPER_CLIENTS_GKCTL_IMPORT_ROWS_H_
