#include "daemon/store/customer_runs.h"

#include <algorithm>

#include "daemon/common/status_macros.h"

namespace gatekeeper {

CustomerRunIndexer::CustomerRunIndexer(uint64_t run_entries)
    : run_entries_(run_entries) {}

CustomerRunIndexer::Run& CustomerRunIndexer::RunFor(uint64_t seq) {
  const uint64_t run = (seq - 1) / run_entries_;
  if (runs_.empty()) {
    runs_.emplace_back().run = indexed_through_ / run_entries_;
  }
  while (runs_.back().run < run) {
    const uint64_t next = runs_.back().run + 1;
    runs_.emplace_back().run = next;
  }
  return runs_.back();
}

absl::Status CustomerRunIndexer::Load(sqlite::Connection& db) {
  {
    ASSIGN_OR_RETURN(sqlite::Stmt s,
                     db.Prepare("SELECT indexed_through FROM audit_index_state "
                                "WHERE id = 1"));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) {
      return absl::DataLossError(
          "audit_index_state has no row; the database was altered");
    }
    indexed_through_ = static_cast<uint64_t>(s.Int(0));
  }
  uint64_t last = 0;
  {
    ASSIGN_OR_RETURN(sqlite::Stmt s,
                     db.Prepare("SELECT coalesce(max(seq), 0) FROM audit"));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) last = static_cast<uint64_t>(s.Int(0));
  }
  head_seq_ = indexed_through_;
  // One run at a time, so that memory stays bounded however long the
  // unindexed tail (an upgraded database is all tail). A complete run, left
  // by a crash or an older schema, is indexed at once in a transaction of its
  // own; the incomplete last one stays in memory.
  while (head_seq_ < last) {
    const uint64_t run_end = (head_seq_ / run_entries_ + 1) * run_entries_;
    {
      ASSIGN_OR_RETURN(sqlite::Stmt s,
                       db.Prepare("SELECT seq, customer_id FROM audit "
                                  "WHERE seq > ? AND seq <= ? ORDER BY seq"));
      s.Bind(1, static_cast<int64_t>(head_seq_))
          .Bind(2, static_cast<int64_t>(run_end));
      while (true) {
        ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        // Entries deleted behind the daemon's back are VerifyAudit's to
        // report; the index covers the ones there are.
        const uint64_t seq = static_cast<uint64_t>(s.Int(0));
        Run& run = RunFor(seq);
        std::string customer = s.Text(1);
        if (!customer.empty()) run.keys.emplace_back(std::move(customer), seq);
      }
    }
    head_seq_ = std::min(run_end, last);
    RunFor(head_seq_);  // the run exists even if all its entries are gone
    if (head_seq_ < run_end) break;  // the incomplete last run
    RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    absl::Status s = Step(db, runs_.front().keys.size());
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      RolledBack();
      return s;
    }
    std::vector<std::pair<uint64_t, std::string>> none;
    Committed(none, head_seq_);
  }
  return absl::OkStatus();
}

absl::Status CustomerRunIndexer::Step(sqlite::Connection& db, size_t max_rows) {
  if (runs_.empty()) return absl::OkStatus();
  Run& run = runs_.front();
  if ((run.run + 1) * run_entries_ > head_seq_) return absl::OkStatus();
  if (!run.sorted) {
    std::sort(run.keys.begin(), run.keys.end());
    run.sorted = true;
  }
  ASSIGN_OR_RETURN(sqlite::Stmt insert,
                   db.Prepare("INSERT OR IGNORE INTO audit_customer_runs(run, "
                              "customer_id, seq) VALUES(?, ?, ?)"));
  const size_t begin = run.inserted + run.tentative;
  const size_t end = std::min(run.keys.size(), begin + max_rows);
  for (size_t i = begin; i < end; ++i) {
    insert.Bind(1, static_cast<int64_t>(run.run))
        .Bind(2, run.keys[i].first)
        .Bind(3, static_cast<int64_t>(run.keys[i].second));
    RETURN_IF_ERROR(insert.Run());
  }
  run.tentative += end - begin;
  if (end == run.keys.size() && !finishing_) {
    ASSIGN_OR_RETURN(sqlite::Stmt done,
                     db.Prepare("UPDATE audit_index_state SET "
                                "indexed_through = ? WHERE id = 1"));
    done.Bind(1, static_cast<int64_t>((run.run + 1) * run_entries_));
    RETURN_IF_ERROR(done.Run());
    finishing_ = true;
  }
  return absl::OkStatus();
}

void CustomerRunIndexer::Committed(
    std::vector<std::pair<uint64_t, std::string>>& appended,
    uint64_t head_seq) {
  if (finishing_) {
    indexed_through_ = (runs_.front().run + 1) * run_entries_;
    runs_.pop_front();
    finishing_ = false;
  } else if (!runs_.empty()) {
    runs_.front().inserted += runs_.front().tentative;
    runs_.front().tentative = 0;
  }
  for (auto& [seq, customer] : appended) {
    Run& run = RunFor(seq);
    if (!customer.empty()) run.keys.emplace_back(std::move(customer), seq);
  }
  head_seq_ = head_seq;
}

void CustomerRunIndexer::RolledBack() {
  if (!runs_.empty()) runs_.front().tentative = 0;
  finishing_ = false;
}

absl::Status CustomerRunIndexer::Scan(
    sqlite::Connection& db, uint64_t run_entries, uint64_t after_seq,
    uint32_t limit, std::string_view customer_id,
    const std::function<absl::StatusOr<bool>(uint64_t seq)>& fn) {
  if (limit == 0) return absl::OkStatus();
  uint64_t indexed_through = 0;
  {
    ASSIGN_OR_RETURN(sqlite::Stmt s,
                     db.Prepare("SELECT indexed_through FROM audit_index_state "
                                "WHERE id = 1"));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) indexed_through = static_cast<uint64_t>(s.Int(0));
  }
  uint32_t given = 0;
  // Returns false once the caller has had enough.
  auto give = [&](sqlite::Stmt& s) -> absl::StatusOr<bool> {
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return true;
      ASSIGN_OR_RETURN(bool more, fn(static_cast<uint64_t>(s.Int(0))));
      if (!more || ++given == limit) return false;
    }
  };
  for (uint64_t run = after_seq / run_entries;
       (run + 1) * run_entries <= indexed_through; ++run) {
    ASSIGN_OR_RETURN(
        sqlite::Stmt s,
        db.Prepare("SELECT seq FROM audit_customer_runs WHERE run = ?1 AND "
                   "customer_id = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4"));
    s.Bind(1, static_cast<int64_t>(run))
        .Bind(2, customer_id)
        .Bind(3, static_cast<int64_t>(after_seq))
        .Bind(4, static_cast<int64_t>(limit - given));
    ASSIGN_OR_RETURN(bool more, give(s));
    if (!more) return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   db.Prepare("SELECT seq FROM audit WHERE seq > ?1 AND "
                              "customer_id = ?2 ORDER BY seq LIMIT ?3"));
  s.Bind(1, static_cast<int64_t>(std::max(after_seq, indexed_through)))
      .Bind(2, customer_id)
      .Bind(3, static_cast<int64_t>(limit - given));
  return give(s).status();
}

}  // namespace gatekeeper
