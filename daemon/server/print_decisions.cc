#include "daemon/server/print_decisions.h"

#include <google/protobuf/util/json_util.h>

#include <functional>

#include "absl/strings/ascii.h"

namespace gatekeeper {

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

uint64_t DocHash(std::string_view document_id) {
  return std::hash<std::string_view>{}(document_id);
}

bool IsDocumentId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != ':' &&
        c != '/' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace gatekeeper
