// policy::CheckRequestStrings over every request message of every RPC the
// daemon serves, found from the descriptors: each string field (nested,
// repeated and map fields included) is refused one byte over its bound and
// with a control character, naming the field, and accepted at its bound.
#include "daemon/policy/request_strings.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/testing/served_methods.h"

namespace gatekeeper::policy {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// A way to put `value` into one string field of a fresh request, and the
// path CheckRequestStrings names it by.
struct StringField {
  std::string path;
  size_t max;
  std::function<void(Message&, const std::string&)> set;
};

void Collect(const Descriptor* d, const std::string& prefix,
             const std::function<Message&(Message&)>& reach, int depth,
             std::vector<StringField>& out) {
  if (depth > 3 || d->file()->package() == "google.protobuf") return;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string path =
        prefix.empty() ? f->name() : prefix + "." + f->name();
    if (f->is_map()) {
      const FieldDescriptor* value = f->message_type()->map_value();
      if (value->cpp_type() != FieldDescriptor::CPPTYPE_STRING) continue;
      out.push_back({path + "[K]", MaxStringBytes(f->name()),
                     [reach, f, value](Message& m, const std::string& v) {
                       Message& at = reach(m);
                       Message* e = at.GetReflection()->AddMessage(&at, f);
                       e->GetReflection()->SetString(
                           e, f->message_type()->map_key(), "K");
                       e->GetReflection()->SetString(e, value, v);
                     }});
      continue;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
        f->type() == FieldDescriptor::TYPE_STRING) {
      out.push_back({f->is_repeated() ? path + "[0]" : path,
                     MaxStringBytes(f->name()),
                     [reach, f](Message& m, const std::string& v) {
                       Message& at = reach(m);
                       if (f->is_repeated()) {
                         at.GetReflection()->AddString(&at, f, v);
                       } else {
                         at.GetReflection()->SetString(&at, f, v);
                       }
                     }});
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      auto inner = [reach, f](Message& m) -> Message& {
        Message& at = reach(m);
        return f->is_repeated() ? *at.GetReflection()->AddMessage(&at, f)
                                : *at.GetReflection()->MutableMessage(&at, f);
      };
      Collect(f->message_type(), f->is_repeated() ? path + "[0]" : path, inner,
              depth + 1, out);
    }
  }
}

struct Case {
  std::string method;
  const Descriptor* request;
  StringField field;
};

std::vector<Case> AllStringFields() {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::vector<Case> cases;
  for (const std::string& full : testing::ServedMethods()) {
    const auto slash = full.rfind('/');
    const auto* service = pool->FindServiceByName(full.substr(1, slash - 1));
    const auto* method = service->FindMethodByName(full.substr(slash + 1));
    std::vector<StringField> fields;
    Collect(
        method->input_type(), "", [](Message& m) -> Message& { return m; }, 0,
        fields);
    for (auto& f : fields) {
      cases.push_back({full, method->input_type(), std::move(f)});
    }
  }
  return cases;
}

std::unique_ptr<Message> With(const Case& c, const std::string& value) {
  std::unique_ptr<Message> m(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(c.request)
          ->New());
  c.field.set(*m, value);
  return m;
}

TEST(RequestStringsTest, EveryStringFieldOfEveryRequestIsBoundedAndNamed) {
  const std::vector<Case> cases = AllStringFields();
  std::set<std::string> methods;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.field.path);
    methods.insert(c.method);
    EXPECT_TRUE(
        CheckRequestStrings(*With(c, std::string(c.field.max, 'a'))).ok());
    const absl::Status over =
        CheckRequestStrings(*With(c, std::string(c.field.max + 1, 'a')));
    EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(over.message(), c.field.path + ": is longer than " +
                                  std::to_string(c.field.max) + " bytes");
    const absl::Status control = CheckRequestStrings(*With(c, "ab\ncd"));
    EXPECT_EQ(control.message(),
              c.field.path + ": contains a control character");
  }
  // The walk found the strings of nearly every RPC (those without any:
  // VerifyAudit, GetCheckpoint, ProveEntry, ProveConsistency).
  EXPECT_GE(methods.size(), 24u);
  EXPECT_GE(cases.size(), 75u);
}

TEST(RequestStringsTest, BoundsByFieldName) {
  EXPECT_EQ(MaxStringBytes("customer_id"), 128u);
  EXPECT_EQ(MaxStringBytes("campaign_ids"), 128u);
  EXPECT_EQ(MaxStringBytes("requested_by"), 128u);
  EXPECT_EQ(MaxStringBytes("phone_number"), 64u);
  EXPECT_EQ(MaxStringBytes("reason"), 4096u);
}

TEST(RequestStringsTest, TheFirstBadItemOfARepeatedFieldIsNamedByIndex) {
  v1::ImportConsentsRequest req;
  req.add_consents()->set_customer_id("C-1");
  req.add_consents()->set_evidence_ref(std::string("scan\x7f", 5));
  EXPECT_EQ(CheckRequestStrings(req).message(),
            "consents[1].evidence_ref: contains a control character");
}

TEST(RequestStringsTest, AMapKeyIsBoundedToo) {
  v1::CreateCampaignRequest req;
  (*req.mutable_campaign()->mutable_disclosures())[std::string(129, 'K')] = "x";
  EXPECT_EQ(CheckRequestStrings(req).message(),
            "campaign.disclosures key: is longer than 128 bytes");
}

}  // namespace
}  // namespace gatekeeper::policy
