// The decision path shared by InsertGate and DialGate: read the state, ask the
// pure policy, log the decision, and answer only once the log entry is durable.
// An ALLOWed dial also writes its provision record and counts against the
// frequency caps, in the decision's transaction. Fails closed: a read failure
// becomes BLOCK/REASON_INTERNAL_ERROR, an audit failure an error status; never
// ALLOW. Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_GATES_H_
#define GATEKEEPER_DAEMON_SERVER_GATES_H_

#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "daemon/common/clock.h"
#include "daemon/common/phone.h"
#include "daemon/ops/metrics.h"
#include "daemon/policy/calling.h"
#include "daemon/server/live_config.h"
#include "daemon/store/store.h"
#include "gatekeeper/v1/dial_gate.pb.h"
#include "gatekeeper/v1/insert_gate.pb.h"

namespace gatekeeper {

// How long a provision record is kept (APPI 規則 21: 3 years).
inline constexpr Micros kProvisionRetention = 3 * 365 * 86'400'000'000LL;

class Gates {
 public:
  // `metrics` (optional) counts each answered decision and its duration.
  // Each decision reads one snapshot of `config` (calling rules, companies,
  // the solicitation statement).
  Gates(Store& store, const LiveConfig& config,
        const Pseudonymizer& pseudonymizer, const Clock& clock,
        Metrics* metrics = nullptr)
      : store_(store),
        config_(config),
        pseudonymizer_(pseudonymizer),
        clock_(clock),
        metrics_(metrics) {}

  using InsertDone = std::function<void(absl::StatusOr<v1::Decision>)>;
  using DialDone = std::function<void(absl::StatusOr<v1::CheckDialResponse>)>;

  // `done` runs exactly once, possibly on another thread. Malformed requests
  // get INVALID_ARGUMENT before anything is logged.
  void CheckInsert(const v1::CheckInsertRequest& req, InsertDone done);
  void CheckDial(const v1::CheckDialRequest& req, DialDone done);

  // A decision whose inputs changed before its entry was logged (or whose
  // ALLOW another dial pushed over a cap) is made again; the kMaxAttempts-th
  // attempt is made inside the store's writer, where the inputs cannot
  // change, so every check gets an answer.
  static constexpr int kMaxAttempts = 3;

 private:
  // Reads the inputs from `state`, decides (pure policy), fills `out` and
  // returns what to write.
  // `received`: when the check arrived (for the entry's latency_us).
  DecisionWrite BuildInsert(StateView& state, const v1::CheckInsertRequest& req,
                            Micros received, v1::Decision& out) const;
  // The number to dial, parsed and pseudonymised once per check.
  struct DialTarget {
    ParsedPhone phone;
    std::string pseudonym;
  };
  // `subjects`, when given, receives the customers whose consents and
  // do-not-solicit entries were read (for the conflict check).
  DecisionWrite BuildDial(StateView& state, const v1::CheckDialRequest& req,
                          const DialTarget& target, Micros received,
                          v1::CheckDialResponse& out,
                          std::vector<std::string>* subjects) const;
  // What every ALLOWed dial of a campaign shares: the disclosure but for the
  // agent, the provision's recipient, and both as JSON. Built once per
  // campaign value and config; a changed campaign (a new value) or a
  // reloaded config gets a new one.
  struct DialScript {
    std::shared_ptr<const v1::Campaign> campaign;  // built from
    uint64_t config_generation = 0;                // built from
    v1::Disclosure disclosure;                     // agent_id empty
    std::string disclosure_json;                   // without agent_id
    std::shared_ptr<const v1::ProvisionRecord> recipient;
    std::string provision_json;  // recipient and data items only
  };
  std::shared_ptr<const DialScript> ScriptFor(
      const std::shared_ptr<const v1::Campaign>& campaign,
      const Company& company, const ConfigSnapshot& config) const;
  // Counts an answered decision (metrics_ may be null).
  void Count(const v1::Decision& d, v1::Purpose purpose,
             const std::string& campaign_id, Micros received) const;
  void DecideInsert(const v1::CheckInsertRequest& req, Micros received,
                    int attempt, InsertDone done);
  void DecideDial(const v1::CheckDialRequest& req, const DialTarget& target,
                  Micros received, int attempt, DialDone done);

  Store& store_;
  const LiveConfig& config_;
  const Pseudonymizer& pseudonymizer_;
  const Clock& clock_;
  Metrics* const metrics_;
  mutable std::shared_mutex scripts_mu_;
  // By campaign id; guarded by scripts_mu_.
  mutable std::unordered_map<std::string, std::shared_ptr<const DialScript>>
      scripts_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_GATES_H_
