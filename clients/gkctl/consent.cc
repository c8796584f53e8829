// gkctl consent record | withdraw | list (import and export: consent_file.cc)
#include <CLI/CLI.hpp>
#include <iostream>

#include "clients/gkctl/commands.h"
#include "daemon/common/strings.h"
#include "gatekeeper/v1/consent_service.grpc.pb.h"

namespace gkctl {
namespace {

namespace v1 = gatekeeper::v1;
using gatekeeper::StrCat;

struct RecordOptions {
  std::string customer, purpose, company, phone, notice, channel, evidence,
      collected_by, collected_at, expires_at, request_id;
};

struct WithdrawOptions {
  std::string customer, purpose, company, channel, evidence, reason,
      requested_by, request_id;
};

struct ListOptions {
  std::string customer;
  bool history = false;
};

constexpr char kPurposeHelp[] = "ad-insert | telemarketing";
constexpr char kChannelHelp[] =
    "web-form | paper-form | recorded-call | ivr | counter | import";

// When gkctl chose the request id and the outcome is unknown, the error line
// says how to retry without recording twice.
void CheckWithRetryHint(const grpc::Status& s, bool generated,
                        const std::string& request_id) {
  if (generated && OutcomeUnknown(s)) {
    CheckRpc(s, StrCat(" (retry with --request-id ", request_id, ")"));
  }
  CheckRpc(s);
}

std::string TimeOrNone(bool has, const google::protobuf::Timestamp& t) {
  return has ? FormatTime(t) : "none";
}

void PrintRecord(const v1::ConsentRecord& c) {
  PrintField("consent_id", c.consent_id());
  PrintField("state", ShortName(c.state()));
  PrintField("customer_id", c.customer_id());
  PrintField("purpose", ShortName(c.purpose()));
  PrintField("company_id", c.company_id());
  PrintField("phone_masked", c.phone_masked(), /*skip_empty=*/true);
  PrintField("notice_id", c.notice_id());
  PrintField("channel", ShortName(c.channel()));
  PrintField("evidence_ref", c.evidence_ref());
  PrintField("collected_by", c.collected_by());
  PrintField("collected_at",
             TimeOrNone(c.has_collected_at(), c.collected_at()));
  PrintField("expires_at", TimeOrNone(c.has_expires_at(), c.expires_at()));
  PrintField("audit_seq", std::to_string(c.audit_seq()));
  PrintField("request_id", c.request_id(), /*skip_empty=*/true);
}

// One line per consent: "cns_... GRANTED AD_INSERT company=... ...".
void PrintRecordLine(const v1::ConsentRecord& c) {
  std::cout << c.consent_id() << " " << ShortName(c.state()) << " "
            << ShortName(c.purpose()) << " company=" << c.company_id();
  if (!c.phone_masked().empty()) std::cout << " phone=" << c.phone_masked();
  std::cout << " notice=" << c.notice_id() << " collected_at="
            << TimeOrNone(c.has_collected_at(), c.collected_at())
            << " expires_at=" << TimeOrNone(c.has_expires_at(), c.expires_at())
            << " audit_seq=" << c.audit_seq() << "\n";
}

void PrintEventLine(const v1::ConsentEvent& e) {
  std::cout << "    " << TimeOrNone(e.has_at(), e.at()) << " "
            << ShortName(e.state()) << " channel=" << ShortName(e.channel());
  if (!e.evidence_ref().empty()) std::cout << " evidence=" << e.evidence_ref();
  std::cout << " audit_seq=" << e.audit_seq();
  if (!e.reason().empty()) std::cout << " reason=" << e.reason();
  std::cout << "\n";
}

int Record(const Globals& g, const RecordOptions& o) {
  v1::RecordConsentRequest req;
  const bool generated = o.request_id.empty();
  req.set_request_id(generated ? NewRequestId() : o.request_id);
  req.set_customer_id(o.customer);
  req.set_purpose(ParseEnum<v1::Purpose>("--purpose", o.purpose));
  req.set_company_id(o.company);
  req.set_phone_number(o.phone);
  req.set_notice_id(o.notice);
  req.set_channel(ParseEnum<v1::ConsentChannel>("--channel", o.channel));
  req.set_evidence_ref(o.evidence);
  req.set_collected_by(o.collected_by);
  if (auto t = ParseTime("--collected-at", o.collected_at)) {
    *req.mutable_collected_at() = *t;
  }
  if (auto t = ParseTime("--expires-at", o.expires_at)) {
    *req.mutable_expires_at() = *t;
  }
  v1::ConsentRecord resp;
  auto ctx = NewContext(g);
  CheckWithRetryHint(
      NewStub<v1::ConsentService>(g)->RecordConsent(ctx.get(), req, &resp),
      generated, req.request_id());
  if (g.json) {
    PrintJson(resp);
    return kExitOk;
  }
  // So that the user can always retry with it.
  if (resp.request_id().empty()) resp.set_request_id(req.request_id());
  PrintRecord(resp);
  return kExitOk;
}

int Withdraw(const Globals& g, const WithdrawOptions& o) {
  v1::WithdrawConsentRequest req;
  const bool generated = o.request_id.empty();
  req.set_request_id(generated ? NewRequestId() : o.request_id);
  req.set_customer_id(o.customer);
  req.set_purpose(ParseEnum<v1::Purpose>("--purpose", o.purpose));
  req.set_company_id(o.company);
  req.set_channel(ParseEnum<v1::ConsentChannel>("--channel", o.channel));
  req.set_evidence_ref(o.evidence);
  req.set_reason(o.reason);
  req.set_requested_by(o.requested_by);
  v1::WithdrawConsentResponse resp;
  auto ctx = NewContext(g);
  CheckWithRetryHint(
      NewStub<v1::ConsentService>(g)->WithdrawConsent(ctx.get(), req, &resp),
      generated, req.request_id());
  if (g.json) {
    PrintJson(resp);
    return kExitOk;
  }
  const int n = resp.consents_size();
  std::cout << "withdrew " << n << (n == 1 ? " consent" : " consents")
            << (n == 0 ? " (none was in force)" : "") << ", audit_seq "
            << resp.audit_seq() << "\n";
  for (const auto& c : resp.consents()) {
    std::cout << "  " << c.consent_id() << " " << ShortName(c.purpose())
              << " company=" << c.company_id() << "\n";
  }
  PrintField("request_id", req.request_id());
  return kExitOk;
}

int List(const Globals& g, const ListOptions& o) {
  v1::ListConsentsRequest req;
  req.set_customer_id(o.customer);
  req.set_include_history(o.history);
  v1::ListConsentsResponse resp;
  auto ctx = NewContext(g);
  CheckRpc(NewStub<v1::ConsentService>(g)->ListConsents(ctx.get(), req, &resp));
  if (g.json) {
    PrintJson(resp);
    return kExitOk;
  }
  for (const auto& c : resp.consents()) {
    PrintRecordLine(c);
    for (const auto& e : c.history()) PrintEventLine(e);
  }
  return kExitOk;
}

void AddRecord(CLI::App& group, const Globals& g, Action* action) {
  auto o = std::make_shared<RecordOptions>();
  CLI::App* cmd = group.add_subcommand(
      "record", "Record a customer's consent (prints the consent record)");
  cmd->add_option("--customer", o->customer, "Customer id (required)");
  cmd->add_option("--purpose", o->purpose, StrCat(kPurposeHelp, " (required)"));
  cmd->add_option("--company", o->company,
                  "Group company id from the configuration (required)");
  cmd->add_option("--phone", o->phone,
                  "Phone number the customer consented to be called on "
                  "(required for telemarketing; never stored in clear)");
  cmd->add_option("--notice", o->notice,
                  "Id of the consent notice shown to the customer (required)");
  cmd->add_option("--channel", o->channel, StrCat(kChannelHelp, " (required)"));
  cmd->add_option("--evidence", o->evidence,
                  "Evidence reference: form scan id, call recording id... "
                  "(required)");
  cmd->add_option("--collected-by", o->collected_by,
                  "Who collected the consent (required)");
  cmd->add_option("--collected-at", o->collected_at,
                  "When it was collected: RFC 3339 or now (default: now)");
  cmd->add_option("--expires-at", o->expires_at,
                  "When it expires: RFC 3339 (default: never)");
  cmd->add_option("--request-id", o->request_id,
                  "Idempotency key; generated and printed when absent. Retry "
                  "with the same key to avoid recording twice");
  OnSelect(cmd, action, [&g, o] { return Record(g, *o); });
}

void AddWithdraw(CLI::App& group, const Globals& g, Action* action) {
  auto o = std::make_shared<WithdrawOptions>();
  CLI::App* cmd = group.add_subcommand(
      "withdraw", "Withdraw every consent of a customer in scope, at once");
  cmd->add_option("--customer", o->customer, "Customer id (required)");
  cmd->add_option("--purpose", o->purpose,
                  StrCat(kPurposeHelp, " (default: every purpose)"));
  cmd->add_option("--company", o->company,
                  "Group company id (default: every company)");
  cmd->add_option("--channel", o->channel,
                  StrCat(kChannelHelp, ": how the withdrawal came (required)"));
  cmd->add_option("--evidence", o->evidence, "Evidence reference");
  cmd->add_option("--reason", o->reason, "Free-text reason");
  cmd->add_option("--requested-by", o->requested_by,
                  "Who took the withdrawal (operator id, system name)");
  cmd->add_option("--request-id", o->request_id,
                  "Idempotency key; generated and printed when absent");
  OnSelect(cmd, action, [&g, o] { return Withdraw(g, *o); });
}

void AddList(CLI::App& group, const Globals& g, Action* action) {
  auto o = std::make_shared<ListOptions>();
  CLI::App* cmd =
      group.add_subcommand("list", "List a customer's consents, one per line");
  cmd->add_option("--customer", o->customer, "Customer id (required)");
  cmd->add_flag("--history", o->history,
                "Also list withdrawn consents, with every event indented");
  OnSelect(cmd, action, [&g, o] { return List(g, *o); });
}

}  // namespace

void AddConsentCommands(CLI::App& app, const Globals& g, Action* action) {
  CLI::App* group = app.add_subcommand(
      "consent", "Record, withdraw, list, import and export consents");
  group->require_subcommand(1);
  AddRecord(*group, g, action);
  AddWithdraw(*group, g, action);
  AddList(*group, g, action);
  AddConsentFileCommands(*group, g, action);
}

}  // namespace gkctl
