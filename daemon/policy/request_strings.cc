#include "daemon/policy/request_strings.h"

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "daemon/common/strings.h"

namespace gatekeeper::policy {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

// A string field's value; a bytes field holds binary by design, so only its
// length is bounded.
absl::Status CheckValue(const FieldDescriptor* f, const std::string& path,
                        std::string_view value, size_t max) {
  if (f->type() == FieldDescriptor::TYPE_BYTES) {
    if (value.size() <= max) return absl::OkStatus();
    return absl::InvalidArgumentError(
        StrCat(path, ": is longer than ", max, " bytes"));
  }
  return CheckText(path, value, max);
}

// The key of a map entry for a path: itself when short and printable.
std::string KeyForPath(std::string_view key) {
  bool plain = key.size() <= 64;
  for (unsigned char c : key) plain = plain && c > 0x20 && c < 0x7f;
  return plain ? std::string(key) : std::string("?");
}

absl::Status CheckMessage(const Message& m, const std::string& prefix);

absl::Status CheckField(const Message& m, const FieldDescriptor* f,
                        const std::string& path) {
  const Reflection* r = m.GetReflection();
  if (f->is_map()) {
    const auto* key = f->message_type()->map_key();
    const auto* value = f->message_type()->map_value();
    for (int i = 0; i < r->FieldSize(m, f); ++i) {
      const Message& entry = r->GetRepeatedMessage(m, f, i);
      const Reflection* er = entry.GetReflection();
      std::string k;
      if (key->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        k = er->GetString(entry, key);
        if (absl::Status s = CheckText(StrCat(path, " key"), k, kMaxIdBytes);
            !s.ok()) {
          return s;
        }
      }
      const std::string at = StrCat(path, "[", KeyForPath(k), "]");
      if (value->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        if (absl::Status s = CheckValue(value, at, er->GetString(entry, value),
                                        MaxStringBytes(f->name()));
            !s.ok()) {
          return s;
        }
      } else if (value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (absl::Status s = CheckMessage(er->GetMessage(entry, value), at);
            !s.ok()) {
          return s;
        }
      }
    }
    return absl::OkStatus();
  }
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    const size_t max = MaxStringBytes(f->name());
    std::string scratch;
    if (!f->is_repeated()) {
      return CheckValue(f, path, r->GetStringReference(m, f, &scratch), max);
    }
    for (int i = 0; i < r->FieldSize(m, f); ++i) {
      if (absl::Status s =
              CheckValue(f, StrCat(path, "[", i, "]"),
                         r->GetRepeatedStringReference(m, f, i, &scratch), max);
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        if (absl::Status s = CheckMessage(r->GetRepeatedMessage(m, f, i),
                                          StrCat(path, "[", i, "]"));
            !s.ok()) {
          return s;
        }
      }
    } else if (r->HasField(m, f)) {
      return CheckMessage(r->GetMessage(m, f), path);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& m, const std::string& prefix) {
  // Well-known types (Timestamp) hold no strings of ours.
  if (m.GetDescriptor()->file()->package() == "google.protobuf") {
    return absl::OkStatus();
  }
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);  // the ones set
  for (const FieldDescriptor* f : fields) {
    if (absl::Status s = CheckField(
            m, f, prefix.empty() ? f->name() : StrCat(prefix, ".", f->name()));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckText(std::string_view field, std::string_view value,
                       size_t max) {
  if (value.size() > max) {
    return absl::InvalidArgumentError(
        StrCat(field, ": is longer than ", max, " bytes"));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          StrCat(field, ": contains a control character"));
    }
  }
  return absl::OkStatus();
}

size_t MaxStringBytes(std::string_view name) {
  if (name == "phone_number") return kMaxPhoneBytes;
  if (EndsWith(name, "_id") || EndsWith(name, "_ids") || name == "actor" ||
      name == "approver" || name == "requested_by" || name == "collected_by" ||
      name == "created_by" || name == "created_by_principal" ||
      name == "approved_by" || name == "reprint_of" || name == "kinds") {
    return kMaxIdBytes;
  }
  return kMaxTextBytes;
}

absl::Status CheckRequestStrings(const Message& request) {
  return CheckMessage(request, "");
}

}  // namespace gatekeeper::policy
