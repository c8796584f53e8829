#include "clients/gkctl/common.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <iostream>
#include <random>

#include "absl/status/status.h"
#include "daemon/common/strings.h"

namespace gkctl {
namespace {

using gatekeeper::StrCat;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::util::TimeUtil;

// "UNAVAILABLE", ...: absl's codes are gRPC's.
std::string CodeName(grpc::StatusCode code) {
  std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? StrCat("CODE_", static_cast<int>(code)) : name;
}

// "PURPOSE_" for Purpose: the name of the UNSPECIFIED value, minus that word.
std::string_view Prefix(const EnumDescriptor* d) {
  const EnumValueDescriptor* zero = d->FindValueByNumber(0);
  if (zero == nullptr) return {};
  std::string_view name = zero->name();
  constexpr std::string_view kUnspecified = "UNSPECIFIED";
  if (name.size() < kUnspecified.size() ||
      name.substr(name.size() - kUnspecified.size()) != kUnspecified) {
    return {};
  }
  return name.substr(0, name.size() - kUnspecified.size());
}

// "ad-insert, telemarketing": the accepted spellings, for error messages.
std::string Choices(const EnumDescriptor* d) {
  const size_t prefix = Prefix(d).size();
  std::string out;
  for (int i = 0; i < d->value_count(); ++i) {
    const EnumValueDescriptor* v = d->value(i);
    if (v->number() == 0) continue;
    std::string name = v->name().substr(prefix);
    for (char& c : name) {
      c = c == '_'
              ? '-'
              : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace

std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

void OnSelect(CLI::App* cmd, Action* action, Action run) {
  cmd->callback([action, run = std::move(run)] { *action = run; });
}

std::shared_ptr<grpc::Channel> Connect(const Globals& g,
                                       const grpc::ChannelArguments& args) {
  std::string error;
  auto channel =
      gatekeeper::clients::OpenChannel(g.target, g.security, args, &error);
  if (channel == nullptr) throw Error(error);
  return channel;
}

std::unique_ptr<grpc::ClientContext> NewContext(const Globals& g) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(g.timeout_seconds));
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

void CheckRpc(const grpc::Status& s, std::string_view suffix) {
  if (s.ok()) return;
  std::string message = OneLine(s.error_message());
  if (message.empty()) message = "(no message)";
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
    message += StrCat(" (", gatekeeper::clients::kUnavailableHint, ")");
  }
  throw Error(StrCat(CodeName(s.error_code()), ": ", message, suffix));
}

bool OutcomeUnknown(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      return true;
    default:
      return false;
  }
}

int ParseEnumNumber(const EnumDescriptor* d, std::string_view option,
                    std::string_view value) {
  if (value.empty()) return 0;
  std::string name;
  for (char c : value) {
    name +=
        c == '-'
            ? '_'
            : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  const std::string_view prefix = Prefix(d);
  const EnumValueDescriptor* v = nullptr;
  if (name.compare(0, prefix.size(), prefix) == 0) {
    v = d->FindValueByName(name);
  }
  if (v == nullptr) v = d->FindValueByName(StrCat(prefix, name));
  if (v == nullptr || v->number() == 0) {
    throw Error(StrCat(option, ": unknown value \"", OneLine(value),
                       "\" (expected one of: ", Choices(d), ")"));
  }
  return v->number();
}

std::string EnumShortName(const EnumDescriptor* d, int number) {
  const EnumValueDescriptor* v = d->FindValueByNumber(number);
  if (v == nullptr) return std::to_string(number);
  const std::string_view prefix = Prefix(d);
  std::string_view name = v->name();
  if (name.substr(0, prefix.size()) == prefix)
    name.remove_prefix(prefix.size());
  return std::string(name);
}

std::optional<google::protobuf::Timestamp> ParseTime(std::string_view option,
                                                     std::string_view value) {
  if (value.empty()) return std::nullopt;
  std::string lower;
  for (char c : value) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower == "now") return TimeUtil::GetCurrentTime();
  google::protobuf::Timestamp t;
  if (!TimeUtil::FromString(std::string(value), &t)) {
    throw Error(StrCat(option, ": invalid time \"", OneLine(value),
                       "\" (expected RFC 3339, e.g. "
                       "2026-04-01T00:00:00+09:00, or now)"));
  }
  return t;
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  return TimeUtil::ToString(t);
}

std::string NewRequestId() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 4; ++i) {
    uint32_t word = rd();
    for (int j = 0; j < 8; ++j, word >>= 4) id += kHex[word & 0xf];
  }
  return id;
}

void PrintJson(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  std::string out;
  const auto status =
      google::protobuf::util::MessageToJsonString(m, &out, opts);
  if (!status.ok()) {
    throw Error(StrCat("cannot print the response as JSON: ",
                       OneLine(std::string(status.message()))));
  }
  std::cout << out << "\n";
}

void PrintField(std::string_view key, std::string_view value, bool skip_empty) {
  if (skip_empty && value.empty()) return;
  std::cout << key << ": " << value << "\n";
}

}  // namespace gkctl
