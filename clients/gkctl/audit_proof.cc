// gkctl audit pubkey | checkpoint | prove | check-proof: signed checkpoints
// and Merkle proofs of the audit log, checked offline with the public key.
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "clients/gkctl/commands.h"
#include "daemon/audit/proof.h"
#include "daemon/common/files.h"
#include "gatekeeper/v1/audit_service.grpc.pb.h"

namespace gkctl {
namespace {

namespace v1 = gatekeeper::v1;

std::string ReadText(const std::string& path, const char* what) {
  auto text = gatekeeper::ReadWholeFile(path, /*private_only=*/false);
  if (!text.ok()) {
    throw Error(std::string(what) + ": " +
                std::string(text.status().message()));
  }
  return *std::move(text);
}

std::string ToJson(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.add_whitespace = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(m, &out, opts).ok()) {
    throw Error("cannot encode the proof as JSON");
  }
  return out;
}

void FromJsonFile(const std::string& path, google::protobuf::Message* m) {
  const std::string text = ReadText(path, "proof file");
  const auto s = google::protobuf::util::JsonStringToMessage(text, m);
  if (!s.ok()) {
    throw Error(path + " is not a " + m->GetDescriptor()->name() +
                " in JSON: " + std::string(s.message()));
  }
}

void WriteFile(const std::string& path, const std::string& content) {
  absl::Status s = gatekeeper::ReplaceFileDurably(path, content, 0644);
  if (!s.ok()) throw Error(std::string(s.message()));
}

std::string Describe(const v1::Checkpoint& c) {
  return "the signed checkpoint of " + std::to_string(c.size()) + " entries (" +
         FormatTime(c.at()) + ", key " + c.key_id().substr(0, 16) + ")";
}

int PubKey(const Globals& g, const std::string& out) {
  v1::GetCheckpointResponse resp;
  auto ctx = NewContext(g);
  CheckRpc(NewStub<v1::AuditService>(g)->GetCheckpoint(
      ctx.get(), v1::GetCheckpointRequest(), &resp));
  if (resp.public_key_pem().empty()) throw Error("the daemon sent no key");
  if (out.empty()) {
    std::cout << resp.public_key_pem();
  } else {
    WriteFile(out, resp.public_key_pem());
    std::cout << "public key written to " << out << "\n";
  }
  return kExitOk;
}

int ShowCheckpoint(const Globals& g, bool fresh) {
  v1::GetCheckpointRequest req;
  req.set_fresh(fresh);
  v1::GetCheckpointResponse resp;
  auto ctx = NewContext(g);
  CheckRpc(NewStub<v1::AuditService>(g)->GetCheckpoint(ctx.get(), req, &resp));
  if (!resp.has_checkpoint()) {
    throw Error("the audit log is empty: there is no checkpoint yet");
  }
  if (g.json) {
    PrintJson(resp.checkpoint());
  } else {
    const v1::Checkpoint& c = resp.checkpoint();
    std::cout << "size: " << c.size() << "\nroot_hash: " << c.root_hash()
              << "\nat: " << FormatTime(c.at()) << "\nkey_id: " << c.key_id()
              << "\nsignature: " << c.signature() << "\n";
  }
  return kExitOk;
}

struct ProveOptions {
  uint64_t seq = 0;
  uint64_t tree_size = 0;
  std::string pubkey;
  std::string out;
  std::string since;
};

int Prove(const Globals& g, const ProveOptions& o) {
  const std::string pem = ReadText(o.pubkey, "--pubkey");
  v1::ProveEntryRequest req;
  req.set_seq(o.seq);
  req.set_tree_size(o.tree_size);
  v1::AuditProof proof;
  auto stub = NewStub<v1::AuditService>(g);
  {
    auto ctx = NewContext(g);
    CheckRpc(stub->ProveEntry(ctx.get(), req, &proof));
  }
  if (!o.since.empty()) {
    // The checkpoint the auditor held before (in a proof file of theirs, or
    // alone): the daemon proves the new one extends it.
    v1::AuditProof older_proof;
    v1::Checkpoint older;
    try {
      FromJsonFile(o.since, &older_proof);
      older = older_proof.checkpoint();
    } catch (const Error&) {
      FromJsonFile(o.since, &older);
    }
    v1::ProveConsistencyRequest creq;
    creq.set_old_size(older.size());
    creq.set_new_size(proof.checkpoint().size());
    v1::ProveConsistencyResponse cresp;
    auto ctx = NewContext(g);
    CheckRpc(stub->ProveConsistency(ctx.get(), creq, &cresp));
    *proof.mutable_older_checkpoint() = older;
    *proof.mutable_consistency_path() = cresp.path();
  }
  // Checked here as the auditor will check it: a proof that fails is not
  // written.
  absl::Status s = gatekeeper::CheckAuditProof(proof, pem);
  if (!s.ok()) {
    std::cout << "proof FAILED: " << s.message() << "\n";
    return kExitBlock;
  }
  WriteFile(o.out, ToJson(proof));
  std::cout << "entry " << proof.entry().seq() << " (" << proof.entry().kind()
            << ") proved against " << Describe(proof.checkpoint());
  if (proof.has_older_checkpoint()) {
    std::cout << ", which extends " << Describe(proof.older_checkpoint());
  }
  std::cout << "; written to " << o.out << "\n";
  return kExitOk;
}

int CheckProof(const std::string& file, const std::string& pubkey) {
  const std::string pem = ReadText(pubkey, "--pubkey");
  v1::AuditProof proof;
  FromJsonFile(file, &proof);
  absl::Status s = gatekeeper::CheckAuditProof(proof, pem);
  if (absl::IsInvalidArgument(s)) throw Error(std::string(s.message()));
  if (!s.ok()) {
    std::cout << "proof FAILED: " << s.message() << "\n";
    return kExitBlock;
  }
  const v1::AuditEntry& e = proof.entry();
  std::cout << "proof OK: entry " << e.seq() << " (" << e.kind() << ", "
            << FormatTime(e.at()) << ") is in " << Describe(proof.checkpoint());
  if (proof.has_older_checkpoint()) {
    std::cout << ", which extends " << Describe(proof.older_checkpoint());
  }
  std::cout << "\n";
  return kExitOk;
}

}  // namespace

void AddAuditProofCommands(CLI::App& group, const Globals& g, Action* action) {
  auto pub_out = std::make_shared<std::string>();
  CLI::App* pubkey = group.add_subcommand(
      "pubkey",
      "Print the daemon's audit signing public key (PEM), the key auditors "
      "check checkpoints and proofs with");
  pubkey->add_option("--out", *pub_out, "Write it to FILE instead")
      ->type_name("FILE");
  OnSelect(pubkey, action, [&g, pub_out] { return PubKey(g, *pub_out); });

  auto fresh = std::make_shared<bool>(false);
  CLI::App* checkpoint = group.add_subcommand(
      "checkpoint", "Print the latest signed checkpoint of the log");
  checkpoint->add_flag("--fresh", *fresh,
                       "Have one signed now covering every durable entry");
  OnSelect(checkpoint, action,
           [&g, fresh] { return ShowCheckpoint(g, *fresh); });

  auto o = std::make_shared<ProveOptions>();
  CLI::App* prove = group.add_subcommand(
      "prove",
      "Fetch an entry with its Merkle inclusion proof and signed checkpoint, "
      "check it with --pubkey, and write it to --out for check-proof. Exit 0 "
      "when written, 1 when the daemon's proof does not verify");
  prove->add_option("--seq", o->seq, "The entry")->required();
  prove->add_option("--pubkey", o->pubkey, "The daemon's public key (PEM)")
      ->required();
  prove->add_option("--out", o->out, "The proof file (JSON)")->required();
  prove
      ->add_option("--tree-size", o->tree_size,
                   "Prove against the checkpoint of N entries (default: the "
                   "latest)")
      ->type_name("N");
  prove
      ->add_option("--since", o->since,
                   "A proof or checkpoint file held before: add the proof "
                   "that the log has only grown since it")
      ->type_name("FILE");
  OnSelect(prove, action, [&g, o] { return Prove(g, *o); });

  auto c = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* check = group.add_subcommand(
      "check-proof",
      "Verify a proof file offline with only the public key (no daemon, no "
      "database). Exit 0 if it holds, 1 if not, 2 if it cannot be read");
  check->add_option("PROOF", c->first, "The proof file (JSON)")->required();
  check->add_option("--pubkey", c->second, "The daemon's public key (PEM)")
      ->required();
  OnSelect(check, action, [c] { return CheckProof(c->first, c->second); });
}

}  // namespace gkctl
