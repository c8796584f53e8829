// Shared plumbing of gkctl: global options, one-line errors, RPC contexts with
// deadlines, and the parsing and printing of enums, times and messages.
#ifndef GATEKEEPER_CLIENTS_GKCTL_COMMON_H_
#define GATEKEEPER_CLIENTS_GKCTL_COMMON_H_

#include <google/protobuf/generated_enum_reflection.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "clients/common/channel.h"

namespace CLI {
class App;
}  // namespace CLI

namespace gkctl {

// Exit codes: a gate's ALLOW (or plain success), a BLOCK (or a broken audit
// log), and any error, usage problems included.
inline constexpr int kExitOk = 0;
inline constexpr int kExitBlock = 1;
inline constexpr int kExitError = 2;

// Options accepted before or after any subcommand.
struct Globals {
  std::string target = "127.0.0.1:50051";
  double timeout_seconds = 5;
  bool json = false;
  gatekeeper::clients::ChannelSecurity security;
};

// The command chosen on the command line, run once parsing succeeded. Returns
// the exit code.
using Action = std::function<int()>;

// Makes `cmd` select `run` as the action when it appears on the command line.
void OnSelect(CLI::App* cmd, Action* action, Action run);

// Any failure: main prints "gkctl: <what>" on one line and exits kExitError.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The channel to --target with the security options; throws Error naming
// the option that is wrong.
std::shared_ptr<grpc::Channel> Connect(const Globals& g,
                                       const grpc::ChannelArguments& args = {});

template <typename Service>
std::unique_ptr<typename Service::Stub> NewStub(const Globals& g) {
  return Service::NewStub(Connect(g));
}

// A context for one RPC, with the --timeout deadline.
std::unique_ptr<grpc::ClientContext> NewContext(const Globals& g);

// `s` for a one-line message: control characters (newlines included) become
// spaces.
std::string OneLine(std::string_view s);

// Throws Error("<CODE_NAME>: <message>[<suffix>]") unless `s` is OK.
void CheckRpc(const grpc::Status& s, std::string_view suffix = {});

// True when a failed call may nonetheless have taken effect (or never reached
// the daemon), so that retrying with the same request id is the safe course.
bool OutcomeUnknown(const grpc::Status& s);

// Parses an enum argument, case-insensitively, with dashes or underscores and
// with or without the type prefix ("ad-insert", "PURPOSE_AD_INSERT"). An empty
// value is the UNSPECIFIED value 0; a bad one throws Error naming `option`.
int ParseEnumNumber(const google::protobuf::EnumDescriptor* d,
                    std::string_view option, std::string_view value);

template <typename E>
E ParseEnum(std::string_view option, std::string_view value) {
  return static_cast<E>(
      ParseEnumNumber(google::protobuf::GetEnumDescriptor<E>(), option, value));
}

// The value name without the type prefix ("AD_INSERT"), or the number if the
// value is unknown to this build.
std::string EnumShortName(const google::protobuf::EnumDescriptor* d,
                          int number);

template <typename E>
std::string ShortName(E value) {
  return EnumShortName(google::protobuf::GetEnumDescriptor<E>(),
                       static_cast<int>(value));
}

// Parses an RFC 3339 time or "now"; nullopt for an empty value. A bad value
// throws Error naming `option`.
std::optional<google::protobuf::Timestamp> ParseTime(std::string_view option,
                                                     std::string_view value);

// RFC 3339 in UTC.
std::string FormatTime(const google::protobuf::Timestamp& t);

// 32 random hex digits.
std::string NewRequestId();

// The message as protobuf JSON (proto field names) on one line of stdout.
void PrintJson(const google::protobuf::Message& m);

// Prints "key: value" on stdout; nothing when `value` is empty and
// `skip_empty` is set.
void PrintField(std::string_view key, std::string_view value,
                bool skip_empty = false);

}  // namespace gkctl

#endif  // GATEKEEPER_CLIENTS_GKCTL_COMMON_H_
