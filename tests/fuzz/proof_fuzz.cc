// The offline audit proof checker (CheckAuditProof: gkctl audit check-proof,
// what an auditor runs with only the daemon's public key). Two modes, by the
// first byte:
//  - JSON: the rest is parsed as an AuditProof file and checked; any input
//    gives a verdict, never a crash;
//  - tampering: a valid proof (an entry of a 9-entry log, a signed
//    checkpoint, perhaps an older one and the consistency proof) is made,
//    must check, and is then edited as the rest of the input says. The
//    property: it checks if and only if the edits changed nothing it means
//    (hex case aside: hex is read in either case), or only dropped the older
//    checkpoint with its consistency path (a weaker proof that still holds;
//    seeds/proof_fuzz/dropped-older-checkpoint is the input that showed it).
#include <fuzzer/FuzzedDataProvider.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "daemon/audit/chain.h"
#include "daemon/audit/merkle.h"
#include "daemon/audit/proof.h"
#include "daemon/common/clock.h"
#include "daemon/common/crypto.h"
#include "daemon/common/ed25519.h"

namespace {

namespace v1 = gatekeeper::v1;
using gatekeeper::ToHex;

constexpr uint64_t kEntries = 9;

struct Log {
  std::optional<gatekeeper::Ed25519Signer> signer;
  std::vector<gatekeeper::AuditRecord> records;
  std::vector<std::string> leaves;

  gatekeeper::SubtreeHashFn Subtree() const {
    return [this](uint64_t lo, uint64_t hi) -> absl::StatusOr<std::string> {
      return gatekeeper::MerkleRoot(std::span<const std::string>(
          leaves.data() + lo, static_cast<size_t>(hi - lo)));
    };
  }

  v1::Checkpoint Sign(uint64_t size) const {
    v1::Checkpoint c;
    c.set_size(size);
    c.set_root_hash(ToHex(*Subtree()(0, size)));
    *c.mutable_at() = gatekeeper::FromMicros(1'700'000'100'000'000);
    c.set_key_id(signer->key_id());
    c.set_signature(ToHex(signer->Sign(gatekeeper::CheckpointText(c))));
    return c;
  }

  v1::AuditProof Proof(uint64_t seq, uint64_t size, uint64_t old_size) const {
    v1::AuditProof p;
    p.set_format(gatekeeper::kAuditProofFormat);
    const gatekeeper::AuditRecord& r = records[seq - 1];
    v1::AuditEntry* e = p.mutable_entry();
    e->set_seq(r.seq);
    *e->mutable_at() = gatekeeper::FromMicros(r.at);
    e->set_kind(r.kind);
    e->set_actor(r.actor);
    e->set_customer_id(r.customer_id);
    e->set_payload_json(r.payload_json);
    e->set_prev_hash(ToHex(r.prev_hash));
    e->set_hash(ToHex(r.hash));
    p.set_leaf_index(seq - 1);
    // Kept: a range-for over *StatusOr-temporary would dangle.
    const auto inclusion = gatekeeper::InclusionProof(seq - 1, size, Subtree());
    for (const auto& h : *inclusion) p.add_inclusion_path(ToHex(h));
    *p.mutable_checkpoint() = Sign(size);
    if (old_size > 0) {
      *p.mutable_older_checkpoint() = Sign(old_size);
      const auto consistency =
          gatekeeper::ConsistencyProof(old_size, size, Subtree());
      for (const auto& h : *consistency) p.add_consistency_path(ToHex(h));
    }
    return p;
  }
};

const Log& TheLog() {
  static const Log* log = [] {
    // Edited strings need not be UTF-8; protobuf would log each one it
    // serializes for Meaning().
    google::protobuf::SetLogHandler(nullptr);
    char dir[] = "/tmp/proof_fuzz.XXXXXX";
    if (mkdtemp(dir) == nullptr) __builtin_trap();
    auto s = gatekeeper::Ed25519Signer::LoadOrCreate(
        std::filesystem::path(dir) / "k", std::filesystem::path(dir) / "k.pub");
    if (!s.ok()) __builtin_trap();
    std::filesystem::remove_all(dir);
    auto* l = new Log;
    l->signer.emplace(*std::move(s));
    gatekeeper::ChainBuilder chain{gatekeeper::ChainHead{}};
    for (uint64_t i = 0; i < kEntries; ++i) {
      l->records.push_back(chain.Seal(
          {"consent.recorded", "billing-center", "C-" + std::to_string(i),
           "{\"n\":" + std::to_string(i) + "}"},
          1'700'000'000'000'000 + static_cast<int64_t>(i)));
      l->leaves.push_back(gatekeeper::MerkleLeafHash(l->records.back().hash));
    }
    return l;
  }();
  return *log;
}

std::string Lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void LowerCheckpoint(v1::Checkpoint* c) {
  c->set_root_hash(Lower(c->root_hash()));
  c->set_key_id(Lower(c->key_id()));
  c->set_signature(Lower(c->signature()));
}

// What the proof means: hex fields in one case.
std::string Meaning(v1::AuditProof p) {
  p.mutable_entry()->set_prev_hash(Lower(p.entry().prev_hash()));
  p.mutable_entry()->set_hash(Lower(p.entry().hash()));
  for (auto& h : *p.mutable_inclusion_path()) h = Lower(h);
  for (auto& h : *p.mutable_consistency_path()) h = Lower(h);
  LowerCheckpoint(p.mutable_checkpoint());
  if (p.has_older_checkpoint()) LowerCheckpoint(p.mutable_older_checkpoint());
  std::string out;
  google::protobuf::io::StringOutputStream raw(&out);
  google::protobuf::io::CodedOutputStream coded(&raw);
  coded.SetSerializationDeterministic(true);
  p.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

// A string field replaced: by other bytes, or one character changed.
void EditString(FuzzedDataProvider& in, std::string* s) {
  if (in.ConsumeBool() || s->empty()) {
    *s = in.ConsumeRandomLengthString(80);
  } else {
    const size_t i = in.ConsumeIntegralInRange<size_t>(0, s->size() - 1);
    (*s)[i] = static_cast<char>(in.ConsumeIntegral<uint8_t>());
  }
}

void EditPath(FuzzedDataProvider& in,
              google::protobuf::RepeatedPtrField<std::string>* path) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      if (!path->empty()) {
        EditString(in, path->Mutable(in.ConsumeIntegralInRange<int>(
                           0, path->size() - 1)));
      }
      break;
    case 1:
      if (!path->empty()) path->RemoveLast();
      break;
    case 2:
      *path->Add() = in.ConsumeBool() ? in.ConsumeRandomLengthString(80)
                                      : ToHex(in.ConsumeBytesAsString(32));
      break;
    case 3:
      if (path->size() > 1) path->SwapElements(0, path->size() - 1);
      break;
  }
}

// Times move by whole microseconds: what the signed text holds.
void EditTime(FuzzedDataProvider& in, google::protobuf::Timestamp* t) {
  t->set_seconds(t->seconds() + in.ConsumeIntegralInRange<int64_t>(-5, 5));
  t->set_nanos(1000 * in.ConsumeIntegralInRange<int32_t>(0, 999'999));
}

void EditCheckpoint(FuzzedDataProvider& in, v1::Checkpoint* c) {
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0:
      c->set_size(in.ConsumeIntegral<uint64_t>() % 16);
      break;
    case 1:
      EditString(in, c->mutable_root_hash());
      break;
    case 2:
      EditTime(in, c->mutable_at());
      break;
    case 3:
      EditString(in, c->mutable_key_id());
      break;
    case 4:
      EditString(in, c->mutable_signature());
      break;
  }
}

void Edit(FuzzedDataProvider& in, v1::AuditProof* p) {
  v1::AuditEntry* e = p->mutable_entry();
  switch (in.ConsumeIntegralInRange(0, 15)) {
    case 0:
      EditString(in, p->mutable_format());
      break;
    case 1:
      e->set_seq(in.ConsumeIntegral<uint64_t>() % 16);
      break;
    case 2:
      EditTime(in, e->mutable_at());
      break;
    case 3:
      EditString(in, e->mutable_kind());
      break;
    case 4:
      EditString(in, e->mutable_actor());
      break;
    case 5:
      EditString(in, e->mutable_customer_id());
      break;
    case 6:
      EditString(in, e->mutable_payload_json());
      break;
    case 7:
      EditString(in, e->mutable_prev_hash());
      break;
    case 8:
      EditString(in, e->mutable_hash());
      break;
    case 9:
      p->set_leaf_index(in.ConsumeIntegral<uint64_t>() % 16);
      break;
    case 10:
      EditPath(in, p->mutable_inclusion_path());
      break;
    case 11:
      EditCheckpoint(in, p->mutable_checkpoint());
      break;
    case 12:
      EditCheckpoint(in, p->mutable_older_checkpoint());
      break;
    case 13:
      EditPath(in, p->mutable_consistency_path());
      break;
    case 14:
      p->clear_older_checkpoint();
      break;
    case 15:
      p->clear_checkpoint();
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Log& log = TheLog();
  if (size == 0) return 0;
  if (data[0] == '{') {
    v1::AuditProof proof;
    const std::string json(reinterpret_cast<const char*>(data), size);
    if (google::protobuf::util::JsonStringToMessage(json, &proof).ok()) {
      (void)gatekeeper::CheckAuditProof(proof, log.signer->public_key_pem());
    }
    return 0;
  }
  FuzzedDataProvider in(data, size);
  const uint64_t seq = in.ConsumeIntegralInRange<uint64_t>(1, kEntries);
  const uint64_t tree = in.ConsumeIntegralInRange<uint64_t>(seq, kEntries);
  const uint64_t old_size =
      in.ConsumeBool() ? in.ConsumeIntegralInRange<uint64_t>(1, tree) : 0;
  const v1::AuditProof good = log.Proof(seq, tree, old_size);
  if (!gatekeeper::CheckAuditProof(good, log.signer->public_key_pem()).ok()) {
    __builtin_trap();  // a proof as the daemon makes it must hold
  }
  v1::AuditProof p = good;
  while (in.remaining_bytes() > 0) Edit(in, &p);
  // Without the older checkpoint and its consistency path a proof still
  // holds: the entry is in the log the checkpoint signs, a weaker claim.
  v1::AuditProof weaker = good;
  weaker.clear_older_checkpoint();
  weaker.clear_consistency_path();
  const std::string meant = Meaning(p);
  const bool same = meant == Meaning(good) || meant == Meaning(weaker);
  const absl::Status checked =
      gatekeeper::CheckAuditProof(p, log.signer->public_key_pem());
  if (checked.ok() != same) {
    // Replaying a crash with PROOF_FUZZ_DEBUG=1 shows both proofs.
    if (getenv("PROOF_FUZZ_DEBUG") != nullptr) {
      fprintf(stderr, "good:\n%s\nedited:\n%s\nchecked: %s\n",
              good.DebugString().c_str(), p.DebugString().c_str(),
              checked.ToString().c_str());
    }
    __builtin_trap();
  }
  return 0;
}
