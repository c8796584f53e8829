#include "daemon/config/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "daemon/common/iso_duration.h"
#include "daemon/common/local_time.h"
#include "daemon/common/strings.h"
#include "daemon/config/security_config.h"

namespace gatekeeper {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr uint32_t kDefaultMaxBatch = 512;

class YamlToProto {
 public:
  explicit YamlToProto(std::string_view source) : source_(source) {}

  absl::Status Message(const YAML::Node& node, const std::string& path,
                       google::protobuf::Message* msg) {
    if (!node.IsMap()) {
      return Error(node, path, "expected a mapping");
    }
    const Descriptor* desc = msg->GetDescriptor();
    std::set<std::string> seen;
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      const std::string child = path.empty() ? key : path + "." + key;
      const FieldDescriptor* field = desc->FindFieldByName(key);
      if (field == nullptr) {
        return Error(kv.first, child, "unknown key");
      }
      if (!seen.insert(key).second) {
        return Error(kv.first, child, "duplicate key");
      }
      absl::Status s = Field(kv.second, child, field, msg);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Field(const YAML::Node& node, const std::string& path,
                     const FieldDescriptor* field,
                     google::protobuf::Message* msg) {
    if (node.IsNull()) return absl::OkStatus();
    if (field->is_repeated()) {
      if (!node.IsSequence()) return Error(node, path, "expected a list");
      for (size_t i = 0; i < node.size(); ++i) {
        absl::Status s =
            Element(node[i], StrCat(path, "[", i, "]"), field, msg);
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    }
    return Element(node, path, field, msg);
  }

  absl::Status Element(const YAML::Node& node, const std::string& path,
                       const FieldDescriptor* field,
                       google::protobuf::Message* msg) {
    const Reflection* r = msg->GetReflection();
    const bool rep = field->is_repeated();
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      google::protobuf::Message* sub =
          rep ? r->AddMessage(msg, field) : r->MutableMessage(msg, field);
      return Message(node, path, sub);
    }
    if (!node.IsScalar()) return Error(node, path, "expected a scalar");
    const std::string text = node.Scalar();
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        rep ? r->AddString(msg, field, text) : r->SetString(msg, field, text);
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t v;
        if (!absl::SimpleAtoi(text, &v)) {
          return Error(node, path, "expected a non-negative integer");
        }
        rep ? r->AddUInt32(msg, field, v) : r->SetUInt32(msg, field, v);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool v;
        if (!absl::SimpleAtob(text, &v)) {
          return Error(node, path, "expected true or false");
        }
        rep ? r->AddBool(msg, field, v) : r->SetBool(msg, field, v);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const EnumDescriptor* e = field->enum_type();
        // PURPOSE_AD_INSERT may be written AD_INSERT; *_UNSPECIFIED never.
        std::vector<std::string> allowed;
        for (int i = 0; i < e->value_count(); ++i) {
          const auto* v = e->value(i);
          if (v->number() == 0) continue;
          std::string shortname(
              absl::StripPrefix(v->name(), SnakePrefix(e->name())));
          allowed.push_back(shortname);
          if (text == shortname || text == v->name()) {
            rep ? r->AddEnumValue(msg, field, v->number())
                : r->SetEnumValue(msg, field, v->number());
            return absl::OkStatus();
          }
        }
        return Error(node, path,
                     StrCat("unknown value \"", text, "\" (expected one of ",
                            absl::StrJoin(allowed, ", "), ")"));
      }
      default:
        return Error(node, path, "unsupported field type");
    }
  }

  // "ConsentChannel" -> "CONSENT_CHANNEL_".
  static std::string SnakePrefix(std::string_view camel) {
    std::string out;
    for (size_t i = 0; i < camel.size(); ++i) {
      const char c = camel[i];
      if (i > 0 && absl::ascii_isupper(c)) out.push_back('_');
      out.push_back(absl::ascii_toupper(c));
    }
    out.push_back('_');
    return out;
  }

  absl::Status Error(const YAML::Node& node, const std::string& path,
                     std::string_view what) const {
    const YAML::Mark mark = node.Mark();
    std::string where(source_);
    if (mark.line >= 0) StrAppend(&where, ":", mark.line + 1);
    return absl::InvalidArgumentError(
        StrCat(where, ": ", path.empty() ? "(top level)" : path, ": ", what));
  }

  std::string_view source_;
};

absl::Status Invalid(std::string_view key, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(key, ": ", what));
}

// The four items of 特定商取引法 Art. 16.
void DefaultProfile(google::protobuf::RepeatedField<int>* items) {
  items->Add(gatekeeper::v1::DISCLOSURE_ITEM_SELLER_NAME);
  items->Add(gatekeeper::v1::DISCLOSURE_ITEM_AGENT_NAME);
  items->Add(gatekeeper::v1::DISCLOSURE_ITEM_GOODS_TYPE);
  items->Add(gatekeeper::v1::DISCLOSURE_ITEM_SOLICITATION_PURPOSE);
}

absl::Status ValidateProfile(std::string_view key,
                             google::protobuf::RepeatedField<int>* items) {
  if (items->empty()) DefaultProfile(items);
  std::set<int> seen;
  for (int i = 0; i < items->size(); ++i) {
    if (!seen.insert(items->Get(i)).second) {
      return Invalid(StrCat(key, "[", i, "]"), "duplicate item");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAdDisplayItems(Config& config) {
  if (config.ad_display_items().empty()) {
    for (const std::string& item : DefaultAdDisplayItems()) {
      config.add_ad_display_items(item);
    }
  }
  std::set<std::string> seen;
  for (int i = 0; i < config.ad_display_items_size(); ++i) {
    const std::string& item = config.ad_display_items(i);
    const std::string key = StrCat("ad_display_items[", i, "]");
    bool ok = !item.empty() && item.size() <= 64;
    for (char c : item) {
      ok = ok && (absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '_');
    }
    if (!ok) return Invalid(key, "expected a key of [A-Z0-9_], e.g. PRICE");
    if (!seen.insert(item).second) return Invalid(key, "duplicate item");
  }
  return absl::OkStatus();
}

absl::Status ValidateCallingRules(Config& config) {
  auto* hours = config.mutable_calling_hours();
  if (hours->start().empty()) hours->set_start("09:00");
  if (hours->end().empty()) hours->set_end("20:00");
  auto start = ParseTimeOfDay(hours->start(), /*allow_end_of_day=*/false);
  if (!start.ok()) {
    return Invalid("calling_hours.start",
                   std::string(start.status().message()));
  }
  auto end = ParseTimeOfDay(hours->end(), /*allow_end_of_day=*/true);
  if (!end.ok()) {
    return Invalid("calling_hours.end", std::string(end.status().message()));
  }
  if (*end <= *start) {
    return Invalid("calling_hours.end",
                   StrCat("must be later than start (", hours->start(),
                          "); hours may not wrap past midnight"));
  }
  for (int i = 0; i < config.blackout_dates_size(); ++i) {
    auto day = ParseIsoDate(config.blackout_dates(i));
    if (!day.ok()) {
      return Invalid(StrCat("blackout_dates[", i, "]"),
                     StrCat("\"", config.blackout_dates(i),
                            "\": ", day.status().message()));
    }
  }
  auto* profiles = config.mutable_disclosure_profiles();
  if (absl::Status s = ValidateProfile("disclosure_profiles.TOKUSHOHO",
                                       profiles->mutable_tokushoho());
      !s.ok()) {
    return s;
  }
  return ValidateProfile("disclosure_profiles.TELECOM_BUSINESS_ACT",
                         profiles->mutable_telecom_business_act());
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<Config> ParseConfigYaml(std::string_view yaml,
                                       std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        StrCat(source, ":", e.mark.line + 1, ": ", e.msg));
  }
  Config config;
  if (!root.IsDefined() || root.IsNull()) {
    return absl::InvalidArgumentError(StrCat(source, ": empty file"));
  }
  try {
    absl::Status s = YamlToProto(source).Message(root, "", &config);
    if (!s.ok()) return s;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        StrCat(source, ":", e.mark.line + 1, ": ", e.msg));
  }
  return config;
}

const std::vector<std::string>& DefaultAdDisplayItems() {
  static const std::vector<std::string> items = {"PRICE",
                                                 "SHIPPING_FEE",
                                                 "PAYMENT_TIMING_METHOD",
                                                 "DELIVERY_TIMING",
                                                 "APPLICATION_PERIOD",
                                                 "CANCELLATION_RETURN_TERMS",
                                                 "RESPONSIBLE_PERSON"};
  return items;
}

absl::StatusOr<int> ParseUtcOffset(std::string_view text) {
  // [+-]HH:MM
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') ||
      text[3] != ':') {
    return absl::InvalidArgumentError("expected [+-]HH:MM, e.g. \"+09:00\"");
  }
  int hh, mm;
  if (!absl::SimpleAtoi(AsAbsl(text.substr(1, 2)), &hh) ||
      !absl::SimpleAtoi(AsAbsl(text.substr(4, 2)), &mm) || hh > 14 || mm > 59) {
    return absl::InvalidArgumentError("expected [+-]HH:MM, e.g. \"+09:00\"");
  }
  const int seconds = hh * 3600 + mm * 60;
  return text[0] == '-' ? -seconds : seconds;
}

absl::Status ValidateConfig(Config& config) {
  if (config.listen().empty()) return Invalid("listen", "is required");
  if (config.listen().rfind(':') == std::string::npos) {
    return Invalid("listen", "expected host:port");
  }
  if (config.data_dir().empty()) return Invalid("data_dir", "is required");
  if (config.utc_offset().empty()) config.set_utc_offset("+09:00");
  if (auto off = ParseUtcOffset(config.utc_offset()); !off.ok()) {
    return Invalid("utc_offset", std::string(off.status().message()));
  }
  if (config.has_event_log()) {
    const std::string& path = config.event_log().path();
    if (path.empty()) return Invalid("event_log.path", "is required");
    if (path.back() == '/') {
      return Invalid("event_log.path", "names a directory; expected a file");
    }
  }
  if (config.has_http()) {
    const std::string& l = config.http().listen();
    if (l.empty()) return Invalid("http.listen", "is required");
    if (l.rfind(':') == std::string::npos) {
      return Invalid("http.listen", "expected host:port");
    }
  }
  if (absl::Status s = ValidateSecurityConfig(config); !s.ok()) return s;
  if (absl::Status s = ValidateLimits(config); !s.ok()) return s;
  if (config.watch_audit().stalled_after_seconds() == 0) {
    config.mutable_watch_audit()->set_stalled_after_seconds(10);
  }
  if (config.audit_checkpoints().interval_seconds() == 0) {
    config.mutable_audit_checkpoints()->set_interval_seconds(60);
  }
  if (config.audit_checkpoints().interval_seconds() > 3600) {
    return Invalid("audit_checkpoints.interval_seconds",
                   "must be at most 3600 (a checkpoint at least hourly)");
  }
  {
    auto* r = config.mutable_retention();
    if (r->decisions().empty()) r->set_decisions("P1Y");
    if (r->provision_records().empty()) r->set_provision_records("P3Y");
    if (r->withdrawn_consents().empty()) r->set_withdrawn_consents("P3Y");
    if (r->disclosure_reports().empty()) r->set_disclosure_reports("P3Y");
    const std::pair<const char*, const std::string*> periods[] = {
        {"retention.decisions", &r->decisions()},
        {"retention.provision_records", &r->provision_records()},
        {"retention.withdrawn_consents", &r->withdrawn_consents()},
        {"retention.disclosure_reports", &r->disclosure_reports()}};
    for (const auto& [key, text] : periods) {
      auto d = ParseIsoDuration(*text);
      if (!d.ok()) return Invalid(key, std::string(d.status().message()));
    }
    if (*ParseIsoDuration(r->provision_records()) < *ParseIsoDuration("P3Y")) {
      return Invalid("retention.provision_records",
                     "must be at least P3Y (APPI Art. 30: records of "
                     "provision are kept three years)");
    }
  }
  if (config.watch_audit().max_backlog() == 0) {
    config.mutable_watch_audit()->set_max_backlog(100000);
  }
  if (config.max_batch() == 0) config.set_max_batch(kDefaultMaxBatch);
  if (config.max_batch() > 10000) {
    return Invalid("max_batch", "must be at most 10000");
  }
  if (config.solicitation_statement().empty()) {
    config.set_solicitation_statement(
        "本日は、{goods_type}のご契約のご案内(勧誘)"
        "のためにお電話いたしました。");
  }
  if (config.companies_size() == 0) {
    return Invalid("companies", "at least one company is required");
  }
  std::set<std::string> companies;
  for (int i = 0; i < config.companies_size(); ++i) {
    const auto& c = config.companies(i);
    const std::string key = StrCat("companies[", i, "]");
    if (!IsIdentifier(c.id())) {
      return Invalid(key + ".id",
                     "is required: 1-64 characters of [A-Za-z0-9._-]");
    }
    if (!companies.insert(c.id()).second) {
      return Invalid(key + ".id", StrCat("duplicate id \"", c.id(), "\""));
    }
    // Seller disclosures (特定商取引法 Art. 16, Art. 11) need all four.
    if (c.legal_name().empty())
      return Invalid(key + ".legal_name", "is required");
    if (c.address().empty()) return Invalid(key + ".address", "is required");
    if (c.phone().empty()) return Invalid(key + ".phone", "is required");
    if (c.representative().empty()) {
      return Invalid(key + ".representative", "is required");
    }
  }
  if (absl::Status s = ValidateCallingRules(config); !s.ok()) return s;
  if (absl::Status s = ValidateAdDisplayItems(config); !s.ok()) return s;
  std::set<std::string> notices;
  for (int i = 0; i < config.notices_size(); ++i) {
    const auto& n = config.notices(i);
    const std::string key = StrCat("notices[", i, "]");
    if (!IsIdentifier(n.id())) {
      return Invalid(key + ".id",
                     "is required: 1-64 characters of [A-Za-z0-9._-]");
    }
    if (!notices.insert(n.id()).second) {
      return Invalid(key + ".id", StrCat("duplicate id \"", n.id(), "\""));
    }
    if (n.purpose() == gatekeeper::v1::PURPOSE_UNSPECIFIED) {
      return Invalid(key + ".purpose", "is required");
    }
    if (n.company_ids_size() == 0) {
      return Invalid(key + ".company_ids", "at least one company is required");
    }
    for (int j = 0; j < n.company_ids_size(); ++j) {
      if (companies.count(n.company_ids(j)) == 0) {
        return Invalid(StrCat(key, ".company_ids[", j, "]"),
                       StrCat("unknown company \"", n.company_ids(j), "\""));
      }
    }
    if (n.text().empty()) return Invalid(key + ".text", "is required");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  if (in.is_open()) buf << in.rdbuf();
  if (!in.is_open() || in.bad()) {
    return absl::NotFoundError(StrCat(path, ": cannot read file"));
  }
  return buf.str();
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  auto text = ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return LoadConfigText(*text, path);
}

absl::StatusOr<Config> LoadConfigText(std::string_view yaml,
                                      std::string_view source) {
  auto config = ParseConfigYaml(yaml, source);
  if (!config.ok()) return config.status();
  absl::Status s = ValidateConfig(*config);
  if (!s.ok()) {
    return absl::InvalidArgumentError(StrCat(source, ": ", s.message()));
  }
  return config;
}

ConfigIndex::ConfigIndex(Config config) : config_(std::move(config)) {
  for (const auto& c : config_.companies()) companies_[c.id()] = &c;
  for (const auto& n : config_.notices()) notices_[n.id()] = &n;
}

const Company* ConfigIndex::FindCompany(std::string_view id) const {
  auto it = companies_.find(id);
  return it == companies_.end() ? nullptr : it->second;
}

const Notice* ConfigIndex::FindNotice(std::string_view id) const {
  auto it = notices_.find(id);
  return it == notices_.end() ? nullptr : it->second;
}

}  // namespace gatekeeper
