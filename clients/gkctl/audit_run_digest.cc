// gkctl audit run-digest: a print run's digest recomputed from the log alone,
// by the definition in insert_gate.proto (RunSummary.run_digest), so that a
// compliance officer can check what the daemon and print-gate reported.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "clients/gkctl/commands.h"
#include "daemon/common/crypto.h"
#include "gatekeeper/v1/audit_payload.pb.h"
#include "gatekeeper/v1/audit_service.grpc.pb.h"
#include "gatekeeper/v1/insert_gate.pb.h"

namespace gkctl {
namespace {

namespace v1 = gatekeeper::v1;
namespace pbu = google::protobuf::util;

constexpr uint32_t kPage = 1000;
// An expanded batch of 10,000 documents is a few megabytes of JSON.
constexpr int kMaxMessage = 256 << 20;

// The decision lines of the documents in a print.batch entry's member_json.
std::string LinesOf(const v1::AuditEntry& e, uint64_t* documents,
                    uint64_t* decisions) {
  google::protobuf::ListValue list;
  if (!pbu::JsonStringToMessage(e.member_json(), &list).ok()) {
    throw Error("audit entry " + std::to_string(e.seq()) +
                ": its documents do not parse");
  }
  std::string lines;
  for (const auto& v : list.values()) {
    std::string json;
    v1::PrintedDocument d;
    if (!pbu::MessageToJsonString(v.struct_value(), &json).ok() ||
        !pbu::JsonStringToMessage(json, &d).ok()) {
      throw Error("audit entry " + std::to_string(e.seq()) +
                  ": a document does not parse");
    }
    ++*documents;
    for (const v1::PrintedDecision& x : d.decisions()) {
      ++*decisions;
      std::string reasons;
      for (int r : x.reasons()) {
        if (!reasons.empty()) reasons += ";";
        reasons += ShortName(static_cast<v1::Reason>(r));
      }
      lines += d.document_id() + "\t" + d.customer_id() + "\t" +
               x.campaign_id() + "\t" +
               (x.verdict() == v1::VERDICT_ALLOW ? "ALLOW" : "BLOCK") + "\t" +
               reasons + "\n";
    }
  }
  return lines;
}

}  // namespace

int RecomputeRunDigest(const Globals& g, const std::string& run_id,
                       uint64_t after) {
  if (run_id.empty()) throw Error("--run-id: is required");
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessage);
  auto stub = v1::AuditService::NewStub(Connect(g, args));
  gatekeeper::Sha256Hasher run;
  uint64_t batches = 0, documents = 0, decisions = 0, bad_batches = 0;
  uint64_t opened_seq = 0, closed_seq = 0;
  std::string logged_digest;
  for (bool more = true; more && closed_seq == 0;) {
    v1::QueryAuditRequest req;
    req.set_after_seq(after);
    req.set_limit(kPage);
    req.set_expand_print_batches(true);
    auto ctx = NewContext(g);
    auto reader = stub->QueryAudit(ctx.get(), req);
    v1::AuditEntry e;
    uint32_t n = 0;
    while (reader->Read(&e)) {
      ++n;
      after = e.seq();
      if (e.kind() == "print.opened") {
        v1::PrintRunOpenedPayload p;
        if (pbu::JsonStringToMessage(e.payload_json(), &p).ok() &&
            p.print_run_id() == run_id) {
          opened_seq = e.seq();
        }
      } else if (e.kind() == "print.batch") {
        v1::PrintBatchPayload p;
        if (!pbu::JsonStringToMessage(e.payload_json(), &p).ok()) {
          throw Error("audit entry " + std::to_string(e.seq()) +
                      ": its payload does not parse");
        }
        if (p.print_run_id() != run_id) continue;
        const std::string lines = LinesOf(e, &documents, &decisions);
        if (gatekeeper::ToHex(gatekeeper::Sha256(lines)) !=
            p.decisions_sha256()) {
          ++bad_batches;
          std::cout << "batch " << p.batch_no() << " (entry " << e.seq()
                    << "): its documents do not hash to the entry's "
                       "decisions_sha256\n";
        }
        run.Update(lines);
        ++batches;
      } else if (e.kind() == "print.closed") {
        v1::RunSummary s;
        if (pbu::JsonStringToMessage(e.payload_json(), &s).ok() &&
            s.print_run_id() == run_id) {
          closed_seq = e.seq();
          logged_digest = s.run_digest();
          break;
        }
      }
    }
    if (closed_seq != 0) ctx->TryCancel();
    grpc::Status st = reader->Finish();
    if (closed_seq == 0) CheckRpc(st);
    more = n == kPage;
  }
  if (opened_seq == 0) {
    throw Error("no print run " + run_id + " in the log" +
                (after > 0 ? "" : " (the log is empty)"));
  }
  const std::string digest = gatekeeper::ToHex(run.Finish());
  std::cout << "print_run_id: " << run_id << "\nbatches: " << batches
            << "\ndocuments: " << documents << "\ndecisions: " << decisions
            << "\nrun_digest: " << digest << " (recomputed from the log)\n";
  if (closed_seq == 0) {
    std::cout << "NOT COMPLETED: the run has no print.closed entry\n";
    return kExitBlock;
  }
  const bool match = logged_digest == digest && bad_batches == 0;
  std::cout << "logged at close: " << logged_digest << " (entry " << closed_seq
            << ")\n"
            << (match ? "MATCH" : "MISMATCH") << "\n";
  return match ? kExitOk : kExitBlock;
}

}  // namespace gkctl
