#include "clients/print-gate/run.h"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

#include "clients/common/csv.h"
#include "clients/print-gate/digest.h"
#include "clients/print-gate/manifest.h"
#include "clients/print-gate/output_file.h"
#include "clients/print-gate/scan.h"
#include "gatekeeper/v1/insert_gate.grpc.pb.h"

namespace printgate {

using gkclient::AppendCsvRecord;
namespace {

namespace v1 = gatekeeper::v1;

// Malformed rows reported one by one on stderr before this many; then once.
constexpr uint64_t kMaxWarnings = 100;

std::string Where(const std::string& path, uint64_t line) {
  return path + ":" + std::to_string(line);
}

std::string Lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

// A manifest row in a batch, or a malformed row skipped between two (kept in
// the batch so that the rejects file keeps the manifest's order).
using Entry = std::variant<ManifestRow, RowProblem>;

struct Batch {
  uint64_t batch_no = 0;
  std::vector<Entry> entries;
  size_t rows = 0;  // the ManifestRows among entries
};

// The number after the first `word` in `message` that has one: "batch 3",
// "batch_no=3", "items[3]", "item #3".
std::optional<uint64_t> NumberAfter(const std::string& message,
                                    std::string_view word) {
  const std::string lower = Lower(message);
  for (size_t at = lower.find(word); at != std::string::npos;
       at = lower.find(word, at + 1)) {
    size_t i = at + word.size();
    if (lower.compare(i, 2, "es") == 0) {
      i += 2;
    } else if (lower.compare(i, 1, "s") == 0) {
      i += 1;
    }
    if (lower.compare(i, 3, "_no") == 0) i += 3;
    while (i < lower.size() && std::string_view(" [#:=(").find(lower[i]) !=
                                   std::string_view::npos) {
      ++i;
    }
    size_t end = i;
    while (end < lower.size() && end - i < 19 &&
           std::isdigit(static_cast<unsigned char>(lower[end]))) {
      ++end;
    }
    if (end > i) return std::stoull(lower.substr(i, end - i));
  }
  return std::nullopt;
}

std::string JoinCodes(const std::vector<std::string>& codes) {
  std::string out;
  for (const std::string& c : codes) {
    if (!out.empty()) out += ';';
    out += c;
  }
  return out;
}

std::string DescribeRow(const ManifestRow& row) {
  return "document " + Quoted(row.document_id) + ", customer " +
         Quoted(row.customer_id) + ", codes " + Quoted(JoinCodes(row.codes));
}

std::string DescribeDecision(const v1::DocumentDecision& d) {
  std::vector<std::string> codes(d.allowed_campaign_ids().begin(),
                                 d.allowed_campaign_ids().end());
  for (const auto& b : d.blocked()) codes.push_back(b.campaign_id());
  return "document " + Quoted(d.document_id()) + ", customer " +
         Quoted(d.customer_id()) + ", codes " + Quoted(JoinCodes(codes));
}

// What to do about a failed call, for the codes where the answer is to try
// again: nothing was written, and the run resumes where the daemon stopped.
std::string Hint(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return " (a smaller --batch-size?)";
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::CANCELLED:
      return " (no output written; run the same command again to resume)";
    default:
      return {};
  }
}

// Memory for the protobuf arena of one batch's request or answer, kept from
// batch to batch: an arena's own blocks would be mapped and unmapped for
// every batch (they are above malloc's mmap threshold), each page faulted in
// and zeroed again. A batch larger than this goes on in blocks of its own.
class BatchArenaMemory {
 public:
  google::protobuf::ArenaOptions Options() {
    google::protobuf::ArenaOptions o;
    o.initial_block = block_.get();
    o.initial_block_size = kBytes;
    o.start_block_size = 256 * 1024;
    o.max_block_size = 1024 * 1024;
    return o;
  }

 private:
  static constexpr size_t kBytes = 2 << 20;  // a default batch fits
  std::unique_ptr<char[]> block_ = std::make_unique<char[]>(kBytes);
};

class BatchOutput;

class Run {
 public:
  Run(const Globals& g, const DecideOptions& o, uint64_t total_documents)
      : g_(g),
        o_(o),
        progress_(o.run_id, total_documents),
        timeout_(std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::duration<double>(g.timeout_seconds))) {}

  int Execute();

 private:
  void OpenOutputs();
  // Reads the manifest on until `rows` well-formed rows are in `b` or it
  // ends. Malformed rows (--skip-bad) go into `b` between them.
  void ReadEntries(Batch& b, size_t rows);
  // Checks an answer against its batch and writes it out.
  void Apply(const Batch& b, const v1::BatchDecided& d, bool replayed);
  // The same for an answer in reason_bits (OpenRun.compact_answers).
  void ApplyCompact(const Batch& b, const v1::BatchDecided& d);
  // A batch's outputs, once checked.
  void Write(const BatchOutput& o);
  // The malformed rows of a batch without rows (after the last batch).
  void ApplyTail(const Batch& b);
  void WriteBadRow(const RowProblem& p, std::string& rejects);
  void OnOpened(const v1::RunOpened& opened, uint64_t replayed);
  void OnSummary(const v1::RunSummary& s);
  // The sender thread: batches from `batch_no` on, then CloseRun.
  void SendLoop(uint64_t batch_no);
  // Records the first failure, cancels the call, stops the sender.
  void Fail(const std::string& what);
  // The stream's status, with the manifest line of the batch item it names.
  std::string StatusWithLine(const grpc::Status& s);
  void PrintSummary(const v1::RunSummary& s, uint64_t replayed) const;

  const Globals& g_;
  const DecideOptions& o_;
  Progress progress_;
  const std::chrono::milliseconds timeout_;

  std::unique_ptr<CsvTable> table_;  // the reader's, then the sender's
  std::string eol_ = "\n";
  std::unique_ptr<OutputFile> out_, rejects_;
  Sha256 run_digest_;
  uint64_t documents_ = 0, decisions_ = 0, malformed_ = 0;
  uint64_t batches_ = 0;  // answered, replayed or not
  uint64_t new_batches_ = 0;
  bool completed_earlier_ = false;  // OpenRun.replay_completed answered
  std::optional<v1::RunSummary> summary_;

  grpc::ClientContext ctx_;
  std::unique_ptr<Watchdog> watchdog_;
  std::unique_ptr<
      grpc::ClientReaderWriter<v1::InsertBatchRequest, v1::InsertBatchResponse>>
      stream_;

  std::mutex mu_;
  std::condition_variable cv_;
  // Batches handed to the sender, oldest first, until answered (the tail
  // too); guarded by mu_.
  std::deque<std::shared_ptr<Batch>> in_flight_;
  size_t outstanding_ = 0;  // sent and not answered; guarded by mu_
  bool stop_ = false;       // guarded by mu_
  std::string error_;       // the first failure; guarded by mu_
};

void Run::OpenOutputs() {
  RowProblem p;
  table_ = CsvTable::Open(o_.manifest, &p);
  if (table_ == nullptr) throw Error(o_.manifest + ": " + p.what);
  if (!table_->ReadHeader(kManifestHeader, &p)) {
    throw Error(Where(o_.manifest, p.line) + ": " + p.what);
  }
  eol_ = std::string(table_->eol());
  RemoveStaleTemps(o_.out);
  RemoveStaleTemps(o_.rejects);
  out_ = OutputFile::Create(o_.out);
  rejects_ = OutputFile::Create(o_.rejects);
  std::string header;
  AppendCsvRecord(header, kManifestHeader, eol_);
  out_->Write(header);
  header.clear();
  AppendCsvRecord(header, kRejectsHeader, eol_);
  rejects_->Write(header);
}

void Run::ReadEntries(Batch& b, size_t rows) {
  ManifestRow row;
  RowProblem p;
  while (b.rows < rows) {
    switch (NextManifestRow(*table_, &row, &p)) {
      case RowResult::kEnd:
        return;
      case RowResult::kRow:
        b.entries.emplace_back(std::move(row));
        ++b.rows;
        break;
      case RowResult::kBad:
        // The first pass found none unless --skip-bad: the file changed.
        if (p.fatal || !o_.skip_bad) {
          throw Error(Where(o_.manifest, p.line) + ": " + p.what);
        }
        b.entries.emplace_back(std::move(p));
        break;
    }
  }
}

void Run::WriteBadRow(const RowProblem& p, std::string& rejects) {
  ++malformed_;
  if (malformed_ <= kMaxWarnings) {
    progress_.Break();
    std::cerr << "print-gate: " << Where(o_.manifest, p.line) << ": " << p.what
              << " (skipped: MALFORMED_ROW in " << o_.rejects << ")\n";
  } else if (malformed_ == kMaxWarnings + 1) {
    progress_.Break();
    std::cerr << "print-gate: " << o_.manifest
              << ": more malformed rows skipped (MALFORMED_ROW in "
              << o_.rejects << ")\n";
  }
  AppendCsvRecord(rejects, {p.document_id, p.customer_id, "", "MALFORMED_ROW"},
                  eol_);
}

// A batch's outputs as its answer is applied: the rows with their allowed
// codes, the rejects and the decision lines (for the digests).
class BatchOutput {
 public:
  BatchOutput(size_t rows, std::string_view eol) : eol_(eol) {
    // Sized once: grown by appends they were copied several times a batch.
    out_rows.reserve(rows * 96);
    reject_rows.reserve(rows * 96);
    lines.reserve(rows * 160);
  }

  // One code of `row`, allowed or blocked for `reasons` (JoinReasons).
  void Code(const ManifestRow& row, const std::string& code, bool allow,
            std::string_view reasons) {
    if (allow) {
      if (!allowed_.empty()) allowed_ += ';';
      allowed_ += code;
    } else {
      AppendCsvRecord(reject_rows,
                      {row.document_id, row.customer_id, code, reasons}, eol_);
    }
    AppendDecisionLine(lines, row.document_id, row.customer_id, code, allow,
                       reasons);
  }
  // After the row's codes.
  void EndRow(const ManifestRow& row) {
    AppendCsvRecord(out_rows, {row.document_id, row.customer_id, allowed_},
                    eol_);
    allowed_.clear();
  }

  std::string out_rows, reject_rows, lines;

 private:
  const std::string_view eol_;
  std::string allowed_;
};

void Run::Apply(const Batch& b, const v1::BatchDecided& d, bool replayed) {
  const std::string batch = "batch " + std::to_string(b.batch_no);
  if (d.batch_no() != b.batch_no) {
    throw Error("the daemon answered batch " + std::to_string(d.batch_no()) +
                " when " + batch + " was due");
  }
  // Compact (OpenRun.compact_answers) unless replayed or the daemon answered
  // in full anyway.
  if (!replayed && d.documents_size() == 0) return ApplyCompact(b, d);
  if (static_cast<size_t>(d.documents_size()) > b.rows) {
    throw Error(
        replayed
            ? "the manifest changed since the run began: it ends before the "
              "end of the run's " +
                  batch
            : "the daemon answered " + std::to_string(d.documents_size()) +
                  " documents for " + batch + " of " + std::to_string(b.rows));
  }
  if (static_cast<size_t>(d.documents_size()) < b.rows) {
    throw Error("the daemon answered " + std::to_string(d.documents_size()) +
                " documents for " + batch + " of " + std::to_string(b.rows));
  }
  BatchOutput o(b.rows, eol_);
  int i = 0;
  for (const Entry& e : b.entries) {
    if (const auto* p = std::get_if<RowProblem>(&e)) {
      WriteBadRow(*p, o.reject_rows);
      continue;
    }
    const ManifestRow& row = std::get<ManifestRow>(e);
    const int index = i++;
    const v1::DocumentDecision& doc = d.documents(index);
    const auto mismatch = [&] {
      const std::string item = batch + " item " + std::to_string(index);
      return Error(Where(o_.manifest, row.line) + ": " +
                   (replayed
                        ? "the manifest changed since the run began: the run "
                          "decided " +
                              DescribeDecision(doc) + " as " + item +
                              ", this row is " + DescribeRow(row)
                        : "the daemon's answer for " + item + " (" +
                              DescribeDecision(doc) +
                              ") does not match this row (" + DescribeRow(row) +
                              ")"));
    };
    if (doc.document_id() != row.document_id ||
        doc.customer_id() != row.customer_id ||
        static_cast<size_t>(doc.allowed_campaign_ids_size() +
                            doc.blocked_size()) != row.codes.size()) {
      throw mismatch();
    }
    for (const std::string& code : row.codes) {
      const auto& a = doc.allowed_campaign_ids();
      const bool allow = std::find(a.begin(), a.end(), code) != a.end();
      const auto blocked =
          std::find_if(doc.blocked().begin(), doc.blocked().end(),
                       [&](const v1::BlockedCampaign& c) {
                         return c.campaign_id() == code;
                       });
      if (allow == (blocked != doc.blocked().end())) throw mismatch();
      o.Code(row, code, allow, allow ? "" : JoinReasons(blocked->reasons()));
    }
    o.EndRow(row);
    ++documents_;
    decisions_ += row.codes.size();
  }
  Sha256 h;
  h.Update(o.lines);
  const std::string mine = h.HexDigest();
  if (Lower(d.batch_sha256()) != mine) {
    throw Error(
        batch + ": the daemon's batch_sha256 " + Quoted(d.batch_sha256()) +
        " is not the SHA-256 of its decisions as received (" + mine + ")");
  }
  Write(o);
}

void Run::ApplyCompact(const Batch& b, const v1::BatchDecided& d) {
  // The decisions are the rows' codes in order; that they were decided for
  // these ids is checked once, by the run digest over the lines made here
  // against the daemon's (a SHA-256 of each batch as well would cost a
  // tenth of print-gate's time for nothing more).
  size_t decisions = 0;
  for (const Entry& e : b.entries) {
    if (const auto* row = std::get_if<ManifestRow>(&e)) {
      decisions += row->codes.size();
    }
  }
  if (static_cast<size_t>(d.reason_bits_size()) != decisions) {
    throw Error("the daemon answered " + std::to_string(d.reason_bits_size()) +
                " decisions for batch " + std::to_string(b.batch_no) + " of " +
                std::to_string(decisions));
  }
  constexpr uint32_t kAllow = 1u << v1::REASON_CONSENT_ON_RECORD;
  BatchOutput o(b.rows, eol_);
  int k = 0;
  for (const Entry& e : b.entries) {
    if (const auto* p = std::get_if<RowProblem>(&e)) {
      WriteBadRow(*p, o.reject_rows);
      continue;
    }
    const ManifestRow& row = std::get<ManifestRow>(e);
    for (const std::string& code : row.codes) {
      const uint32_t bits = d.reason_bits(k++);
      if (bits == 0 || ((bits & kAllow) != 0 && bits != kAllow)) {
        throw Error(Where(o_.manifest, row.line) +
                    ": the daemon answered no verdict for " + Quoted(code) +
                    " (reason bits " + std::to_string(bits) + ")");
      }
      const bool allow = bits == kAllow;
      o.Code(row, code, allow, allow ? "" : JoinReasonBits(bits));
    }
    o.EndRow(row);
    ++documents_;
    decisions_ += row.codes.size();
  }
  Write(o);
}

void Run::Write(const BatchOutput& o) {
  run_digest_.Update(o.lines);
  out_->Write(o.out_rows);
  rejects_->Write(o.reject_rows);
  ++batches_;
  progress_.Update(documents_);
}

void Run::ApplyTail(const Batch& b) {
  std::string reject_rows;
  for (const Entry& e : b.entries) {
    WriteBadRow(std::get<RowProblem>(e), reject_rows);
  }
  rejects_->Write(reject_rows);
}

void Run::OnOpened(const v1::RunOpened& opened, uint64_t replayed) {
  if (!opened.print_run_id().empty() && opened.print_run_id() != o_.run_id) {
    throw Error("the daemon opened run " + Quoted(opened.print_run_id()) +
                ", not " + Quoted(o_.run_id));
  }
  if (opened.next_batch_no() != replayed) {
    throw Error("the daemon expects batch " +
                std::to_string(opened.next_batch_no()) + " next but replayed " +
                std::to_string(replayed) +
                " batches: the outputs cannot be rebuilt");
  }
  if (opened.documents() != documents_) {
    throw Error("the daemon says the run decided " +
                std::to_string(opened.documents()) +
                " documents so far but replayed " + std::to_string(documents_));
  }
}

void Run::OnSummary(const v1::RunSummary& s) {
  std::deque<std::shared_ptr<Batch>> rest;
  {
    std::lock_guard lock(mu_);
    rest.swap(in_flight_);
  }
  for (const auto& b : rest) {
    if (b->rows > 0) {
      throw Error("the daemon summed the run up before answering batch " +
                  std::to_string(b->batch_no));
    }
    ApplyTail(*b);
  }
  const std::string digest = run_digest_.HexDigest();
  if (s.documents() != documents_ || s.decisions() != decisions_ ||
      s.batches() != batches_ || Lower(s.run_digest()) != digest) {
    throw Error("the run's summary (" + std::to_string(s.batches()) +
                " batches, " + std::to_string(s.documents()) + " documents, " +
                std::to_string(s.decisions()) + " decisions, digest " +
                Quoted(s.run_digest()) +
                ") does not match what was answered (" +
                std::to_string(batches_) + ", " + std::to_string(documents_) +
                ", " + std::to_string(decisions_) + ", " + digest + ")");
  }
  summary_ = s;
}

void Run::SendLoop(uint64_t batch_no) {
  BatchArenaMemory arena_memory;
  const google::protobuf::ArenaOptions arena_options = arena_memory.Options();
  try {
    for (;; ++batch_no) {
      auto b = std::make_shared<Batch>();
      b->batch_no = batch_no;
      ReadEntries(*b, o_.batch_size);
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || outstanding_ < o_.in_flight; });
        if (stop_) return;
        in_flight_.push_back(b);
        if (b->rows == 0) break;  // the end; its malformed rows, if any
        ++outstanding_;
      }
      // The request's items and strings in one arena: a batch is a few
      // thousand of them, each a separate allocation otherwise.
      google::protobuf::Arena arena(arena_options);
      auto& req =
          *google::protobuf::Arena::CreateMessage<v1::InsertBatchRequest>(
              &arena);
      v1::InsertBatch* batch = req.mutable_batch();
      batch->set_batch_no(batch_no);
      for (const Entry& e : b->entries) {
        const auto* row = std::get_if<ManifestRow>(&e);
        if (row == nullptr) continue;
        v1::InsertItem* item = batch->add_items();
        item->set_document_id(row->document_id);
        item->set_customer_id(row->customer_id);
        for (const std::string& c : row->codes) item->add_campaign_ids(c);
      }
      if (!stream_->Write(req)) return;  // the reader learns why
      watchdog_->Kick();
    }
    v1::InsertBatchRequest close;
    close.mutable_close();
    if (!stream_->Write(close)) return;
    watchdog_->Kick();
    stream_->WritesDone();
  } catch (const std::exception& e) {
    Fail(e.what());
  }
}

void Run::Fail(const std::string& what) {
  {
    std::lock_guard lock(mu_);
    if (error_.empty()) error_ = what;
    stop_ = true;
  }
  cv_.notify_all();
  ctx_.TryCancel();
}

std::string Run::StatusWithLine(const grpc::Status& s) {
  const std::string text = StatusText(s);
  const auto named = BatchItemNamedIn(s.error_message());
  if (!named.has_value()) return text;
  const auto [batch, item] = *named;
  std::lock_guard lock(mu_);
  for (const auto& b : in_flight_) {
    if (b->batch_no != batch) continue;
    uint64_t i = 0;
    for (const Entry& e : b->entries) {
      const auto* row = std::get_if<ManifestRow>(&e);
      if (row != nullptr && i++ == item) {
        return Where(o_.manifest, row->line) + ": " + text;
      }
    }
  }
  return text;
}

void Run::PrintSummary(const v1::RunSummary& s, uint64_t replayed) const {
  std::cout << "print_run_id: " << o_.run_id << "\n";
  if (!o_.reprint_of.empty())
    std::cout << "reprint_of: " << o_.reprint_of << "\n";
  if (replayed > 0) std::cout << "replayed_batches: " << replayed << "\n";
  std::cout << "batches: " << s.batches() << "\n"
            << "documents: " << s.documents() << "\n"
            << "decisions: " << s.decisions() << "\n";
  const std::map<std::string, uint64_t> allowed(s.allowed_by_campaign().begin(),
                                                s.allowed_by_campaign().end());
  const std::map<std::string, uint64_t> blocked(s.blocked_by_reason().begin(),
                                                s.blocked_by_reason().end());
  std::cout << "allowed_by_campaign:\n";
  for (const auto& [campaign, n] : allowed) {
    std::cout << "  " << campaign << ": " << n << "\n";
  }
  std::cout << "blocked_by_reason:\n";
  for (const auto& [reason, n] : blocked) {
    std::cout << "  " << reason << ": " << n << "\n";
  }
  if (o_.skip_bad) std::cout << "malformed_rows: " << malformed_ << "\n";
  std::cout << "out: " << o_.out << "\n"
            << "rejects: " << o_.rejects << "\n"
            << "audit_seq: " << s.audit_seq() << "\n"
            << "run_digest: " << Lower(s.run_digest()) << "\n";
}

int Run::Execute() {
  // Outputs lost after the run completed (print-gate died between the
  // daemon's summary and the rename) are rebuilt from the daemon's record;
  // with the outputs in place, a completed run is refused.
  const bool outputs_missing = !std::filesystem::exists(o_.out);
  OpenOutputs();
  ThrowIfInterrupted();
  auto stub = v1::InsertGate::NewStub(Connect(g_));
  // The watchdog and the interrupt handler may cancel the call while it is
  // being set up.
  watchdog_ = std::make_unique<Watchdog>(&ctx_, timeout_);
  CancelOnInterrupt cancel_on_interrupt(&ctx_);
  stream_ = stub->CheckInsertBatch(&ctx_);
  {
    v1::InsertBatchRequest req;
    v1::OpenRun* open = req.mutable_open();
    open->set_print_run_id(o_.run_id);
    open->set_actor(Actor(g_));
    open->set_reprint_of(o_.reprint_of);
    open->set_replay_decided(true);
    open->set_replay_completed(outputs_missing);
    open->set_compact_answers(true);
    stream_->Write(req);  // a failure shows in Read and Finish
  }
  std::thread sender;
  bool opened = false;
  uint64_t replayed = 0;
  try {
    BatchArenaMemory arena_memory;
    const google::protobuf::ArenaOptions arena_options = arena_memory.Options();
    for (;;) {
      // Each answer parsed into an arena of its own: a batch's decisions
      // are thousands of messages and strings, freed at once.
      google::protobuf::Arena arena(arena_options);
      auto& resp =
          *google::protobuf::Arena::CreateMessage<v1::InsertBatchResponse>(
              &arena);
      if (!stream_->Read(&resp)) break;
      watchdog_->Kick();
      if (resp.has_batch() && !opened) {
        if (!resp.batch().replayed()) {
          throw Error("the daemon answered batch " +
                      std::to_string(resp.batch().batch_no()) +
                      " before opening the run");
        }
        Batch b;
        b.batch_no = replayed;
        ReadEntries(b, static_cast<size_t>(resp.batch().documents_size()));
        Apply(b, resp.batch(), true);
        ++replayed;
      } else if (resp.has_batch()) {
        std::shared_ptr<Batch> b;
        {
          std::lock_guard lock(mu_);
          if (!in_flight_.empty() && in_flight_.front()->rows > 0) {
            b = in_flight_.front();
          }
        }
        if (b == nullptr) {
          throw Error("the daemon answered batch " +
                      std::to_string(resp.batch().batch_no()) +
                      ", which was not sent");
        }
        Apply(*b, resp.batch(), false);
        {
          std::lock_guard lock(mu_);
          in_flight_.pop_front();
          --outstanding_;
        }
        cv_.notify_all();
        if (++new_batches_ == o_.kill_after_batches) ::raise(SIGKILL);
      } else if (resp.has_opened() && !opened) {
        OnOpened(resp.opened(), replayed);
        opened = true;
        if (resp.opened().completed()) {
          // Nothing to send: the manifest must hold no more documents.
          completed_earlier_ = true;
          auto tail = std::make_shared<Batch>();
          tail->batch_no = replayed;
          ReadEntries(*tail, 1);
          if (tail->rows > 0) {
            throw Error("run " + Quoted(o_.run_id) + " was completed with " +
                        std::to_string(documents_) +
                        " documents; the manifest has more");
          }
          std::lock_guard lock(mu_);
          in_flight_.push_back(tail);
        } else {
          sender = std::thread(&Run::SendLoop, this, replayed);
        }
      } else if (resp.has_summary() && opened && !summary_.has_value()) {
        OnSummary(resp.summary());
      } else {
        throw Error("unexpected answer from the daemon: " +
                    OneLine(resp.ShortDebugString()));
      }
    }
  } catch (const std::exception& e) {
    Fail(e.what());
  }
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (sender.joinable()) sender.join();
  const grpc::Status status = stream_->Finish();
  const bool timed_out = watchdog_->fired();
  watchdog_.reset();
  {
    std::lock_guard lock(mu_);
    if (!error_.empty()) throw Error(error_);
  }
  // A run the daemon completed is written out even if a signal came at the
  // last moment: it cannot be opened again.
  if (!status.ok() || !summary_.has_value()) {
    if (Interrupted()) {
      throw Error(
          "interrupted: no output written; run the same command again to "
          "resume");
    }
    if (timed_out) {
      throw Error(Watchdog::Describe(timeout_) +
                  "; no output written; run the same command again to resume");
    }
    if (!status.ok()) throw Error(StatusWithLine(status) + Hint(status));
    throw Error("the daemon ended the run without its summary");
  }
  rejects_->Commit();
  out_->Commit();
  progress_.Finish();
  if (completed_earlier_) {
    std::cerr << "print-gate: run " << o_.run_id
              << " was completed earlier; its outputs were rebuilt from what "
                 "the daemon recorded (nothing was decided again)\n";
  }
  PrintSummary(*summary_, replayed);
  return kExitOk;
}

}  // namespace

std::optional<std::pair<uint64_t, uint64_t>> BatchItemNamedIn(
    const std::string& message) {
  const std::optional<uint64_t> batch = NumberAfter(message, "batch");
  const std::optional<uint64_t> item = NumberAfter(message, "item");
  if (!batch.has_value() || !item.has_value()) return std::nullopt;
  return std::make_pair(*batch, *item);
}

int Decide(const Globals& g, const DecideOptions& o) {
  if (o.reprint_of.empty()) {
    if (std::string bad = CheckRunId("--run-id", o.run_id); !bad.empty()) {
      throw Error(bad);
    }
  } else {
    if (std::string bad = CheckRunId("--run-id", o.reprint_of); !bad.empty()) {
      throw Error(bad);
    }
    if (std::string bad = CheckRunId("--reprint-run-id", o.run_id);
        !bad.empty()) {
      throw Error(bad);
    }
    if (o.run_id == o.reprint_of) {
      throw Error("--reprint-run-id must differ from --run-id");
    }
  }
  namespace fs = std::filesystem;
  const auto same_file = [](const std::string& a, const std::string& b) {
    std::error_code ec;
    if (fs::equivalent(a, b, ec)) return true;
    return fs::weakly_canonical(fs::absolute(a), ec) ==
           fs::weakly_canonical(fs::absolute(b), ec);
  };
  if (same_file(o.out, o.rejects)) {
    throw Error("--out and --rejects must be different files");
  }
  if (same_file(o.out, o.manifest) || same_file(o.rejects, o.manifest)) {
    throw Error("--out and --rejects must not be the input file");
  }
  if (std::string bad = CheckReadableTwice(o.manifest); !bad.empty()) {
    throw Error(bad);
  }
  const uint64_t documents = ScanManifest(o.manifest, o.skip_bad);
  Run run(g, o, documents);
  return run.Execute();
}

std::string DerivedReprintRunId(const std::string& run_id,
                                const std::string& documents_path) {
  std::ifstream in(documents_path, std::ios::binary);
  if (!in.is_open()) {
    throw Error(documents_path +
                ": cannot open for reading: " + std::strerror(errno));
  }
  Sha256 h;
  std::vector<char> buf(64 * 1024);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.Update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
  }
  if (in.bad()) throw Error(documents_path + ": read error");
  std::string id = run_id + ".reprint-" + h.HexDigest().substr(0, 8);
  if (id.size() > 64) {
    throw Error("the reprint run's id " + Quoted(id) +
                " would be longer than 64 characters: choose one with "
                "--reprint-run-id");
  }
  return id;
}

}  // namespace printgate
