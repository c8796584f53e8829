// Keyed fingerprints of requests, for idempotency: a repeated request with
// the same fingerprint gets the first answer. Keyed (HMAC under the
// deployment's pseudonym key) because a request may hold a phone number.
// Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_FINGERPRINT_H_
#define GATEKEEPER_DAEMON_SERVER_FINGERPRINT_H_

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "daemon/common/phone.h"
#include "daemon/common/strings.h"

namespace gatekeeper {

inline std::string Fingerprint(const Pseudonymizer& p, std::string_view method,
                               const google::protobuf::Message& req) {
  std::string bytes;
  // Deterministic, so that equal requests give equal bytes.
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    req.SerializeToCodedStream(&out);
  }
  return p.Mac(StrCat(method, "\n", bytes));
}

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_FINGERPRINT_H_
