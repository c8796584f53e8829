#include "bench/print_verify.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>

#include "bench/print_layout.h"
#include "daemon/audit/print_batch.h"
#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "daemon/store/sqlite.h"
#include "gatekeeper/v1/audit_payload.pb.h"
#include "gatekeeper/v1/insert_gate.pb.h"

namespace gatekeeper::bench {
namespace {

// Why document `d` at position `position` is not what the manifest and the
// seed say it must be; empty when it is.
std::string CheckDocument(const DocumentVerdicts& d, uint64_t position,
                          uint64_t customers) {
  const std::string want_id = DocumentIdOf(position);
  const std::string want_customer =
      CustomerIdOf(CustomerOfDocument(position, customers));
  if (d.document_id != want_id || d.customer_id != want_customer) {
    return StrCat("document ", position, " of the run is ", d.document_id,
                  " of ", d.customer_id, ", not ", want_id, " of ",
                  want_customer);
  }
  const DocumentCodes codes = CodesOfDocument(position);
  if (d.campaigns.size() != static_cast<size_t>(codes.count)) {
    return StrCat(d.document_id, ": ", d.campaigns.size(),
                  " leaflets decided, the manifest names ", codes.count);
  }
  for (size_t k = 0; k < d.campaigns.size(); ++k) {
    const CampaignVerdict& v = d.campaigns[k];
    if (v.campaign_id != codes.codes[k]) {
      return StrCat(d.document_id, ": leaflet ", k, " is ", v.campaign_id,
                    ", the manifest names ", codes.codes[k]);
    }
    const uint32_t want = ExpectedReasons(d.customer_id, v.campaign_id);
    if (v.reasons != want) {
      return StrCat(d.document_id, " ", v.campaign_id, ": decided ",
                    ReasonNames(v.reasons), ", the seed implies ",
                    ReasonNames(want));
    }
  }
  return {};
}

}  // namespace

absl::StatusOr<RunEvidence> ReadRunEvidence(const std::filesystem::path& db,
                                            const std::string& run_id,
                                            uint64_t customers) {
  const auto t0 = std::chrono::steady_clock::now();
  // Read-write open (like the daemon's readers) so that SQLite can recover
  // the WAL index; query_only forbids writes.
  auto conn = sqlite::Connection::Open(db.string(), SQLITE_OPEN_READWRITE);
  if (!conn.ok()) return conn.status();
  if (absl::Status s = (*conn)->Exec("PRAGMA query_only = 1"); !s.ok()) {
    return s;
  }
  if (absl::Status s = (*conn)->Exec("BEGIN"); !s.ok()) return s;
  RunEvidence out;
  int64_t run_no = 0;
  {
    auto s = (*conn)->Prepare(
        "SELECT run_no, closed, summary FROM print_runs WHERE run_id = ?");
    if (!s.ok()) return s.status();
    s->Bind(1, run_id);
    auto row = s->Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      return absl::NotFoundError(
          StrCat("no print run ", run_id, " in ", db.string()));
    }
    run_no = s->Int(0);
    out.closed = s->Int(1) != 0;
    v1::RunSummary summary;
    if (out.closed && summary.ParseFromString(s->Text(2))) {
      out.logged_digest = summary.run_digest();
    }
  }
  auto problem = [&out](std::string what) {
    if (out.first_problem.empty()) out.first_problem = std::move(what);
  };
  Sha256Hasher run_digest;
  {
    auto s = (*conn)->Prepare(
        "SELECT b.batch_no, b.body, a.payload_json FROM print_batches b "
        "JOIN audit a ON a.seq = b.seq WHERE b.run_no = ? "
        "ORDER BY b.batch_no");
    if (!s.ok()) return s.status();
    s->Bind(1, run_no);
    std::string lines;
    v1::PrintBatchPayload payload;
    for (;;) {
      auto row = s->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      const uint64_t batch_no = static_cast<uint64_t>(s->Int(0));
      const std::string body = s->Text(1);
      const std::string json = s->Text(2);
      out.body_bytes += body.size();
      out.payload_bytes += json.size();
      auto docs = DecodePrintBatch(body);
      if (!docs.ok()) {
        ++out.bad_batches;
        problem(StrCat("batch ", batch_no, ": ", docs.status().message()));
        continue;
      }
      lines.clear();
      for (const DocumentVerdicts& d : *docs) {
        const std::string why = CheckDocument(d, out.documents, customers);
        if (!why.empty()) {
          ++out.unexpected_documents;
          problem(why);
        }
        ++out.documents;
        out.decisions += d.campaigns.size();
        AppendDecisionLines(d, lines);
      }
      run_digest.Update(lines);
      payload.Clear();
      if (batch_no != out.batches ||
          !google::protobuf::util::JsonStringToMessage(json, &payload).ok() ||
          payload.print_run_id() != run_id || payload.batch_no() != batch_no ||
          payload.documents() != docs->size() ||
          payload.decisions_sha256() != ToHex(Sha256(lines))) {
        ++out.bad_batches;
        problem(StrCat("batch ", batch_no,
                       ": its stored decisions do not match its entry"));
      }
      ++out.batches;
    }
  }
  out.digest = ToHex(run_digest.Finish());
  {
    auto s =
        (*conn)->Prepare("SELECT count(*) FROM print_index WHERE run_no = ?");
    if (!s.ok()) return s.status();
    s->Bind(1, run_no);
    auto row = s->Step();
    if (!row.ok()) return row.status();
    out.index_rows = static_cast<uint64_t>(s->Int(0));
  }
  (void)(*conn)->Exec("COMMIT");
  out.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  return out;
}

}  // namespace gatekeeper::bench
