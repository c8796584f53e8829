// gkctl campaign create | approve | retire | get | list
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <vector>

#include "clients/gkctl/commands.h"
#include "daemon/common/crypto.h"
#include "gatekeeper/v1/campaign_service.grpc.pb.h"

namespace gkctl {
namespace {

namespace v1 = gatekeeper::v1;

struct CreateOptions {
  std::string id, kind, company, goods_type, starts_at, ends_at, actor,
      description, regime, calling_window, leaflet, leaflet_sha256,
      legal_review;
  std::vector<std::string> display;  // KEY=VALUE
};

// approve, retire and get: a campaign id and, but for get, who acts.
struct TransitionOptions {
  std::string id, who;
};

struct ListOptions {
  std::string company, kind;
};

void PrintCampaign(const v1::Campaign& c) {
  PrintField("campaign_id", c.campaign_id());
  PrintField("kind", ShortName(c.kind()));
  PrintField("state", ShortName(c.state()));
  PrintField("company_id", c.company_id());
  PrintField("goods_type", c.goods_type(), /*skip_empty=*/true);
  PrintField("starts_at", FormatTime(c.starts_at()));
  PrintField("ends_at", FormatTime(c.ends_at()));
  if (c.regime() != v1::REGIME_UNSPECIFIED) {
    PrintField("regime", ShortName(c.regime()));
  }
  PrintField("leaflet_sha256", c.leaflet_sha256(), /*skip_empty=*/true);
  PrintField("legal_review_id", c.legal_review_id(), /*skip_empty=*/true);
  if (!c.calling_window_start().empty()) {
    PrintField("calling_window",
               c.calling_window_start() + "-" + c.calling_window_end());
  }
  PrintField("description", c.description(), /*skip_empty=*/true);
  PrintField("created_by", c.created_by());
  if (c.has_created_at()) PrintField("created_at", FormatTime(c.created_at()));
  PrintField("approved_by", c.approved_by(), /*skip_empty=*/true);
  if (c.has_approved_at()) {
    PrintField("approved_at", FormatTime(c.approved_at()));
  }
  // Sorted, for stable output.
  const std::map<std::string, std::string> disclosures(c.disclosures().begin(),
                                                       c.disclosures().end());
  for (const auto& [k, v] : disclosures) {
    std::cout << "disclosures[" << k << "]: " << v << "\n";
  }
}

void PrintCampaignLine(const v1::Campaign& c) {
  std::cout << c.campaign_id() << " " << ShortName(c.kind()) << " "
            << ShortName(c.state()) << " company=" << c.company_id()
            << " window=" << FormatTime(c.starts_at()) << "/"
            << FormatTime(c.ends_at()) << " created_by=" << c.created_by();
  if (!c.approved_by().empty()) std::cout << " approved_by=" << c.approved_by();
  std::cout << "\n";
}

int Output(const Globals& g, const v1::Campaign& c) {
  if (g.json) {
    PrintJson(c);
  } else {
    PrintCampaign(c);
  }
  return kExitOk;
}

int Create(const Globals& g, const CreateOptions& o) {
  v1::CreateCampaignRequest req;
  v1::Campaign* c = req.mutable_campaign();
  c->set_campaign_id(o.id);
  c->set_kind(ParseEnum<v1::CampaignKind>("--kind", o.kind));
  c->set_company_id(o.company);
  c->set_goods_type(o.goods_type);
  if (auto t = ParseTime("--starts-at", o.starts_at))
    *c->mutable_starts_at() = *t;
  if (auto t = ParseTime("--ends-at", o.ends_at)) *c->mutable_ends_at() = *t;
  c->set_description(o.description);
  c->set_regime(ParseEnum<v1::Regime>("--regime", o.regime));
  if (!o.calling_window.empty()) {
    const size_t dash = o.calling_window.find('-');
    if (dash == std::string::npos) {
      throw Error("--calling-window: expected HH:MM-HH:MM, e.g. 10:00-18:00");
    }
    c->set_calling_window_start(o.calling_window.substr(0, dash));
    c->set_calling_window_end(o.calling_window.substr(dash + 1));
  }
  if (!o.leaflet.empty() && !o.leaflet_sha256.empty()) {
    throw Error("--leaflet and --leaflet-sha256: give one of them");
  }
  if (!o.leaflet.empty()) {
    std::ifstream in(o.leaflet, std::ios::binary);
    if (!in) throw Error("--leaflet: cannot read " + o.leaflet);
    const std::string artwork((std::istreambuf_iterator<char>(in)), {});
    c->set_leaflet_sha256(gatekeeper::ToHex(gatekeeper::Sha256(artwork)));
  } else {
    c->set_leaflet_sha256(o.leaflet_sha256);
  }
  c->set_legal_review_id(o.legal_review);
  for (const std::string& kv : o.display) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error("--display: expected KEY=VALUE, e.g. PRICE=月額4,980円");
    }
    (*c->mutable_disclosures())[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  req.set_actor(o.actor);
  v1::Campaign resp;
  auto ctx = NewContext(g);
  CheckRpc(
      NewStub<v1::CampaignService>(g)->CreateCampaign(ctx.get(), req, &resp));
  return Output(g, resp);
}

int Approve(const Globals& g, const TransitionOptions& o) {
  v1::ApproveCampaignRequest req;
  req.set_campaign_id(o.id);
  req.set_approver(o.who);
  v1::Campaign resp;
  auto ctx = NewContext(g);
  CheckRpc(
      NewStub<v1::CampaignService>(g)->ApproveCampaign(ctx.get(), req, &resp));
  return Output(g, resp);
}

int Retire(const Globals& g, const TransitionOptions& o) {
  v1::RetireCampaignRequest req;
  req.set_campaign_id(o.id);
  req.set_actor(o.who);
  v1::Campaign resp;
  auto ctx = NewContext(g);
  CheckRpc(
      NewStub<v1::CampaignService>(g)->RetireCampaign(ctx.get(), req, &resp));
  return Output(g, resp);
}

int Get(const Globals& g, const TransitionOptions& o) {
  v1::GetCampaignRequest req;
  req.set_campaign_id(o.id);
  v1::Campaign resp;
  auto ctx = NewContext(g);
  CheckRpc(NewStub<v1::CampaignService>(g)->GetCampaign(ctx.get(), req, &resp));
  return Output(g, resp);
}

int List(const Globals& g, const ListOptions& o) {
  v1::ListCampaignsRequest req;
  req.set_company_id(o.company);
  req.set_kind(ParseEnum<v1::CampaignKind>("--kind", o.kind));
  v1::ListCampaignsResponse resp;
  auto ctx = NewContext(g);
  CheckRpc(
      NewStub<v1::CampaignService>(g)->ListCampaigns(ctx.get(), req, &resp));
  if (g.json) {
    PrintJson(resp);
    return kExitOk;
  }
  for (const auto& c : resp.campaigns()) PrintCampaignLine(c);
  return kExitOk;
}

void AddCreate(CLI::App& group, const Globals& g, Action* action) {
  auto o = std::make_shared<CreateOptions>();
  CLI::App* cmd = group.add_subcommand(
      "create", "Create a DRAFT campaign (another person must approve it)");
  cmd->add_option("--id", o->id,
                  "Campaign id: [A-Za-z0-9._-], 1 to 64 characters (required)");
  cmd->add_option("--kind", o->kind, "insert | call (required)");
  cmd->add_option("--company", o->company,
                  "Group company id from the configuration (required)");
  cmd->add_option("--goods-type", o->goods_type,
                  "Type of goods or services offered (required for call)");
  cmd->add_option("--starts-at", o->starts_at,
                  "Start of the window: RFC 3339 or now (required)");
  cmd->add_option("--ends-at", o->ends_at,
                  "End of the window (exclusive): RFC 3339 (required)");
  cmd->add_option("--actor", o->actor, "Who creates the campaign (required)");
  cmd->add_option("--description", o->description, "Free-text description");
  cmd->add_option("--regime", o->regime,
                  "call: tokushoho (特定商取引法) | telecom-business-act "
                  "(電気通信事業法); required before approval");
  cmd->add_option("--calling-window", o->calling_window,
                  "call: narrow the calling hours, local HH:MM-HH:MM");
  cmd->add_option("--leaflet", o->leaflet,
                  "insert: the printed artwork file; its SHA-256 is recorded "
                  "(required before approval, or --leaflet-sha256)");
  cmd->add_option("--leaflet-sha256", o->leaflet_sha256,
                  "insert: the artwork's SHA-256, 64 hex digits");
  cmd->add_option("--legal-review", o->legal_review,
                  "insert: the legal review's id (required before approval)");
  cmd->add_option("--display", o->display,
                  "insert: a mail-order display item (特定商取引法 Art. 11), "
                  "KEY=VALUE; repeat for each: PRICE, SHIPPING_FEE, "
                  "PAYMENT_TIMING_METHOD, DELIVERY_TIMING, APPLICATION_PERIOD, "
                  "CANCELLATION_RETURN_TERMS, RESPONSIBLE_PERSON by default");
  OnSelect(cmd, action, [&g, o] { return Create(g, *o); });
}

void AddTransition(CLI::App& group, const Globals& g, Action* action,
                   const char* name, const char* help, const char* who_flag,
                   const char* who_help,
                   int (*run)(const Globals&, const TransitionOptions&)) {
  auto o = std::make_shared<TransitionOptions>();
  CLI::App* cmd = group.add_subcommand(name, help);
  cmd->add_option("--id", o->id, "Campaign id (required)");
  if (who_flag != nullptr) cmd->add_option(who_flag, o->who, who_help);
  OnSelect(cmd, action, [&g, o, run] { return run(g, *o); });
}

void AddList(CLI::App& group, const Globals& g, Action* action) {
  auto o = std::make_shared<ListOptions>();
  CLI::App* cmd = group.add_subcommand("list", "List campaigns, one per line");
  cmd->add_option("--company", o->company, "Only this company's campaigns");
  cmd->add_option("--kind", o->kind,
                  "Only campaigns of this kind: insert | call");
  OnSelect(cmd, action, [&g, o] { return List(g, *o); });
}

}  // namespace

void AddCampaignCommands(CLI::App& app, const Globals& g, Action* action) {
  CLI::App* group = app.add_subcommand(
      "campaign", "Create, approve, retire and inspect campaigns");
  group->require_subcommand(1);
  AddCreate(*group, g, action);
  AddTransition(
      *group, g, action, "approve",
      "Approve a DRAFT campaign (the approver must not be its creator)",
      "--approver", "Who approves (required)", Approve);
  AddTransition(*group, g, action, "retire",
                "Retire a campaign: it allows nothing any more", "--actor",
                "Who retires it (required)", Retire);
  AddTransition(*group, g, action, "get", "Show one campaign", nullptr, nullptr,
                Get);
  AddList(*group, g, action);
}

}  // namespace gkctl
