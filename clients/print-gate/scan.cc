#include "clients/print-gate/scan.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "clients/print-gate/common.h"
#include "clients/print-gate/manifest.h"

namespace printgate {
namespace {

std::string Where(const std::string& path, uint64_t line) {
  return path + ":" + std::to_string(line);
}

// What a reader found in its part of the file.
struct Part {
  uint64_t rows = 0;
  std::optional<RowProblem> problem;  // the one that ended the part
  bool stopped = false;               // told to stop: found nothing sure
  // Its first record: where it began, and its line counted in the part.
  uint64_t first_offset = std::numeric_limits<uint64_t>::max();
  uint64_t first_line = 0;
};

// Counts the row into `part`; true when it ends the part (the end, or a
// problem that stops the scan).
bool Take(RowResult r, const RowProblem& p, bool skip_bad, Part& part) {
  switch (r) {
    case RowResult::kRow:
      ++part.rows;
      return false;
    case RowResult::kBad:
      if (p.fatal || !skip_bad) {
        part.problem = p;
        return true;
      }
      return false;
    case RowResult::kEnd:
      return true;
  }
  return true;
}

// The offset of the first line that starts after `middle`, or 0 when there
// is none near it (then the file is read by one reader).
uint64_t LineStartAfter(const std::string& path, uint64_t middle,
                        uint64_t size) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open() || !in.seekg(static_cast<std::streamoff>(middle))) {
    return 0;
  }
  std::vector<char> buf(64 * 1024);
  for (uint64_t at = middle; at < size && at < middle + (1 << 20);) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<size_t>(in.gcount());
    if (n == 0) return 0;
    for (size_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') return at + i + 1 < size ? at + i + 1 : 0;
    }
    at += n;
  }
  return 0;
}

// The second half: the rows from `offset` (a line's start) to the end.
Part ScanTail(const std::string& path, uint64_t offset, bool skip_bad,
              const std::atomic<bool>& stop) {
  Part part;
  RowProblem p;
  std::unique_ptr<CsvTable> table = CsvTable::Open(path, &p, offset);
  if (table == nullptr) {
    part.problem = p;
    return part;
  }
  table->SetColumns(std::size(kManifestHeader));
  ManifestRow row;
  for (uint64_t seen = 0;; ++seen) {
    if (seen % 65536 == 0 && stop.load(std::memory_order_relaxed)) {
      part.stopped = true;
      return part;
    }
    const RowResult r = NextManifestRow(*table, &row, &p);
    if (seen == 0 && r != RowResult::kEnd) {
      part.first_offset = table->record_offset();
      part.first_line = table->line();
    }
    if (Take(r, p, skip_bad, part)) return part;
  }
}

}  // namespace

uint64_t ScanManifest(const std::string& path, bool skip_bad,
                      uint64_t split_bytes) {
  RowProblem p;
  std::unique_ptr<CsvTable> table = CsvTable::Open(path, &p);
  if (table == nullptr) throw Error(path + ": " + p.what);
  if (!table->ReadHeader(kManifestHeader, &p)) {
    throw Error(Where(path, p.line) + ": " + p.what);
  }
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  const uint64_t split = !ec && split_bytes > 0 && size >= split_bytes
                             ? LineStartAfter(path, size / 2, size)
                             : 0;
  std::atomic<bool> stop{false};
  Part tail;
  std::thread tail_thread;
  if (split > 0) {
    tail_thread = std::thread(
        [&, split] { tail = ScanTail(path, split, skip_bad, stop); });
  }
  const auto stop_tail = [&] {
    if (tail_thread.joinable()) {
      stop = true;
      tail_thread.join();
    }
  };
  Part head;
  ManifestRow row;
  for (uint64_t seen = 0;; ++seen) {
    if (seen % 65536 == 0 && Interrupted()) {
      stop_tail();
      ThrowIfInterrupted();
    }
    const RowResult r = NextManifestRow(*table, &row, &p);
    if (tail_thread.joinable() && r != RowResult::kEnd &&
        table->record_offset() >= split) {
      // This reader reached the second half: is this row where it began?
      tail_thread.join();
      if (!tail.stopped && !tail.problem.has_value() &&
          table->record_offset() == tail.first_offset) {
        return head.rows + tail.rows;
      }
      // The middle fell inside a quoted field, or the second half found a
      // problem: this reader goes on to the end, so that what it reports
      // (the first problem, its line numbers) is exactly a single reader's.
    }
    if (Take(r, p, skip_bad, head)) break;
  }
  stop_tail();
  if (head.problem.has_value()) {
    throw Error(Where(path, head.problem->line) + ": " + head.problem->what);
  }
  return head.rows;
}

}  // namespace printgate
