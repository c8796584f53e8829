// print-gate's input files on top of CsvReader: a CSV file with a fixed
// header (CsvTable), the rows of the biller's manifest
// (document_id,customer_id,insert_codes) and of the inserter's output
// (document_id,inserted_codes,status), and the syntax of the ids in them.
//
// A row is checked whole before it is used: the number of fields, the ids'
// syntax as the daemon requires it (document ids [A-Za-z0-9._:/-] 1 to 128;
// customer ids 1 to 128 bytes without control characters; insert codes,
// i.e. campaign ids, [A-Za-z0-9._-] 1 to 64, separated by ";", none empty or
// named twice in a manifest row). A bad row is a RowProblem naming its line.
// Not thread-safe.
#ifndef GATEKEEPER_CLIENTS_PRINT_GATE_MANIFEST_H_
#define GATEKEEPER_CLIENTS_PRINT_GATE_MANIFEST_H_

#include <cstdint>
#include <istream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clients/common/csv.h"

namespace printgate {

using gkclient::CsvReader;

inline constexpr std::string_view kManifestHeader[] = {
    "document_id", "customer_id", "insert_codes"};
inline constexpr std::string_view kInsertedHeader[] = {
    "document_id", "inserted_codes", "status"};
inline constexpr std::string_view kRejectsHeader[] = {
    "document_id", "customer_id", "insert_code", "reasons"};

// What is wrong with a row, or with the file. `fatal`: the rest of the file
// cannot be read (see CsvReader), or the file itself is unusable (cannot be
// opened, wrong header). The ids are what could be read of the row (empty
// unless the record was read whole and they are valid UTF-8).
struct RowProblem {
  uint64_t line = 0;
  std::string what;
  bool fatal = false;
  std::string document_id, customer_id;
};

enum class RowResult { kRow, kBad, kEnd };

// A CSV file whose first record must be exactly `header`.
class CsvTable {
 public:
  // Reads `in` (owned), positioned at `start_offset` of the file (see
  // CsvReader); `path` is only for messages.
  CsvTable(std::unique_ptr<std::istream> in, std::string path,
           uint64_t start_offset = 0);

  // Opens `path` (at `offset`: a part of the file read without its header,
  // see SetColumns); null (and *problem, fatal) when it cannot be opened.
  static std::unique_ptr<CsvTable> Open(const std::string& path,
                                        RowProblem* problem,
                                        uint64_t offset = 0);
  // For a table opened past its header: the number of fields a row has.
  void SetColumns(size_t columns) { columns_ = columns; }
  // The byte offset at which the last record began.
  uint64_t record_offset() const { return reader_.record_offset(); }

  // Reads and checks the header; false and *problem (fatal) when it is not
  // `header`.
  bool ReadHeader(std::span<const std::string_view> header,
                  RowProblem* problem);
  // The next record with exactly header.size() fields. On kBad, `fields`
  // holds the record when it was read whole, and is empty otherwise.
  RowResult Next(std::vector<std::string>& fields, RowProblem* problem);

  // A vector for Next's fields that keeps its strings' capacity between rows.
  std::vector<std::string>& scratch() { return scratch_; }

  const std::string& path() const { return path_; }
  // The line the last record began on.
  uint64_t line() const { return reader_.line(); }
  // The header's line end, for writing files in the same style.
  std::string_view eol() const { return reader_.eol(); }

 private:
  std::unique_ptr<std::istream> in_;
  std::string path_;
  CsvReader reader_;
  size_t columns_ = 0;
  std::vector<std::string> scratch_;
};

struct ManifestRow {
  uint64_t line = 0;
  std::string document_id, customer_id;
  std::vector<std::string> codes;
};

RowResult NextManifestRow(CsvTable& table, ManifestRow* row,
                          RowProblem* problem);

enum class PieceState { kOk, kSpoiled };

struct InsertedRow {
  uint64_t line = 0;
  std::string document_id;
  std::vector<std::string> codes;
  PieceState state = PieceState::kOk;
};

RowResult NextInsertedRow(CsvTable& table, InsertedRow* row,
                          RowProblem* problem);

// Each returns "" when `id` is well-formed, else what is wrong with it,
// starting with `field`.
std::string CheckDocumentId(std::string_view field, std::string_view id);
std::string CheckCustomerId(std::string_view field, std::string_view id);
// Campaign ids and print run ids: [A-Za-z0-9._-], 1 to 64 characters.
std::string CheckCampaignId(std::string_view field, std::string_view id);
std::string CheckRunId(std::string_view field, std::string_view id);

// "a;b" -> {"a", "b"}; "" -> {}. Each code must be a well-formed campaign id;
// with `unique`, none may appear twice. Returns "" or what is wrong.
std::string SplitCodes(std::string_view field_name, std::string_view field,
                       bool unique, std::vector<std::string>* codes);

// Throws nothing; returns "" unless `path` exists and is not a regular file
// (a pipe, a terminal): print-gate reads its inputs twice, first whole to
// check them before the daemon is asked, so they must be files.
std::string CheckReadableTwice(const std::string& path);

// `value` quoted for a one-line message: control characters as "?", at most
// 64 characters kept.
std::string Quoted(std::string_view value);

}  // namespace printgate

#endif  // GATEKEEPER_CLIENTS_PRINT_GATE_MANIFEST_H_
