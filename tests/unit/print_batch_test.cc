// The print batch codec (daemon/audit/print_batch.h): round trips, the
// compact consent ids, damaged bodies as DATA_LOSS, and the canonical
// decision lines of RunSummary.run_digest.
#include "daemon/audit/print_batch.h"

#include <gtest/gtest.h>

#include "gatekeeper/v1/types.pb.h"

namespace gatekeeper {
namespace {

uint32_t Bit(v1::Reason r) { return 1u << r; }

std::vector<DocumentVerdicts> Sample() {
  return {
      {"doc-001",
       "C-1",
       {{"leaflet-fibre", AllowMask(), "cns_0123456789abcdef0123456789abcdef"},
        {"leaflet-power", Bit(v1::REASON_NO_CONSENT), ""}}},
      {"doc-002",
       "顧客-2",
       {{"leaflet-fibre", AllowMask(), "legacy-consent-7"},
        {"leaflet-gone",
         Bit(v1::REASON_UNKNOWN_CAMPAIGN) | Bit(v1::REASON_NO_CONSENT), ""}}},
  };
}

void ExpectSame(const std::vector<DocumentVerdicts>& a,
                const std::vector<DocumentVerdicts>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].document_id, b[i].document_id);
    EXPECT_EQ(a[i].customer_id, b[i].customer_id);
    ASSERT_EQ(a[i].campaigns.size(), b[i].campaigns.size());
    for (size_t j = 0; j < a[i].campaigns.size(); ++j) {
      EXPECT_EQ(a[i].campaigns[j].campaign_id, b[i].campaigns[j].campaign_id);
      EXPECT_EQ(a[i].campaigns[j].reasons, b[i].campaigns[j].reasons);
      EXPECT_EQ(a[i].campaigns[j].consent_id, b[i].campaigns[j].consent_id);
    }
  }
}

TEST(PrintBatchTest, RoundTripsEveryField) {
  const auto docs = Sample();
  auto back = DecodePrintBatch(EncodePrintBatch(docs));
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSame(*back, docs);
}

// The encoder finds campaigns by a scan while there are few, by a map after:
// a batch naming many, in every order, round trips across the switch.
TEST(PrintBatchTest, RoundTripsABatchOfManyCampaigns) {
  std::vector<DocumentVerdicts> docs;
  for (int i = 0; i < 200; ++i) {
    DocumentVerdicts d{
        "doc-" + std::to_string(i), "C-" + std::to_string(i), {}};
    for (int j = 0; j < 3; ++j) {
      const int campaign = (i * 7 + j * 31) % 50;
      d.campaigns.push_back({"leaflet-" + std::to_string(campaign),
                             Bit(v1::REASON_NO_CONSENT), ""});
    }
    docs.push_back(std::move(d));
  }
  auto back = DecodePrintBatch(EncodePrintBatch(docs));
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSame(*back, docs);
}

TEST(PrintBatchTest, RoundTripsAnEmptyBatch) {
  auto back = DecodePrintBatch(EncodePrintBatch({}));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->empty());
}

TEST(PrintBatchTest, IsCompact) {
  // Two candidates a document, one consent id: well under 100 bytes.
  std::vector<DocumentVerdicts> docs;
  for (int i = 0; i < 1000; ++i) {
    docs.push_back({"BILL-202611-" + std::to_string(10000000 + i),
                    "C" + std::to_string(20000000 + i),
                    {{"leaflet-fibre", AllowMask(),
                      "cns_0123456789abcdef0123456789abcdef"},
                     {"leaflet-power", Bit(v1::REASON_NO_CONSENT), ""}}});
  }
  EXPECT_LT(EncodePrintBatch(docs).size(), 1000u * 60);
}

TEST(PrintBatchTest, DamagedBodiesAreDataLoss) {
  const std::string body = EncodePrintBatch(Sample());
  for (size_t cut = 0; cut < body.size(); ++cut) {
    auto r = DecodePrintBatch(body.substr(0, cut));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << cut;
  }
  EXPECT_EQ(DecodePrintBatch(body + "x").status().code(),
            absl::StatusCode::kDataLoss);
  std::string other_version = body;
  other_version[0] = 2;
  EXPECT_EQ(DecodePrintBatch(other_version).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(PrintBatchTest, DecisionLinesFollowTheDocumentedFormat) {
  std::string lines;
  for (const auto& d : Sample()) AppendDecisionLines(d, lines);
  EXPECT_EQ(
      lines,
      "doc-001\tC-1\tleaflet-fibre\tALLOW\tCONSENT_ON_RECORD\n"
      "doc-001\tC-1\tleaflet-power\tBLOCK\tNO_CONSENT\n"
      "doc-002\t顧客-2\tleaflet-fibre\tALLOW\tCONSENT_ON_RECORD\n"
      "doc-002\t顧客-2\tleaflet-gone\tBLOCK\tNO_CONSENT;UNKNOWN_CAMPAIGN\n");
}

TEST(PrintBatchTest, ReasonNamesAreInCodeOrder) {
  EXPECT_EQ(ReasonNames(Bit(v1::REASON_UNKNOWN_CAMPAIGN) |
                        Bit(v1::REASON_CONSENT_WITHDRAWN)),
            "CONSENT_WITHDRAWN;UNKNOWN_CAMPAIGN");
  EXPECT_EQ(ReasonNames(AllowMask()), "CONSENT_ON_RECORD");
  EXPECT_EQ(ReasonNames(0), "");
}

TEST(PrintBatchTest, ConsentIdsOfTheCompactShapeButNotLowerHexStayText) {
  // Ids that look like the compact form but are not lowercase hex are kept
  // as text, not mangled into bytes; the others round-trip as bytes.
  const std::vector<DocumentVerdicts> docs = {
      {"doc-003",
       "C-3",
       {{"leaflet-fibre", AllowMask(), "cns_0123456789ABCDEF0123456789abcdef"},
        {"leaflet-power", AllowMask(), "cns_0123456789abcdef0123456789abcdeg"},
        {"leaflet-gas", AllowMask(), "cns_ffffffffffffffffffffffffffffff00"},
        {"leaflet-tv", AllowMask(), "cns_00000000000000000000000000000000"}}},
  };
  auto back = DecodePrintBatch(EncodePrintBatch(docs));
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSame(docs, *back);
}

}  // namespace
}  // namespace gatekeeper
