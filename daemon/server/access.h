// Who may call what (README, "Security"). Every RPC handler asks Check
// first: the caller is authenticated to a configured principal (a bearer
// token in `authorization`, or the client certificate's subject alternative
// name or common name under mutual TLS), and the principal's roles must allow
// the method (policy/access_policy.h). A refusal is UNAUTHENTICATED or
// PERMISSION_DENIED and is logged as an "access.denied" audit entry, rate
// limited so that a flood of refused calls cannot flood the log. A principal
// over limits.rate_per_principal is RESOURCE_EXHAUSTED, logged the same way.
// With no principals configured, every call is allowed (development on
// loopback). Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_ACCESS_H_
#define GATEKEEPER_DAEMON_SERVER_ACCESS_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/common/clock.h"
#include "daemon/server/deadline_watch.h"
#include "daemon/server/live_config.h"
#include "daemon/server/principals.h"
#include "daemon/store/store.h"

namespace gatekeeper {

// The rate limit of access.denied entries: per caller (a principal, or an
// unauthenticated address) a burst of kPerCallerBurst and then one every
// 12 s, and kAllBurst for all callers together, then one a second. Pure:
// the time comes in. Not thread-safe.
class DenialLimiter {
 public:
  static constexpr double kPerCallerBurst = 5;
  static constexpr double kPerCallerPerSecond = 5.0 / 60;
  static constexpr double kAllBurst = 60;
  static constexpr double kAllPerSecond = 1;
  // Beyond this many callers remembered, the idle ones are forgotten.
  static constexpr size_t kMaxCallers = 4096;

  // True when this denial is to be logged; then `suppressed` is the number of
  // the caller's denials not logged since its last logged one.
  bool Admit(const std::string& caller, Micros now, uint64_t* suppressed);

 private:
  struct Bucket {
    double tokens = 0;
    Micros at = 0;
    uint64_t suppressed = 0;
  };
  static bool Take(Bucket& b, double burst, double per_second, Micros now);

  Bucket all_{kAllBurst, 0, 0};
  std::map<std::string, Bucket, std::less<>> callers_;
};

// limits.rate_per_principal: a bucket per principal holding one second's
// worth of calls, refilled at `rate` a second. Pure: the time comes in. Not
// thread-safe. Principals come from the config, so the map stays small.
class CallRateLimiter {
 public:
  // 0 when the call may start (and is counted); else how long, in
  // microseconds, until it could.
  Micros Take(const std::string& principal, uint32_t rate, Micros now);

 private:
  struct Bucket {
    double tokens = 0;
    Micros at = 0;
  };
  std::map<std::string, Bucket, std::less<>> buckets_;
};

class Access {
 public:
  Access(const LiveConfig& config, Store& store, const Clock& clock);

  struct Caller {
    grpc::Status status;  // OK, UNAUTHENTICATED or PERMISSION_DENIED
    // Who calls; nullopt when no principals are configured (or refused).
    std::optional<Principal> principal;
    // What the call holds until the last copy of the Caller goes: its
    // deadline watch (limits.default_deadline_ms) and, for a stream
    // (CheckStream), its place among the principal's open streams.
    std::shared_ptr<void> held;
  };
  // A field of the request that names a person (actor, collected_by,
  // requested_by, approver, agent_id): its name in errors, and its value.
  struct Named {
    std::string_view field;
    std::string_view value;
  };

  // `method` is the full gRPC name, "/gatekeeper.v1.ConsentService/...".
  // With authentication on, each of `named` must also name the caller itself
  // unless its roles act for others (policy::MayActForOthers): else
  // PERMISSION_DENIED, logged like any refusal. An empty field is left to
  // the request's own validation.
  // A call that carries no deadline is watched (DeadlineWatch) while the
  // Caller is held, except WatchAudit, a subscription the client ends.
  Caller Check(const grpc::ServerContextBase& ctx, std::string_view method,
               std::initializer_list<Named> named = {});

  // Check, for a streaming RPC: also takes one of the principal's
  // limits.max_streams_per_principal, held by the returned Caller (keep it
  // until the stream ends); RESOURCE_EXHAUSTED, logged, when none is left.
  Caller CheckStream(const grpc::ServerContextBase& ctx,
                     std::string_view method,
                     std::initializer_list<Named> named = {});

  // The same check of named fields for a caller already admitted, for a
  // stream whose first message names its actor.
  grpc::Status CheckNamed(const grpc::ServerContextBase& ctx,
                          std::string_view method, const Caller& caller,
                          std::initializer_list<Named> named);

 private:
  // Check without the deadline watch.
  Caller Admit(const grpc::ServerContextBase& ctx, std::string_view method,
               std::initializer_list<Named> named);
  // Logs the refusal unless the rate limit says not to; returns the status.
  grpc::Status Deny(const grpc::ServerContextBase& ctx, std::string_view method,
                    const std::string& principal, grpc::Status status);

  const LiveConfig& config_;
  Store& store_;
  const Clock& clock_;
  std::mutex mu_;
  DenialLimiter limiter_;                                 // guarded by mu_
  CallRateLimiter rates_;                                 // guarded by mu_
  std::map<std::string, uint32_t, std::less<>> streams_;  // guarded by mu_
  DeadlineWatch deadlines_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_ACCESS_H_
