// gkctl check insert | dial: ask a gate, print its decision, and exit 0 on
// ALLOW, 1 on BLOCK (and 2 on any error: fail closed).
#include <CLI/CLI.hpp>
#include <iostream>

#include "clients/gkctl/commands.h"
#include "gatekeeper/v1/dial_gate.grpc.pb.h"
#include "gatekeeper/v1/insert_gate.grpc.pb.h"

namespace gkctl {
namespace {

namespace v1 = gatekeeper::v1;

struct InsertOptions {
  std::string customer, campaign, print_run, document;
};

struct DialOptions {
  std::string phone, campaign, customer, agent;
};

// The exit code of a decision; anything but ALLOW or BLOCK is an error.
int VerdictExit(const v1::Decision& d) {
  switch (d.verdict()) {
    case v1::VERDICT_ALLOW:
      return kExitOk;
    case v1::VERDICT_BLOCK:
      return kExitBlock;
    default:
      throw Error(
          "the daemon returned a decision without a verdict (fail closed: "
          "treat as BLOCK)");
  }
}

void PrintDecision(const v1::Decision& d) {
  std::cout << ShortName(d.verdict()) << "\n";
  PrintField("decision_id", d.decision_id());
  PrintField("consent_id", d.consent_id(), /*skip_empty=*/true);
  PrintField("audit_seq", std::to_string(d.audit_seq()));
  std::string reasons;
  for (int r : d.reasons()) {
    if (!reasons.empty()) reasons += ", ";
    reasons += ShortName(static_cast<v1::Reason>(r));
  }
  PrintField("reasons", reasons);
  PrintField("explanation", d.explanation());
}

void PrintDisclosure(const v1::Disclosure& d) {
  std::cout << "disclosure:\n";
  PrintField("  seller_name", d.seller_name());
  PrintField("  seller_address", d.seller_address());
  PrintField("  seller_phone", d.seller_phone());
  PrintField("  goods_type", d.goods_type(), /*skip_empty=*/true);
  PrintField("  solicitation_statement", d.solicitation_statement());
  PrintField("  agent_id", d.agent_id());
}

int Insert(const Globals& g, const InsertOptions& o) {
  v1::CheckInsertRequest req;
  req.set_customer_id(o.customer);
  req.set_campaign_id(o.campaign);
  req.set_print_run_id(o.print_run);
  req.set_document_id(o.document);
  v1::Decision resp;
  auto ctx = NewContext(g);
  CheckRpc(NewStub<v1::InsertGate>(g)->CheckInsert(ctx.get(), req, &resp));
  const int code = VerdictExit(resp);
  if (g.json) {
    PrintJson(resp);
  } else {
    PrintDecision(resp);
  }
  return code;
}

int Dial(const Globals& g, const DialOptions& o) {
  v1::CheckDialRequest req;
  req.set_phone_number(o.phone);
  req.set_campaign_id(o.campaign);
  req.set_customer_id(o.customer);
  req.set_agent_id(o.agent);
  v1::CheckDialResponse resp;
  auto ctx = NewContext(g);
  CheckRpc(NewStub<v1::DialGate>(g)->CheckDial(ctx.get(), req, &resp));
  const int code = VerdictExit(resp.decision());
  if (g.json) {
    PrintJson(resp);
    return code;
  }
  PrintDecision(resp.decision());
  if (resp.has_disclosure()) PrintDisclosure(resp.disclosure());
  return code;
}

void AddInsert(CLI::App& group, const Globals& g, Action* action) {
  auto o = std::make_shared<InsertOptions>();
  CLI::App* cmd = group.add_subcommand(
      "insert",
      "May this campaign's leaflet go into this customer's bill? "
      "Exit 0 ALLOW, 1 BLOCK, 2 error");
  cmd->add_option("--customer", o->customer, "Customer id (required)");
  cmd->add_option("--campaign", o->campaign, "Insert campaign id (required)");
  cmd->add_option("--print-run", o->print_run,
                  "Print run id (for the audit log)");
  cmd->add_option("--document", o->document, "Document (bill) id");
  OnSelect(cmd, action, [&g, o] { return Insert(g, *o); });
}

void AddDial(CLI::App& group, const Globals& g, Action* action) {
  auto o = std::make_shared<DialOptions>();
  CLI::App* cmd = group.add_subcommand(
      "dial",
      "May this number be dialled for this campaign? Prints the seller "
      "disclosure. Exit 0 ALLOW, 1 BLOCK, 2 error");
  cmd->add_option("--phone", o->phone,
                  "Number to dial, Japanese or E.164 format (required)");
  cmd->add_option("--campaign", o->campaign, "Call campaign id (required)");
  cmd->add_option("--customer", o->customer,
                  "When given, the consent must be this customer's");
  cmd->add_option(
      "--agent", o->agent,
      "Agent who will make the call (required; recorded with the decision)");
  OnSelect(cmd, action, [&g, o] { return Dial(g, *o); });
}

}  // namespace

void AddCheckCommands(CLI::App& app, const Globals& g, Action* action) {
  CLI::App* group =
      app.add_subcommand("check", "Ask the insert or dial gate for a decision");
  group->require_subcommand(1);
  AddInsert(*group, g, action);
  AddDial(*group, g, action);
}

}  // namespace gkctl
