// libgkdial: the C API of gk_dial.h over the DialGate gRPC stub.
//
// The messages are a lite-generated copy of the protos, private to this
// library (see CMakeLists.txt): the full-runtime copy registers its
// descriptors with libprotobuf's global pool, and a process that loaded two
// full copies (this library and, say, a C++ dialer built with gk_proto) would
// abort at start-up.
//
// Fail closed: every path but a well-formed VERDICT_ALLOW from the daemon
// returns BLOCK. No exception leaves the library.
//
// Thread-safety: a gk_dial holds an immutable target, timeout and a gRPC
// channel and stub, which are thread-safe; each call builds its own context
// and result. Results are immutable once returned.
#include "gk_dial.h"

#include <grpcpp/grpcpp.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "clients/common/channel.h"
#include "gatekeeper/v1/dial_gate.grpc.pb.h"

namespace v1 = gatekeeper::v1;

struct gk_dial {
  std::chrono::milliseconds timeout{GK_DIAL_DEFAULT_TIMEOUT_MS};
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::DialGate::Stub> stub;
};

struct gk_result {
  gk_error error = GK_OK;
  int grpc_code = -1;
  std::string error_message;
  uint64_t audit_seq = 0;

  gk_verdict verdict = GK_VERDICT_BLOCK;
  std::string decision_id;
  std::string consent_id;
  std::vector<std::string> reasons;
  std::vector<gk_reason> reason_codes;
  std::string explanation;
  int64_t decided_at_ms = 0;
  std::string seller_name;
  std::string seller_address;
  std::string seller_phone;
  std::string goods_type;
  std::string solicitation_statement;
  std::string agent;
  std::string script;

  bool compliant = false;
  std::vector<std::string> violations;

  std::vector<std::string> do_not_solicit_ids;
  std::vector<std::string> withdrawn_consent_ids;
};

static_assert(sizeof(gk_disclosure_item) == sizeof(int) &&
                  sizeof(gk_call_outcome) == sizeof(int),
              "the C enums are ints");

namespace {

// The C constants are the proto numbers; a value added to the protos must be
// added to gk_dial.h.
template <typename C, typename P>
constexpr bool Same(C c, P p) {
  return static_cast<int>(c) == static_cast<int>(p);
}
static_assert(Same(GK_VERDICT_ALLOW, v1::VERDICT_ALLOW));
static_assert(Same(GK_VERDICT_BLOCK, v1::VERDICT_BLOCK));
static_assert(Same(GK_REASON_CONSENT_ON_RECORD, v1::REASON_CONSENT_ON_RECORD));
static_assert(Same(GK_REASON_NO_CONSENT, v1::REASON_NO_CONSENT));
static_assert(Same(GK_REASON_CONSENT_WITHDRAWN, v1::REASON_CONSENT_WITHDRAWN));
static_assert(Same(GK_REASON_CONSENT_EXPIRED, v1::REASON_CONSENT_EXPIRED));
static_assert(Same(GK_REASON_PHONE_NOT_CONSENTED,
                   v1::REASON_PHONE_NOT_CONSENTED));
static_assert(Same(GK_REASON_UNKNOWN_CAMPAIGN, v1::REASON_UNKNOWN_CAMPAIGN));
static_assert(Same(GK_REASON_CAMPAIGN_NOT_APPROVED,
                   v1::REASON_CAMPAIGN_NOT_APPROVED));
static_assert(Same(GK_REASON_CAMPAIGN_OUTSIDE_WINDOW,
                   v1::REASON_CAMPAIGN_OUTSIDE_WINDOW));
static_assert(Same(GK_REASON_CAMPAIGN_WRONG_KIND,
                   v1::REASON_CAMPAIGN_WRONG_KIND));
static_assert(Same(GK_REASON_DO_NOT_SOLICIT, v1::REASON_DO_NOT_SOLICIT));
static_assert(Same(GK_REASON_OUTSIDE_CALLING_HOURS,
                   v1::REASON_OUTSIDE_CALLING_HOURS));
static_assert(Same(GK_REASON_FREQUENCY_CAP, v1::REASON_FREQUENCY_CAP));
static_assert(Same(GK_REASON_INTERNAL_ERROR, v1::REASON_INTERNAL_ERROR));
static_assert(Same(GK_REASON_INTERNAL_ERROR, v1::Reason_MAX));
static_assert(Same(GK_DISCLOSURE_SELLER_NAME, v1::DISCLOSURE_ITEM_SELLER_NAME));
static_assert(Same(GK_DISCLOSURE_AGENT_NAME, v1::DISCLOSURE_ITEM_AGENT_NAME));
static_assert(Same(GK_DISCLOSURE_GOODS_TYPE, v1::DISCLOSURE_ITEM_GOODS_TYPE));
static_assert(Same(GK_DISCLOSURE_SOLICITATION_PURPOSE,
                   v1::DISCLOSURE_ITEM_SOLICITATION_PURPOSE));
static_assert(Same(GK_DISCLOSURE_SOLICITATION_PURPOSE, v1::DisclosureItem_MAX));
static_assert(Same(GK_OUTCOME_NO_ANSWER, v1::CALL_OUTCOME_NO_ANSWER));
static_assert(Same(GK_OUTCOME_BUSY, v1::CALL_OUTCOME_BUSY));
static_assert(Same(GK_OUTCOME_REFUSED, v1::CALL_OUTCOME_REFUSED));
static_assert(Same(GK_OUTCOME_DO_NOT_CALL_REQUESTED,
                   v1::CALL_OUTCOME_DO_NOT_CALL_REQUESTED));
static_assert(Same(GK_OUTCOME_CALLBACK_REQUESTED,
                   v1::CALL_OUTCOME_CALLBACK_REQUESTED));
static_assert(Same(GK_OUTCOME_APPLIED, v1::CALL_OUTCOME_APPLIED));
static_assert(Same(GK_OUTCOME_CONTRACTED, v1::CALL_OUTCOME_CONTRACTED));
static_assert(Same(GK_OUTCOME_WRONG_PARTY, v1::CALL_OUTCOME_WRONG_PARTY));
static_assert(Same(GK_OUTCOME_WRONG_PARTY, v1::CallOutcome_MAX));

// The options of the first release: a struct_size below this is an error.
constexpr size_t kOptionsV1Size =
    offsetof(gk_dial_options, timeout_ms) + sizeof(int32_t);

// A field of the caller's options, or NULL when its struct predates it.
const char* PathField(const gk_dial_options* o, size_t offset) {
  if (o->struct_size < offset + sizeof(const char*)) return nullptr;
  const char* value = nullptr;
  std::memcpy(&value, reinterpret_cast<const char*>(o) + offset, sizeof value);
  return value;
}

// What an allocation failure returns: built at load time, never freed.
const gk_result kOutOfMemory = [] {
  gk_result r;
  r.error = GK_ERR_NO_MEMORY;
  r.error_message = "NO_MEMORY: out of memory";
  r.reasons = {"NO_MEMORY"};
  r.reason_codes = {GK_REASON_UNSPECIFIED};
  r.explanation = r.error_message;
  return r;
}();

const gk_result& View(const gk_result* r) { return r ? *r : kOutOfMemory; }

gk_result* OutOfMemory() { return const_cast<gk_result*>(&kOutOfMemory); }

// "UNAVAILABLE", ...: absl's codes are gRPC's.
std::string CodeName(grpc::StatusCode code) {
  std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? "UNKNOWN" : name;
}

// Control characters (newlines included) become spaces: one line.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return s;
}

std::string Str(const char* s) { return s ? std::string(s) : std::string(); }

// A result that says BLOCK because of `error`; `name` is its one reason.
gk_result* Failure(gk_error error, int grpc_code, const std::string& name,
                   const std::string& detail) {
  try {
    auto r = std::make_unique<gk_result>();
    r->error = error;
    r->grpc_code = grpc_code;
    r->error_message = OneLine(detail.empty() ? name : name + ": " + detail);
    r->reasons = {name};
    r->reason_codes = {GK_REASON_UNSPECIFIED};
    r->explanation = r->error_message;
    return r.release();
  } catch (...) {
    return OutOfMemory();
  }
}

gk_result* InvalidArgument(const std::string& detail) {
  return Failure(GK_ERR_INVALID_ARGUMENT, -1, "INVALID_ARGUMENT", detail);
}

gk_result* RpcFailure(const grpc::Status& s) {
  std::string message = s.error_message();
  if (message.empty()) message = "(no message)";
  return Failure(GK_ERR_RPC, static_cast<int>(s.error_code()),
                 CodeName(s.error_code()), message);
}

gk_result* Malformed(const std::string& detail) {
  return Failure(GK_ERR_MALFORMED_RESPONSE, 0, "MALFORMED_RESPONSE", detail);
}

// Runs `body` (which returns a gk_result*) so that nothing escapes: memory
// exhaustion and any other exception become error results.
template <typename F>
gk_result* Guard(F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return OutOfMemory();
  } catch (const std::exception& e) {
    return Failure(GK_ERR_INTERNAL, -1, "INTERNAL", e.what());
  } catch (...) {
    return Failure(GK_ERR_INTERNAL, -1, "INTERNAL", "unknown exception");
  }
}

std::unique_ptr<grpc::ClientContext> NewContext(const gk_dial& h) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + h.timeout);
  return ctx;
}

google::protobuf::Timestamp FromMillis(int64_t ms) {
  google::protobuf::Timestamp t;
  int64_t seconds = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  t.set_seconds(seconds);
  t.set_nanos(static_cast<int32_t>(millis * 1'000'000));
  return t;
}

int64_t ToMillis(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1'000'000;
}

std::string ReasonName(int code) {
  if (v1::Reason_IsValid(code)) {
    const std::string& full = v1::Reason_Name(static_cast<v1::Reason>(code));
    constexpr std::string_view kPrefix = "REASON_";
    if (full.compare(0, kPrefix.size(), kPrefix) == 0) {
      return full.substr(kPrefix.size());
    }
    if (!full.empty()) return full;
  }
  return std::to_string(code);
}

// The opening of the call, to be read out (特定商取引法 Art. 16: who sells,
// who speaks, what goods, that it is a solicitation).
std::string Script(const gk_result& r) {
  std::string s = r.seller_name + "の" + r.agent + "と申します。\n";
  s += r.solicitation_statement + "\n";
  if (!r.goods_type.empty()) {
    s += "ご案内する商品・役務: " + r.goods_type + "\n";
  }
  s += "販売業者: " + r.seller_name;
  if (!r.seller_address.empty()) s += " (所在地: " + r.seller_address + ")";
  if (!r.seller_phone.empty()) s += " 電話番号: " + r.seller_phone;
  return s;
}

gk_result* CheckResult(const v1::CheckDialResponse& resp,
                       const std::string& requested_agent) {
  const v1::Decision& d = resp.decision();
  if (d.verdict() != v1::VERDICT_ALLOW && d.verdict() != v1::VERDICT_BLOCK) {
    return Malformed("the decision's verdict is " +
                     std::to_string(d.verdict()) + ", not ALLOW or BLOCK");
  }
  const bool allow = d.verdict() == v1::VERDICT_ALLOW;
  if (allow && d.decision_id().empty()) {
    return Malformed("an ALLOW without a decision id");
  }
  if (allow && resp.disclosure().seller_name().empty()) {
    return Malformed("an ALLOW without the seller's name to disclose");
  }
  auto r = std::make_unique<gk_result>();
  r->grpc_code = 0;
  r->verdict = allow ? GK_VERDICT_ALLOW : GK_VERDICT_BLOCK;
  r->decision_id = d.decision_id();
  r->consent_id = allow ? d.consent_id() : std::string();
  for (int code : d.reasons()) {
    r->reasons.push_back(ReasonName(code));
    r->reason_codes.push_back(v1::Reason_IsValid(code)
                                  ? static_cast<gk_reason>(code)
                                  : GK_REASON_UNSPECIFIED);
  }
  if (r->reasons.empty()) {
    // A BLOCK must say why; the daemon always does, but do not print nothing.
    r->reasons.push_back("UNSPECIFIED");
    r->reason_codes.push_back(GK_REASON_UNSPECIFIED);
  }
  r->explanation = d.explanation();
  r->audit_seq = d.audit_seq();
  r->decided_at_ms = d.has_decided_at() ? ToMillis(d.decided_at()) : 0;
  if (allow) {
    const v1::Disclosure& disc = resp.disclosure();
    r->seller_name = disc.seller_name();
    r->seller_address = disc.seller_address();
    r->seller_phone = disc.seller_phone();
    r->goods_type = disc.goods_type();
    r->solicitation_statement = disc.solicitation_statement();
    r->agent = disc.agent_id().empty() ? requested_agent : disc.agent_id();
    r->script = Script(*r);
  }
  return r.release();
}

const char* Item(const std::vector<std::string>& v, size_t i) {
  return i < v.size() ? v[i].c_str() : "";
}

}  // namespace

extern "C" {

const char* gk_dial_version(void) { return "1.1.0"; }

const char* gk_error_name(gk_error error) {
  switch (error) {
    case GK_OK:
      return "OK";
    case GK_ERR_INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case GK_ERR_RPC:
      return "RPC";
    case GK_ERR_MALFORMED_RESPONSE:
      return "MALFORMED_RESPONSE";
    case GK_ERR_NO_MEMORY:
      return "NO_MEMORY";
    case GK_ERR_INTERNAL:
      return "INTERNAL";
  }
  return "UNKNOWN";
}

void gk_dial_options_init(gk_dial_options* options, size_t struct_size) {
  if (options == nullptr || struct_size < sizeof(size_t)) return;
  // All of the caller's struct, fields newer than this library included:
  // gk_dial_open refuses any of those that is then set.
  std::memset(options, 0, struct_size);
  options->struct_size = struct_size;
  if (struct_size >= offsetof(gk_dial_options, target) + sizeof(const char*)) {
    options->target = GK_DIAL_DEFAULT_TARGET;
  }
  if (struct_size >= kOptionsV1Size) {
    options->timeout_ms = GK_DIAL_DEFAULT_TIMEOUT_MS;
  }
}

gk_error gk_dial_open(const gk_dial_options* options, gk_dial** handle,
                      const char** error_message) {
  const char* ignored = nullptr;
  const char** message = error_message ? error_message : &ignored;
  *message = "";
  if (handle == nullptr) {
    *message = "handle: must not be NULL";
    return GK_ERR_INVALID_ARGUMENT;
  }
  *handle = nullptr;
  if (options == nullptr) {
    *message = "options: must not be NULL";
    return GK_ERR_INVALID_ARGUMENT;
  }
  if (options->struct_size < kOptionsV1Size) {
    *message =
        "options.struct_size: not set or too small (call "
        "gk_dial_options_init first)";
    return GK_ERR_INVALID_ARGUMENT;
  }
  // Options from a newer header: fields this library does not know must be
  // zero, or the caller asked for something (e.g. TLS) we would not do.
  const auto* bytes = reinterpret_cast<const unsigned char*>(options);
  for (size_t i = sizeof(gk_dial_options); i < options->struct_size; ++i) {
    if (bytes[i] != 0) {
      *message =
          "options: sets a field this version of libgkdial does not support";
      return GK_ERR_INVALID_ARGUMENT;
    }
  }
  if (options->target == nullptr || options->target[0] == '\0') {
    *message = "options.target: must not be empty (HOST:PORT)";
    return GK_ERR_INVALID_ARGUMENT;
  }
  if (options->timeout_ms < 1 || options->timeout_ms > GK_DIAL_MAX_TIMEOUT_MS) {
    *message = "options.timeout_ms: must be from 1 to 86400000";
    return GK_ERR_INVALID_ARGUMENT;
  }
  try {
    auto h = std::make_unique<gk_dial>();
    h->timeout = std::chrono::milliseconds(options->timeout_ms);
    grpc::ChannelArguments args;
    args.SetUserAgentPrefix(std::string("gkdial/") + gk_dial_version());
    // A daemon that restarts is found again within a second, not after
    // gRPC's default backoff of up to two minutes (calls made meanwhile fail
    // closed with UNAVAILABLE).
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    gatekeeper::clients::ChannelSecurity security;
    const std::pair<size_t, std::string*> paths[] = {
        {offsetof(gk_dial_options, tls_ca_file), &security.tls_ca},
        {offsetof(gk_dial_options, cert_file), &security.cert},
        {offsetof(gk_dial_options, key_file), &security.key},
        {offsetof(gk_dial_options, token_file), &security.token_file}};
    for (const auto& [offset, out] : paths) {
      if (const char* v = PathField(options, offset)) *out = v;
    }
    std::string error;
    h->channel = gatekeeper::clients::OpenChannel(options->target, security,
                                                  args, &error);
    if (h->channel == nullptr) {
      // OpenChannel names gkctl's flags; the library's fields are these.
      for (const auto& [flag, field] :
           {std::pair<std::string, std::string>{"--tls-ca", "tls_ca_file"},
            {"--cert", "cert_file"},
            {"--key", "key_file"},
            {"--token-file", "token_file"}}) {
        if (error.rfind(flag + ":", 0) == 0) {
          error = "options." + field + error.substr(flag.size());
          break;
        }
      }
      thread_local std::string last_error;
      last_error = std::move(error);
      *message = last_error.c_str();
      return GK_ERR_INVALID_ARGUMENT;
    }
    h->stub = v1::DialGate::NewStub(h->channel);
    *handle = h.release();
    return GK_OK;
  } catch (const std::bad_alloc&) {
    *message = "out of memory";
    return GK_ERR_NO_MEMORY;
  } catch (...) {
    *message = "could not create the gRPC channel";
    return GK_ERR_INTERNAL;
  }
}

void gk_dial_close(gk_dial* handle) { delete handle; }

gk_result* gk_dial_check(gk_dial* handle, const char* phone_number,
                         const char* campaign_id, const char* customer_id,
                         const char* agent_id) {
  return Guard([&]() -> gk_result* {
    if (handle == nullptr) return InvalidArgument("handle: must not be NULL");
    v1::CheckDialRequest req;
    req.set_phone_number(Str(phone_number));
    req.set_campaign_id(Str(campaign_id));
    req.set_customer_id(Str(customer_id));
    req.set_agent_id(Str(agent_id));
    v1::CheckDialResponse resp;
    auto ctx = NewContext(*handle);
    const grpc::Status s = handle->stub->CheckDial(ctx.get(), req, &resp);
    if (!s.ok()) return RpcFailure(s);
    return CheckResult(resp, req.agent_id());
  });
}

gk_result* gk_dial_report_disclosure(gk_dial* handle, const char* decision_id,
                                     const char* agent_id,
                                     const gk_disclosure_item* items,
                                     size_t item_count, int64_t disclosed_at_ms,
                                     int64_t pitch_started_at_ms,
                                     const char* recording_ref) {
  return Guard([&]() -> gk_result* {
    if (handle == nullptr) return InvalidArgument("handle: must not be NULL");
    if (items == nullptr && item_count > 0) {
      return InvalidArgument("items: NULL with a non-zero item_count");
    }
    v1::ReportDisclosureRequest req;
    req.set_decision_id(Str(decision_id));
    req.set_agent_id(Str(agent_id));
    for (size_t i = 0; i < item_count; ++i) {
      // A C caller may pass any int; in C++ loading a value outside the
      // enum's range is undefined, so the bytes are read as an int.
      int item;
      std::memcpy(&item, &items[i], sizeof item);
      if (item == 0 || !v1::DisclosureItem_IsValid(item)) {
        return InvalidArgument("items[" + std::to_string(i) +
                               "]: unknown disclosure item " +
                               std::to_string(item));
      }
      req.add_items(static_cast<v1::DisclosureItem>(item));
    }
    if (disclosed_at_ms != 0) {
      *req.mutable_disclosed_at() = FromMillis(disclosed_at_ms);
    }
    if (pitch_started_at_ms != 0) {
      *req.mutable_pitch_started_at() = FromMillis(pitch_started_at_ms);
    }
    req.set_recording_ref(Str(recording_ref));
    v1::ReportDisclosureResponse resp;
    auto ctx = NewContext(*handle);
    const grpc::Status s =
        handle->stub->ReportDisclosure(ctx.get(), req, &resp);
    if (!s.ok()) return RpcFailure(s);
    auto r = std::make_unique<gk_result>();
    r->grpc_code = 0;
    r->compliant = resp.compliant();
    r->violations.assign(resp.violations().begin(), resp.violations().end());
    r->audit_seq = resp.audit_seq();
    return r.release();
  });
}

gk_result* gk_dial_report_outcome(gk_dial* handle, const char* decision_id,
                                  const char* agent_id, gk_call_outcome outcome,
                                  const char* note) {
  return Guard([&]() -> gk_result* {
    if (handle == nullptr) return InvalidArgument("handle: must not be NULL");
    int value;  // as items above: any int from C
    std::memcpy(&value, &outcome, sizeof value);
    if (value == 0 || !v1::CallOutcome_IsValid(value)) {
      return InvalidArgument("outcome: unknown call outcome " +
                             std::to_string(value));
    }
    v1::ReportOutcomeRequest req;
    req.set_decision_id(Str(decision_id));
    req.set_agent_id(Str(agent_id));
    req.set_outcome(static_cast<v1::CallOutcome>(value));
    req.set_note(Str(note));
    v1::ReportOutcomeResponse resp;
    auto ctx = NewContext(*handle);
    const grpc::Status s = handle->stub->ReportOutcome(ctx.get(), req, &resp);
    if (!s.ok()) return RpcFailure(s);
    auto r = std::make_unique<gk_result>();
    r->grpc_code = 0;
    r->audit_seq = resp.audit_seq();
    for (const v1::DoNotSolicitEntry& e : resp.do_not_solicit()) {
      r->do_not_solicit_ids.push_back(e.entry_id());
    }
    r->withdrawn_consent_ids.assign(resp.withdrawn_consent_ids().begin(),
                                    resp.withdrawn_consent_ids().end());
    return r.release();
  });
}

void gk_result_free(gk_result* result) {
  if (result != &kOutOfMemory) delete result;
}

gk_error gk_result_error(const gk_result* r) { return View(r).error; }
const char* gk_result_error_message(const gk_result* r) {
  return View(r).error_message.c_str();
}
int gk_result_grpc_code(const gk_result* r) { return View(r).grpc_code; }
uint64_t gk_result_audit_seq(const gk_result* r) { return View(r).audit_seq; }

gk_verdict gk_result_verdict(const gk_result* r) {
  const gk_result& v = View(r);
  return v.error == GK_OK && v.verdict == GK_VERDICT_ALLOW ? GK_VERDICT_ALLOW
                                                           : GK_VERDICT_BLOCK;
}
const char* gk_result_decision_id(const gk_result* r) {
  return View(r).decision_id.c_str();
}
const char* gk_result_consent_id(const gk_result* r) {
  return View(r).consent_id.c_str();
}
size_t gk_result_reason_count(const gk_result* r) {
  return View(r).reasons.size();
}
const char* gk_result_reason(const gk_result* r, size_t i) {
  return Item(View(r).reasons, i);
}
gk_reason gk_result_reason_code(const gk_result* r, size_t i) {
  const gk_result& v = View(r);
  return i < v.reason_codes.size() ? v.reason_codes[i] : GK_REASON_UNSPECIFIED;
}
const char* gk_result_explanation(const gk_result* r) {
  return View(r).explanation.c_str();
}
int64_t gk_result_decided_at_ms(const gk_result* r) {
  return View(r).decided_at_ms;
}
const char* gk_result_seller_name(const gk_result* r) {
  return View(r).seller_name.c_str();
}
const char* gk_result_seller_address(const gk_result* r) {
  return View(r).seller_address.c_str();
}
const char* gk_result_seller_phone(const gk_result* r) {
  return View(r).seller_phone.c_str();
}
const char* gk_result_goods_type(const gk_result* r) {
  return View(r).goods_type.c_str();
}
const char* gk_result_solicitation_statement(const gk_result* r) {
  return View(r).solicitation_statement.c_str();
}
const char* gk_result_agent(const gk_result* r) {
  return View(r).agent.c_str();
}
const char* gk_result_script(const gk_result* r) {
  return View(r).script.c_str();
}

int gk_result_compliant(const gk_result* r) {
  const gk_result& v = View(r);
  return v.error == GK_OK && v.compliant ? 1 : 0;
}
size_t gk_result_violation_count(const gk_result* r) {
  return View(r).violations.size();
}
const char* gk_result_violation(const gk_result* r, size_t i) {
  return Item(View(r).violations, i);
}

size_t gk_result_do_not_solicit_count(const gk_result* r) {
  return View(r).do_not_solicit_ids.size();
}
const char* gk_result_do_not_solicit_id(const gk_result* r, size_t i) {
  return Item(View(r).do_not_solicit_ids, i);
}
size_t gk_result_withdrawn_consent_count(const gk_result* r) {
  return View(r).withdrawn_consent_ids.size();
}
const char* gk_result_withdrawn_consent_id(const gk_result* r, size_t i) {
  return Item(View(r).withdrawn_consent_ids, i);
}

}  // extern "C"
