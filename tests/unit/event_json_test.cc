// Event log lines (daemon/ops/event_json.h): the time at the offset, the
// payload flattened, pseudonyms of numbers left out, collisions kept apart.
#include "daemon/ops/event_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace gatekeeper {
namespace {

using Json = nlohmann::json;

// 2026-12-01T00:30:00.25Z
constexpr Micros kAt = 1'796'085'000'250'000;

Json LineOf(const AuditRecord& r, int offset = 9 * 3600) {
  std::string out;
  AppendEventLine(r, offset, out);
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line: " << out;
  return Json::parse(out);
}

TEST(EventJsonTest, TimesAreRfc3339AtTheOffset) {
  EXPECT_EQ(FormatRfc3339WithOffset(kAt, 9 * 3600),
            "2026-12-01T09:30:00.250+09:00");
  EXPECT_EQ(FormatRfc3339WithOffset(kAt, -(5 * 3600 + 30 * 60)),
            "2026-11-30T19:00:00.250-05:30");
  EXPECT_EQ(FormatRfc3339WithOffset(kAt, 0), "2026-12-01T00:30:00.250Z");
}

TEST(EventJsonTest, ADecisionIsFlattenedWithoutThePseudonymOfTheNumber) {
  AuditRecord r;
  r.seq = 42;
  r.at = kAt;
  r.kind = "decision.dial";
  r.actor = "agent:田中";
  r.customer_id = "C-1001";
  r.payload_json =
      R"({"decision_id":"dec_1","purpose":"PURPOSE_TELEMARKETING",)"
      R"("customer_id":"C-1001","agent_id":"田中","phone_hmac":"ab01",)"
      R"("phone_masked":"+81 90-****-5678","verdict":"VERDICT_ALLOW",)"
      R"("reasons":["REASON_CONSENT_ON_RECORD"],)"
      R"("provision":{"phone_hmac":"ab01","recipient_name":"ひかり"},)"
      R"("latency_us":17})";
  const Json l = LineOf(r);
  EXPECT_EQ(l["ts"], "2026-12-01T09:30:00.250+09:00");
  EXPECT_EQ(l["seq"], 42);
  EXPECT_EQ(l["kind"], "decision.dial");
  EXPECT_EQ(l["actor"], "agent:田中");
  EXPECT_EQ(l["customer_id"], "C-1001");
  EXPECT_FALSE(l.contains("payload_customer_id"));  // the same value
  EXPECT_EQ(l["verdict"], "VERDICT_ALLOW");
  EXPECT_EQ(l["reasons"], Json::array({"REASON_CONSENT_ON_RECORD"}));
  EXPECT_EQ(l["phone_masked"], "+81 90-****-5678");
  EXPECT_EQ(l["latency_us"], 17);
  EXPECT_FALSE(l.contains("phone_hmac"));
  EXPECT_FALSE(l["provision"].contains("phone_hmac"));
  EXPECT_EQ(l["provision"]["recipient_name"], "ひかり");
}

TEST(EventJsonTest, APayloadFieldNamedLikeTheEntrysIsKeptApart) {
  AuditRecord r;
  r.seq = 7;
  r.kind = "print.batch";
  r.actor = "print-shop";
  r.payload_json = R"({"kind":"other","seq":"9","documents":"2000"})";
  const Json l = LineOf(r, 0);
  EXPECT_EQ(l["kind"], "print.batch");
  EXPECT_EQ(l["seq"], 7);
  EXPECT_EQ(l["payload_kind"], "other");
  EXPECT_EQ(l["payload_seq"], "9");
  EXPECT_EQ(l["documents"], "2000");
  EXPECT_FALSE(l.contains("customer_id"));
}

TEST(EventJsonTest, ADecisionAlwaysHasItsLatency) {
  AuditRecord r;
  r.kind = "decision.insert";
  r.payload_json = R"({"verdict":"VERDICT_BLOCK"})";
  EXPECT_EQ(LineOf(r)["latency_us"], 0);
}

TEST(EventJsonTest, APayloadThatIsNotAnObjectIsKeptAsText) {
  AuditRecord r;
  r.kind = "odd";
  r.payload_json = "[1,2";
  EXPECT_EQ(LineOf(r)["payload_json"], "[1,2");
}

}  // namespace
}  // namespace gatekeeper
