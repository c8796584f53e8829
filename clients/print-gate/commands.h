// print-gate's commands other than decide and redecide (run.h): reconcile
// (what the inserter did, against what the run decided) and pull-list (the
// pieces to pull before mailing). Each returns the exit code or throws Error.
#ifndef GATEKEEPER_CLIENTS_PRINT_GATE_COMMANDS_H_
#define GATEKEEPER_CLIENTS_PRINT_GATE_COMMANDS_H_

#include <string>

#include "clients/print-gate/common.h"

namespace printgate {

struct ReconcileOptions {
  std::string run_id;
  std::string inserted;  // document_id,inserted_codes,status
  // When set: the spoiled pieces' rows of `manifest`, in its format and
  // order, for redecide.
  std::string spoiled_out;
  std::string manifest;
};

// Exit kExitViolation when a piece got a leaflet the run did not allow,
// kExitOk otherwise.
int Reconcile(const Globals& g, const ReconcileOptions& o);

struct PullListOptions {
  std::string run_id;
  std::string out;  // document_id,customer_id,insert_code,reasons
};

int PullList(const Globals& g, const PullListOptions& o);

}  // namespace printgate

#endif  // GATEKEEPER_CLIENTS_PRINT_GATE_COMMANDS_H_
