#include "daemon/server/access.h"

#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "daemon/policy/access_policy.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {
namespace {

constexpr std::string_view kBearer = "Bearer ";

std::vector<std::string> CertificateNames(const grpc::AuthContext& auth) {
  std::vector<std::string> names;
  for (const char* property :
       {"x509_subject_alternative_name", "x509_common_name"}) {
    for (const grpc::string_ref& v : auth.FindPropertyValues(property)) {
      names.emplace_back(v.data(), v.size());
    }
  }
  return names;
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

bool DenialLimiter::Take(Bucket& b, double burst, double per_second,
                         Micros now) {
  if (b.at != 0) {
    b.tokens = std::min(
        burst, b.tokens + per_second * static_cast<double>(now - b.at) / 1e6);
  }
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

bool DenialLimiter::Admit(const std::string& caller, Micros now,
                          uint64_t* suppressed) {
  if (callers_.size() >= kMaxCallers && callers_.count(caller) == 0) {
    // Forget the callers whose bucket has refilled and who owe no count.
    const auto refill =
        static_cast<Micros>(kPerCallerBurst / kPerCallerPerSecond * 1e6);
    for (auto it = callers_.begin(); it != callers_.end();) {
      const bool idle =
          now - it->second.at >= refill && it->second.suppressed == 0;
      it = idle ? callers_.erase(it) : std::next(it);
    }
  }
  // A flood from ever new addresses shares one bucket once the map is full.
  auto it =
      callers_.size() < kMaxCallers || callers_.count(caller) != 0
          ? callers_.try_emplace(caller, Bucket{kPerCallerBurst, 0, 0}).first
          : callers_.try_emplace("*", Bucket{kPerCallerBurst, 0, 0}).first;
  Bucket& mine = it->second;
  // The caller's own burst is not spent when the global one is empty.
  if (!Take(all_, kAllBurst, kAllPerSecond, now) ||
      !Take(mine, kPerCallerBurst, kPerCallerPerSecond, now)) {
    ++mine.suppressed;
    return false;
  }
  *suppressed = mine.suppressed;
  mine.suppressed = 0;
  return true;
}

Micros CallRateLimiter::Take(const std::string& principal, uint32_t rate,
                             Micros now) {
  const double burst = rate;
  auto [it, fresh] = buckets_.try_emplace(principal, Bucket{burst, now});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(
        burst, b.tokens + rate * static_cast<double>(now - b.at) / 1e6);
    b.at = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return std::max<Micros>(
      1, static_cast<Micros>((1 - b.tokens) / rate * 1e6 + 0.5));
}

Access::Access(const LiveConfig& config, Store& store, const Clock& clock)
    : config_(config),
      store_(store),
      clock_(clock),
      deadlines_([](const std::string& method) {
        spdlog::warn(
            "{} cancelled: it carried no deadline and ran past "
            "limits.default_deadline_ms",
            method);
      }) {}

Access::Caller Access::Check(const grpc::ServerContextBase& ctx,
                             std::string_view method,
                             std::initializer_list<Named> named) {
  Caller caller = Admit(ctx, method, named);
  if (caller.status.ok() && !DeadlineWatch::HasDeadline(ctx) &&
      method != "/gatekeeper.v1.AuditService/WatchAudit") {
    caller.held = deadlines_.Watch(
        ctx, method, config_.Get()->config().limits().default_deadline_ms());
  }
  return caller;
}

Access::Caller Access::Admit(const grpc::ServerContextBase& ctx,
                             std::string_view method,
                             std::initializer_list<Named> named) {
  const std::shared_ptr<const ConfigSnapshot> snapshot = config_.Get();
  const Principals& principals = snapshot->principals;
  if (!principals.configured())
    return {grpc::Status::OK, std::nullopt, nullptr};

  // Who: the token and the certificate, when both are there, must agree.
  const Principal* by_token = nullptr;
  bool has_token = false;
  const auto& md = ctx.client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) {
    has_token = true;
    const std::string_view value(it->second.data(), it->second.size());
    if (value.substr(0, kBearer.size()) != kBearer ||
        value.size() == kBearer.size()) {
      return {Deny(ctx, method, "",
                   grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                "authorization: expected \"Bearer TOKEN\"")),
              std::nullopt, nullptr};
    }
    by_token =
        principals.ByTokenSha256(ToHex(Sha256(value.substr(kBearer.size()))));
    if (by_token == nullptr) {
      return {Deny(ctx, method, "",
                   grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                "the bearer token is not a configured "
                                "principal's")),
              std::nullopt, nullptr};
    }
  }
  const Principal* by_cert = nullptr;
  std::vector<std::string> names;
  if (auto auth = ctx.auth_context(); auth != nullptr) {
    names = CertificateNames(*auth);
    by_cert = principals.ByCertificate(names);
  }
  if (by_token != nullptr && by_cert != nullptr && by_token != by_cert) {
    return {Deny(ctx, method, "",
                 grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                              StrCat("the bearer token is ", by_token->name,
                                     "'s but the client certificate is ",
                                     by_cert->name, "'s"))),
            std::nullopt, nullptr};
  }
  const Principal* who = by_token != nullptr ? by_token : by_cert;
  if (who == nullptr) {
    const std::string why =
        names.empty() || has_token
            ? "no credentials: send a bearer token (authorization: Bearer "
              "TOKEN) or a client certificate of a configured principal"
            : StrCat("the client certificate (", Joined(names),
                     ") is not a configured principal's");
    return {Deny(ctx, method, "",
                 grpc::Status(grpc::StatusCode::UNAUTHENTICATED, why)),
            std::nullopt, nullptr};
  }

  // What: the method's roles.
  const RoleSet allowed = policy::RolesFor(method);
  if ((who->roles & allowed) == 0) {
    const std::string name(method.substr(method.empty() ? 0 : 1));
    const std::string why =
        allowed == 0
            ? StrCat("principal ", who->name, " may not call ", name,
                     ": it is in no role's list")
            : StrCat("principal ", who->name, " (", RoleNames(who->roles),
                     ") may not call ", name, ": it needs one of the roles ",
                     RoleNames(allowed));
    return {Deny(ctx, method, who->name,
                 grpc::Status(grpc::StatusCode::PERMISSION_DENIED, why)),
            std::nullopt, nullptr};
  }
  // How often: limits.rate_per_principal.
  const uint32_t rate = snapshot->config().limits().rate_per_principal();
  Micros wait = 0;
  if (rate != 0) {
    std::lock_guard<std::mutex> lock(mu_);
    wait = rates_.Take(who->name, rate, clock_.Now());
  }
  if (wait != 0) {
    return {Deny(ctx, method, who->name,
                 grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                              StrCat("principal ", who->name,
                                     " is over limits.rate_per_principal (",
                                     rate, " calls a second); retry in ",
                                     (wait + 999) / 1000, " ms"))),
            std::nullopt, nullptr};
  }
  Caller caller{grpc::Status::OK, *who, nullptr};
  if (grpc::Status s = CheckNamed(ctx, method, caller, named); !s.ok()) {
    return {s, std::nullopt, nullptr};
  }
  return caller;
}

Access::Caller Access::CheckStream(const grpc::ServerContextBase& ctx,
                                   std::string_view method,
                                   std::initializer_list<Named> named) {
  Caller caller = Check(ctx, method, named);
  if (!caller.status.ok() || !caller.principal) return caller;
  const std::string& name = caller.principal->name;
  const uint32_t most =
      config_.Get()->config().limits().max_streams_per_principal();
  {
    std::lock_guard<std::mutex> lock(mu_);
    uint32_t& open = streams_[name];
    if (most == 0 || open < most) {
      ++open;
      caller.held = std::shared_ptr<void>(
          nullptr, [this, name, watch = std::move(caller.held)](void*) {
            (void)watch;  // released with the slot
            std::lock_guard<std::mutex> released(mu_);
            if (auto it = streams_.find(name); it != streams_.end()) {
              if (--it->second == 0) streams_.erase(it);
            }
          });
      return caller;
    }
  }
  return {Deny(ctx, method, name,
               grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            StrCat("principal ", name, " already holds ", most,
                                   " open streams "
                                   "(limits.max_streams_per_principal); close "
                                   "one first"))),
          std::nullopt, nullptr};
}

grpc::Status Access::CheckNamed(const grpc::ServerContextBase& ctx,
                                std::string_view method, const Caller& caller,
                                std::initializer_list<Named> named) {
  if (!caller.principal || policy::MayActForOthers(caller.principal->roles)) {
    return grpc::Status::OK;
  }
  const Principal& who = *caller.principal;
  for (const Named& n : named) {
    if (n.value.empty() || n.value == who.name) continue;
    return Deny(
        ctx, method, who.name,
        grpc::Status(
            grpc::StatusCode::PERMISSION_DENIED,
            StrCat(n.field, ": principal ", who.name, " (",
                   RoleNames(who.roles), ") may not name \"", n.value,
                   "\": a request names its caller, and only ",
                   RoleNames(policy::kActsForOthers), " act for others")));
  }
  return grpc::Status::OK;
}

grpc::Status Access::Deny(const grpc::ServerContextBase& ctx,
                          std::string_view method, const std::string& principal,
                          grpc::Status status) {
  // An unauthenticated caller is known by its address, without the port.
  std::string peer = ctx.peer();
  std::string key = principal;
  if (key.empty()) {
    key = "@" + peer.substr(0, peer.rfind(':'));
  }
  uint64_t suppressed = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!limiter_.Admit(key, clock_.Now(), &suppressed)) return status;
  }
  v1::AccessDeniedPayload p;
  p.set_method(std::string(method));
  p.set_principal(principal);
  p.set_peer(peer);
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      p.set_code("UNAUTHENTICATED");
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      p.set_code("RESOURCE_EXHAUSTED");
      break;
    default:
      p.set_code("PERMISSION_DENIED");
  }
  p.set_detail(status.error_message());
  p.set_suppressed(suppressed);
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(p, &json, opts);
  auto seq = store_.LogEvent({"access.denied", principal, "", std::move(json)});
  if (!seq.ok()) {
    spdlog::error("access.denied for {} on {} could not be logged: {}", key,
                  method, std::string(seq.status().message()));
  }
  return status;
}

}  // namespace gatekeeper
