// gk-dial-hook check | disclosure | outcome: one libgkdial call each, the
// answer printed as "key: value" lines (or one JSON object with --json).
// Errors throw Error (one line on stderr, exit 2): a check that did not get
// the daemon's decision never exits 0. Single-threaded.
#include "clients/dial-hook/commands.h"

#include <absl/time/time.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <vector>

namespace gkhook {
namespace {

struct CheckOptions {
  std::string phone, campaign, agent, customer;
};

struct DisclosureOptions {
  std::string decision, agent, items, disclosed_at, pitch_started_at, recording;
};

struct OutcomeOptions {
  std::string decision, agent, outcome, note;
};

template <typename E>
struct Named {
  const char* name;
  E value;
};

constexpr std::array<Named<gk_disclosure_item>, 4> kItems = {{
    {"seller-name", GK_DISCLOSURE_SELLER_NAME},
    {"agent-name", GK_DISCLOSURE_AGENT_NAME},
    {"goods-type", GK_DISCLOSURE_GOODS_TYPE},
    {"solicitation-purpose", GK_DISCLOSURE_SOLICITATION_PURPOSE},
}};

constexpr std::array<Named<gk_call_outcome>, 8> kOutcomes = {{
    {"no-answer", GK_OUTCOME_NO_ANSWER},
    {"busy", GK_OUTCOME_BUSY},
    {"refused", GK_OUTCOME_REFUSED},
    {"do-not-call-requested", GK_OUTCOME_DO_NOT_CALL_REQUESTED},
    {"callback-requested", GK_OUTCOME_CALLBACK_REQUESTED},
    {"applied", GK_OUTCOME_APPLIED},
    {"contracted", GK_OUTCOME_CONTRACTED},
    {"wrong-party", GK_OUTCOME_WRONG_PARTY},
}};

// One line: control characters (newlines included) become spaces.
std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

// "Goods_Type" and "DISCLOSURE_ITEM_GOODS_TYPE" -> "goods-type" (with the
// prefix "disclosure-item-" removed).
std::string Normalize(std::string_view value, std::string_view prefix) {
  std::string s;
  for (char c : value) {
    s += c == '_'
             ? '-'
             : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (s.compare(0, prefix.size(), prefix) == 0) s.erase(0, prefix.size());
  return s;
}

template <typename E, size_t N>
E ParseName(const std::array<Named<E>, N>& table, std::string_view option,
            std::string_view prefix, std::string_view value) {
  const std::string want = Normalize(value, prefix);
  std::string choices;
  for (const Named<E>& n : table) {
    if (want == n.name) return n.value;
    if (!choices.empty()) choices += ", ";
    choices += n.name;
  }
  throw Error(std::string(option) + ": unknown value \"" + OneLine(value) +
              "\" (expected one of: " + choices + ")");
}

// "seller-name,agent-name" -> items; "" -> none.
std::vector<gk_disclosure_item> ParseItems(const std::string& list) {
  std::vector<gk_disclosure_item> items;
  size_t start = 0;
  while (start <= list.size() && !list.empty()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    std::string_view one(list.data() + start, end - start);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    items.push_back(ParseName(kItems, "--items", "disclosure-item-", one));
    start = end + 1;
  }
  return items;
}

// RFC 3339 or "now", as Unix epoch milliseconds.
int64_t ParseTimeMillis(std::string_view option, const std::string& value) {
  if (Normalize(value, "") == "now") {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, value, &t, &err)) {
    throw Error(std::string(option) + ": invalid time \"" + OneLine(value) +
                "\" (expected RFC 3339, e.g. 2026-12-01T10:00:00+09:00, or "
                "now)");
  }
  return absl::ToUnixMillis(t);
}

std::string Json(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

template <typename Count, typename At>
std::string JsonList(const gk_result* r, Count count, At at) {
  std::string out = "[";
  for (size_t i = 0; i < count(r); ++i) {
    if (i > 0) out += ",";
    out += Json(at(r, i));
  }
  return out + "]";
}

void Field(std::string_view key, std::string_view value) {
  std::cout << key << ": " << OneLine(value) << "\n";
}

// Throws Error with the result's message unless the daemon answered.
void RequireAnswer(const gk_result* r) {
  if (gk_result_error(r) != GK_OK) throw Error(gk_result_error_message(r));
}

void PrintCheck(const gk_result* r) {
  const bool allow = gk_result_verdict(r) == GK_VERDICT_ALLOW;
  std::cout << (allow ? "ALLOW" : "BLOCK") << "\n";
  Field("decision_id", gk_result_decision_id(r));
  if (allow) Field("consent_id", gk_result_consent_id(r));
  Field("audit_seq", std::to_string(gk_result_audit_seq(r)));
  Field("reasons", JoinReasons(r, ", "));
  Field("explanation", gk_result_explanation(r));
  if (!allow) return;
  std::cout << "disclosure:\n";
  Field("  seller_name", gk_result_seller_name(r));
  Field("  seller_address", gk_result_seller_address(r));
  Field("  seller_phone", gk_result_seller_phone(r));
  Field("  goods_type", gk_result_goods_type(r));
  Field("  solicitation_statement", gk_result_solicitation_statement(r));
  Field("  agent", gk_result_agent(r));
  std::cout << "script:\n";
  const std::string script = gk_result_script(r);
  size_t start = 0;
  while (start < script.size()) {
    size_t end = script.find('\n', start);
    if (end == std::string::npos) end = script.size();
    std::cout << "  " << std::string_view(script).substr(start, end - start)
              << "\n";
    start = end + 1;
  }
}

void PrintCheckJson(const gk_result* r) {
  const bool allow = gk_result_verdict(r) == GK_VERDICT_ALLOW;
  std::string out = "{\"verdict\":";
  out += allow ? "\"ALLOW\"" : "\"BLOCK\"";
  out += ",\"decision_id\":" + Json(gk_result_decision_id(r));
  out += ",\"consent_id\":" + Json(gk_result_consent_id(r));
  out += ",\"audit_seq\":" + std::to_string(gk_result_audit_seq(r));
  out +=
      ",\"reasons\":" + JsonList(r, gk_result_reason_count, gk_result_reason);
  out += ",\"explanation\":" + Json(gk_result_explanation(r));
  out += ",\"decided_at_ms\":" + std::to_string(gk_result_decided_at_ms(r));
  if (allow) {
    out +=
        ",\"disclosure\":{\"seller_name\":" + Json(gk_result_seller_name(r)) +
        ",\"seller_address\":" + Json(gk_result_seller_address(r)) +
        ",\"seller_phone\":" + Json(gk_result_seller_phone(r)) +
        ",\"goods_type\":" + Json(gk_result_goods_type(r)) +
        ",\"solicitation_statement\":" +
        Json(gk_result_solicitation_statement(r)) +
        ",\"agent\":" + Json(gk_result_agent(r)) + "}";
    out += ",\"script\":" + Json(gk_result_script(r));
  }
  std::cout << out << "}\n";
}

int Check(const Globals& g, const CheckOptions& o) {
  Handle h = Open(g);
  Result r(gk_dial_check(h.get(), o.phone.c_str(), o.campaign.c_str(),
                         o.customer.c_str(), o.agent.c_str()));
  RequireAnswer(r.get());
  if (g.json) {
    PrintCheckJson(r.get());
  } else {
    PrintCheck(r.get());
  }
  return gk_result_verdict(r.get()) == GK_VERDICT_ALLOW ? kExitOk : kExitBlock;
}

int Disclosure(const Globals& g, const DisclosureOptions& o) {
  const std::vector<gk_disclosure_item> items = ParseItems(o.items);
  const int64_t disclosed_at =
      ParseTimeMillis("--disclosed-at", o.disclosed_at);
  const int64_t pitch_started_at =
      ParseTimeMillis("--pitch-started-at", o.pitch_started_at);
  Handle h = Open(g);
  Result r(gk_dial_report_disclosure(
      h.get(), o.decision.c_str(), o.agent.c_str(), items.data(), items.size(),
      disclosed_at, pitch_started_at, o.recording.c_str()));
  RequireAnswer(r.get());
  const bool compliant = gk_result_compliant(r.get()) == 1;
  if (g.json) {
    std::cout << "{\"compliant\":" << (compliant ? "true" : "false")
              << ",\"violations\":"
              << JsonList(r.get(), gk_result_violation_count,
                          gk_result_violation)
              << ",\"audit_seq\":" << gk_result_audit_seq(r.get()) << "}\n";
  } else {
    std::cout << (compliant ? "COMPLIANT" : "NOT_COMPLIANT") << "\n";
    Field("audit_seq", std::to_string(gk_result_audit_seq(r.get())));
    for (size_t i = 0; i < gk_result_violation_count(r.get()); ++i) {
      Field("violation", gk_result_violation(r.get(), i));
    }
  }
  return compliant ? kExitOk : kExitBlock;
}

int Outcome(const Globals& g, const OutcomeOptions& o) {
  const gk_call_outcome outcome =
      ParseName(kOutcomes, "--outcome", "call-outcome-", o.outcome);
  Handle h = Open(g);
  Result r(gk_dial_report_outcome(h.get(), o.decision.c_str(), o.agent.c_str(),
                                  outcome, o.note.c_str()));
  RequireAnswer(r.get());
  if (g.json) {
    std::cout << "{\"audit_seq\":" << gk_result_audit_seq(r.get())
              << ",\"do_not_solicit\":"
              << JsonList(r.get(), gk_result_do_not_solicit_count,
                          gk_result_do_not_solicit_id)
              << ",\"withdrawn_consent_ids\":"
              << JsonList(r.get(), gk_result_withdrawn_consent_count,
                          gk_result_withdrawn_consent_id)
              << "}\n";
  } else {
    std::cout << "RECORDED\n";
    Field("audit_seq", std::to_string(gk_result_audit_seq(r.get())));
    for (size_t i = 0; i < gk_result_do_not_solicit_count(r.get()); ++i) {
      Field("do_not_solicit", gk_result_do_not_solicit_id(r.get(), i));
    }
    for (size_t i = 0; i < gk_result_withdrawn_consent_count(r.get()); ++i) {
      Field("withdrawn_consent", gk_result_withdrawn_consent_id(r.get(), i));
    }
  }
  return kExitOk;
}

void Select(CLI::App* cmd, Action* action, Action run) {
  cmd->callback([action, run = std::move(run)] { *action = run; });
}

}  // namespace

Handle Open(const Globals& g) {
  gk_dial_options opts;
  gk_dial_options_init(&opts, sizeof opts);
  opts.target = g.target.c_str();
  opts.timeout_ms = g.timeout_ms;
  auto path = [](const std::string& p) {
    return p.empty() ? nullptr : p.c_str();
  };
  opts.tls_ca_file = path(g.security.tls_ca);
  opts.cert_file = path(g.security.cert);
  opts.key_file = path(g.security.key);
  opts.token_file = path(g.security.token_file);
  gk_dial* h = nullptr;
  const char* message = "";
  if (gk_dial_open(&opts, &h, &message) != GK_OK) {
    throw Error(std::string("cannot open the connection: ") + message);
  }
  return Handle(h);
}

std::string JoinReasons(const gk_result* r, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < gk_result_reason_count(r); ++i) {
    if (i > 0) out += sep;
    out += gk_result_reason(r, i);
  }
  return out;
}

void AddCheck(CLI::App& app, const Globals& g, Action* action) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand(
      "check",
      "May this number be dialled for this campaign? Prints the verdict, the "
      "decision id, the reasons and, on ALLOW, the disclosure script. "
      "Exit 0 ALLOW, 1 BLOCK, 2 error (an unreachable or slow daemon "
      "included)");
  cmd->add_option("--phone", o->phone, "Number to dial (Japanese or E.164)")
      ->required();
  cmd->add_option("--campaign", o->campaign, "Call campaign id")->required();
  cmd->add_option("--agent", o->agent,
                  "Agent who will make the call (recorded with the decision)")
      ->required();
  cmd->add_option("--customer", o->customer,
                  "When given, the consent must be this customer's");
  Select(cmd, action, [&g, o] { return Check(g, *o); });
}

void AddDisclosure(CLI::App& app, const Globals& g, Action* action) {
  auto o = std::make_shared<DisclosureOptions>();
  CLI::App* cmd = app.add_subcommand(
      "disclosure",
      "Report what the agent disclosed before the pitch. Exit 0 compliant, 1 "
      "recorded with violations, 2 error");
  cmd->add_option("--decision", o->decision, "The ALLOWed decision's id")
      ->required();
  cmd->add_option("--agent", o->agent, "Agent who made the call")->required();
  cmd->add_option("--items", o->items,
                  "Items disclosed, comma-separated: seller-name, agent-name, "
                  "goods-type, solicitation-purpose (\"\" for none)")
      ->type_name("LIST")
      ->required();
  cmd->add_option("--disclosed-at", o->disclosed_at,
                  "When the disclosures were made (RFC 3339 or now)")
      ->type_name("TIME")
      ->required();
  cmd->add_option("--pitch-started-at", o->pitch_started_at,
                  "When the sales pitch began (RFC 3339 or now)")
      ->type_name("TIME")
      ->required();
  cmd->add_option("--recording", o->recording,
                  "Reference of the call recording");
  Select(cmd, action, [&g, o] { return Disclosure(g, *o); });
}

void AddOutcome(CLI::App& app, const Globals& g, Action* action) {
  auto o = std::make_shared<OutcomeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "outcome",
      "Report how the call ended (refused and do-not-call-requested create "
      "do-not-solicit entries). Exit 0 recorded, 2 error");
  cmd->add_option("--decision", o->decision, "The ALLOWed decision's id")
      ->required();
  cmd->add_option("--agent", o->agent, "Agent who made the call")->required();
  cmd->add_option("--outcome", o->outcome,
                  "no-answer | busy | refused | do-not-call-requested | "
                  "callback-requested | applied | contracted | wrong-party")
      ->type_name("OUTCOME")
      ->required();
  cmd->add_option("--note", o->note, "Free text, e.g. what the customer said");
  Select(cmd, action, [&g, o] { return Outcome(g, *o); });
}

}  // namespace gkhook
