// End-to-end tests of print runs through the real gatekeeperd:
// InsertGate.CheckInsertBatch (a whole run, its summary and digest, the
// digest recomputed from the log, bad items, a completed run, a run cut off
// and resumed, a run across a kill -9), what the log and the subject report
// show of it, VerifyAudit against a tampered batch, ReconcileRun, PullList
// and reprint runs.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <string>
#include <vector>

#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "gatekeeper/v1/audit_payload.pb.h"
#include "tests/testing/daemon_fixture.h"

namespace gatekeeper {
namespace {

using testing::Ctx;
using testing::Now;

using BatchStream =
    grpc::ClientReaderWriter<v1::InsertBatchRequest, v1::InsertBatchResponse>;

struct Item {
  std::string document_id;
  std::string customer_id;
  std::vector<std::string> campaigns;
};

v1::InsertBatchRequest OpenRequest(const std::string& run_id,
                                   bool replay = false,
                                   const std::string& reprint_of = "") {
  v1::InsertBatchRequest r;
  r.mutable_open()->set_print_run_id(run_id);
  r.mutable_open()->set_actor("print-shop-tokyo");
  r.mutable_open()->set_replay_decided(replay);
  r.mutable_open()->set_reprint_of(reprint_of);
  return r;
}

v1::InsertBatchRequest BatchRequest(uint64_t batch_no,
                                    const std::vector<Item>& items) {
  v1::InsertBatchRequest r;
  v1::InsertBatch* b = r.mutable_batch();
  b->set_batch_no(batch_no);
  for (const Item& i : items) {
    v1::InsertItem* it = b->add_items();
    it->set_document_id(i.document_id);
    it->set_customer_id(i.customer_id);
    for (const std::string& c : i.campaigns) it->add_campaign_ids(c);
  }
  return r;
}

v1::InsertBatchRequest CloseRequest() {
  v1::InsertBatchRequest r;
  r.mutable_close();
  return r;
}

std::vector<uint32_t> Bits(const v1::BatchDecided& b) {
  return {b.reason_bits().begin(), b.reason_bits().end()};
}

// What a run's responses said.
struct RunResult {
  grpc::Status status;
  std::vector<v1::RunOpened> opened;
  std::vector<v1::BatchDecided> batches;
  std::vector<v1::RunSummary> summaries;
};

// The decision lines of documents (RunSummary.run_digest's definition),
// written here from the proto's text, not from the daemon's code.
std::string Lines(const v1::PrintedDocument& d) {
  std::string out;
  for (const v1::PrintedDecision& x : d.decisions()) {
    std::string reasons;
    for (int r : x.reasons()) {
      if (!reasons.empty()) reasons += ";";
      reasons += v1::Reason_Name(static_cast<v1::Reason>(r)).substr(7);
    }
    out += StrCat(d.document_id(), "\t", d.customer_id(), "\t", x.campaign_id(),
                  "\t", x.verdict() == v1::VERDICT_ALLOW ? "ALLOW" : "BLOCK",
                  "\t", reasons, "\n");
  }
  return out;
}

std::vector<v1::PrintedDocument> ParseMembers(const std::string& json) {
  google::protobuf::ListValue list;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &list).ok())
      << json;
  std::vector<v1::PrintedDocument> out;
  for (const auto& v : list.values()) {
    std::string one;
    EXPECT_TRUE(
        google::protobuf::util::MessageToJsonString(v.struct_value(), &one)
            .ok());
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(one, &out.emplace_back())
            .ok())
        << one;
  }
  return out;
}

class PrintRunTest : public testing::DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    ApprovedCampaign("leaflet-fibre", v1::CAMPAIGN_KIND_INSERT);
    ApprovedCampaign("leaflet-power", v1::CAMPAIGN_KIND_INSERT);
    // C-1 granted, C-2 granted then withdrawn, C-3 never asked.
    ASSERT_TRUE(Record(AdConsent("C-1")).ok());
    ASSERT_TRUE(Record(AdConsent("C-2")).ok());
    Withdraw("C-2", v1::PURPOSE_AD_INSERT);
  }

  // Two batches: four documents, one of them naming an unknown leaflet.
  static std::vector<std::vector<Item>> TwoBatches() {
    return {{{"doc-001", "C-1", {"leaflet-fibre", "leaflet-power"}},
             {"doc-002", "C-2", {"leaflet-fibre"}}},
            {{"doc-003", "C-3", {"leaflet-power", "leaflet-fibre"}},
             {"doc-004", "C-1", {"leaflet-gone", "leaflet-fibre"}}}};
  }

  // The decision lines those two batches must produce.
  static std::string ExpectedLines() {
    return "doc-001\tC-1\tleaflet-fibre\tALLOW\tCONSENT_ON_RECORD\n"
           "doc-001\tC-1\tleaflet-power\tALLOW\tCONSENT_ON_RECORD\n"
           "doc-002\tC-2\tleaflet-fibre\tBLOCK\tCONSENT_WITHDRAWN\n"
           "doc-003\tC-3\tleaflet-power\tBLOCK\tNO_CONSENT\n"
           "doc-003\tC-3\tleaflet-fibre\tBLOCK\tNO_CONSENT\n"
           "doc-004\tC-1\tleaflet-gone\tBLOCK\tUNKNOWN_CAMPAIGN\n"
           "doc-004\tC-1\tleaflet-fibre\tALLOW\tCONSENT_ON_RECORD\n";
  }

  std::unique_ptr<BatchStream> Stream(grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    return insert_->CheckInsertBatch(&ctx);
  }

  // Sends every request (then closes its side), reads every answer.
  RunResult Run(const std::vector<v1::InsertBatchRequest>& requests) {
    grpc::ClientContext ctx;
    auto stream = Stream(ctx);
    for (const auto& r : requests) {
      if (!stream->Write(r)) break;
    }
    stream->WritesDone();
    RunResult out;
    v1::InsertBatchResponse resp;
    while (stream->Read(&resp)) {
      if (resp.has_opened()) out.opened.push_back(resp.opened());
      if (resp.has_batch()) out.batches.push_back(resp.batch());
      if (resp.has_summary()) out.summaries.push_back(resp.summary());
    }
    out.status = stream->Finish();
    return out;
  }

  RunResult WholeRun(const std::string& run_id,
                     const std::vector<std::vector<Item>>& batches) {
    std::vector<v1::InsertBatchRequest> reqs = {OpenRequest(run_id)};
    for (size_t i = 0; i < batches.size(); ++i) {
      reqs.push_back(BatchRequest(i, batches[i]));
    }
    reqs.push_back(CloseRequest());
    return Run(reqs);
  }

  grpc::Status Reconcile(const std::string& run_id,
                         const std::vector<v1::InsertedPiece>& pieces,
                         v1::ReconcileResponse* out) {
    auto ctx = Ctx();
    auto writer = insert_->ReconcileRun(ctx.get(), out);
    v1::ReconcileRequest start;
    start.mutable_start()->set_print_run_id(run_id);
    start.mutable_start()->set_actor("inserter-3");
    writer->Write(start);
    for (const auto& p : pieces) {
      v1::ReconcileRequest r;
      *r.mutable_piece() = p;
      if (!writer->Write(r)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  static v1::InsertedPiece Piece(std::string doc,
                                 std::vector<std::string> codes,
                                 v1::PieceStatus status = v1::PIECE_STATUS_OK) {
    v1::InsertedPiece p;
    p.set_document_id(std::move(doc));
    for (auto& c : codes) p.add_inserted_campaign_ids(std::move(c));
    p.set_status(status);
    return p;
  }

  std::vector<v1::PullListEntry> Pull(const std::string& run_id,
                                      grpc::Status* status = nullptr) {
    v1::PullListRequest req;
    req.set_print_run_id(run_id);
    auto ctx = Ctx();
    auto reader = insert_->PullList(ctx.get(), req);
    std::vector<v1::PullListEntry> out;
    v1::PullListEntry e;
    while (reader->Read(&e)) out.push_back(e);
    grpc::Status s = reader->Finish();
    if (status) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return out;
  }
};

TEST_F(PrintRunTest, DecidesARunBatchByBatchAndSummarizesIt) {
  RunResult r = WholeRun("bill-2026-11", TwoBatches());
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.opened.size(), 1u);
  EXPECT_EQ(r.opened[0].next_batch_no(), 0u);
  EXPECT_FALSE(r.opened[0].resumed());
  ASSERT_EQ(r.batches.size(), 2u);
  EXPECT_EQ(r.batches[0].batch_no(), 0u);
  EXPECT_EQ(r.batches[1].batch_no(), 1u);
  EXPECT_GT(r.batches[1].audit_seq(), r.batches[0].audit_seq());

  const v1::DocumentDecision& d1 = r.batches[0].documents(0);
  EXPECT_EQ(d1.document_id(), "doc-001");
  ASSERT_EQ(d1.allowed_campaign_ids_size(), 2);
  EXPECT_EQ(d1.allowed_campaign_ids(0), "leaflet-fibre");
  EXPECT_EQ(d1.blocked_size(), 0);
  const v1::DocumentDecision& d2 = r.batches[0].documents(1);
  EXPECT_EQ(d2.allowed_campaign_ids_size(), 0);
  ASSERT_EQ(d2.blocked_size(), 1);
  EXPECT_EQ(d2.blocked(0).reasons(0), v1::REASON_CONSENT_WITHDRAWN);
  const v1::DocumentDecision& d4 = r.batches[1].documents(1);
  ASSERT_EQ(d4.blocked_size(),
            1);  // an unknown leaflet is a BLOCK, not an error
  EXPECT_EQ(d4.blocked(0).campaign_id(), "leaflet-gone");
  EXPECT_EQ(d4.blocked(0).reasons(0), v1::REASON_UNKNOWN_CAMPAIGN);
  EXPECT_EQ(d4.allowed_campaign_ids(0), "leaflet-fibre");

  ASSERT_EQ(r.summaries.size(), 1u);
  const v1::RunSummary& s = r.summaries[0];
  EXPECT_EQ(s.print_run_id(), "bill-2026-11");
  EXPECT_EQ(s.batches(), 2u);
  EXPECT_EQ(s.documents(), 4u);
  EXPECT_EQ(s.decisions(), 7u);
  EXPECT_EQ(s.allowed_by_campaign().at("leaflet-fibre"), 2u);
  EXPECT_EQ(s.allowed_by_campaign().at("leaflet-power"), 1u);
  EXPECT_EQ(s.blocked_by_reason().at("NO_CONSENT"), 2u);
  EXPECT_EQ(s.blocked_by_reason().at("CONSENT_WITHDRAWN"), 1u);
  EXPECT_EQ(s.blocked_by_reason().at("UNKNOWN_CAMPAIGN"), 1u);
  // The digest, by its documented definition.
  EXPECT_EQ(s.run_digest(), ToHex(Sha256(ExpectedLines())));
  EXPECT_GT(s.audit_seq(), r.batches[1].audit_seq());
  EXPECT_TRUE(Verify().ok());
}

TEST_F(PrintRunTest, CompactAnswersCarryReasonBitsAndReplaysComeInFull) {
  const auto bit = [](v1::Reason r) { return 1u << r; };
  const std::vector<std::vector<Item>> batches = TwoBatches();
  v1::InsertBatchRequest open = OpenRequest("bill-2026-11");
  open.mutable_open()->set_compact_answers(true);
  // The first batch only: the run is cut off, then resumed.
  RunResult first = Run({open, BatchRequest(0, batches[0])});
  EXPECT_FALSE(first.status.ok());
  ASSERT_EQ(first.batches.size(), 1u);
  const v1::BatchDecided& b0 = first.batches[0];
  EXPECT_EQ(b0.documents_size(), 0);
  EXPECT_EQ(Bits(b0),
            (std::vector<uint32_t>{bit(v1::REASON_CONSENT_ON_RECORD),
                                   bit(v1::REASON_CONSENT_ON_RECORD),
                                   bit(v1::REASON_CONSENT_WITHDRAWN)}));

  open.mutable_open()->set_replay_decided(true);
  RunResult second = Run({open, BatchRequest(1, batches[1]), CloseRequest()});
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  ASSERT_EQ(second.batches.size(), 2u);
  // The replayed batch in full, with the ids; the new one compact.
  EXPECT_TRUE(second.batches[0].replayed());
  ASSERT_EQ(second.batches[0].documents_size(), 2);
  EXPECT_EQ(second.batches[0].documents(1).document_id(), "doc-002");
  EXPECT_EQ(second.batches[0].reason_bits_size(), 0);
  EXPECT_EQ(second.batches[0].batch_sha256(), b0.batch_sha256());
  const v1::BatchDecided& b1 = second.batches[1];
  EXPECT_FALSE(b1.replayed());
  EXPECT_EQ(b1.documents_size(), 0);
  EXPECT_EQ(Bits(b1),
            (std::vector<uint32_t>{bit(v1::REASON_NO_CONSENT),
                                   bit(v1::REASON_NO_CONSENT),
                                   bit(v1::REASON_UNKNOWN_CAMPAIGN),
                                   bit(v1::REASON_CONSENT_ON_RECORD)}));
  // The same decisions as in full: the same digest.
  ASSERT_EQ(second.summaries.size(), 1u);
  EXPECT_EQ(second.summaries[0].run_digest(), ToHex(Sha256(ExpectedLines())));
  EXPECT_TRUE(Verify().ok());
}

TEST_F(PrintRunTest, RunDigestIsRecomputedFromTheLog) {
  RunResult r = WholeRun("bill-2026-11", TwoBatches());
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  std::string lines;
  int batches = 0;
  std::string closed_digest;
  for (const v1::AuditEntry& e : QueryAudit("", /*expand=*/true)) {
    if (e.kind() == "print.batch") {
      ++batches;
      v1::PrintBatchPayload p;
      ASSERT_TRUE(
          google::protobuf::util::JsonStringToMessage(e.payload_json(), &p)
              .ok());
      EXPECT_EQ(p.print_run_id(), "bill-2026-11");
      std::string batch_lines;
      for (const auto& d : ParseMembers(e.member_json())) {
        batch_lines += Lines(d);
      }
      EXPECT_EQ(p.decisions_sha256(), ToHex(Sha256(batch_lines)));
      lines += batch_lines;
    } else if (e.kind() == "print.closed") {
      v1::RunSummary s;
      ASSERT_TRUE(
          google::protobuf::util::JsonStringToMessage(e.payload_json(), &s)
              .ok());
      closed_digest = s.run_digest();
    } else {
      EXPECT_TRUE(e.member_json().empty()) << e.kind();
    }
  }
  EXPECT_EQ(batches, 2);
  EXPECT_EQ(lines, ExpectedLines());
  EXPECT_EQ(closed_digest, r.summaries.at(0).run_digest());
  EXPECT_EQ(ToHex(Sha256(lines)), closed_digest);
}

TEST_F(PrintRunTest, ACustomersLogAndReportShowTheirPrintedDocuments) {
  ASSERT_TRUE(WholeRun("bill-2026-11", TwoBatches()).status.ok());
  std::vector<v1::PrintedDocument> docs;
  for (const v1::AuditEntry& e : QueryAudit("C-1")) {
    if (e.kind() != "print.batch") continue;
    for (auto& d : ParseMembers(e.member_json())) docs.push_back(d);
  }
  ASSERT_EQ(docs.size(), 2u);  // doc-001 in batch 0, doc-004 in batch 1
  EXPECT_EQ(docs[0].document_id(), "doc-001");
  EXPECT_EQ(docs[1].document_id(), "doc-004");
  EXPECT_EQ(docs[1].decisions(0).verdict(), v1::VERDICT_BLOCK);
  EXPECT_EQ(docs[1].decisions(1).verdict(), v1::VERDICT_ALLOW);
  EXPECT_FALSE(docs[1].decisions(1).consent_id().empty());
  // C-3 is in batch 1 only.
  int c3_batches = 0;
  for (const v1::AuditEntry& e : QueryAudit("C-3")) {
    if (e.kind() != "print.batch") continue;
    ++c3_batches;
    auto members = ParseMembers(e.member_json());
    ASSERT_EQ(members.size(), 1u);
    EXPECT_EQ(members[0].document_id(), "doc-003");
  }
  EXPECT_EQ(c3_batches, 1);

  v1::SubjectReportRequest req;
  req.set_customer_id("C-1");
  req.set_requested_by("dpo-case-17");
  v1::SubjectReportResponse rep;
  ASSERT_TRUE(audit_->SubjectReport(Ctx().get(), req, &rep).ok());
  int printed = 0;
  for (const v1::DecisionSummary& d : rep.decisions()) {
    if (d.print_run_id() != "bill-2026-11") continue;
    ++printed;
    EXPECT_EQ(d.purpose(), v1::PURPOSE_AD_INSERT);
    EXPECT_FALSE(d.document_id().empty());
  }
  EXPECT_EQ(printed, 4);  // doc-001: 2 leaflets, doc-004: 2
}

// The per-customer index of closed runs (4,096 buckets a run) and the
// unindexed batches of open ones: a customer's query finds exactly the
// batches holding their documents, in log order, also when runs interleave.
TEST_F(PrintRunTest, ACustomersBatchesAreFoundInEveryRunInLogOrder) {
  // Run A, batch 0: 3,000 customers, C-1 among them.
  std::vector<Item> many;
  for (int i = 0; i < 3000; ++i) {
    many.push_back({StrCat("a-", i), StrCat("K-", i), {"leaflet-fibre"}});
  }
  many.push_back({"a-c1", "C-1", {"leaflet-fibre"}});
  ASSERT_EQ(Run({OpenRequest("run-a"), BatchRequest(0, many)}).batches.size(),
            1u);
  // Run B, batch 0, while A is open; then A's batch 1; then B's batch 1.
  ASSERT_EQ(Run({OpenRequest("run-b"),
                 BatchRequest(0, {{"b-1", "C-1", {"leaflet-fibre"}}})})
                .batches.size(),
            1u);
  ASSERT_EQ(Run({OpenRequest("run-a"),
                 BatchRequest(1, {{"a-x2", "C-1", {"leaflet-power"}},
                                  {"a-x3", "K-7", {"leaflet-power"}}})})
                .batches.size(),
            1u);
  auto batch_seqs = [&](const std::string& customer) {
    std::vector<uint64_t> seqs;
    for (const auto& e : QueryAudit(customer)) {
      if (e.kind() == "print.batch") seqs.push_back(e.seq());
    }
    return seqs;
  };
  const std::vector<uint64_t> open = batch_seqs("C-1");  // both runs open
  ASSERT_EQ(open.size(), 3u);
  EXPECT_TRUE(std::is_sorted(open.begin(), open.end()));
  ASSERT_TRUE(Run({OpenRequest("run-a"), CloseRequest()}).status.ok());
  ASSERT_TRUE(Run({OpenRequest("run-b"),
                   BatchRequest(1, {{"b-2", "K-9", {"leaflet-fibre"}}}),
                   CloseRequest()})
                  .status.ok());
  EXPECT_EQ(batch_seqs("C-1"), open);       // now through the index
  EXPECT_EQ(batch_seqs("K-7").size(), 2u);  // run A's batches 0 and 1
  EXPECT_EQ(batch_seqs("K-9").size(), 2u);  // run A batch 0, run B batch 1
  EXPECT_EQ(batch_seqs("K-2999").size(), 1u);
  EXPECT_TRUE(batch_seqs("K-3000").empty());
  EXPECT_TRUE(batch_seqs("nobody").empty());
}

TEST_F(PrintRunTest, VerifyAuditChecksEveryDecisionAgainstItsBatchEntry) {
  RunResult r = WholeRun("bill-2026-11", TwoBatches());
  ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(Verify().ok());
  // Swap the stored decisions of the two batches behind the daemon's back:
  // each still decodes, neither matches its entry.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((daemon_->data_dir() / "gatekeeper.db").c_str(), &db),
            SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  const std::string a = std::to_string(r.batches[0].audit_seq());
  const std::string b = std::to_string(r.batches[1].audit_seq());
  const std::string sql =
      "UPDATE print_batches SET body = (SELECT body FROM print_batches WHERE "
      "seq = " +
      b + ") WHERE seq = " + a;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  v1::VerifyAuditResponse v = Verify();
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.first_bad_seq(), r.batches[0].audit_seq());
  EXPECT_NE(v.detail().find("decisions"), std::string::npos) << v.detail();
}

TEST_F(PrintRunTest, ACompletedRunCannotBeOpenedAgain) {
  ASSERT_TRUE(WholeRun("bill-2026-11", TwoBatches()).status.ok());
  RunResult again = Run({OpenRequest("bill-2026-11")});
  EXPECT_EQ(again.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(again.status.error_message().find("bill-2026-11"),
            std::string::npos)
      << again.status.error_message();
  EXPECT_TRUE(again.batches.empty());
}

// A client that lost its outputs after the run completed asks for the whole
// run again: every batch and the summary, nothing decided again.
TEST_F(PrintRunTest, ACompletedRunIsReplayedWholeWhenAskedFor) {
  RunResult first = WholeRun("bill-2026-11", TwoBatches());
  ASSERT_TRUE(first.status.ok());
  const size_t entries = QueryAudit().size();
  v1::InsertBatchRequest open = OpenRequest("bill-2026-11", /*replay=*/true);
  open.mutable_open()->set_replay_completed(true);
  RunResult again = Run({open, CloseRequest()});
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  ASSERT_EQ(again.batches.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(again.batches[i].replayed());
    EXPECT_EQ(again.batches[i].batch_sha256(), first.batches[i].batch_sha256());
    EXPECT_EQ(again.batches[i].audit_seq(), first.batches[i].audit_seq());
    EXPECT_EQ(again.batches[i].documents_size(),
              first.batches[i].documents_size());
  }
  ASSERT_EQ(again.opened.size(), 1u);
  EXPECT_TRUE(again.opened[0].completed());
  EXPECT_EQ(again.opened[0].next_batch_no(), 2u);
  ASSERT_EQ(again.summaries.size(), 1u);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      again.summaries[0], first.summaries.at(0)))
      << again.summaries[0].ShortDebugString();
  EXPECT_EQ(QueryAudit().size(), entries);  // nothing logged, nothing decided
  // Without the flag, still refused; with it, an open run opens as usual.
  EXPECT_EQ(Run({OpenRequest("bill-2026-11")}).status.error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::InsertBatchRequest fresh = OpenRequest("bill-2026-12");
  fresh.mutable_open()->set_replay_completed(true);
  RunResult r = Run({fresh, BatchRequest(0, TwoBatches()[0]), CloseRequest()});
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_FALSE(r.opened.at(0).completed());
  EXPECT_EQ(r.summaries.at(0).documents(), 2u);
}

TEST_F(PrintRunTest, ARunCutOffHalfWayIsResumedWithoutDecidingTwice) {
  const auto batches = TwoBatches();
  {
    // Batch 0 answered, then the client goes away.
    grpc::ClientContext ctx;
    auto stream = Stream(ctx);
    ASSERT_TRUE(stream->Write(OpenRequest("bill-2026-11")));
    ASSERT_TRUE(stream->Write(BatchRequest(0, batches[0])));
    v1::InsertBatchResponse resp;
    ASSERT_TRUE(stream->Read(&resp));
    ASSERT_TRUE(resp.has_opened());
    ASSERT_TRUE(stream->Read(&resp));
    ASSERT_TRUE(resp.has_batch());
    ctx.TryCancel();
    (void)stream->Finish();
  }
  const uint64_t entries_before = QueryAudit().size();

  // Opened again with replay: batch 0's answer again, then where to go on.
  grpc::ClientContext ctx;
  auto stream = Stream(ctx);
  ASSERT_TRUE(stream->Write(OpenRequest("bill-2026-11", /*replay=*/true)));
  v1::InsertBatchResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  ASSERT_TRUE(resp.has_batch());
  EXPECT_TRUE(resp.batch().replayed());
  EXPECT_EQ(resp.batch().batch_no(), 0u);
  EXPECT_EQ(resp.batch().documents_size(), 2);
  ASSERT_TRUE(stream->Read(&resp));
  ASSERT_TRUE(resp.has_opened());
  EXPECT_TRUE(resp.opened().resumed());
  EXPECT_EQ(resp.opened().next_batch_no(), 1u);
  EXPECT_EQ(resp.opened().documents(), 2u);
  // Resuming decided nothing again.
  EXPECT_EQ(QueryAudit().size(), entries_before);
  ASSERT_TRUE(stream->Write(BatchRequest(1, batches[1])));
  ASSERT_TRUE(stream->Write(CloseRequest()));
  stream->WritesDone();
  std::vector<v1::RunSummary> summaries;
  while (stream->Read(&resp)) {
    if (resp.has_summary()) summaries.push_back(resp.summary());
  }
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].documents(), 4u);
  EXPECT_EQ(summaries[0].run_digest(), ToHex(Sha256(ExpectedLines())));
  int batch_entries = 0;
  for (const auto& e : QueryAudit()) batch_entries += e.kind() == "print.batch";
  EXPECT_EQ(batch_entries, 2);
}

TEST_F(PrintRunTest, ABatchAlreadyDecidedIsRefusedNamingTheExpectedOne) {
  const auto batches = TwoBatches();
  RunResult first =
      Run({OpenRequest("bill-2026-11"), BatchRequest(0, batches[0])});
  ASSERT_EQ(first.batches.size(), 1u);
  RunResult again =
      Run({OpenRequest("bill-2026-11"), BatchRequest(0, batches[0])});
  EXPECT_EQ(again.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(again.status.error_message().find("expects batch 1"),
            std::string::npos)
      << again.status.error_message();
  // The same document again under the next number: named with its item.
  RunResult dup = Run({OpenRequest("bill-2026-11"),
                       BatchRequest(1, {batches[1][0], batches[0][1]})});
  EXPECT_EQ(dup.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(dup.status.error_message().find("batches[1].items[1].document_id"),
            std::string::npos)
      << dup.status.error_message();
  EXPECT_NE(dup.status.error_message().find("already decided"),
            std::string::npos);
}

TEST_F(PrintRunTest, BadItemsAreInvalidArgumentNamingTheBatchAndItem) {
  struct Case {
    std::vector<Item> items;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{{"doc-1", "C-1", {"leaflet-fibre"}}, {"", "C-1", {"leaflet-fibre"}}},
       "batches[0].items[1].document_id"},
      {{{"doc 1", "C-1", {"leaflet-fibre"}}},
       "batches[0].items[0].document_id"},
      {{{"doc-1", "", {"leaflet-fibre"}}}, "batches[0].items[0].customer_id"},
      {{{"doc-1",
         "C-1",
         {"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9", "l10",
          "l11", "l12", "l13", "l14", "l15", "l16"}}},
       "batches[0].items[0].campaign_ids: at most 16"},
      {{{"doc-1", "C-1", {"leaflet-fibre", "leaflet-fibre"}}},
       "batches[0].items[0].campaign_ids[1]"},
      {{{"doc-1", "C-1", {"bad campaign"}}},
       "batches[0].items[0].campaign_ids[0]"},
      {{{"doc-1", "C-1", {"leaflet-fibre"}},
        {"doc-1", "C-2", {"leaflet-fibre"}}},
       "batches[0].items[1].document_id"},
  };
  for (const Case& c : cases) {
    RunResult r = Run({OpenRequest("bill-bad"), BatchRequest(0, c.items)});
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.field;
    EXPECT_NE(r.status.error_message().find(c.field), std::string::npos)
        << r.status.error_message();
    EXPECT_TRUE(r.batches.empty());
  }
  // Nothing of those batches was written: the run still expects batch 0.
  RunResult r = Run({OpenRequest("bill-bad"), CloseRequest()});
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.opened.at(0).next_batch_no(), 0u);
  EXPECT_EQ(r.summaries.at(0).documents(), 0u);
  for (const auto& e : QueryAudit()) EXPECT_NE(e.kind(), "print.batch");
  // Nor counted as decided: the documents of refused batches can be sent in
  // a good one.
  RunResult good =
      Run({OpenRequest("bill-good"),
           BatchRequest(0, {{"doc-0", "C-1", {"leaflet-fibre"}}}),
           BatchRequest(1, {{"doc-1", "C-1", {"leaflet-fibre"}},
                            {"doc-0", "C-1", {"leaflet-fibre"}}})});
  ASSERT_EQ(good.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(good.status.error_message().find(
                "batches[1].items[1].document_id: doc-0 was already decided"),
            std::string::npos)
      << good.status.error_message();
  good = Run({OpenRequest("bill-good"),
              BatchRequest(1, {{"doc-1", "C-1", {"leaflet-fibre"}},
                               {"doc-2", "C-1", {"leaflet-fibre"}}}),
              CloseRequest()});
  ASSERT_TRUE(good.status.ok()) << good.status.error_message();
  EXPECT_EQ(good.summaries.at(0).documents(), 3u);
}

// A stream that ends early (a refused batch, or the client's half-close
// without CloseRun) while an accepted batch is still being committed: that
// batch's answer still arrives (it is durable), then the error. The race is
// the commit against the next read; 30 small runs lose it often enough.
TEST_F(PrintRunTest, AnswersOfDurableBatchesArriveBeforeAnError) {
  for (int i = 0; i < 30; ++i) {
    const std::string run = StrCat("bill-", i);
    RunResult cut = Run({OpenRequest(run),
                         BatchRequest(0, {{"d-1", "C-1", {"leaflet-fibre"}}})});
    EXPECT_EQ(cut.status.error_code(), grpc::StatusCode::CANCELLED);
    ASSERT_EQ(cut.batches.size(), 1u) << "run " << i;
    RunResult bad = Run({OpenRequest(run),
                         BatchRequest(1, {{"d-2", "C-1", {"leaflet-fibre"}}}),
                         BatchRequest(2, {{"", "C-1", {"leaflet-fibre"}}})});
    EXPECT_EQ(bad.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    ASSERT_EQ(bad.batches.size(), 1u) << "run " << i;
    EXPECT_EQ(bad.batches[0].batch_no(), 1u);
  }
}

// A batch at the documented limits: 10,000 documents with 16 leaflets each
// and the longest ids, about 13 MB (gRPC's default limit is 4 MB).
TEST_F(PrintRunTest, ABatchAtItsLimitsIsAccepted) {
  std::vector<Item> items;
  std::vector<std::string> leaflets;
  for (int j = 0; j < 16; ++j) {
    leaflets.push_back(StrCat("leaflet-", j, "-", std::string(50, 'x')));
  }
  for (int i = 0; i < 10000; ++i) {
    std::string doc = StrCat("doc-", i, "-");
    doc.resize(128, 'd');
    std::string customer = StrCat("C-", i, "-");
    customer.resize(128, 'c');
    items.push_back({doc, customer, leaflets});
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  auto stub = v1::InsertGate::NewStub(grpc::CreateCustomChannel(
      daemon_->address(), grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stream = stub->CheckInsertBatch(&ctx);
  ASSERT_TRUE(stream->Write(OpenRequest("bill-big")));
  ASSERT_TRUE(stream->Write(BatchRequest(0, items)));
  ASSERT_TRUE(stream->Write(CloseRequest()));
  stream->WritesDone();
  v1::InsertBatchResponse resp;
  uint64_t documents = 0, decisions = 0;
  while (stream->Read(&resp)) {
    if (resp.has_summary()) {
      documents = resp.summary().documents();
      decisions = resp.summary().decisions();
    }
  }
  grpc::Status s = stream->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(documents, 10000u);
  EXPECT_EQ(decisions, 160000u);
}

TEST_F(PrintRunTest, StreamErrorsAreNamed) {
  RunResult no_open = Run({BatchRequest(0, TwoBatches()[0])});
  EXPECT_EQ(no_open.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_open.status.error_message().find("open"), std::string::npos);
  RunResult bad_id = Run({OpenRequest("bill 2026")});
  EXPECT_EQ(bad_id.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad_id.status.error_message().find("print_run_id"),
            std::string::npos);
  v1::InsertBatchRequest no_actor = OpenRequest("bill-2026-11");
  no_actor.mutable_open()->clear_actor();
  RunResult r = Run({no_actor});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(r.status.error_message().find("actor"), std::string::npos);
  RunResult empty = Run({v1::InsertBatchRequest()});
  EXPECT_EQ(empty.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Cut off before CloseRun: CANCELLED, and the run can be resumed.
  RunResult cut = Run({OpenRequest("bill-2026-11")});
  EXPECT_EQ(cut.status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_NE(cut.status.error_message().find("resume"), std::string::npos);
}

TEST_F(PrintRunTest, AnAcknowledgedBatchSurvivesKillNine) {
  const auto batches = TwoBatches();
  RunResult first =
      Run({OpenRequest("bill-2026-11"), BatchRequest(0, batches[0])});
  ASSERT_EQ(first.batches.size(), 1u);
  DropClients();
  daemon_->Kill();
  StartDaemon();
  RunResult rest = Run({OpenRequest("bill-2026-11"),
                        BatchRequest(1, batches[1]), CloseRequest()});
  ASSERT_TRUE(rest.status.ok()) << rest.status.error_message();
  EXPECT_TRUE(rest.opened.at(0).resumed());
  EXPECT_EQ(rest.opened.at(0).next_batch_no(), 1u);
  EXPECT_EQ(rest.summaries.at(0).documents(), 4u);
  EXPECT_EQ(rest.summaries.at(0).run_digest(), ToHex(Sha256(ExpectedLines())));
  EXPECT_TRUE(Verify().ok());
}

TEST_F(PrintRunTest, ManyBatchesInFlightAreAnsweredInOrder) {
  std::vector<v1::InsertBatchRequest> reqs = {OpenRequest("bill-big")};
  std::string expected;
  for (int b = 0; b < 20; ++b) {
    std::vector<Item> items;
    for (int i = 0; i < 500; ++i) {
      const std::string doc = StrCat("d-", b, "-", i);
      const std::string customer = StrCat("C-", 1 + (i % 3));
      items.push_back({doc, customer, {"leaflet-fibre"}});
      const char* verdict = i % 3 == 0   ? "ALLOW\tCONSENT_ON_RECORD"
                            : i % 3 == 1 ? "BLOCK\tCONSENT_WITHDRAWN"
                                         : "BLOCK\tNO_CONSENT";
      expected +=
          StrCat(doc, "\t", customer, "\tleaflet-fibre\t", verdict, "\n");
    }
    reqs.push_back(BatchRequest(static_cast<uint64_t>(b), items));
  }
  reqs.push_back(CloseRequest());
  RunResult r = Run(reqs);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.batches.size(), 20u);
  for (size_t i = 0; i < r.batches.size(); ++i) {
    EXPECT_EQ(r.batches[i].batch_no(), i);
  }
  EXPECT_EQ(r.summaries.at(0).documents(), 10000u);
  EXPECT_EQ(r.summaries.at(0).run_digest(), ToHex(Sha256(expected)));
}

TEST_F(PrintRunTest, ReconcileFindsViolationsAndLogsEachOne) {
  ASSERT_TRUE(WholeRun("bill-2026-11", TwoBatches()).status.ok());
  v1::ReconcileResponse resp;
  grpc::Status s = Reconcile(
      "bill-2026-11",
      {Piece("doc-001", {"leaflet-fibre"}),  // power allowed, not inserted
       Piece("doc-002", {"leaflet-fibre"}),  // withdrawn: a violation
       Piece("doc-003", {"leaflet-power"}, v1::PIECE_STATUS_SPOILED),
       Piece("doc-999", {})},
      &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.pieces(), 4u);
  EXPECT_EQ(resp.violation_count(), 1u);
  ASSERT_EQ(resp.violations_size(), 1);
  EXPECT_EQ(resp.violations(0).document_id(), "doc-002");
  EXPECT_EQ(resp.violations(0).campaign_ids(0), "leaflet-fibre");
  EXPECT_EQ(resp.not_inserted_count(), 1u);
  EXPECT_EQ(resp.not_inserted(0).document_id(), "doc-001");
  EXPECT_EQ(resp.not_inserted(0).campaign_ids(0), "leaflet-power");
  EXPECT_EQ(resp.spoiled_count(), 1u);
  EXPECT_EQ(resp.spoiled_document_ids(0), "doc-003");
  EXPECT_EQ(resp.unknown_count(), 1u);
  EXPECT_EQ(resp.missing_pieces(), 1u);  // doc-004
  // The violation is in C-2's log; the reconciliation in the log.
  bool violation = false;
  for (const auto& e : QueryAudit("C-2")) {
    violation = violation || e.kind() == "print.violation";
  }
  EXPECT_TRUE(violation);
  const auto all = QueryAudit();
  EXPECT_EQ(all.back().kind(), "print.reconciled");
  EXPECT_EQ(all.back().seq(), resp.audit_seq());
  EXPECT_TRUE(Verify().ok());
}

TEST_F(PrintRunTest, ReconcileErrorsAreNamed) {
  v1::ReconcileResponse resp;
  EXPECT_EQ(Reconcile("no-such-run", {}, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_EQ(Run({OpenRequest("bill-open"), BatchRequest(0, TwoBatches()[0])})
                .batches.size(),
            1u);
  EXPECT_EQ(Reconcile("bill-open", {}, &resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(WholeRun("bill-2026-11", TwoBatches()).status.ok());
  grpc::Status twice = Reconcile(
      "bill-2026-11",
      {Piece("doc-001", {"leaflet-fibre"}), Piece("doc-001", {})}, &resp);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(twice.error_message().find("pieces[1].document_id"),
            std::string::npos)
      << twice.error_message();
  grpc::Status no_status =
      Reconcile("bill-2026-11",
                {Piece("doc-001", {}, v1::PIECE_STATUS_UNSPECIFIED)}, &resp);
  EXPECT_EQ(no_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_status.error_message().find("pieces[0].status"),
            std::string::npos);
}

TEST_F(PrintRunTest, PullListNamesDocumentsBlockedSinceTheRun) {
  ASSERT_TRUE(WholeRun("bill-2026-11", TwoBatches()).status.ok());
  EXPECT_TRUE(Pull("bill-2026-11").empty());
  Withdraw("C-1", v1::PURPOSE_AD_INSERT);
  std::vector<v1::PullListEntry> pull = Pull("bill-2026-11");
  ASSERT_EQ(pull.size(), 2u);
  EXPECT_EQ(pull[0].document_id(), "doc-001");
  EXPECT_EQ(pull[0].customer_id(), "C-1");
  ASSERT_EQ(pull[0].now_blocked_size(), 2);
  EXPECT_EQ(pull[0].now_blocked(0).reasons(0), v1::REASON_CONSENT_WITHDRAWN);
  EXPECT_EQ(pull[1].document_id(), "doc-004");
  ASSERT_EQ(pull[1].now_blocked_size(), 1);  // leaflet-gone was never allowed
  EXPECT_EQ(pull[1].now_blocked(0).campaign_id(), "leaflet-fibre");

  grpc::Status s;
  Pull("no-such-run", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PrintRunTest, AReprintRunDecidesAgainAgainstTodaysConsents) {
  ASSERT_TRUE(WholeRun("bill-2026-11", TwoBatches()).status.ok());
  Withdraw("C-1", v1::PURPOSE_AD_INSERT);
  RunResult r = WholeRun("bill-2026-11-r1", {});
  ASSERT_TRUE(r.status.ok());  // an empty run is a run
  std::vector<v1::InsertBatchRequest> reqs = {
      OpenRequest("bill-2026-11-r2", false, "bill-2026-11"),
      BatchRequest(0, {{"doc-001", "C-1", {"leaflet-fibre"}}}), CloseRequest()};
  RunResult reprint = Run(reqs);
  ASSERT_TRUE(reprint.status.ok()) << reprint.status.error_message();
  ASSERT_EQ(reprint.batches.size(), 1u);
  EXPECT_EQ(reprint.batches[0].documents(0).blocked(0).reasons(0),
            v1::REASON_CONSENT_WITHDRAWN);

  // Only the first run's documents, and only a completed first run.
  RunResult stranger =
      Run({OpenRequest("bill-2026-11-r3", false, "bill-2026-11"),
           BatchRequest(0, {{"doc-777", "C-1", {"leaflet-fibre"}}})});
  EXPECT_EQ(stranger.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(stranger.status.error_message().find("not in run bill-2026-11"),
            std::string::npos)
      << stranger.status.error_message();
  ASSERT_EQ(Run({OpenRequest("bill-open"), BatchRequest(0, TwoBatches()[0])})
                .batches.size(),
            1u);
  RunResult early = Run({OpenRequest("bill-open-r1", false, "bill-open")});
  EXPECT_EQ(early.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  RunResult nowhere = Run({OpenRequest("bill-x-r1", false, "bill-x")});
  EXPECT_EQ(nowhere.status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PrintRunTest, AConsentRecordedBetweenBatchesCountsForTheNextOne) {
  RunResult first =
      Run({OpenRequest("bill-2026-11"),
           BatchRequest(0, {{"doc-1", "C-3", {"leaflet-fibre"}}})});
  ASSERT_EQ(first.batches.size(), 1u);
  EXPECT_EQ(first.batches[0].documents(0).blocked_size(), 1);
  ASSERT_TRUE(Record(AdConsent("C-3")).ok());
  RunResult rest = Run({OpenRequest("bill-2026-11"),
                        BatchRequest(1, {{"doc-2", "C-3", {"leaflet-fibre"}}}),
                        CloseRequest()});
  ASSERT_TRUE(rest.status.ok()) << rest.status.error_message();
  EXPECT_EQ(rest.batches.at(0).documents(0).allowed_campaign_ids_size(), 1);
}

}  // namespace
}  // namespace gatekeeper
