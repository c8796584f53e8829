// The clients' CSV module (clients/common/csv.h), as print-gate uses it: RFC
// 4180 read and written, line ends, the BOM, line numbers across quoted line
// breaks, the recoverable and fatal errors, UTF-8; and the manifest and
// inserter rows on top of it (manifest.h).
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "clients/common/csv.h"
#include "clients/print-gate/digest.h"
#include "clients/print-gate/manifest.h"
#include "clients/print-gate/run.h"
#include "gatekeeper/v1/types.pb.h"

namespace printgate {
namespace {

using gkclient::AppendCsvRecord;
using gkclient::CsvReader;
using gkclient::IsValidUtf8;

using Fields = std::vector<std::string>;

// One step of a reader: a record, an error, or the end.
struct Step {
  std::string kind;  // "record", "error", "fatal", "end"
  uint64_t line = 0;
  Fields fields;
  std::string error;
};

std::vector<Step> ReadAll(const std::string& input,
                          size_t max_record = CsvReader::kDefaultMaxRecordBytes,
                          std::string* eol = nullptr) {
  std::istringstream in(input);
  CsvReader reader(in, max_record);
  std::vector<Step> steps;
  for (int guard = 0; guard < 1'000'000; ++guard) {
    Step s;
    const CsvReader::Result r = reader.Next(s.fields);
    s.line = reader.line();
    if (r == CsvReader::Result::kEnd) {
      s.kind = "end";
      steps.push_back(s);
      break;
    }
    if (r == CsvReader::Result::kError) {
      s.kind = reader.fatal() ? "fatal" : "error";
      s.error = reader.error();
      steps.push_back(s);
      if (reader.fatal()) break;
      continue;
    }
    s.kind = "record";
    steps.push_back(s);
  }
  if (eol != nullptr) *eol = std::string(reader.eol());
  return steps;
}

std::vector<Fields> Records(const std::string& input) {
  std::vector<Fields> out;
  for (const Step& s : ReadAll(input)) {
    EXPECT_NE(s.kind, "error") << s.error;
    EXPECT_NE(s.kind, "fatal") << s.error;
    if (s.kind == "record") out.push_back(s.fields);
  }
  return out;
}

TEST(CsvReaderTest, ReadsPlainRecordsWithLf) {
  EXPECT_EQ(Records("a,b,c\n1,2,3\n"),
            (std::vector<Fields>{{"a", "b", "c"}, {"1", "2", "3"}}));
}

TEST(CsvReaderTest, ReadsCrlfAndRemembersTheLineEnd) {
  std::string eol;
  const auto steps =
      ReadAll("a,b\r\n1,2\r\n", CsvReader::kDefaultMaxRecordBytes, &eol);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].fields, (Fields{"a", "b"}));
  EXPECT_EQ(steps[1].fields, (Fields{"1", "2"}));
  EXPECT_EQ(eol, "\r\n");
  ReadAll("a,b\n1,2\r\n", CsvReader::kDefaultMaxRecordBytes, &eol);
  EXPECT_EQ(eol, "\n");
}

TEST(CsvReaderTest, LastLineWithoutLineEnd) {
  EXPECT_EQ(Records("a,b\n1,2"), (std::vector<Fields>{{"a", "b"}, {"1", "2"}}));
}

TEST(CsvReaderTest, EmptyFields) {
  EXPECT_EQ(Records(",,\n\"\",x,\n"),
            (std::vector<Fields>{{"", "", ""}, {"", "x", ""}}));
}

TEST(CsvReaderTest, QuotedFieldsWithCommasQuotesAndLineBreaks) {
  EXPECT_EQ(
      Records("\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",\"cr\r\nlf\"\n"),
      (std::vector<Fields>{{"a,b", "say \"hi\"", "line1\nline2", "cr\r\nlf"}}));
}

TEST(CsvReaderTest, ABomAtTheStartIsSkipped) {
  EXPECT_EQ(Records("\xEF\xBB\xBF"
                    "a,b\n1,2\n"),
            (std::vector<Fields>{{"a", "b"}, {"1", "2"}}));
}

TEST(CsvReaderTest, ABomElsewhereIsData) {
  EXPECT_EQ(Records("a,b\n\xEF\xBB\xBF"
                    "1,2\n"),
            (std::vector<Fields>{{"a", "b"},
                                 {"\xEF\xBB\xBF"
                                  "1",
                                  "2"}}));
}

TEST(CsvReaderTest, BlankLinesAreSkippedButCounted) {
  const auto steps = ReadAll("a\n\n\r\nb\n\n");
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].line, 1u);
  EXPECT_EQ(steps[1].fields, Fields{"b"});
  EXPECT_EQ(steps[1].line, 4u);
  EXPECT_EQ(steps[2].kind, "end");
}

TEST(CsvReaderTest, LineNumbersCountLineBreaksInsideQuotes) {
  const auto steps =
      ReadAll("h1,h2\n\"multi\nline\r\nfield\",x\nnext,y\r\nlast,z");
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_EQ(steps[0].line, 1u);
  EXPECT_EQ(steps[1].line, 2u);
  EXPECT_EQ(steps[1].fields, (Fields{"multi\nline\r\nfield", "x"}));
  EXPECT_EQ(steps[2].line, 5u);
  EXPECT_EQ(steps[3].line, 6u);
  EXPECT_EQ(steps[4].kind, "end");
}

TEST(CsvReaderTest, QuoteInsideAnUnquotedFieldIsRecoverable) {
  const auto steps = ReadAll("a,b\nx,y\"z,w\nc,d\n");
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(steps[1].kind, "error");
  EXPECT_EQ(steps[1].line, 2u);
  EXPECT_EQ(steps[1].error, "quote inside unquoted field 2");
  EXPECT_TRUE(steps[1].fields.empty());
  EXPECT_EQ(steps[2].fields, (Fields{"c", "d"}));
  EXPECT_EQ(steps[2].line, 3u);
}

TEST(CsvReaderTest, CharacterAfterAClosingQuoteIsRecoverable) {
  const auto steps = ReadAll("\"a\"b,c\nd,e\n");
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].kind, "error");
  EXPECT_EQ(steps[0].error, "character after the closing quote of field 1");
  EXPECT_EQ(steps[1].fields, (Fields{"d", "e"}));
  EXPECT_EQ(steps[1].line, 2u);
}

TEST(CsvReaderTest, AnErrorOnALaterLineOfARecordNamesBothLines) {
  // The record starts on line 2; the stray character is on line 3. Reading
  // goes on after line 3.
  const auto steps = ReadAll("h\n\"a\nb\"x\nc\n");
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(steps[1].kind, "error");
  EXPECT_EQ(steps[1].line, 2u);
  EXPECT_EQ(steps[1].error,
            "character after the closing quote of field 1 (on line 3)");
  EXPECT_EQ(steps[2].fields, Fields{"c"});
  EXPECT_EQ(steps[2].line, 4u);
}

TEST(CsvReaderTest, LoneCarriageReturnIsRecoverable) {
  const auto steps = ReadAll("a,b\rc\nd,e\n");
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].kind, "error");
  EXPECT_EQ(steps[0].error, "carriage return not followed by a line feed");
  EXPECT_EQ(steps[1].fields, (Fields{"d", "e"}));
}

TEST(CsvReaderTest, UnterminatedQuoteIsFatal) {
  const auto steps = ReadAll("a,b\nc,\"open\nd,e\n");
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[1].kind, "fatal");
  EXPECT_EQ(steps[1].line, 2u);
  EXPECT_EQ(
      steps[1].error,
      "unterminated quoted field (field 2, opened on line 2) (on line 4)");
}

TEST(CsvReaderTest, AfterAFatalErrorEveryCallFails) {
  std::istringstream in("\"open");
  CsvReader reader(in);
  Fields f;
  EXPECT_EQ(reader.Next(f), CsvReader::Result::kError);
  EXPECT_TRUE(reader.fatal());
  EXPECT_EQ(reader.Next(f), CsvReader::Result::kError);
}

TEST(CsvReaderTest, RecordLongerThanTheLimitIsFatal) {
  const auto steps = ReadAll("ab,cd\n" + std::string(100, 'x') + "\n", 50);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[1].kind, "fatal");
  EXPECT_EQ(steps[1].line, 2u);
}

TEST(CsvReaderTest, InvalidUtf8IsRecoverableAndKeepsTheRecord) {
  const auto steps = ReadAll("a,b\nD1,C\xff\nc,d\n");
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(steps[1].kind, "error");
  EXPECT_EQ(steps[1].error, "invalid UTF-8 in field 2");
  EXPECT_EQ(steps[1].line, 2u);
  EXPECT_EQ(steps[1].fields, (Fields{"D1", "C\xff"}));
  EXPECT_EQ(steps[2].fields, (Fields{"c", "d"}));
}

TEST(CsvReaderTest, ReadsAcrossItsBufferBoundary) {
  // Records straddling the 64 KiB buffer, a quoted line break among them.
  std::string input = "h\n";
  std::vector<Fields> want;
  for (int i = 0; i < 20000; ++i) {
    const std::string v = "v" + std::to_string(i);
    if (i % 1000 == 7) {
      input += "\"" + v + "\r\n\"\"x\"\"\"\r\n";
      want.push_back({v + "\r\n\"x\""});
    } else {
      input += v + "\r\n";
      want.push_back({v});
    }
  }
  std::vector<Fields> got = Records(input);
  ASSERT_FALSE(got.empty());
  got.erase(got.begin());
  EXPECT_EQ(got, want);
}

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("光回線サービス"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x93\xAE"));  // U+1F4EE
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(Utf8Test, RejectsMalformedText) {
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\x80"));              // a lone continuation
  EXPECT_FALSE(IsValidUtf8("\xE5\x85"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong "/"
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("ok\xE5\x85x"));       // a bad continuation
}

TEST(CsvWriterTest, QuotesOnlyWhatNeedsIt) {
  std::string out;
  AppendCsvRecord(out, {"plain", "a,b", "say \"hi\"", "l1\nl2", "cr\r", ""},
                  "\n");
  EXPECT_EQ(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"l1\nl2\",\"cr\r\",\n");
  out.clear();
  AppendCsvRecord(out, {"x", " spaced "}, "\r\n");
  EXPECT_EQ(out, "x, spaced \r\n");
}

TEST(CsvWriterTest, WhatItWritesReadsBackTheSame) {
  const std::vector<Fields> records = {
      {"D-1", "C,1", "a;b"},
      {"\"quoted\"", "multi\nline", ""},
      {"", "\r\n", "光回線"},
  };
  for (std::string_view eol : {"\n", "\r\n"}) {
    std::string out;
    for (const Fields& r : records) {
      const std::vector<std::string_view> views(r.begin(), r.end());
      AppendCsvRecord(out, views, eol);
    }
    EXPECT_EQ(Records(out), records) << "eol " << eol.size();
  }
}

// Manifest and inserter rows.

std::unique_ptr<CsvTable> Table(const std::string& text) {
  return std::make_unique<CsvTable>(std::make_unique<std::istringstream>(text),
                                    "IN.csv");
}

TEST(ManifestTest, ReadsRowsWithTheirLines) {
  // Ids cannot hold a line break (a control character), so a quoted line
  // break makes its row bad; the lines after it are still counted right.
  auto t = Table(
      "document_id,customer_id,insert_codes\r\n"
      "D-1,C-1,a;b.c;d-e_f\r\n"
      "\"D-2\",\"C,2\",\r\n"
      "D-3,\"C\n3\",z\r\n"
      "D-4,C-4,z\r\n");
  RowProblem p;
  ASSERT_TRUE(t->ReadHeader(kManifestHeader, &p)) << p.what;
  EXPECT_EQ(t->eol(), "\r\n");
  ManifestRow row;
  ASSERT_EQ(NextManifestRow(*t, &row, &p), RowResult::kRow) << p.what;
  EXPECT_EQ(row.line, 2u);
  EXPECT_EQ(row.document_id, "D-1");
  EXPECT_EQ(row.customer_id, "C-1");
  EXPECT_EQ(row.codes, (std::vector<std::string>{"a", "b.c", "d-e_f"}));
  ASSERT_EQ(NextManifestRow(*t, &row, &p), RowResult::kRow) << p.what;
  EXPECT_EQ(row.line, 3u);
  EXPECT_EQ(row.customer_id, "C,2");
  EXPECT_TRUE(row.codes.empty());
  ASSERT_EQ(NextManifestRow(*t, &row, &p), RowResult::kBad);
  EXPECT_EQ(p.line, 4u);
  EXPECT_EQ(p.what, "customer_id \"C?3\" contains a control character");
  ASSERT_EQ(NextManifestRow(*t, &row, &p), RowResult::kRow) << p.what;
  EXPECT_EQ(row.line, 6u);
  EXPECT_EQ(row.document_id, "D-4");
  EXPECT_EQ(NextManifestRow(*t, &row, &p), RowResult::kEnd);
}

TEST(ManifestTest, HeaderMustMatch) {
  RowProblem p;
  auto t = Table("document_id,customer_id,codes\nD,C,a\n");
  EXPECT_FALSE(t->ReadHeader(kManifestHeader, &p));
  EXPECT_TRUE(p.fatal);
  EXPECT_EQ(p.line, 1u);
  EXPECT_EQ(p.what,
            "the header must be document_id,customer_id,insert_codes, found "
            "\"document_id,customer_id,codes\"");
  auto empty = Table("");
  EXPECT_FALSE(empty->ReadHeader(kManifestHeader, &p));
  EXPECT_EQ(p.what,
            "empty file (expected the header "
            "document_id,customer_id,insert_codes)");
  auto bom = Table(
      "\xEF\xBB\xBF"
      "document_id,customer_id,insert_codes\n");
  EXPECT_TRUE(bom->ReadHeader(kManifestHeader, &p)) << p.what;
}

struct BadRowCase {
  std::string row;
  std::string what;
  std::string document_id, customer_id;  // as kept for the rejects file
};

class ManifestBadRowTest : public ::testing::TestWithParam<BadRowCase> {};

TEST_P(ManifestBadRowTest, IsNamedWithItsLineAndTheNextRowStillReads) {
  auto t = Table("document_id,customer_id,insert_codes\nD-0,C-0,a\n" +
                 GetParam().row + "\nD-9,C-9,z\n");
  RowProblem p;
  ASSERT_TRUE(t->ReadHeader(kManifestHeader, &p));
  ManifestRow row;
  ASSERT_EQ(NextManifestRow(*t, &row, &p), RowResult::kRow);
  ASSERT_EQ(NextManifestRow(*t, &row, &p), RowResult::kBad);
  EXPECT_EQ(p.line, 3u);
  EXPECT_EQ(p.what, GetParam().what);
  EXPECT_FALSE(p.fatal);
  EXPECT_EQ(p.document_id, GetParam().document_id);
  EXPECT_EQ(p.customer_id, GetParam().customer_id);
  ASSERT_EQ(NextManifestRow(*t, &row, &p), RowResult::kRow) << p.what;
  EXPECT_EQ(row.document_id, "D-9");
}

INSTANTIATE_TEST_SUITE_P(
    Rows, ManifestBadRowTest,
    ::testing::Values(
        BadRowCase{"D-1,C-1", "2 fields, expected 3", "D-1", "C-1"},
        BadRowCase{"D-1,C-1,a,b", "4 fields, expected 3", "D-1", "C-1"},
        BadRowCase{",C-1,a", "document_id is empty", "", "C-1"},
        BadRowCase{"D-1,,a", "customer_id is empty", "D-1", ""},
        BadRowCase{"D 1,C-1,a",
                   "document_id \"D 1\" may only contain [A-Za-z0-9._:/-]",
                   "D 1", "C-1"},
        BadRowCase{"D-1,C\x01,a",
                   "customer_id \"C?\" contains a control character", "D-1",
                   "C\x01"},
        BadRowCase{"D-1,C-1,a;;b", "insert_codes \"a;;b\" has an empty code",
                   "D-1", "C-1"},
        BadRowCase{"D-1,C-1,a;", "insert_codes \"a;\" has an empty code", "D-1",
                   "C-1"},
        BadRowCase{"D-1,C-1,a b",
                   "insert_codes: code \"a b\" may only contain "
                   "[A-Za-z0-9._-] (1 to 64 characters)",
                   "D-1", "C-1"},
        BadRowCase{"D-1,C-1,a;b;a", "insert_codes: code \"a\" is named twice",
                   "D-1", "C-1"},
        BadRowCase{"D-1,C\xff,a", "invalid UTF-8 in field 2", "D-1", ""},
        BadRowCase{"D-1,C\"1,a", "quote inside unquoted field 2", "", ""},
        BadRowCase{"D-1,\"C-1\"x,a",
                   "character after the closing quote of field 2", "", ""}));

TEST(ManifestTest, DocumentIdLongerThan128IsBad) {
  EXPECT_EQ(CheckDocumentId("document_id", std::string(128, 'd')), "");
  EXPECT_NE(CheckDocumentId("document_id", std::string(129, 'd')), "");
  EXPECT_EQ(CheckDocumentId("document_id", "a.b_c:d/e-f"), "");
  EXPECT_EQ(CheckRunId("--run-id", std::string(64, 'r')), "");
  EXPECT_NE(CheckRunId("--run-id", std::string(65, 'r')), "");
  EXPECT_NE(CheckRunId("--run-id", "run/1"), "");
}

TEST(InsertedTest, ReadsStatusAndCodes) {
  auto t = Table(
      "document_id,inserted_codes,status\n"
      "D-1,a;b,OK\n"
      "D-2,,SPOILED\n"
      "D-3,a;a,ok\n"
      "D-4,a,LOST\n");
  RowProblem p;
  ASSERT_TRUE(t->ReadHeader(kInsertedHeader, &p));
  InsertedRow row;
  ASSERT_EQ(NextInsertedRow(*t, &row, &p), RowResult::kRow);
  EXPECT_EQ(row.codes, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(row.state, PieceState::kOk);
  ASSERT_EQ(NextInsertedRow(*t, &row, &p), RowResult::kRow);
  EXPECT_TRUE(row.codes.empty());
  EXPECT_EQ(row.state, PieceState::kSpoiled);
  // Two leaflets of one campaign can physically go into a piece.
  ASSERT_EQ(NextInsertedRow(*t, &row, &p), RowResult::kRow);
  EXPECT_EQ(row.codes.size(), 2u);
  ASSERT_EQ(NextInsertedRow(*t, &row, &p), RowResult::kBad);
  EXPECT_EQ(p.line, 5u);
  EXPECT_EQ(p.what, "status \"LOST\" must be OK or SPOILED");
}

// The run digest's lines (insert_gate.proto, RunSummary.run_digest).

TEST(DigestTest, DecisionLines) {
  std::string lines;
  AppendDecisionLine(lines, "D-1", "C-1", "a", true, "ignored");
  google::protobuf::RepeatedField<int> reasons;
  reasons.Add(gatekeeper::v1::REASON_CONSENT_WITHDRAWN);
  reasons.Add(gatekeeper::v1::REASON_NO_CONSENT);
  AppendDecisionLine(lines, "D-1", "C-1", "b", false, JoinReasons(reasons));
  EXPECT_EQ(lines,
            "D-1\tC-1\ta\tALLOW\tCONSENT_ON_RECORD\n"
            "D-1\tC-1\tb\tBLOCK\tNO_CONSENT;CONSENT_WITHDRAWN\n");
}

TEST(DigestTest, Sha256IsIncremental) {
  Sha256 whole, parts;
  whole.Update("abc");
  parts.Update("a");
  parts.Update("");
  parts.Update("bc");
  EXPECT_EQ(whole.HexDigest(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(parts.HexDigest(), whole.HexDigest());
  EXPECT_EQ(Sha256().HexDigest(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// The daemon's INVALID_ARGUMENT names the batch and item; print-gate maps
// them back to a manifest line.

TEST(BatchItemTest, FindsTheBatchAndItemInTheDaemonsMessage) {
  using BI = std::pair<uint64_t, uint64_t>;
  EXPECT_EQ(BatchItemNamedIn("batch 3: items[1].document_id: \"D-1\" is "
                             "already in the run"),
            BI(3, 1));
  EXPECT_EQ(BatchItemNamedIn("batch.items[7].customer_id: is required "
                             "(batch_no 12)"),
            BI(12, 7));
  EXPECT_EQ(BatchItemNamedIn("batches[2].items[0]: duplicate"), BI(2, 0));
  EXPECT_EQ(BatchItemNamedIn("batch_no=4, item #9: bad id"), BI(4, 9));
  EXPECT_EQ(BatchItemNamedIn("Batch 5 Item 6"), BI(5, 6));
  EXPECT_FALSE(BatchItemNamedIn("batch 3 is out of sequence").has_value());
  EXPECT_FALSE(BatchItemNamedIn("items[3]: no batch named").has_value());
  EXPECT_FALSE(BatchItemNamedIn("batch_sha256 item").has_value());
}

}  // namespace
}  // namespace printgate
