// print-gate's first pass (clients/print-gate/scan.h): checked in two halves
// at once, a manifest gives exactly what one reader gives (the same count,
// the same first malformed row and line), wherever its middle falls: on a
// row's start, inside a quoted field holding line breaks, among blank lines.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>

#include "clients/print-gate/common.h"
#include "clients/print-gate/scan.h"
#include "tests/testing/temp_dir.h"

namespace printgate {
namespace {

// The count, or the error's text.
std::string Outcome(const std::string& path, bool skip_bad, uint64_t split) {
  try {
    return "rows " + std::to_string(ScanManifest(path, skip_bad, split));
  } catch (const Error& e) {
    return std::string("error ") + e.what();
  }
}

class ScanTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& content) {
    const std::string path = (dir_.path() / "manifest.csv").string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  // Split (at its middle, any size) and read by one reader: the same.
  void ExpectSame(const std::string& content, const std::string& want = "") {
    const std::string path = Write(content);
    for (bool skip_bad : {false, true}) {
      const std::string one = Outcome(path, skip_bad, 0);
      EXPECT_EQ(Outcome(path, skip_bad, 1), one) << content;
      if (!want.empty() && !skip_bad) {
        EXPECT_EQ(one, want);
      }
    }
  }
  gatekeeper::testing::TempDir dir_;
};

std::string Row(int i) {
  return "BILL-" + std::to_string(i) + ",cust-" + std::to_string(i) +
         ",leaflet-a;leaflet-b\n";
}

TEST_F(ScanTest, CountsTheRowsOfBothHalves) {
  std::string m = "document_id,customer_id,insert_codes\n";
  for (int i = 0; i < 1000; ++i) m += Row(i);
  ExpectSame(m, "rows 1000");
}

TEST_F(ScanTest, AMalformedRowInTheSecondHalfIsNamedByItsLine) {
  std::string m = "document_id,customer_id,insert_codes\n";
  for (int i = 0; i < 1000; ++i) m += i == 900 ? "bad row\n" : Row(i);
  const std::string path = Write(m);
  EXPECT_EQ(Outcome(path, false, 1).rfind("error " + path + ":902: ", 0), 0u)
      << Outcome(path, false, 1);
  EXPECT_EQ(Outcome(path, true, 1), "rows 999");
}

TEST_F(ScanTest, TheFirstOfMalformedRowsInBothHalvesIsNamed) {
  std::string m = "document_id,customer_id,insert_codes\n";
  for (int i = 0; i < 1000; ++i) {
    m += i == 100 || i == 900 ? "BILL-x,cust-x,bad code\n" : Row(i);
  }
  const std::string path = Write(m);
  EXPECT_EQ(Outcome(path, false, 1).rfind("error " + path + ":102: ", 0), 0u)
      << Outcome(path, false, 1);
  ExpectSame(m);
}

// A quoted field holding line breaks across the middle, its lines like rows
// (and closed at the end of one): the second half's reader starts inside it
// and reads them as rows without a fatal error, so the first one must see
// that it does not begin where the second began, and read the rest itself.
TEST_F(ScanTest, AQuotedFieldAcrossTheMiddleIsReadWhole) {
  std::string m = "document_id,customer_id,insert_codes\n";
  for (int i = 0; i < 400; ++i) m += Row(i);
  std::string quoted = "BILL-q,cust-q,\"leaflet-a\n";
  for (int i = 0; i < 20; ++i) {
    quoted += "BILL-f" + std::to_string(i) + ",cust-f,leaflet-a\n";
  }
  quoted.back() = '"';
  quoted += "\n";
  m += quoted;
  const size_t quoted_end = m.size();
  for (int i = 0; i < 400; ++i) m += Row(i);  // as long as before it
  // The middle is inside the quoted field.
  ASSERT_LT(m.size() / 2 + 60, quoted_end);
  ASSERT_GT(m.size() / 2, quoted_end - quoted.size());
  ExpectSame(m);
  // The quoted codes are not valid codes: a malformed row, skipped.
  EXPECT_EQ(Outcome(Write(m), true, 1), "rows 800");
}

// Every position of the middle, over rows with quoted line breaks, blank
// lines, CRLF, bad rows and a missing last line end: split or not, the same.
TEST_F(ScanTest, WhereverTheMiddleFallsTheOutcomeIsTheSame) {
  std::mt19937 rng(11);
  for (int file = 0; file < 60; ++file) {
    std::string m = "document_id,customer_id,insert_codes\r\n";
    const int rows = 5 + static_cast<int>(rng() % 40);
    for (int i = 0; i < rows; ++i) {
      switch (rng() % 8) {
        case 0:
          m += "BILL-" + std::to_string(i) + ",\"a\nb\",leaflet-a\n";
          break;
        case 1:
          m += "\n\n";
          break;
        case 2:
          m +=
              file % 3 == 0 ? "BILL-" + std::to_string(i) + ",c,x y\n" : Row(i);
          break;
        case 3:
          m += "BILL-" + std::to_string(i) + ",c,\"leaflet-a;leaflet-b\"\r\n";
          break;
        default:
          m += Row(i);
      }
    }
    if (file % 4 == 0) m += "BILL-last,c,leaflet-a";  // no line end
    if (file % 7 == 0) m += "\"unterminated,c,leaflet-a\n";
    ExpectSame(m);
  }
}

}  // namespace
}  // namespace printgate
