// Bulk import and export of consents end to end: ConsentService's
// ImportConsents and ExportConsents over gRPC, and `gkctl consent import` /
// `export` run as children, against the real gatekeeperd on a free loopback
// port with a temp data_dir.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "clients/common/csv.h"
#include "gatekeeper/v1/audit_payload.pb.h"
#include "tests/testing/child_process.h"
#include "tests/testing/daemon_fixture.h"

namespace gatekeeper {
namespace {

namespace fs = std::filesystem;
using testing::ChildResult;
using testing::Ctx;
using testing::RunChild;

constexpr char kHeader[] =
    "request_id,customer_id,purpose,company_id,phone_number,notice_id,"
    "channel,evidence_ref,collected_at,expires_at,collected_by\r\n";
constexpr char kExportHeader[] =
    "request_id,customer_id,purpose,company_id,phone_masked,notice_id,"
    "channel,evidence_ref,collected_at,expires_at,collected_by,consent_id,"
    "state,recorded_at";

// The big file: 1,000,000 rows (see ImportsAMillionRowFile); 100,000 under
// the sanitizers, which make the daemon and gkctl several times slower.
#ifdef GATEKEEPER_SANITIZED
constexpr int kBigRows = 100'000;
#else
constexpr int kBigRows = 1'000'000;
#endif

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// Row i of a realistic file: two ad-insert rows (two companies) for every
// telemarketing row with a phone number; some with an expiry, some expired.
std::string Row(int i, std::string_view prefix = "imp") {
  const bool tm = i % 3 == 0;
  char phone[32] = "";
  if (tm)
    std::snprintf(phone, sizeof phone, "090-%04d-%04d",
                  1000 + (i / 10000) % 9000, i % 10000);
  const char* expires = i % 7 == 0    ? "2030-01-01T00:00:00Z"
                        : i % 11 == 0 ? "2025-06-01T00:00:00+09:00"
                                      : "";
  std::ostringstream r;
  r << prefix << "-" << i << ",C-" << (100000 + i / 2) << ","
    << (tm ? "telemarketing" : "ad-insert") << ","
    << (tm || i % 2 == 0 ? "hikari-net" : "denki-home") << "," << phone << ","
    << (tm ? "tm-2026-04" : "ad-2026-04") << ","
    << (tm ? "recorded-call" : "paper-form") << ",\"scan, " << i << "\","
    << "2025-01-01T09:00:00+09:00," << expires << ",billing-center\r\n";
  return r.str();
}

std::string File(int from, int to, std::string_view prefix = "imp") {
  std::string out = kHeader;
  for (int i = from; i < to; ++i) out += Row(i, prefix);
  return out;
}

class ImportTest : public testing::DaemonTest {
 protected:
  ChildResult Gkctl(std::vector<std::string> args,
                    std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::vector<std::string> argv = {GKCTL_PATH, "--target",
                                     daemon_->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunChild(argv, {}, {}, timeout);
  }

  fs::path Path(std::string name) { return dir_.path() / name; }

  std::vector<v1::ConsentRecord> Consents(std::string customer) {
    v1::ListConsentsRequest req;
    req.set_customer_id(std::move(customer));
    req.set_include_history(true);
    v1::ListConsentsResponse resp;
    EXPECT_TRUE(consents_->ListConsents(Ctx().get(), req, &resp).ok());
    return {resp.consents().begin(), resp.consents().end()};
  }

  // Streams `messages` to ImportConsents.
  grpc::Status Import(const std::vector<v1::ImportConsentsRequest>& messages,
                      v1::ImportConsentsResponse* resp) {
    auto ctx = Ctx();
    auto writer = consents_->ImportConsents(ctx.get(), resp);
    for (const auto& m : messages) {
      if (!writer->Write(m)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  std::vector<v1::ExportConsentsResponse> Export(std::string customer,
                                                 std::string requested_by,
                                                 grpc::Status* s) {
    v1::ExportConsentsRequest req;
    req.set_customer_id(std::move(customer));
    req.set_requested_by(std::move(requested_by));
    auto ctx = Ctx();
    auto reader = consents_->ExportConsents(ctx.get(), req);
    std::vector<v1::ExportConsentsResponse> out;
    v1::ExportConsentsResponse page;
    while (reader->Read(&page)) out.push_back(page);
    *s = reader->Finish();
    return out;
  }

  uint64_t AuditHead() {
    v1::VerifyAuditRequest req;
    v1::VerifyAuditResponse resp;
    EXPECT_TRUE(audit_->VerifyAudit(Ctx().get(), req, &resp).ok());
    EXPECT_TRUE(resp.ok()) << resp.ShortDebugString();
    return resp.entries_checked();
  }
};

// ---- The RPCs ----

TEST_F(ImportTest, ImportStoresEachRowWithItsEntryAndCountsThem) {
  v1::ImportConsentsRequest m;
  *m.add_consents() = AdConsent("C-1", "r-1");
  *m.add_consents() = TmConsent("C-2");
  m.mutable_consents(1)->set_request_id("r-2");
  v1::ImportConsentsResponse resp;
  ASSERT_TRUE(Import({m}, &resp).ok());
  EXPECT_EQ(resp.imported(), 2u);
  EXPECT_EQ(resp.already_present(), 0u);
  EXPECT_EQ(resp.rejected(), 0u);
  auto c2 = Consents("C-2");
  ASSERT_EQ(c2.size(), 1u);
  EXPECT_EQ(c2[0].phone_masked(), "+81 90-****-5678");
  EXPECT_EQ(c2[0].request_id(), "r-2");
  int recorded = 0;
  for (const auto& e : QueryAudit()) recorded += e.kind() == "consent.recorded";
  EXPECT_EQ(recorded, 2);

  // RecordConsent with the same request_id and content answers the
  // imported record: the same fingerprint.
  v1::ConsentRecord again;
  v1::RecordConsentRequest r1 = m.consents(0);
  ASSERT_TRUE(Record(r1, &again).ok());
  EXPECT_EQ(again.consent_id(), Consents("C-1")[0].consent_id());
}

TEST_F(ImportTest, RowsAreNumberedAcrossMessagesAndBadOnesNamed) {
  v1::ImportConsentsRequest m1, m2;
  *m1.add_consents() = AdConsent("C-1", "r-1");
  *m1.add_consents() = AdConsent("C-2", "r-2");
  m1.mutable_consents(1)->set_company_id("no-such-co");
  *m2.add_consents() = AdConsent("C-3", "r-3");
  *m2.add_consents() = TmConsent("C-4");
  m2.mutable_consents(1)->set_request_id("r-4");
  m2.mutable_consents(1)->set_phone_number("12");
  v1::ImportConsentsResponse resp;
  ASSERT_TRUE(Import({m1, m2}, &resp).ok());
  EXPECT_EQ(resp.imported(), 2u);
  EXPECT_EQ(resp.rejected(), 2u);
  ASSERT_EQ(resp.errors_size(), 2);
  EXPECT_EQ(resp.errors(0).row(), 2u);
  EXPECT_EQ(resp.errors(0).field(), "company_id");
  EXPECT_EQ(resp.errors(0).code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(resp.errors(1).row(), 4u);
  EXPECT_EQ(resp.errors(1).field(), "phone_number");
  EXPECT_EQ(Consents("C-3").size(), 1u);
  EXPECT_TRUE(Consents("C-2").empty());
}

TEST_F(ImportTest, KnownRequestIdIsAlreadyPresentOrRejectedWhenDifferent) {
  v1::ImportConsentsRequest m;
  *m.add_consents() = AdConsent("C-1", "r-1");
  v1::ImportConsentsResponse first;
  ASSERT_TRUE(Import({m}, &first).ok());
  ASSERT_EQ(first.imported(), 1u);
  *m.add_consents() = AdConsent("C-1", "r-1");
  m.mutable_consents(1)->set_company_id("denki-home");  // other content
  v1::ImportConsentsResponse again;
  ASSERT_TRUE(Import({m}, &again).ok());
  EXPECT_EQ(again.imported(), 0u);
  EXPECT_EQ(again.already_present(), 1u);
  EXPECT_EQ(again.rejected(), 1u);
  ASSERT_EQ(again.errors_size(), 1);
  EXPECT_EQ(again.errors(0).row(), 2u);
  EXPECT_EQ(again.errors(0).field(), "request_id");
  EXPECT_EQ(again.errors(0).code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Consents("C-1").size(), 1u);
}

TEST_F(ImportTest, ValidateOnlyCountsAndStoresNothing) {
  v1::ImportConsentsRequest known;
  *known.add_consents() = AdConsent("C-1", "r-1");
  v1::ImportConsentsResponse resp;
  ASSERT_TRUE(Import({known}, &resp).ok());
  const uint64_t head = AuditHead();

  v1::ImportConsentsRequest m;
  m.set_validate_only(true);
  *m.add_consents() = known.consents(0);        // already present
  *m.add_consents() = AdConsent("C-2", "r-2");  // new
  *m.add_consents() = AdConsent("C-3", "r-1");  // conflict
  *m.add_consents() = AdConsent("", "r-4");     // invalid
  v1::ImportConsentsResponse check;
  ASSERT_TRUE(Import({m}, &check).ok());
  EXPECT_TRUE(check.validate_only());
  EXPECT_EQ(check.imported(), 1u);
  EXPECT_EQ(check.already_present(), 1u);
  EXPECT_EQ(check.rejected(), 2u);
  ASSERT_EQ(check.errors_size(), 2);
  EXPECT_EQ(check.errors(0).row(), 3u);
  EXPECT_EQ(check.errors(0).field(), "request_id");
  EXPECT_EQ(check.errors(1).row(), 4u);
  EXPECT_EQ(check.errors(1).field(), "customer_id");
  EXPECT_TRUE(Consents("C-2").empty());
  EXPECT_EQ(AuditHead(), head);
}

TEST_F(ImportTest, MissingRequestIdIsInvalidArgumentNamingTheRow) {
  v1::ImportConsentsRequest m1, m2;
  *m1.add_consents() = AdConsent("C-1", "r-1");
  *m2.add_consents() = AdConsent("C-2", "r-2");
  *m2.add_consents() = AdConsent("C-3", "");
  v1::ImportConsentsResponse resp;
  grpc::Status s = Import({m1, m2}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("row 3: request_id: is required", 0), 0u)
      << s.error_message();
  EXPECT_EQ(Consents("C-1").size(), 1u);  // an earlier message stays
  EXPECT_TRUE(Consents("C-2").empty());   // nothing of this one
}

TEST_F(ImportTest, TooManyRowsInAMessageIsInvalidArgument) {
  v1::ImportConsentsRequest m;
  for (int i = 0; i <= 10'000; ++i) {
    *m.add_consents() = AdConsent("C-1", "r-" + std::to_string(i));
  }
  v1::ImportConsentsResponse resp;
  grpc::Status s = Import({m}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("at most 10000 rows a message"),
            std::string::npos)
      << s.error_message();
  EXPECT_TRUE(Consents("C-1").empty());
}

TEST_F(ImportTest, ExportIsLoggedPagedAndMasked) {
  v1::ImportConsentsRequest m;
  for (int i = 0; i < 2'500; ++i) {
    v1::RecordConsentRequest r = i % 2 ? TmConsent("C-" + std::to_string(i))
                                       : AdConsent("C-" + std::to_string(i));
    r.set_request_id("r-" + std::to_string(i));
    *m.add_consents() = r;
  }
  v1::ImportConsentsResponse resp;
  ASSERT_TRUE(Import({m}, &resp).ok());
  ASSERT_EQ(resp.imported(), 2'500u);
  Withdraw("C-1", v1::PURPOSE_UNSPECIFIED);

  grpc::Status s;
  auto pages = Export("", "dpo-tanaka", &s);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(pages.size(), 3u);
  std::string last;
  int n = 0, withdrawn = 0;
  for (const auto& p : pages) {
    EXPECT_EQ(p.audit_seq(), pages[0].audit_seq());
    for (const auto& c : p.consents()) {
      EXPECT_LT(last, c.consent_id());
      last = c.consent_id();
      ++n;
      withdrawn += c.state() == v1::CONSENT_STATE_WITHDRAWN;
      if (c.purpose() == v1::PURPOSE_TELEMARKETING) {
        EXPECT_EQ(c.phone_masked(), "+81 90-****-5678");
      }
    }
  }
  EXPECT_EQ(n, 2'500);
  EXPECT_EQ(withdrawn, 1);
  const auto entries = QueryAudit();
  ASSERT_FALSE(entries.empty());
  const v1::AuditEntry& e = entries.back();
  EXPECT_EQ(e.kind(), "consent.exported");
  EXPECT_EQ(e.seq(), pages[0].audit_seq());
  EXPECT_EQ(e.actor(), "dpo-tanaka");
  v1::ConsentsExportedPayload p;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(e.payload_json(), &p).ok());
  EXPECT_EQ(p.requested_by(), "dpo-tanaka");
  EXPECT_EQ(p.customer_id(), "");
  for (const auto& x : entries) {
    EXPECT_EQ(x.payload_json().find("90-1234"), std::string::npos)
        << "a number in clear in " << x.payload_json();
  }

  auto one = Export("C-3", "dpo-tanaka", &s);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(one.size(), 1u);
  ASSERT_EQ(one[0].consents_size(), 1);
  EXPECT_EQ(one[0].consents(0).customer_id(), "C-3");
  auto none = Export("C-nobody", "dpo-tanaka", &s);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(none.size(), 1u);  // still answers, with as_of and audit_seq
  EXPECT_EQ(none[0].consents_size(), 0);
  EXPECT_NE(none[0].audit_seq(), 0u);
}

TEST_F(ImportTest, ExportWithoutRequestedByIsInvalidArgument) {
  grpc::Status s;
  Export("", "", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("requested_by:", 0), 0u)
      << s.error_message();
}

// ---- gkctl ----

TEST_F(ImportTest, GkctlImportsAFileAndARerunImportsNothingTwice) {
  WriteFile(Path("c.csv"), File(0, 3'000));
  ChildResult r = Gkctl({"consent", "import", Path("c.csv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "imported 3000, already present 0, rejected 0\n");
  EXPECT_EQ(r.err, "");  // stderr is not a terminal: no progress bar
  auto c = Consents("C-100000");
  ASSERT_EQ(c.size(), 2u);
  const uint64_t head = AuditHead();

  // A BOM and LF line ends, with the same rows and 10 more.
  std::string more = "\xEF\xBB\xBF" + File(0, 3'010);
  std::string lf;
  for (char ch : more) {
    if (ch != '\r') lf += ch;
  }
  WriteFile(Path("more.csv"), lf);
  r = Gkctl({"consent", "import", Path("more.csv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "imported 10, already present 3000, rejected 0\n");
  EXPECT_EQ(AuditHead(), head + 10);
}

TEST_F(ImportTest, GkctlFileWithBadRowsImportsNothingAndNamesLinesAndFields) {
  std::string f = File(0, 4);  // lines 2-5
  f += "bad-1,C-9,ad-insert,hikari-net,,ad-2026-04,paper-form,x,"
       "not-a-time,,me\r\n";  // line 6: local parse error
  f += "bad-2,C-9,postcard,hikari-net,,ad-2026-04,paper-form,x,"
       "2025-01-01T00:00:00Z,,me\r\n";  // line 7: local parse error
  f += "bad-3,C-9,ad-insert,hikari-net,,ad-2026-04,paper-form,"
       "\"multi\nline\",2025-01-01T00:00:00Z,,me\r\n";  // lines 8-9: daemon
  f += "bad-4,C-9,ad-insert,no-such-co,,ad-2026-04,paper-form,x,"
       "2025-01-01T00:00:00Z,,me\r\n";  // line 10: daemon
  f += "bad-5,C-9,telemarketing,hikari-net,12,tm-2026-04,recorded-call,x,"
       "2025-01-01T00:00:00Z,,me\r\n";  // line 11: daemon
  f += Row(4);                          // line 12
  const std::string dup = Row(0);       // line 13: imp-0 again, other content
  f += dup.substr(0, dup.size() - 16) + "someone\r\n";
  WriteFile(Path("bad.csv"), f);
  const uint64_t head = AuditHead();
  ChildResult r = Gkctl({"consent", "import", Path("bad.csv").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  const std::string name = Path("bad.csv").string();
  for (const std::string want :
       {": line 6: collected_at: invalid time", ": line 7: purpose: ",
        ": line 8: evidence_ref: contains a control character",
        ": line 10: company_id: ", ": line 11: phone_number: ",
        ": line 13: request_id: also used on line 2"}) {
    EXPECT_NE(r.err.find(name + want), std::string::npos)
        << want << " in " << r.err;
  }
  EXPECT_NE(r.err.find("6 bad rows of 11, nothing imported"), std::string::npos)
      << r.err;
  EXPECT_EQ(AuditHead(), head);
  EXPECT_TRUE(Consents("C-100000").empty());

  // --skip-bad: the rest is imported and the bad rows set aside, with why.
  r = Gkctl(
      {"consent", "import", name, "--skip-bad", Path("rejects.csv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "imported 5, already present 0, rejected 6\n");
  EXPECT_EQ(Consents("C-100000").size(), 2u);
  const std::string rejects = ReadFile(Path("rejects.csv"));
  std::istringstream in(rejects);
  gkclient::CsvReader reader(in);
  std::vector<std::string> fields;
  ASSERT_EQ(reader.Next(fields), gkclient::CsvReader::Result::kRecord);
  ASSERT_EQ(fields.size(), 12u);
  EXPECT_EQ(fields.back(), "error");
  std::map<std::string, std::string> errors;  // request_id -> error
  while (reader.Next(fields) == gkclient::CsvReader::Result::kRecord) {
    ASSERT_EQ(fields.size(), 12u);
    errors[fields[0]] = fields[11];
  }
  ASSERT_EQ(errors.size(), 6u) << rejects;
  EXPECT_EQ(errors["bad-1"].rfind("collected_at: ", 0), 0u);
  EXPECT_EQ(errors["bad-3"].rfind("evidence_ref: ", 0), 0u);
  EXPECT_EQ(errors["bad-5"].rfind("phone_number: ", 0), 0u);
  EXPECT_EQ(errors["imp-0"].rfind("request_id: also used on line 2", 0), 0u);
  EXPECT_NE(rejects.find("\"multi\nline\""), std::string::npos) << rejects;
}

TEST_F(ImportTest, GkctlRejectsAWrongHeader) {
  WriteFile(Path("h.csv"), "request_id,customer_id\r\n");
  ChildResult r = Gkctl({"consent", "import", Path("h.csv").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("line 1: the header must be exactly"), std::string::npos)
      << r.err;
}

// Round trip: export, turn the export back into an import file, import it
// into an empty daemon, export again, and compare. Numbers cannot come back
// (only their masked form is exported), so the file holds ad-insert rows
// (no number) and the telemarketing rows are compared field by field
// without the number; consent_id and recorded_at are the new daemon's own.
TEST_F(ImportTest, GkctlExportRoundTrip) {
  WriteFile(Path("c.csv"), File(0, 600));
  ChildResult r = Gkctl({"consent", "import", Path("c.csv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Withdraw("C-100001", v1::PURPOSE_UNSPECIFIED);  // rows 2 and 3
  r = Gkctl({"consent", "export", "--out", Path("e1.csv").string(),
             "--requested-by", "migration"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "exported 600 consents to " + Path("e1.csv").string() + "\n");
  EXPECT_FALSE(r.err.find("tmp") != std::string::npos);

  auto read = [](const std::string& text) {
    std::istringstream in(text);
    gkclient::CsvReader reader(in);
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> f;
    while (reader.Next(f) == gkclient::CsvReader::Result::kRecord) {
      rows.push_back(f);
    }
    return rows;
  };
  auto e1 = read(ReadFile(Path("e1.csv")));
  ASSERT_EQ(e1.size(), 601u);
  std::string header;
  for (const auto& h : e1[0]) header += (header.empty() ? "" : ",") + h;
  EXPECT_EQ(header, kExportHeader);
  std::map<std::string, std::vector<std::string>> by_request;
  std::map<std::string, int> states;
  for (size_t i = 1; i < e1.size(); ++i) {
    ASSERT_EQ(e1[i].size(), 14u);
    by_request[e1[i][0]] = e1[i];
    ++states[e1[i][12]];
    if (e1[i][2] == "telemarketing") {
      EXPECT_EQ(e1[i][4].rfind("+81 90-****-", 0), 0u) << e1[i][4];  // masked
    }
  }
  EXPECT_EQ(states["withdrawn"], 2);
  EXPECT_GT(states["expired"], 0);
  EXPECT_GT(states["granted"], 500);
  // Everything as the file said, but the number.
  for (int i = 0; i < 600; ++i) {
    auto row = read(std::string(kHeader) + Row(i))[1];
    const auto& got = by_request.at(row[0]);
    for (size_t k = 0; k < 11; ++k) {
      if (k == 4) continue;    // phone_number: only masked
      if (k == 8 || k == 9) {  // times, in UTC now
        google::protobuf::Timestamp a, b;
        if (row[k].empty()) {
          EXPECT_EQ(got[k], "");
          continue;
        }
        ASSERT_TRUE(google::protobuf::util::TimeUtil::FromString(row[k], &a));
        ASSERT_TRUE(google::protobuf::util::TimeUtil::FromString(got[k], &b));
        EXPECT_EQ(a.seconds(), b.seconds());
        continue;
      }
      EXPECT_EQ(got[k], row[k]) << "row " << i << " column " << k;
    }
  }

  // The ad-insert rows back into an empty daemon: the export file, with
  // phone_masked (empty for them) as phone_number and the last three
  // columns dropped.
  std::string again = kHeader;
  for (size_t i = 1; i < e1.size(); ++i) {
    if (e1[i][2] != "ad-insert") continue;
    std::vector<std::string_view> f(e1[i].begin(), e1[i].begin() + 11);
    gkclient::AppendCsvRecord(again, f, "\r\n");
  }
  WriteFile(Path("again.csv"), again);
  DropClients();
  ASSERT_EQ(daemon_->Stop(SIGTERM), 0);
  fs::remove_all(daemon_->data_dir());
  StartDaemon();
  r = Gkctl({"consent", "import", Path("again.csv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "imported 400, already present 0, rejected 0\n");
  r = Gkctl({"consent", "export", "--out", Path("e2.csv").string(),
             "--requested-by", "migration"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto e2 = read(ReadFile(Path("e2.csv")));
  ASSERT_EQ(e2.size(), 401u);
  for (size_t i = 1; i < e2.size(); ++i) {
    const auto& before = by_request.at(e2[i][0]);
    for (size_t k = 0; k < 11; ++k) EXPECT_EQ(e2[i][k], before[k]) << k;
    // Withdrawn consents come back granted: import records grants.
    EXPECT_EQ(e2[i][12], before[12] == "withdrawn" ? "granted" : before[12]);
  }
}

// The big file through gkctl, and a re-run of it.
TEST_F(ImportTest, ImportsAMillionRowFile) {
  std::string f;
  f.reserve(static_cast<size_t>(kBigRows) * 160);
  f = File(0, kBigRows, "big");
  WriteFile(Path("big.csv"), f);
  f.clear();
  f.shrink_to_fit();
  const auto start = std::chrono::steady_clock::now();
  ChildResult r = Gkctl({"consent", "import", Path("big.csv").string()},
                        std::chrono::seconds(300));
  const std::chrono::duration<double> took =
      std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "imported " + std::to_string(kBigRows) +
                       ", already present 0, rejected 0\n");
  std::cerr << "imported " << kBigRows << " rows in " << took.count() << " s\n";
  EXPECT_EQ(Consents("C-100000").size(), 2u);
  EXPECT_EQ(Consents("C-" + std::to_string(100000 + (kBigRows - 1) / 2)).size(),
            kBigRows % 2 ? 1u : 2u);
}

}  // namespace
}  // namespace gatekeeper
