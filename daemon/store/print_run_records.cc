#include "daemon/store/print_run_records.h"

#include <algorithm>

#include "daemon/common/crypto.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"

namespace gatekeeper {

// Schema version 4: print runs. print_batches is keyed by the seq of the
// batch's entry (appended at the right edge); (run_no, batch_no) is indexed
// and increases along the log too. print_index is written only when a run
// closes: per run, its customers' 32-bit keys with the batch holding them, in
// 4,096 buckets by the key's top 12 bits, each bucket one row whose entries
// blob holds sorted 8-byte (key, batch_no) pairs, little-endian. About 8 bytes
// a document, written in a few thousand rows whatever the run's size.
const char kPrintRunSchema[] = R"sql(
CREATE TABLE print_runs(
  run_no        INTEGER PRIMARY KEY,
  run_id        TEXT NOT NULL UNIQUE,
  actor         TEXT NOT NULL,
  reprint_of    TEXT NOT NULL,
  opened_at     INTEGER NOT NULL,
  next_batch_no INTEGER NOT NULL,
  documents     INTEGER NOT NULL,
  decisions     INTEGER NOT NULL,
  closed        INTEGER NOT NULL,
  summary       BLOB NOT NULL,
  closed_seq    INTEGER NOT NULL);
CREATE TABLE print_batches(
  seq      INTEGER PRIMARY KEY,
  run_no   INTEGER NOT NULL,
  batch_no INTEGER NOT NULL,
  body     BLOB NOT NULL);
CREATE UNIQUE INDEX print_batches_by_run ON print_batches(run_no, batch_no);
CREATE TABLE print_index(
  run_no  INTEGER NOT NULL,
  bucket  INTEGER NOT NULL,
  entries BLOB NOT NULL,
  PRIMARY KEY(run_no, bucket)) WITHOUT ROWID;
)sql";

namespace {

#define GK_PRINT_RUN_COLUMNS                                                 \
  "run_no, run_id, actor, reprint_of, opened_at, next_batch_no, documents, " \
  "decisions, closed, summary, closed_seq"

PrintRun RowToRun(const sqlite::Stmt& s) {
  PrintRun r;
  r.run_no = s.Int(0);
  r.run_id = s.Text(1);
  r.actor = s.Text(2);
  r.reprint_of = s.Text(3);
  r.opened_at = s.Int(4);
  r.next_batch_no = static_cast<uint64_t>(s.Int(5));
  r.documents = static_cast<uint64_t>(s.Int(6));
  r.decisions = static_cast<uint64_t>(s.Int(7));
  r.closed = s.Int(8) != 0;
  r.summary = s.Text(9);
  r.closed_seq = static_cast<uint64_t>(s.Int(10));
  return r;
}

}  // namespace

uint32_t PrintCustomerKey(std::string_view customer_id) {
  // FNV-1a, then murmur3's 64-bit finalizer: fixed forever (it is stored).
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : customer_id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return static_cast<uint32_t>(h >> 32);
}

namespace {

constexpr int kBucketShift = 20;  // 4,096 buckets of a 32-bit key

uint32_t LoadLe32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void StoreLe32(uint32_t v, std::string& out) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

absl::StatusOr<std::optional<PrintRun>> ReadPrintRun(sqlite::Connection& db,
                                                     std::string_view run_id) {
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   db.Prepare("SELECT " GK_PRINT_RUN_COLUMNS
                              " FROM print_runs WHERE run_id = ?"));
  s.Bind(1, run_id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<PrintRun>();
  return std::optional<PrintRun>(RowToRun(s));
}

absl::Status InsertPrintRun(sqlite::Connection& db, const PrintRun& r) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("INSERT INTO print_runs(run_id, actor, reprint_of, "
                 "opened_at, next_batch_no, documents, decisions, closed, "
                 "summary, closed_seq) VALUES(?,?,?,?,0,0,0,0,'',0)"));
  s.Bind(1, r.run_id)
      .Bind(2, r.actor)
      .Bind(3, r.reprint_of)
      .Bind(4, r.opened_at);
  return s.Run();
}

absl::Status UpdatePrintRun(sqlite::Connection& db, const PrintRun& r) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("UPDATE print_runs SET next_batch_no = ?, documents = ?, "
                 "decisions = ?, closed = ?, summary = ?, closed_seq = ? "
                 "WHERE run_id = ?"));
  s.Bind(1, static_cast<int64_t>(r.next_batch_no))
      .Bind(2, static_cast<int64_t>(r.documents))
      .Bind(3, static_cast<int64_t>(r.decisions))
      .Bind(4, static_cast<int64_t>(r.closed ? 1 : 0))
      .BindBlob(5, r.summary)
      .Bind(6, static_cast<int64_t>(r.closed_seq))
      .Bind(7, r.run_id);
  return s.Run();
}

absl::Status InsertPrintBatch(sqlite::Connection& db, std::string_view run_id,
                              uint64_t batch_no, uint64_t seq,
                              std::string_view body) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare(
          "INSERT INTO print_batches(seq, run_no, batch_no, body) "
          "SELECT ?1, run_no, ?2, ?3 FROM print_runs WHERE run_id = ?4"));
  s.Bind(1, static_cast<int64_t>(seq))
      .Bind(2, static_cast<int64_t>(batch_no))
      .BindBlob(3, body)
      .Bind(4, run_id);
  RETURN_IF_ERROR(s.Run());
  if (sqlite3_changes(db.raw()) != 1) {
    return absl::FailedPreconditionError(
        StrCat("print_run_id: no run ", run_id));
  }
  return absl::OkStatus();
}

absl::Status ScanPrintBatches(
    sqlite::Connection& db, std::string_view run_id, uint64_t from_batch,
    const std::function<bool(uint64_t, uint64_t, std::string_view)>& fn) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT b.batch_no, b.seq, b.body FROM print_batches b "
                 "JOIN print_runs r ON r.run_no = b.run_no "
                 "WHERE r.run_id = ?1 AND b.batch_no >= ?2 "
                 "ORDER BY b.batch_no"));
  s.Bind(1, run_id).Bind(2, static_cast<int64_t>(from_batch));
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (!fn(static_cast<uint64_t>(s.Int(0)), static_cast<uint64_t>(s.Int(1)),
            s.Text(2))) {
      break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::pair<std::string, std::string>>>
PrintBatchBySeq(sqlite::Connection& db, uint64_t seq) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT r.run_id, b.body FROM print_batches b JOIN "
                 "print_runs r ON r.run_no = b.run_no WHERE b.seq = ?"));
  s.Bind(1, static_cast<int64_t>(seq));
  ASSIGN_OR_RETURN(bool row, s.Step());
  using Result = std::optional<std::pair<std::string, std::string>>;
  if (!row) return Result();
  return Result(std::make_pair(s.Text(0), s.Text(1)));
}

absl::Status InsertPrintIndex(sqlite::Connection& db, int64_t run_no,
                              const uint64_t* entries, size_t n) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("INSERT OR REPLACE INTO print_index(run_no, bucket, entries) "
                 "VALUES(?,?,?)"));
  std::string blob;
  for (size_t i = 0; i < n;) {
    const uint32_t bucket =
        static_cast<uint32_t>(entries[i] >> 32) >> kBucketShift;
    blob.clear();
    for (; i < n &&
           (static_cast<uint32_t>(entries[i] >> 32) >> kBucketShift) == bucket;
         ++i) {
      StoreLe32(static_cast<uint32_t>(entries[i] >> 32), blob);
      StoreLe32(static_cast<uint32_t>(entries[i]), blob);
    }
    s.Bind(1, run_no).Bind(2, static_cast<int64_t>(bucket)).BindBlob(3, blob);
    RETURN_IF_ERROR(s.Run());
  }
  return absl::OkStatus();
}

void SortPrintIndexEntries(std::vector<uint64_t>& entries) {
  constexpr int kBits = 16;
  constexpr size_t kParts = size_t{1} << kBits;
  if (entries.size() < kParts) {
    std::sort(entries.begin(), entries.end());
  } else {
    std::vector<size_t> start(kParts + 1, 0);
    for (uint64_t e : entries) ++start[(e >> (64 - kBits)) + 1];
    for (size_t i = 1; i <= kParts; ++i) start[i] += start[i - 1];
    std::vector<uint64_t> spread(entries.size());
    std::vector<size_t> next(start.begin(), start.end() - 1);
    for (uint64_t e : entries) spread[next[e >> (64 - kBits)]++] = e;
    for (size_t i = 0; i < kParts; ++i) {
      std::sort(spread.begin() + static_cast<ptrdiff_t>(start[i]),
                spread.begin() + static_cast<ptrdiff_t>(start[i + 1]));
    }
    entries.swap(spread);
  }
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
}

size_t PrintIndexBucketEnd(const std::vector<uint64_t>& entries, size_t at) {
  if (at >= entries.size()) return entries.size();
  const uint32_t bucket =
      static_cast<uint32_t>(entries[at] >> 32) >> kBucketShift;
  while (at < entries.size() &&
         (static_cast<uint32_t>(entries[at] >> 32) >> kBucketShift) == bucket) {
    ++at;
  }
  return at;
}

absl::StatusOr<std::vector<uint64_t>> PrintBatchSeqsOf(
    sqlite::Connection& db, std::string_view customer_id) {
  std::vector<uint64_t> out;
  ASSIGN_OR_RETURN(sqlite::Stmt runs,
                   db.Prepare("SELECT run_no, closed FROM print_runs "
                              "ORDER BY run_no"));
  std::vector<std::pair<int64_t, bool>> run_list;
  while (true) {
    ASSIGN_OR_RETURN(bool row, runs.Step());
    if (!row) break;
    run_list.emplace_back(runs.Int(0), runs.Int(1) != 0);
  }
  const uint32_t key = PrintCustomerKey(customer_id);
  ASSIGN_OR_RETURN(sqlite::Stmt bucket,
                   db.Prepare("SELECT entries FROM print_index WHERE "
                              "run_no = ?1 AND bucket = ?2"));
  ASSIGN_OR_RETURN(sqlite::Stmt batch,
                   db.Prepare("SELECT seq FROM print_batches WHERE "
                              "run_no = ?1 AND batch_no = ?2"));
  // An open run is not indexed yet: every batch may hold the customer.
  ASSIGN_OR_RETURN(sqlite::Stmt all,
                   db.Prepare("SELECT seq FROM print_batches WHERE "
                              "run_no = ?1"));
  for (const auto& [run_no, closed] : run_list) {
    if (!closed) {
      all.Bind(1, run_no);
      while (true) {
        ASSIGN_OR_RETURN(bool row, all.Step());
        if (!row) break;
        out.push_back(static_cast<uint64_t>(all.Int(0)));
      }
      all.Reset();
      continue;
    }
    bucket.Bind(1, run_no).Bind(2, static_cast<int64_t>(key >> kBucketShift));
    ASSIGN_OR_RETURN(bool row, bucket.Step());
    std::vector<uint32_t> batch_nos;
    if (row) {
      const std::string blob = bucket.Text(0);
      const size_t n = blob.size() / 8;
      size_t lo = 0, hi = n;  // first entry with a key >= ours
      while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (LoadLe32(blob.data() + 8 * mid) < key) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      for (; lo < n && LoadLe32(blob.data() + 8 * lo) == key; ++lo) {
        batch_nos.push_back(LoadLe32(blob.data() + 8 * lo + 4));
      }
    }
    bucket.Reset();
    for (uint32_t b : batch_nos) {
      batch.Bind(1, run_no).Bind(2, static_cast<int64_t>(b));
      ASSIGN_OR_RETURN(bool found, batch.Step());
      if (found) out.push_back(static_cast<uint64_t>(batch.Int(0)));
      batch.Reset();
    }
  }
  // Runs may have been decided at the same time: their batches interleave.
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace gatekeeper
