#include "daemon/server/payload_json.h"

#include <cstdio>
#include <string_view>

#include "daemon/common/clock.h"

namespace gatekeeper {
namespace {

class JsonObject {
 public:
  explicit JsonObject(std::string& out, bool open = true)
      : out_(out), close_(open) {
    if (open) out_.push_back('{');
  }
  ~JsonObject() {
    if (close_) out_.push_back('}');
  }

  // A nested object, written by `fill`; omitted (like protobuf) when the
  // message is not set.
  template <typename Fill>
  void Object(std::string_view name, bool present, Fill fill) {
    if (!present) return;
    Name(name);
    JsonObject inner(out_);
    fill(inner);
  }
  // A value already rendered as JSON.
  void Raw(std::string_view name, std::string_view json) {
    Name(name);
    out_.append(json);
  }
  // Appends `"name":"value"` (after a comma unless first) to `out`.
  static void AppendField(std::string& out, bool first, std::string_view name,
                          std::string_view value) {
    JsonObject o(out, /*open=*/false);
    o.first_ = first;
    o.String(name, value);
    o.close_ = false;
  }
  void StringList(std::string_view name,
                  const google::protobuf::RepeatedPtrField<std::string>& v) {
    if (v.empty()) return;
    Name(name);
    out_.push_back('[');
    for (int i = 0; i < v.size(); ++i) {
      if (i > 0) out_.push_back(',');
      Quoted(v[i]);
    }
    out_.push_back(']');
  }
  // A google.protobuf.Timestamp as protobuf prints it (RFC 3339, UTC).
  void Time(std::string_view name, bool present,
            const google::protobuf::Timestamp& t) {
    if (!present) return;
    Name(name);
    Quoted(FormatRfc3339(ToMicros(t)));
  }

  void String(std::string_view name, std::string_view value) {
    if (value.empty()) return;
    Name(name);
    Quoted(value);
  }
  // A uint32 as protobuf prints it: a number, omitted when 0.
  void Uint32(std::string_view name, uint32_t value) {
    if (value == 0) return;
    Name(name);
    out_.append(std::to_string(value));
  }
  void Enum(std::string_view name, int value, const std::string& value_name) {
    if (value == 0) return;
    Name(name);
    Quoted(value_name);
  }
  template <typename Names>
  void EnumList(std::string_view name,
                const google::protobuf::RepeatedField<int>& values,
                Names names) {
    if (values.empty()) return;
    Name(name);
    out_.push_back('[');
    for (int i = 0; i < values.size(); ++i) {
      if (i > 0) out_.push_back(',');
      Quoted(names(values[i]));
    }
    out_.push_back(']');
  }

 private:
  void Name(std::string_view name) {
    if (!first_) out_.push_back(',');
    first_ = false;
    Quoted(name);
    out_.push_back(':');
  }
  // Runs of characters that need no escape are appended whole: most values
  // have none, and a character at a time was a noticeable share of a
  // decision's CPU.
  void Quoted(std::string_view s) {
    out_.push_back('"');
    size_t run = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c != '"' && c != '\\' && c >= 0x20) continue;
      out_.append(s.data() + run, i - run);
      run = i + 1;
      if (c == '"' || c == '\\') {
        out_.push_back('\\');
        out_.push_back(static_cast<char>(c));
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out_.append(buf);
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_.push_back('"');
  }

  std::string& out_;
  bool first_ = true;
  bool close_ = true;
};

void WriteDisclosure(JsonObject& d, const v1::Disclosure& x) {
  d.String("seller_name", x.seller_name());
  d.String("seller_address", x.seller_address());
  d.String("seller_phone", x.seller_phone());
  d.String("goods_type", x.goods_type());
  d.String("solicitation_statement", x.solicitation_statement());
  d.String("agent_id", x.agent_id());
}

void WriteProvision(JsonObject& v, const v1::ProvisionRecord& x) {
  v.String("decision_id", x.decision_id());
  v.Time("provided_at", x.has_provided_at(), x.provided_at());
  v.String("customer_id", x.customer_id());
  v.String("consent_id", x.consent_id());
  v.String("recipient_company_id", x.recipient_company_id());
  v.String("recipient_name", x.recipient_name());
  v.String("recipient_address", x.recipient_address());
  v.String("recipient_representative", x.recipient_representative());
  v.StringList("data_items", x.data_items());
  v.String("phone_masked", x.phone_masked());
  v.String("campaign_id", x.campaign_id());
  v.Time("retain_until", x.has_retain_until(), x.retain_until());
}

}  // namespace

std::string DecisionPayloadJson(const v1::DecisionPayload& p,
                                std::string_view disclosure_json,
                                std::string_view provision_json) {
  std::string out;
  out.reserve(512 + disclosure_json.size() + provision_json.size());
  {
    JsonObject o(out);
    o.String("decision_id", p.decision_id());
    o.Enum("purpose", p.purpose(), v1::Purpose_Name(p.purpose()));
    o.String("campaign_id", p.campaign_id());
    o.String("company_id", p.company_id());
    o.String("customer_id", p.customer_id());
    o.String("print_run_id", p.print_run_id());
    o.String("document_id", p.document_id());
    o.String("agent_id", p.agent_id());
    o.String("phone_hmac", p.phone_hmac());
    o.String("phone_masked", p.phone_masked());
    o.Enum("verdict", p.verdict(), v1::Verdict_Name(p.verdict()));
    o.EnumList("reasons", p.reasons(), [](int r) {
      return v1::Reason_Name(static_cast<v1::Reason>(r));
    });
    o.String("consent_id", p.consent_id());
    o.String("policy_version", p.policy_version());
    if (!disclosure_json.empty()) {
      o.Raw("disclosure", disclosure_json);
    } else {
      o.Object("disclosure", p.has_disclosure(),
               [&](JsonObject& d) { WriteDisclosure(d, p.disclosure()); });
    }
    if (!provision_json.empty()) {
      o.Raw("provision", provision_json);
    } else {
      o.Object("provision", p.has_provision(),
               [&](JsonObject& v) { WriteProvision(v, p.provision()); });
    }
    o.Uint32("latency_us", p.latency_us());
  }
  return out;
}

std::string DisclosureJson(const v1::Disclosure& d) {
  std::string out;
  {
    JsonObject o(out);
    WriteDisclosure(o, d);
  }
  return out;
}

std::string ProvisionJson(const v1::ProvisionRecord& r) {
  std::string out;
  {
    JsonObject o(out);
    WriteProvision(o, r);
  }
  return out;
}

std::string WithLastField(std::string_view object, std::string_view name,
                          std::string_view value) {
  std::string out(object.substr(0, object.size() - 1));  // without '}'
  if (value.empty()) {
    out.push_back('}');
    return out;
  }
  JsonObject::AppendField(out, /*first=*/object == "{}", name, value);
  out.push_back('}');
  return out;
}

}  // namespace gatekeeper
