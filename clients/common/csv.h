// RFC 4180 CSV, both ways, for the clients' files: print-gate's (the biller's
// manifest, the inserter's output, and what print-gate writes back) and
// gkctl's consent import and export.
//
// Reading: CsvReader streams records from an std::istream with a fixed-size
// buffer, so memory does not grow with the input, only with the longest
// record (bounded: max_record_bytes). It accepts quoted fields, doubled quotes,
// commas and line breaks inside quotes, CRLF and LF line ends, a UTF-8 BOM at
// the very start, and a last line without a line end. Blank lines (nothing
// between two line ends) are skipped. Every field must be valid UTF-8. Line
// numbers are physical lines, 1-based, counting the line breaks inside quoted
// fields; a record's line is the line it starts on.
//
// Errors: a malformed record (a quote inside an unquoted field, a character
// after a closing quote, a carriage return without its line feed, invalid
// UTF-8) is recoverable: the reader skips to the end of the physical line on
// which the problem was found and goes on from the next one. An unterminated
// quoted field, a record longer than max_record_bytes, and a read error are
// fatal: where the following records begin cannot be known.
//
// Writing: AppendCsvRecord quotes a field only when it needs it (a comma, a
// quote, CR or LF), doubling its quotes.
//
// Not thread-safe: one reader is used by one thread at a time.
#ifndef GATEKEEPER_CLIENTS_COMMON_CSV_H_
#define GATEKEEPER_CLIENTS_COMMON_CSV_H_

#include <cstddef>
#include <cstdint>
#include <istream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gkclient {

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

class CsvReader {
 public:
  static constexpr size_t kDefaultMaxRecordBytes = 1 << 20;

  enum class Result {
    kRecord,  // `fields` holds the record
    kEnd,     // no more records
    // See error(), fatal(). `fields` holds the record when it was read
    // whole (invalid UTF-8), and is empty otherwise.
    kError,
  };

  // Reads from `in`, which must outlive the reader. `start_offset`: the
  // byte offset in the file `in` is positioned at, when not its start (then
  // no BOM is looked for, and line numbers count from that point as 1).
  explicit CsvReader(std::istream& in,
                     size_t max_record_bytes = kDefaultMaxRecordBytes,
                     uint64_t start_offset = 0);
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // The next record. After a fatal error, every call returns kError again.
  Result Next(std::vector<std::string>& fields);

  // The line on which the last record (or malformed record) began.
  uint64_t line() const { return record_line_; }
  // The byte offset in the file at which the last record began.
  uint64_t record_offset() const { return record_offset_; }
  // After kError: what was wrong (e.g. "quote inside an unquoted field (field
  // 2)"), and whether reading cannot go on.
  const std::string& error() const { return error_; }
  bool fatal() const { return fatal_; }
  // The line end of the first record: "\r\n" or "\n" ("\n" before any).
  std::string_view eol() const { return eol_; }

 private:
  // The next byte, or -1 at the end of the input (or on a read error, then
  // read_failed_ is set).
  int Peek();
  void Advance() { ++pos_; }
  bool Fill();
  // Sets error_; for a recoverable error, skips the rest of the physical line.
  Result Fail(std::string what, bool fatal);
  void SkipRestOfLine();
  void NoteEol(bool crlf);

  std::istream& in_;
  const size_t max_record_bytes_;
  std::vector<char> buf_;
  size_t pos_ = 0, len_ = 0;
  uint64_t consumed_ = 0;  // the file offset of buf_[0]
  bool at_start_ = true;   // nothing read yet: a BOM may follow
  bool read_failed_ = false;
  bool eof_ = false;
  bool fatal_ = false;
  bool eol_known_ = false;
  std::string_view eol_ = "\n";
  uint64_t line_ = 1;         // the physical line being read
  uint64_t record_line_ = 0;  // where the current record began
  uint64_t record_offset_ = 0;
  std::string error_;
  std::vector<std::string>* fields_ = nullptr;  // the caller's, during Next
};

// Appends `fields` as one record and `eol` to `out`.
void AppendCsvRecord(std::string& out, std::span<const std::string_view> fields,
                     std::string_view eol);

inline void AppendCsvRecord(std::string& out,
                            std::initializer_list<std::string_view> fields,
                            std::string_view eol) {
  AppendCsvRecord(
      out, std::span<const std::string_view>(fields.begin(), fields.size()),
      eol);
}

}  // namespace gkclient

#endif  // GATEKEEPER_CLIENTS_COMMON_CSV_H_
