// print-gate reconcile and pull-list.
//
// reconcile checks the inserter's file whole (and the manifest, with
// --spoiled-out) before the daemon is asked anything, then streams it
// through ReconcileRun, prints what the daemon found, and writes the spoiled
// pieces' manifest rows. pull-list writes PullList's entries, one row per
// leaflet to pull. Files are written under temporary names and renamed when
// complete (output_file.h).
#include <filesystem>
#include <iostream>
#include <unordered_map>

#include "clients/common/csv.h"
#include "clients/print-gate/commands.h"
#include "clients/print-gate/digest.h"
#include "clients/print-gate/manifest.h"
#include "clients/print-gate/output_file.h"
#include "gatekeeper/v1/insert_gate.grpc.pb.h"

namespace printgate {

using gkclient::AppendCsvRecord;
namespace {

namespace v1 = gatekeeper::v1;

std::string Where(const std::string& path, uint64_t line) {
  return path + ":" + std::to_string(line);
}

std::chrono::milliseconds Timeout(const Globals& g) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(g.timeout_seconds));
}

std::unique_ptr<CsvTable> OpenTable(const std::string& path,
                                    std::span<const std::string_view> header) {
  RowProblem p;
  std::unique_ptr<CsvTable> table = CsvTable::Open(path, &p);
  if (table == nullptr) throw Error(path + ": " + p.what);
  if (!table->ReadHeader(header, &p)) {
    throw Error(Where(path, p.line) + ": " + p.what);
  }
  return table;
}

// Reads every row of the inserter's file (or, with `manifest`, of a
// manifest); throws on the first malformed one.
void CheckWhole(const std::string& path, bool manifest) {
  std::unique_ptr<CsvTable> table = OpenTable(
      path, manifest ? std::span<const std::string_view>(kManifestHeader)
                     : std::span<const std::string_view>(kInsertedHeader));
  RowProblem p;
  ManifestRow mrow;
  InsertedRow irow;
  for (uint64_t seen = 0;; ++seen) {
    if (seen % 65536 == 0) ThrowIfInterrupted();
    const RowResult r = manifest ? NextManifestRow(*table, &mrow, &p)
                                 : NextInsertedRow(*table, &irow, &p);
    if (r == RowResult::kEnd) return;
    if (r == RowResult::kBad) throw Error(Where(path, p.line) + ": " + p.what);
  }
}

std::string JoinIds(const google::protobuf::RepeatedPtrField<std::string>& ids,
                    char sep) {
  std::string out;
  for (const std::string& id : ids) {
    if (!out.empty()) out += sep;
    out += id;
  }
  return out;
}

void PrintFindings(
    std::string_view name,
    const google::protobuf::RepeatedPtrField<v1::PieceFinding>& findings) {
  std::cout << name << ": " << findings.size() << "\n";
  for (const v1::PieceFinding& f : findings) {
    std::cout << "  " << f.document_id() << " "
              << JoinIds(f.campaign_ids(), ';') << "\n";
  }
}

void PrintIds(std::string_view name,
              const google::protobuf::RepeatedPtrField<std::string>& ids) {
  std::cout << name << ": " << ids.size() << "\n";
  for (const std::string& id : ids) std::cout << "  " << id << "\n";
}

// The spoiled documents' rows of the manifest, in its order, to
// `o.spoiled_out`.
void WriteSpoiled(const ReconcileOptions& o, const v1::ReconcileResponse& r) {
  std::unordered_map<std::string, bool> wanted;  // -> found
  for (const std::string& id : r.spoiled_document_ids()) wanted[id] = false;
  std::unique_ptr<CsvTable> table = OpenTable(o.manifest, kManifestHeader);
  const std::string eol(table->eol());
  RemoveStaleTemps(o.spoiled_out);
  std::unique_ptr<OutputFile> out = OutputFile::Create(o.spoiled_out);
  std::string rows;
  AppendCsvRecord(rows, kManifestHeader, eol);
  ManifestRow row;
  RowProblem p;
  for (;;) {
    const RowResult res = NextManifestRow(*table, &row, &p);
    if (res == RowResult::kEnd) break;
    if (res == RowResult::kBad) {
      throw Error(Where(o.manifest, p.line) + ": " + p.what);
    }
    auto it = wanted.find(row.document_id);
    if (it == wanted.end() || it->second) continue;
    it->second = true;
    std::string codes;
    for (const std::string& c : row.codes) {
      if (!codes.empty()) codes += ';';
      codes += c;
    }
    AppendCsvRecord(rows, {row.document_id, row.customer_id, codes}, eol);
    if (rows.size() >= (1 << 20)) {
      out->Write(rows);
      rows.clear();
    }
  }
  std::string missing;
  size_t n_missing = 0;
  for (const std::string& id : r.spoiled_document_ids()) {
    if (wanted[id]) continue;
    if (++n_missing <= 5) missing += (missing.empty() ? "" : ", ") + id;
  }
  if (n_missing > 0) {
    throw Error("--spoiled-out: " + std::to_string(n_missing) +
                " spoiled document(s) not in " + o.manifest + " (" + missing +
                (n_missing > 5 ? ", ..." : "") + "): " + o.spoiled_out +
                " not written");
  }
  out->Write(rows);
  out->Commit();
  std::cout << "spoiled_out: " << o.spoiled_out << "\n";
}

}  // namespace

int Reconcile(const Globals& g, const ReconcileOptions& o) {
  if (std::string bad = CheckRunId("--run-id", o.run_id); !bad.empty()) {
    throw Error(bad);
  }
  if (!o.spoiled_out.empty()) {
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const std::string* in : {&o.inserted, &o.manifest}) {
      if (fs::equivalent(o.spoiled_out, *in, ec) ||
          fs::weakly_canonical(fs::absolute(o.spoiled_out), ec) ==
              fs::weakly_canonical(fs::absolute(*in), ec)) {
        throw Error("--spoiled-out must not be an input file");
      }
    }
  }
  for (const std::string* in : {&o.inserted, &o.manifest}) {
    if (std::string bad = CheckReadableTwice(*in); !bad.empty()) {
      throw Error(bad);
    }
  }
  CheckWhole(o.inserted, /*manifest=*/false);
  if (!o.spoiled_out.empty()) CheckWhole(o.manifest, /*manifest=*/true);

  std::unique_ptr<CsvTable> table = OpenTable(o.inserted, kInsertedHeader);
  auto stub = v1::InsertGate::NewStub(Connect(g));
  grpc::ClientContext ctx;
  Watchdog watchdog(&ctx, Timeout(g));
  CancelOnInterrupt cancel_on_interrupt(&ctx);
  v1::ReconcileResponse resp;
  auto writer = stub->ReconcileRun(&ctx, &resp);
  std::string error;
  {
    v1::ReconcileRequest req;
    req.mutable_start()->set_print_run_id(o.run_id);
    req.mutable_start()->set_actor(Actor(g));
    bool ok = writer->Write(req);
    InsertedRow row;
    RowProblem p;
    while (ok) {
      const RowResult r = NextInsertedRow(*table, &row, &p);
      if (r == RowResult::kEnd) break;
      if (r == RowResult::kBad) {  // the file changed since it was checked
        error = Where(o.inserted, p.line) + ": " + p.what;
        ctx.TryCancel();
        break;
      }
      watchdog.Kick();
      v1::InsertedPiece* piece = req.mutable_piece();
      piece->Clear();
      piece->set_document_id(row.document_id);
      for (const std::string& c : row.codes) {
        piece->add_inserted_campaign_ids(c);
      }
      piece->set_status(row.state == PieceState::kSpoiled
                            ? v1::PIECE_STATUS_SPOILED
                            : v1::PIECE_STATUS_OK);
      ok = writer->Write(req);
    }
    if (ok && error.empty()) writer->WritesDone();
  }
  watchdog.Kick();
  const grpc::Status status = writer->Finish();
  if (!error.empty()) throw Error(error);
  if (!status.ok()) {
    if (Interrupted()) throw Error("interrupted: the run was not reconciled");
    if (watchdog.fired()) throw Error(Watchdog::Describe(Timeout(g)));
    throw Error(StatusText(status));
  }

  std::cout << "print_run_id: " << o.run_id << "\n"
            << "pieces: " << resp.pieces() << "\n";
  PrintFindings("violations", resp.violations());
  PrintFindings("not_inserted", resp.not_inserted());
  PrintIds("spoiled", resp.spoiled_document_ids());
  PrintIds("unknown_documents", resp.unknown_document_ids());
  std::cout << "missing_pieces: " << resp.missing_pieces() << "\n"
            << "audit_seq: " << resp.audit_seq() << "\n";
  std::cout.flush();
  if (!o.spoiled_out.empty()) WriteSpoiled(o, resp);
  return resp.violations_size() > 0 ? kExitViolation : kExitOk;
}

int PullList(const Globals& g, const PullListOptions& o) {
  if (std::string bad = CheckRunId("--run-id", o.run_id); !bad.empty()) {
    throw Error(bad);
  }
  RemoveStaleTemps(o.out);
  std::unique_ptr<OutputFile> out = OutputFile::Create(o.out);
  constexpr std::string_view kEol = "\n";
  std::string rows;
  AppendCsvRecord(rows, kRejectsHeader, kEol);

  auto stub = v1::InsertGate::NewStub(Connect(g));
  grpc::ClientContext ctx;
  Watchdog watchdog(&ctx, Timeout(g));
  CancelOnInterrupt cancel_on_interrupt(&ctx);
  v1::PullListRequest req;
  req.set_print_run_id(o.run_id);
  auto reader = stub->PullList(&ctx, req);
  v1::PullListEntry e;
  uint64_t documents = 0, leaflets = 0;
  while (reader->Read(&e)) {
    watchdog.Kick();
    ++documents;
    for (const v1::BlockedCampaign& b : e.now_blocked()) {
      AppendCsvRecord(rows,
                      {e.document_id(), e.customer_id(), b.campaign_id(),
                       JoinReasons(b.reasons())},
                      kEol);
      ++leaflets;
    }
    if (rows.size() >= (1 << 20)) {
      out->Write(rows);
      rows.clear();
    }
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) {
    if (Interrupted()) throw Error("interrupted: no pull list written");
    if (watchdog.fired()) throw Error(Watchdog::Describe(Timeout(g)));
    throw Error(StatusText(status));
  }
  out->Write(rows);
  out->Commit();
  std::cout << "print_run_id: " << o.run_id << "\n"
            << "documents: " << documents << "\n"
            << "leaflets: " << leaflets << "\n"
            << "out: " << o.out << "\n";
  return kExitOk;
}

}  // namespace printgate
