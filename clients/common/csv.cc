#include "clients/common/csv.h"

#include <cstring>
#include <utility>

namespace gkclient {
namespace {

constexpr size_t kBufferBytes = 64 * 1024;

// A field holding a comma, a quote, CR or LF is quoted. (A loop over the
// bytes: string_view::find_first_of calls memchr for every byte.)
bool NeedsQuotes(std::string_view f) {
  for (char c : f) {
    if (c == ',' || c == '"' || c == '\r' || c == '\n') return true;
  }
  return false;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // ASCII, the common case, eight bytes at a time.
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, sizeof word);
      if ((word & 0x8080808080808080ull) != 0) break;
      p += 8;
    }
    if (p == end) break;
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;  // a continuation byte, or 0xf8..0xff
    }
    if (static_cast<size_t>(end - p) <= n) return false;
    for (size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    p += n + 1;
  }
  return true;
}

CsvReader::CsvReader(std::istream& in, size_t max_record_bytes,
                     uint64_t start_offset)
    : in_(in),
      max_record_bytes_(max_record_bytes),
      buf_(kBufferBytes),
      consumed_(start_offset),
      at_start_(start_offset == 0) {}

bool CsvReader::Fill() {
  if (eof_) return false;
  consumed_ += len_;
  in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  len_ = static_cast<size_t>(in_.gcount());
  pos_ = 0;
  if (in_.bad()) read_failed_ = true;
  if (!in_) eof_ = true;  // short read: end of input (or error)
  return len_ > 0;
}

int CsvReader::Peek() {
  if (pos_ == len_ && !Fill()) return -1;
  return static_cast<unsigned char>(buf_[pos_]);
}

void CsvReader::NoteEol(bool crlf) {
  if (eol_known_) return;
  eol_known_ = true;
  eol_ = crlf ? "\r\n" : "\n";
}

void CsvReader::SkipRestOfLine() {
  for (int c = Peek(); c >= 0; c = Peek()) {
    Advance();
    if (c == '\n') {
      ++line_;
      return;
    }
  }
}

CsvReader::Result CsvReader::Fail(std::string what, bool fatal) {
  if (line_ != record_line_) {
    what += " (on line " + std::to_string(line_) + ")";
  }
  error_ = std::move(what);
  fatal_ = fatal;
  fields_->clear();  // partial: of no use
  if (!fatal) SkipRestOfLine();
  return Result::kError;
}

CsvReader::Result CsvReader::Next(std::vector<std::string>& fields) {
  // The caller's strings are reused (their capacity kept) and the vector
  // trimmed to the record's fields at the end: no allocation per field once
  // the fields have grown to their usual size.
  size_t count = 0;
  const auto finish = [&] { fields.resize(count); };
  const auto next_field = [&]() -> std::string& {
    if (count == fields.size()) fields.emplace_back();
    std::string& f = fields[count++];
    f.clear();
    return f;
  };
  fields_ = &fields;
  if (fatal_) {
    fields.clear();
    return Result::kError;
  }
  if (at_start_) {
    at_start_ = false;
    if (Peek() == 0xef && len_ - pos_ >= 3 &&
        static_cast<unsigned char>(buf_[pos_ + 1]) == 0xbb &&
        static_cast<unsigned char>(buf_[pos_ + 2]) == 0xbf) {
      pos_ += 3;
    }
  }
  // Blank lines carry no record.
  for (;;) {
    const int c = Peek();
    if (c == '\n') {
      Advance();
      ++line_;
      NoteEol(false);
    } else if (c == '\r') {
      record_line_ = line_;
      Advance();
      if (Peek() != '\n') {
        return Fail("carriage return not followed by a line feed", false);
      }
      Advance();
      ++line_;
      NoteEol(true);
    } else {
      break;
    }
  }
  record_line_ = line_;
  record_offset_ = consumed_ + pos_;
  if (Peek() < 0) {
    fields.clear();
    if (read_failed_) return Fail("read error", true);
    return Result::kEnd;
  }
  size_t bytes = 0;
  const auto too_long = [&] {
    return Fail("record longer than " + std::to_string(max_record_bytes_) +
                    " bytes (an unterminated quote?)",
                true);
  };
  int c;
  for (;;) {  // one field per iteration
    std::string& field = next_field();
    const auto field_no = [&] { return std::to_string(count); };
    c = Peek();
    if (c == '"') {
      Advance();
      const uint64_t opened_on = line_;
      for (;;) {
        c = Peek();
        if (c < 0) {
          if (read_failed_) return Fail("read error", true);
          return Fail("unterminated quoted field (field " + field_no() +
                          ", opened on line " + std::to_string(opened_on) + ")",
                      true);
        }
        Advance();
        if (c == '"') {
          if (Peek() != '"') break;
          Advance();
        } else if (c == '\n') {
          ++line_;
        }
        field.push_back(static_cast<char>(c));
        if (++bytes > max_record_bytes_) return too_long();
      }
      c = Peek();
      if (c >= 0 && c != ',' && c != '\n' && c != '\r') {
        return Fail("character after the closing quote of field " + field_no(),
                    false);
      }
    } else {
      // An unquoted field: the bytes up to the next delimiter in the buffer
      // appended at once, the buffer refilled as often as it runs out.
      for (;;) {
        if (c < 0) break;
        const char* begin = buf_.data() + pos_;
        const char* end = buf_.data() + len_;
        const char* p = begin;
        while (p != end && *p != ',' && *p != '\n' && *p != '\r' && *p != '"') {
          ++p;
        }
        const auto n = static_cast<size_t>(p - begin);
        bytes += n;
        if (bytes > max_record_bytes_) return too_long();
        field.append(begin, n);
        pos_ += n;
        c = Peek();
        if (c == '"') {
          return Fail("quote inside unquoted field " + field_no(), false);
        }
        if (p != end) break;  // at a delimiter (or c < 0 after a refill)
      }
    }
    if (c != ',') break;
    Advance();
  }
  finish();
  if (c == '\r') {
    Advance();
    if (Peek() != '\n') {
      return Fail("carriage return not followed by a line feed", false);
    }
    Advance();
    ++line_;
    NoteEol(true);
  } else if (c == '\n') {
    Advance();
    ++line_;
    NoteEol(false);
  } else if (read_failed_) {
    return Fail("read error", true);
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!IsValidUtf8(fields[i])) {
      error_ = "invalid UTF-8 in field " + std::to_string(i + 1);
      return Result::kError;  // the record was read whole: nothing to skip
    }
  }
  return Result::kRecord;
}

void AppendCsvRecord(std::string& out, std::span<const std::string_view> fields,
                     std::string_view eol) {
  bool first = true;
  for (std::string_view f : fields) {
    if (!first) out.push_back(',');
    first = false;
    if (!NeedsQuotes(f)) {
      out.append(f);
      continue;
    }
    out.push_back('"');
    for (char c : f) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.append(eol);
}

}  // namespace gkclient
