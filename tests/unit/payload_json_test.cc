// The hand-written decision payload JSON is protobuf's JSON mapping.
#include "daemon/server/payload_json.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "daemon/common/clock.h"

namespace gatekeeper {
namespace {

std::string ProtobufJson(const v1::DecisionPayload& p) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(p, &out, opts).ok());
  return out;
}

v1::DecisionPayload Full() {
  v1::DecisionPayload p;
  p.set_decision_id("dec_01");
  p.set_purpose(v1::PURPOSE_TELEMARKETING);
  p.set_campaign_id("hikari-call-2026-12");
  p.set_company_id("hikari-net");
  p.set_customer_id("C-1001");
  p.set_print_run_id("run-1");
  p.set_document_id("doc-1");
  p.set_agent_id("田中");
  p.set_phone_hmac("ab01");
  p.set_phone_masked("+81 90-****-5678");
  p.set_verdict(v1::VERDICT_BLOCK);
  p.add_reasons(v1::REASON_CONSENT_WITHDRAWN);
  p.add_reasons(v1::REASON_PHONE_NOT_CONSENTED);
  p.set_consent_id("cns_01");
  p.set_policy_version("2026-11-28.1");
  p.set_latency_us(1234);
  v1::Disclosure* d = p.mutable_disclosure();
  d->set_seller_name("ひかりネット株式会社");
  d->set_seller_address("東京都千代田区丸の内1-1-1");
  d->set_seller_phone("0120-000-111");
  d->set_goods_type("光回線サービス");
  d->set_solicitation_statement("ご契約のご案内(勧誘)のためにお電話しました。");
  d->set_agent_id("田中");
  v1::ProvisionRecord* r = p.mutable_provision();
  r->set_recipient_name("ひかりネット株式会社");
  r->set_recipient_address("東京都千代田区丸の内1-1-1");
  r->set_recipient_representative("代表取締役 山田太郎");
  r->add_data_items("phone_number");
  r->add_data_items("name");
  *r->mutable_retain_until() = FromMicros(1'874'000'000'123'000);
  *r->mutable_provided_at() = FromMicros(1'780'000'000'000'000);
  return p;
}

TEST(PayloadJsonTest, MatchesProtobufForAFullPayload) {
  EXPECT_EQ(DecisionPayloadJson(Full()), ProtobufJson(Full()));
}

TEST(PayloadJsonTest, OmitsDefaultsLikeProtobuf) {
  v1::DecisionPayload p;
  EXPECT_EQ(DecisionPayloadJson(p), "{}");
  p.set_customer_id("C-1");
  p.set_verdict(v1::VERDICT_ALLOW);
  p.add_reasons(v1::REASON_CONSENT_ON_RECORD);
  EXPECT_EQ(DecisionPayloadJson(p), ProtobufJson(p));
}

TEST(PayloadJsonTest, EscapesAndParsesBack) {
  v1::DecisionPayload p = Full();
  p.set_document_id("quote\" back\\slash \x01 tab\t");
  v1::DecisionPayload back;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(DecisionPayloadJson(p), &back)
          .ok())
      << DecisionPayloadJson(p);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(p, back));
}

TEST(PayloadJsonTest, PrerenderedObjectsGiveTheSamePayload) {
  // A dial renders the objects once per campaign, then adds the agent and the
  // retention date: the payload must be the one protobuf would print.
  v1::DecisionPayload full = Full();
  full.mutable_provision()->clear_provided_at();
  v1::Disclosure d = full.disclosure();
  d.clear_agent_id();
  v1::ProvisionRecord r = full.provision();
  r.clear_retain_until();
  v1::DecisionPayload head = full;
  head.clear_disclosure();
  head.clear_provision();
  const std::string json = DecisionPayloadJson(
      head,
      WithLastField(DisclosureJson(d), "agent_id",
                    full.disclosure().agent_id()),
      WithLastField(ProvisionJson(r), "retain_until",
                    FormatRfc3339(ToMicros(full.provision().retain_until()))));
  EXPECT_EQ(json, ProtobufJson(full));
  EXPECT_EQ(WithLastField("{\"a\":\"1\"}", "b", ""), "{\"a\":\"1\"}");
  EXPECT_EQ(WithLastField("{}", "b", "x\"y"), "{\"b\":\"x\\\"y\"}");
}

}  // namespace
}  // namespace gatekeeper
