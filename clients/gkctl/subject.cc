// gkctl subject report: everything held and decided about one customer, for
// answering a disclosure request (APPI Art. 33); and gkctl dnc list | clear:
// the do-not-solicit entries (特定商取引法 Art. 17).
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "clients/gkctl/commands.h"
#include "daemon/common/strings.h"
#include "gatekeeper/v1/audit_service.grpc.pb.h"
#include "gatekeeper/v1/consent_service.grpc.pb.h"

namespace gkctl {
namespace {

namespace v1 = gatekeeper::v1;
using gatekeeper::StrCat;

struct ReportOptions {
  std::string customer, requested_by;
};

struct DncListOptions {
  std::string customer, phone;
  bool all = false;
};

struct DncClearOptions {
  std::string entry, evidence, requested_by, reason;
};

template <typename E>
std::string Names(const google::protobuf::RepeatedField<int>& values) {
  std::string out;
  for (int v : values) {
    if (!out.empty()) out += ",";
    out += ShortName(static_cast<E>(v));
  }
  return out;
}

std::string JoinText(const google::protobuf::RepeatedPtrField<std::string>& v,
                     std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

void PrintEntryLine(const v1::DoNotSolicitEntry& e) {
  std::cout << e.entry_id() << " " << (e.active() ? "ACTIVE" : "CLEARED")
            << " customer=" << e.customer_id();
  if (!e.phone_masked().empty()) std::cout << " phone=" << e.phone_masked();
  std::cout << " company=" << e.company_id() << " goods="
            << (e.all_goods_types() ? std::string("*") : e.goods_type())
            << " since=" << FormatTime(e.created_at())
            << " source=" << ShortName(e.source())
            << " decision=" << e.decision_id() << " agent=" << e.agent_id()
            << " audit_seq=" << e.audit_seq();
  if (!e.active()) {
    std::cout << " cleared_at=" << FormatTime(e.cleared_at())
              << " cleared_by=" << e.cleared_by()
              << " evidence=" << e.cleared_evidence_ref();
  }
  std::cout << "\n";
}

void PrintReport(const v1::SubjectReportResponse& r) {
  PrintField("customer_id", r.customer_id());
  PrintField("generated_at", FormatTime(r.generated_at()));
  PrintField("audit_seq", std::to_string(r.audit_seq()));
  std::cout << "consents: " << r.consents_size() << "\n";
  for (const auto& c : r.consents()) {
    std::cout << "  " << c.consent_id() << " " << ShortName(c.state()) << " "
              << ShortName(c.purpose()) << " company=" << c.company_id();
    if (!c.phone_masked().empty()) std::cout << " phone=" << c.phone_masked();
    std::cout << " notice=" << c.notice_id() << " evidence=" << c.evidence_ref()
              << " collected_at=" << FormatTime(c.collected_at()) << "\n";
    for (const auto& h : c.history()) {
      std::cout << "    " << FormatTime(h.at()) << " " << ShortName(h.state())
                << " " << ShortName(h.channel());
      if (!h.evidence_ref().empty())
        std::cout << " evidence=" << h.evidence_ref();
      if (!h.reason().empty()) std::cout << " reason=" << h.reason();
      std::cout << " audit_seq=" << h.audit_seq() << "\n";
    }
  }
  std::cout << "provision_records: " << r.provisions_size() << "\n";
  for (const auto& p : r.provisions()) {
    std::cout << "  " << FormatTime(p.provided_at()) << " to "
              << p.recipient_name() << " (" << p.recipient_address() << ", "
              << p.recipient_representative()
              << ") items=" << JoinText(p.data_items(), ",")
              << " phone=" << p.phone_masked() << " consent=" << p.consent_id()
              << " decision=" << p.decision_id()
              << " retain_until=" << FormatTime(p.retain_until()) << "\n";
  }
  std::cout << "decisions: " << r.decisions_size() << "\n";
  for (const auto& d : r.decisions()) {
    std::cout << "  " << FormatTime(d.decided_at()) << " "
              << ShortName(d.purpose()) << " " << ShortName(d.verdict()) << " "
              << Names<v1::Reason>(d.reasons())
              << " campaign=" << d.campaign_id();
    if (!d.phone_masked().empty()) std::cout << " phone=" << d.phone_masked();
    if (!d.agent_id().empty()) std::cout << " agent=" << d.agent_id();
    if (!d.document_id().empty()) std::cout << " document=" << d.document_id();
    std::cout << " decision=" << d.decision_id()
              << " audit_seq=" << d.audit_seq() << "\n";
  }
  std::cout << "disclosure_reports: " << r.disclosure_reports_size() << "\n";
  for (const auto& d : r.disclosure_reports()) {
    std::cout << "  " << FormatTime(d.disclosed_at()) << " "
              << (d.compliant() ? "COMPLIANT" : "VIOLATION")
              << " items=" << Names<v1::DisclosureItem>(d.items())
              << " agent=" << d.agent_id() << " decision=" << d.decision_id();
    if (!d.recording_ref().empty())
      std::cout << " recording=" << d.recording_ref();
    std::cout << " audit_seq=" << d.audit_seq() << "\n";
    for (const auto& v : d.violations()) std::cout << "    - " << v << "\n";
  }
  std::cout << "outcomes: " << r.outcomes_size() << "\n";
  for (const auto& o : r.outcomes()) {
    std::cout << "  " << FormatTime(o.reported_at()) << " "
              << ShortName(o.outcome()) << " agent=" << o.agent_id()
              << " decision=" << o.decision_id()
              << " audit_seq=" << o.audit_seq();
    if (!o.note().empty()) std::cout << " note=" << o.note();
    std::cout << "\n";
  }
  std::cout << "do_not_solicit: " << r.do_not_solicit_size() << "\n";
  for (const auto& e : r.do_not_solicit()) {
    std::cout << "  ";
    PrintEntryLine(e);
  }
}

// Who runs gkctl, for the log when --requested-by is not given.
std::string LoginName() {
  if (const char* user = std::getenv("USER"); user != nullptr && *user) {
    return user;
  }
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) {
    return pw->pw_name;
  }
  return StrCat("uid:", ::getuid());
}

int Report(const Globals& g, const ReportOptions& o) {
  v1::SubjectReportRequest req;
  req.set_customer_id(o.customer);
  req.set_requested_by(o.requested_by.empty() ? LoginName() : o.requested_by);
  v1::SubjectReportResponse resp;
  auto ctx = NewContext(g);
  CheckRpc(NewStub<v1::AuditService>(g)->SubjectReport(ctx.get(), req, &resp));
  if (g.json) {
    PrintJson(resp);
  } else {
    PrintReport(resp);
  }
  return kExitOk;
}

int DncList(const Globals& g, const DncListOptions& o) {
  v1::ListDoNotSolicitRequest req;
  if (!o.customer.empty() && !o.phone.empty()) {
    throw Error("--customer and --phone: give one of them");
  }
  if (!o.phone.empty()) {
    req.set_phone_number(o.phone);
  } else {
    req.set_customer_id(o.customer);
  }
  req.set_include_cleared(o.all);
  v1::ListDoNotSolicitResponse resp;
  auto ctx = NewContext(g);
  CheckRpc(
      NewStub<v1::ConsentService>(g)->ListDoNotSolicit(ctx.get(), req, &resp));
  if (g.json) {
    PrintJson(resp);
    return kExitOk;
  }
  for (const auto& e : resp.entries()) PrintEntryLine(e);
  return kExitOk;
}

int DncClear(const Globals& g, const DncClearOptions& o) {
  v1::ClearDoNotSolicitRequest req;
  req.set_entry_id(o.entry);
  req.set_evidence_ref(o.evidence);
  req.set_requested_by(o.requested_by);
  req.set_reason(o.reason);
  v1::DoNotSolicitEntry resp;
  auto ctx = NewContext(g);
  CheckRpc(
      NewStub<v1::ConsentService>(g)->ClearDoNotSolicit(ctx.get(), req, &resp));
  if (g.json) {
    PrintJson(resp);
  } else {
    PrintEntryLine(resp);
  }
  return kExitOk;
}

}  // namespace

void AddSubjectCommands(CLI::App& app, const Globals& g, Action* action) {
  CLI::App* group = app.add_subcommand(
      "subject", "Answer a customer's disclosure request (APPI Art. 33)");
  group->require_subcommand(1);
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = group->add_subcommand(
      "report",
      "Everything held and decided about one customer: consents with their "
      "history, provision records, decisions, disclosure reports, outcomes, "
      "do-not-solicit entries (phone numbers masked). The request is logged");
  cmd->add_option("--customer", o->customer, "Customer id (required)");
  cmd->add_option("--requested-by", o->requested_by,
                  "Who asks: operator id or case number (logged; default: "
                  "the login name)");
  OnSelect(cmd, action, [&g, o] { return Report(g, *o); });
}

void AddDncCommands(CLI::App& app, const Globals& g, Action* action) {
  CLI::App* group = app.add_subcommand(
      "dnc", "Do-not-solicit entries (特定商取引法 Art. 17): list and clear");
  group->require_subcommand(1);
  auto l = std::make_shared<DncListOptions>();
  CLI::App* list = group->add_subcommand(
      "list", "Entries of a customer or a number, newest first, one a line");
  list->add_option("--customer", l->customer, "Customer id");
  list->add_option("--phone", l->phone, "Phone number (any common format)");
  list->add_flag("--all", l->all, "Also cleared entries");
  OnSelect(list, action, [&g, l] { return DncList(g, *l); });
  auto c = std::make_shared<DncClearOptions>();
  CLI::App* clear = group->add_subcommand(
      "clear",
      "Clear an entry on the customer's own request to be called again; the "
      "entry stays in the history");
  clear->add_option("--entry", c->entry, "Entry id, dns_... (required)");
  clear->add_option("--evidence", c->evidence,
                    "Evidence of the customer's request: recording or form id "
                    "(required)");
  clear->add_option("--requested-by", c->requested_by,
                    "Who took the request (required)");
  clear->add_option("--reason", c->reason, "Free text");
  OnSelect(clear, action, [&g, c] { return DncClear(g, *c); });
}

}  // namespace gkctl
