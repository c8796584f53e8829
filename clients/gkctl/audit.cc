// gkctl audit tail | watch | verify | run-digest (and audit_proof.cc)
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "clients/gkctl/commands.h"
#include "gatekeeper/v1/audit_service.grpc.pb.h"

namespace gkctl {
namespace {

namespace v1 = gatekeeper::v1;

struct TailOptions {
  uint64_t after = 0;
  uint32_t limit = 0;
  std::string customer;
};

// "seq time kind actor customer payload_json [member_json]"; "-" for an
// empty field; member_json (a print batch's documents of the customer asked
// about) only when there is one.
void PrintEntryLine(const v1::AuditEntry& e) {
  auto or_dash = [](const std::string& s) -> const std::string& {
    static const std::string kDash = "-";
    return s.empty() ? kDash : s;
  };
  std::cout << e.seq() << " " << FormatTime(e.at()) << " " << or_dash(e.kind())
            << " " << or_dash(e.actor()) << " " << or_dash(e.customer_id())
            << " " << or_dash(e.payload_json());
  if (!e.member_json().empty()) std::cout << " " << e.member_json();
  std::cout << "\n";
}

// Prints every entry the stream gives (as --json or lines), flushing each
// when `live`; then fails on the stream's error.
void PrintEntries(const Globals& g, grpc::ClientReader<v1::AuditEntry>& reader,
                  bool live) {
  v1::AuditEntry e;
  while (reader.Read(&e)) {
    if (g.json) {
      PrintJson(e);
    } else {
      PrintEntryLine(e);
    }
    if (live) std::cout.flush();
  }
  std::cout.flush();
  CheckRpc(reader.Finish());
}

int Tail(const Globals& g, const TailOptions& o) {
  v1::QueryAuditRequest req;
  req.set_after_seq(o.after);
  req.set_limit(o.limit);
  req.set_customer_id(o.customer);
  auto stub = NewStub<v1::AuditService>(g);
  auto ctx = NewContext(g);
  auto reader = stub->QueryAudit(ctx.get(), req);
  PrintEntries(g, *reader, /*live=*/false);
  return kExitOk;
}

struct WatchOptions {
  uint64_t after = 0;
  std::vector<std::string> kinds;
};

// Follows the log until interrupted (no deadline), one entry a line as tail
// prints them.
int Watch(const Globals& g, const WatchOptions& o) {
  v1::WatchAuditRequest req;
  req.set_after_seq(o.after);
  for (const std::string& k : o.kinds) req.add_kinds(k);
  auto stub = NewStub<v1::AuditService>(g);
  grpc::ClientContext ctx;
  auto reader = stub->WatchAudit(&ctx, req);
  PrintEntries(g, *reader, /*live=*/true);  // each line as it comes
  return kExitOk;
}

int Verify(const Globals& g) {
  v1::VerifyAuditResponse resp;
  auto ctx = NewContext(g);
  CheckRpc(NewStub<v1::AuditService>(g)->VerifyAudit(
      ctx.get(), v1::VerifyAuditRequest(), &resp));
  if (g.json) {
    PrintJson(resp);
  } else if (resp.ok()) {
    std::cout << "audit log OK: " << resp.entries_checked()
              << " entries verified, head "
              << (resp.head_hash().empty() ? "-" : resp.head_hash()) << "\n";
  } else {
    std::cout << "audit log BROKEN at entry " << resp.first_bad_seq() << ": "
              << resp.detail() << "\n";
  }
  return resp.ok() ? kExitOk : kExitBlock;
}

}  // namespace

void AddAuditCommands(CLI::App& app, const Globals& g, Action* action) {
  CLI::App* group =
      app.add_subcommand("audit", "Read and verify the hash-chained audit log");
  group->require_subcommand(1);

  auto o = std::make_shared<TailOptions>();
  CLI::App* tail = group->add_subcommand(
      "tail",
      "Print audit entries in order, one per line: seq, time, kind, actor, "
      "customer, payload_json, and with --customer, on a print batch, the "
      "customer's documents in it");
  tail->add_option("--after", o->after, "Only entries with seq > SEQ")
      ->type_name("SEQ");
  tail->add_option("--limit", o->limit,
                   "At most N entries (0: the daemon's default, 1000)")
      ->type_name("N");
  tail->add_option("--customer", o->customer, "Only this customer's entries");
  OnSelect(tail, action, [&g, o] { return Tail(g, *o); });

  auto w = std::make_shared<WatchOptions>();
  CLI::App* watch = group->add_subcommand(
      "watch",
      "Print the entries after --after, then each new one as it is committed, "
      "until interrupted (lines as tail prints them)");
  watch->add_option("--after", w->after, "Start after SEQ (0: from the first)")
      ->type_name("SEQ");
  watch
      ->add_option("--kind", w->kinds,
                   "Only entries of this kind (decision.dial), or of kinds "
                   "starting with a prefix ending in \".\" (decision.); "
                   "repeatable")
      ->type_name("KIND");
  OnSelect(watch, action, [&g, w] { return Watch(g, *w); });

  CLI::App* verify = group->add_subcommand(
      "verify",
      "Recompute the whole hash chain. Exit 0 if intact, 1 if broken");
  OnSelect(verify, action, [&g] { return Verify(g); });

  auto run = std::make_shared<std::pair<std::string, uint64_t>>();
  CLI::App* digest = group->add_subcommand(
      "run-digest",
      "Recompute a print run's digest from the log alone (each batch's "
      "documents against its entry, then the run's digest against the one "
      "logged at close). Exit 0 if it matches, 1 if not");
  digest->add_option("--run-id", run->first, "The print run")->required();
  digest
      ->add_option("--after", run->second,
                   "Start reading the log after SEQ (e.g. before the run's "
                   "print.opened entry)")
      ->type_name("SEQ");
  OnSelect(digest, action, [&g, run] {
    return RecomputeRunDigest(g, run->first, run->second);
  });

  AddAuditProofCommands(*group, g, action);
}

}  // namespace gkctl
