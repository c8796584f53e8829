#include "clients/print-gate/manifest.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

namespace printgate {

using gkclient::IsValidUtf8;
namespace {

constexpr bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// The characters an id may hold: ASCII letters and digits, and `punct`.
struct IdChars {
  explicit constexpr IdChars(std::string_view punct) {
    for (int c = 0; c < 256; ++c) {
      allowed[c] = IsAsciiAlnum(static_cast<char>(c));
    }
    for (char c : punct) allowed[static_cast<unsigned char>(c)] = true;
  }
  bool allowed[256] = {};
};

constexpr IdChars kDocumentIdChars("._:/-");
constexpr IdChars kCampaignIdChars("._-");

std::string CheckIdChars(std::string_view field, std::string_view id,
                         size_t max, const IdChars& chars,
                         std::string_view class_name) {
  if (id.empty()) return std::string(field) + " is empty";
  for (char c : id) {
    if (!chars.allowed[static_cast<unsigned char>(c)]) {
      return std::string(field) + " " + Quoted(id) + " may only contain " +
             std::string(class_name);
    }
  }
  if (id.size() > max) {
    return std::string(field) + " " + Quoted(id) + " is longer than " +
           std::to_string(max) + " characters";
  }
  return {};
}

// What could be read of a bad row's ids, for the rejects file: `fields` is
// the whole record or empty.
void KeepIds(const std::vector<std::string>& fields, bool has_customer,
             RowProblem* problem) {
  if (!fields.empty() && IsValidUtf8(fields[0])) {
    problem->document_id = fields[0];
  }
  if (has_customer && fields.size() > 1 && IsValidUtf8(fields[1])) {
    problem->customer_id = fields[1];
  }
}

RowProblem Problem(uint64_t line, std::string what, bool fatal = false) {
  RowProblem p;
  p.line = line;
  p.what = std::move(what);
  p.fatal = fatal;
  return p;
}

}  // namespace

std::string CheckReadableTwice(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status) ||
      std::filesystem::is_regular_file(status)) {
    return {};  // opening it says what is wrong, if anything
  }
  return path +
         ": not a regular file (inputs are read twice: checked whole before "
         "the daemon is asked)";
}

std::string Quoted(std::string_view value) {
  std::string out = "\"";
  size_t chars = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if ((c & 0xc0) != 0x80 && ++chars > 64) {
      out += "...";
      break;
    }
    out += c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
  }
  return out + "\"";
}

std::string CheckDocumentId(std::string_view field, std::string_view id) {
  return CheckIdChars(field, id, 128, kDocumentIdChars, "[A-Za-z0-9._:/-]");
}

std::string CheckCustomerId(std::string_view field, std::string_view id) {
  if (id.empty()) return std::string(field) + " is empty";
  if (id.size() > 128) {
    return std::string(field) + " " + Quoted(id) + " is longer than 128 bytes";
  }
  for (unsigned char c : id) {
    if (c < 0x20 || c == 0x7f) {
      return std::string(field) + " " + Quoted(id) +
             " contains a control character";
    }
  }
  return {};
}

std::string CheckCampaignId(std::string_view field, std::string_view id) {
  return CheckIdChars(field, id, 64, kCampaignIdChars, "[A-Za-z0-9._-]");
}

std::string CheckRunId(std::string_view field, std::string_view id) {
  return CheckIdChars(field, id, 64, kCampaignIdChars, "[A-Za-z0-9._-]");
}

std::string SplitCodes(std::string_view field_name, std::string_view field,
                       bool unique, std::vector<std::string>* codes) {
  codes->clear();
  if (field.empty()) return {};
  size_t start = 0;
  for (;;) {
    const size_t end = std::min(field.find(';', start), field.size());
    std::string_view code = field.substr(start, end - start);
    if (code.empty()) {
      return std::string(field_name) + " " + Quoted(field) +
             " has an empty code";
    }
    if (std::string bad = CheckCampaignId(field_name, code); !bad.empty()) {
      return std::string(field_name) + ": code " + Quoted(code) +
             " may only contain [A-Za-z0-9._-] (1 to 64 characters)";
    }
    codes->emplace_back(code);
    if (end == field.size()) break;
    start = end + 1;
  }
  if (unique) {
    // A row names a few codes: comparing each pair costs less than a set.
    for (size_t i = 1; i < codes->size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if ((*codes)[i] == (*codes)[j]) {
          return std::string(field_name) + ": code " + Quoted((*codes)[i]) +
                 " is named twice";
        }
      }
    }
  }
  return {};
}

CsvTable::CsvTable(std::unique_ptr<std::istream> in, std::string path,
                   uint64_t start_offset)
    : in_(std::move(in)),
      path_(std::move(path)),
      reader_(*in_, CsvReader::kDefaultMaxRecordBytes, start_offset) {}

std::unique_ptr<CsvTable> CsvTable::Open(const std::string& path,
                                         RowProblem* problem, uint64_t offset) {
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!in->is_open()) {
    *problem = Problem(
        0, std::string("cannot open for reading: ") + std::strerror(errno),
        true);
    return nullptr;
  }
  if (offset > 0 && !in->seekg(static_cast<std::streamoff>(offset))) {
    *problem =
        Problem(0, "cannot seek to byte " + std::to_string(offset), true);
    return nullptr;
  }
  return std::make_unique<CsvTable>(std::move(in), path, offset);
}

bool CsvTable::ReadHeader(std::span<const std::string_view> header,
                          RowProblem* problem) {
  columns_ = header.size();
  std::string want;
  for (std::string_view h : header) {
    if (!want.empty()) want += ',';
    want += h;
  }
  std::vector<std::string> fields;
  const CsvReader::Result r = reader_.Next(fields);
  const uint64_t line = std::max<uint64_t>(reader_.line(), 1);
  if (r == CsvReader::Result::kEnd) {
    *problem =
        Problem(line, "empty file (expected the header " + want + ")", true);
    return false;
  }
  if (r == CsvReader::Result::kError) {
    *problem = Problem(
        line, "bad header: " + reader_.error() + " (expected " + want + ")",
        true);
    return false;
  }
  bool same = fields.size() == header.size();
  for (size_t i = 0; same && i < fields.size(); ++i) {
    same = fields[i] == header[i];
  }
  if (!same) {
    std::string found;
    for (const std::string& f : fields) {
      if (!found.empty()) found += ',';
      found += f;
    }
    *problem = Problem(
        line, "the header must be " + want + ", found " + Quoted(found), true);
    return false;
  }
  return true;
}

RowResult CsvTable::Next(std::vector<std::string>& fields,
                         RowProblem* problem) {
  switch (reader_.Next(fields)) {
    case CsvReader::Result::kEnd:
      return RowResult::kEnd;
    case CsvReader::Result::kError:
      *problem = Problem(reader_.line(), reader_.error(), reader_.fatal());
      return RowResult::kBad;
    case CsvReader::Result::kRecord:
      break;
  }
  if (fields.size() != columns_) {
    *problem =
        Problem(reader_.line(), std::to_string(fields.size()) + " field" +
                                    (fields.size() == 1 ? "" : "s") +
                                    ", expected " + std::to_string(columns_));
    return RowResult::kBad;
  }
  return RowResult::kRow;
}

RowResult NextManifestRow(CsvTable& table, ManifestRow* row,
                          RowProblem* problem) {
  std::vector<std::string>& fields = table.scratch();
  const RowResult r = table.Next(fields, problem);
  if (r == RowResult::kBad) KeepIds(fields, true, problem);
  if (r != RowResult::kRow) return r;
  // Filled in place: a caller reading into the same row again reuses its
  // strings.
  row->line = table.line();
  std::string bad = CheckDocumentId("document_id", fields[0]);
  if (bad.empty()) bad = CheckCustomerId("customer_id", fields[1]);
  if (bad.empty())
    bad = SplitCodes("insert_codes", fields[2], true, &row->codes);
  if (!bad.empty()) {
    *problem = Problem(row->line, std::move(bad));
    KeepIds(fields, true, problem);
    return RowResult::kBad;
  }
  row->document_id.assign(fields[0]);
  row->customer_id.assign(fields[1]);
  return RowResult::kRow;
}

RowResult NextInsertedRow(CsvTable& table, InsertedRow* row,
                          RowProblem* problem) {
  std::vector<std::string> fields;
  const RowResult r = table.Next(fields, problem);
  if (r == RowResult::kBad) KeepIds(fields, false, problem);
  if (r != RowResult::kRow) return r;
  InsertedRow out;
  out.line = table.line();
  std::string bad = CheckDocumentId("document_id", fields[0]);
  if (bad.empty()) {
    bad = SplitCodes("inserted_codes", fields[1], false, &out.codes);
  }
  if (bad.empty()) {
    std::string status = fields[2];
    for (char& c : status) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (status == "OK") {
      out.state = PieceState::kOk;
    } else if (status == "SPOILED") {
      out.state = PieceState::kSpoiled;
    } else {
      bad = "status " + Quoted(fields[2]) + " must be OK or SPOILED";
    }
  }
  if (!bad.empty()) {
    *problem = Problem(out.line, std::move(bad));
    KeepIds(fields, false, problem);
    return RowResult::kBad;
  }
  out.document_id = std::move(fields[0]);
  *row = std::move(out);
  return RowResult::kRow;
}

}  // namespace printgate
