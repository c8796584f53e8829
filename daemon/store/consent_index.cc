#include "daemon/store/consent_index.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <type_traits>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "daemon/store/index_snapshot.h"

namespace gatekeeper {
namespace {

constexpr uint32_t kNone = 0xffffffff;
// Arena handles are below 2^31 - 1, so the top bit of a field holding one is
// free for a flag, and kNoHandle names none.
constexpr uint32_t kFlag = 0x80000000;
constexpr uint32_t kNoHandle = 0x7fffffff;

[[noreturn]] void TooMany(const char* what) {
  std::fprintf(stderr, "fatal: the consent index cannot hold more %s\n", what);
  std::abort();
}

uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void Store32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, sizeof v); }

size_t DefaultStringHash(std::string_view s) {
  return absl::Hash<std::string_view>{}(s);
}

// For maps keyed by std::string, found by std::string_view.
struct TransparentHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return DefaultStringHash(s); }
};
template <typename V>
using StringMap =
    absl::flat_hash_map<std::string, V, TransparentHash, std::equal_to<>>;

// Elements of a trivially copyable T in chunks of 2^kBits that never move:
// growing copies nothing and never holds two copies of the table (a vector's
// doubling would, for hundreds of MiB at 10 million consents). An element is
// named by its 32-bit index; kNone is never one.
template <typename T, int kBits>
class ChunkedVector {
 public:
  static_assert(std::is_trivially_copyable_v<T>);
  static constexpr uint32_t kChunk = uint32_t{1} << kBits;

  uint32_t size() const { return size_; }
  T& operator[](uint32_t i) { return chunks_[i >> kBits][i & (kChunk - 1)]; }
  const T& operator[](uint32_t i) const {
    return chunks_[i >> kBits][i & (kChunk - 1)];
  }
  uint32_t Append(const T& value, const char* what) {
    if (size_ == kNone) TooMany(what);
    if ((size_ >> kBits) == chunks_.size()) {
      chunks_.push_back(std::make_unique_for_overwrite<T[]>(kChunk));
    }
    (*this)[size_] = value;
    return size_++;
  }
  void Reserve(size_t n) { chunks_.reserve((n + kChunk - 1) >> kBits); }
  size_t AllocatedBytes() const {
    return chunks_.size() * kChunk * sizeof(T) +
           chunks_.capacity() * sizeof(chunks_[0]);
  }
  void Save(SnapshotWriter& w) const {
    w.U64(size_);
    for (uint32_t done = 0; done < size_; done += kChunk) {
      w.Bytes(chunks_[done >> kBits].get(),
              std::min(kChunk, size_ - done) * sizeof(T));
    }
  }
  // Into an empty vector.
  bool Restore(SnapshotReader& r) {
    uint64_t n = 0;
    if (!r.U64(&n) || n >= kNone) return false;
    Reserve(static_cast<size_t>(n));
    for (uint64_t done = 0; done < n; done += kChunk) {
      chunks_.push_back(std::make_unique_for_overwrite<T[]>(kChunk));
      if (!r.Bytes(chunks_.back().get(),
                   std::min<uint64_t>(kChunk, n - done) * sizeof(T))) {
        return false;
      }
    }
    size_ = static_cast<uint32_t>(n);
    return true;
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  uint32_t size_ = 0;
};

// Strings packed in chunks of 1 MiB that never move, each after a prefix of
// `prefix` bytes that its owner uses: [prefix][length as a varint][bytes],
// 2-byte aligned. A string is named by its handle, its offset in 2-byte
// units, below kNoHandle (4 GiB in all).
class StringArena {
 public:
  explicit StringArena(uint32_t prefix) : prefix_(prefix) {}
  StringArena(const StringArena&) = delete;
  StringArena& operator=(const StringArena&) = delete;

  // Adds s with its prefix bytes all 0xff.
  uint32_t Add(std::string_view s, const char* what);
  std::string_view Get(uint32_t handle) const {
    const uint8_t* p = At(handle) + prefix_;
    size_t size = 0;
    for (int shift = 0;; shift += 7) {
      const uint8_t b = *p++;
      size |= static_cast<size_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
    }
    return {reinterpret_cast<const char*>(p), size};
  }
  uint8_t* Prefix(uint32_t handle) { return At(handle); }
  const uint8_t* Prefix(uint32_t handle) const { return At(handle); }
  size_t AllocatedBytes() const {
    return allocated_ + chunks_.capacity() * sizeof(chunks_[0]) +
           owned_.capacity() * sizeof(owned_[0]);
  }
  // Every chunk whole but the last, which is written up to its first free
  // unit (the unused tails of earlier ones are zeroed when left).
  void Save(SnapshotWriter& w) const {
    w.U64(next_);
    w.U64(chunks_.size());
    for (size_t i = 0; i < chunks_.size(); ++i) {
      const uint64_t start = i * kUnitsPerChunk;
      const uint64_t used =
          std::min<uint64_t>(kUnitsPerChunk, next_ > start ? next_ - start : 0);
      w.Bytes(chunks_[i], used * kUnit);
    }
  }
  // Into an empty arena: all chunks in one allocation.
  bool Restore(SnapshotReader& r) {
    uint64_t next = 0, chunks = 0;
    if (!r.U64(&next) || !r.U64(&chunks) ||
        chunks > (uint64_t{kNoHandle} + kUnitsPerChunk) / kUnitsPerChunk ||
        next > chunks * kUnitsPerChunk) {
      return false;
    }
    if (chunks == 0) return true;
    const size_t bytes = static_cast<size_t>(chunks) << kChunkBits;
    owned_.push_back(std::make_unique_for_overwrite<uint8_t[]>(bytes));
    allocated_ = bytes;
    for (uint64_t i = 0; i < chunks; ++i) {
      chunks_.push_back(owned_.back().get() + (i << kChunkBits));
    }
    for (uint64_t i = 0; i < chunks; ++i) {
      const uint64_t start = i * kUnitsPerChunk;
      const uint64_t used =
          std::min<uint64_t>(kUnitsPerChunk, next > start ? next - start : 0);
      if (!r.Bytes(chunks_[i], used * kUnit)) return false;
    }
    next_ = next;
    return true;
  }

 private:
  static constexpr int kChunkBits = 20;
  static constexpr uint64_t kUnit = 2;
  static constexpr uint64_t kUnitsPerChunk =
      (uint64_t{1} << kChunkBits) / kUnit;

  uint8_t* At(uint32_t handle) const {
    return chunks_[handle / kUnitsPerChunk] + (handle % kUnitsPerChunk) * kUnit;
  }

  const uint32_t prefix_;
  // Chunk i holds units [i * kUnitsPerChunk, (i + 1) * kUnitsPerChunk). A
  // string longer than a chunk gets consecutive chunks of one allocation.
  std::vector<uint8_t*> chunks_;
  std::vector<std::unique_ptr<uint8_t[]>> owned_;
  size_t allocated_ = 0;
  uint64_t next_ = 0;  // the first free unit
};

uint32_t StringArena::Add(std::string_view s, const char* what) {
  uint8_t size[10];
  size_t size_bytes = 0;
  for (uint64_t v = s.size();; v >>= 7) {
    size[size_bytes++] =
        static_cast<uint8_t>((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    if (v <= 0x7f) break;
  }
  const uint64_t units = (prefix_ + size_bytes + s.size() + kUnit - 1) / kUnit;
  const uint64_t end = chunks_.size() * kUnitsPerChunk;
  if (next_ + units > end) {
    // The rest of the current chunk stays unused (zeroed: a snapshot holds
    // it).
    if (next_ < end) std::memset(At(next_), 0, (end - next_) * kUnit);
    const uint64_t n =
        std::max<uint64_t>(1, (units + kUnitsPerChunk - 1) / kUnitsPerChunk);
    if (end + n * kUnitsPerChunk > kNoHandle) TooMany(what);
    const size_t bytes = static_cast<size_t>(n) << kChunkBits;
    owned_.push_back(std::make_unique_for_overwrite<uint8_t[]>(bytes));
    allocated_ += bytes;
    for (uint64_t i = 0; i < n; ++i) {
      chunks_.push_back(owned_.back().get() + (i << kChunkBits));
    }
    next_ = end;
  }
  const auto handle = static_cast<uint32_t>(next_);
  next_ += units;
  uint8_t* p = At(handle);
  std::memset(p, 0xff, prefix_);
  std::memcpy(p + prefix_, size, size_bytes);
  std::memcpy(p + prefix_ + size_bytes, s.data(), s.size());
  return handle;
}

// Distinct strings in an arena, found through a hash set of their handles:
// about 5 bytes of table a string where a std::string key and a map node
// cost 60 or more.
class StringSet {
 public:
  StringSet(uint32_t prefix, ConsentIndex::StringHash hash, const char* what)
      : arena_(prefix),
        set_(0, Hash{&arena_, hash}, Eq{&arena_}),
        what_(what) {}
  StringSet(const StringSet&) = delete;  // the set points at the arena
  StringSet& operator=(const StringSet&) = delete;

  // The handle of s, or kNone.
  uint32_t Find(std::string_view s) const {
    auto it = set_.find(s);
    return it == set_.end() ? kNone : *it;
  }
  // The handle of s, added if new (with its prefix bytes all 0xff).
  uint32_t Insert(std::string_view s) {
    return *set_.lazy_emplace(
        s, [&](const auto& construct) { construct(arena_.Add(s, what_)); });
  }
  // Brings the part of the table where s would be into the cache.
  void Prefetch(std::string_view s) const { set_.prefetch(s); }
  std::string_view Get(uint32_t handle) const { return arena_.Get(handle); }
  uint8_t* Prefix(uint32_t handle) { return arena_.Prefix(handle); }
  const uint8_t* Prefix(uint32_t handle) const { return arena_.Prefix(handle); }
  void Reserve(size_t n) { set_.reserve(n); }
  size_t AllocatedBytes() const {
    return arena_.AllocatedBytes() + set_.capacity() * (sizeof(uint32_t) + 1);
  }
  // The arena and the handles in it, in arena order (so that Restore reads
  // the arena front to back as it hashes them).
  void Save(SnapshotWriter& w) const {
    arena_.Save(w);
    std::vector<uint32_t> handles(set_.begin(), set_.end());
    std::sort(handles.begin(), handles.end());
    w.U64(handles.size());
    w.Bytes(handles.data(), handles.size() * sizeof(uint32_t));
  }
  // Into an empty set.
  bool Restore(SnapshotReader& r) {
    uint64_t n = 0;
    if (!arena_.Restore(r) || !r.U64(&n) || n >= kNone) return false;
    std::vector<uint32_t> handles(static_cast<size_t>(n));
    if (!r.Bytes(handles.data(), handles.size() * sizeof(uint32_t))) {
      return false;
    }
    set_.reserve(handles.size());
    for (uint32_t h : handles) set_.insert(h);
    return true;
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return hash(s); }
    size_t operator()(uint32_t handle) const {
      return hash(arena->Get(handle));
    }
    const StringArena* arena;
    ConsentIndex::StringHash hash;
  };
  struct Eq {
    using is_transparent = void;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t a, std::string_view b) const {
      return arena->Get(a) == b;
    }
    bool operator()(std::string_view a, uint32_t b) const {
      return a == arena->Get(b);
    }
    const StringArena* arena;
  };

  StringArena arena_;
  absl::flat_hash_set<uint32_t, Hash, Eq> set_;
  const char* what_;
};

// "cns_" + 32 lowercase hex digits (NewId's form) as 16 bytes; false for any
// other id.
bool EncodeId(std::string_view id, uint8_t out[16]) {
  constexpr std::string_view kPrefix = "cns_";
  if (id.size() != kPrefix.size() + 32 || !id.starts_with(kPrefix)) {
    return false;
  }
  auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < 16; ++i) {
    const int hi = digit(id[kPrefix.size() + 2 * i]);
    const int lo = digit(id[kPrefix.size() + 2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

std::string DecodeId(const uint8_t in[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "cns_";
  id.resize(4 + 32);
  for (size_t i = 0; i < 16; ++i) {
    id[4 + 2 * i] = kHex[in[i] >> 4];
    id[4 + 2 * i + 1] = kHex[in[i] & 0xf];
  }
  return id;
}

// Records keep them in three bits each.
static_assert(v1::Purpose_MAX < 8 && v1::ConsentState_MAX < 8);
constexpr uint32_t kMaxCompanies = uint32_t{1} << 24;

// A value outside the enum (none is ever stored) is kept as UNSPECIFIED.
uint8_t PurposeByte(v1::Purpose p) {
  return v1::Purpose_IsValid(p) ? static_cast<uint8_t>(p) : 0;
}
uint8_t StateByte(v1::ConsentState s) {
  return v1::ConsentState_IsValid(s) ? static_cast<uint8_t>(s) : 0;
}

// The state byte of a consent retention purged: in no answer, in no count
// (not a ConsentState), its memory reclaimed at the next start.
constexpr uint8_t kPurged = 7;

}  // namespace

class ConsentIndex::Tables {
 public:
  explicit Tables(StringHash customer_hash)
      : customers_(sizeof(uint32_t), customer_hash, "customer ids"),
        phone_set_(0, PhoneHash{&phones_}, PhoneEq{&phones_}),
        masks_(0, &DefaultStringHash, "masked numbers") {}

  void Reserve(size_t consents);
  // Adds a consent, or replaces the customer's one with its id.
  void Add(const Row& row);
  // Sets the state of the customer's consent with the id, if any.
  void SetStateByte(std::string_view customer_id, std::string_view consent_id,
                    uint8_t state);
  // Brings the parts of the hash tables that adding the row reads into the
  // cache: at 10 million consents, each lookup is otherwise a cache miss.
  void Prefetch(std::string_view customer_id,
                std::string_view phone_pseudonym) const {
    customers_.Prefetch(customer_id);
    if (phone_pseudonym.size() == 32) phone_set_.prefetch(phone_pseudonym);
  }
  void OfCustomer(std::string_view customer_id, v1::Purpose purpose,
                  std::string_view company_id,
                  std::vector<ConsentFact>& out) const;
  void OfPhone(std::string_view phone_pseudonym, v1::Purpose purpose,
               std::string_view company_id,
               std::vector<ConsentFact>& out) const;
  std::optional<std::string> MaskOfPhone(
      std::string_view phone_pseudonym) const;
  size_t size() const { return records_.size(); }
  size_t AllocatedBytes() const;
  void Save(SnapshotWriter& w) const;
  // Into empty tables; false when the snapshot is malformed.
  bool Restore(SnapshotReader& r);
  // Consents by purpose and state byte.
  uint64_t count(int purpose, int state) const {
    return counts_[purpose & 7][state & 7];
  }

 private:
  // One consent: 44 bytes (the times 4-byte aligned).
#pragma pack(push, 4)
  struct Record {
    // The id as 16 bytes; or, when text_id, id[0..4) is the handle of its
    // text in other_strings_.
    uint8_t id[16];
    Micros collected_at;
    Micros expires_at;
    uint32_t next;          // the customer's next consent, or kNone
    uint32_t phone;         // index in phones_, or kNone
    uint32_t company : 24;  // index in companies_
    uint32_t purpose : 3;
    uint32_t state : 3;
    uint32_t text_id : 1;
  };
#pragma pack(pop)
  static_assert(sizeof(Record) == 44);

  // One number.
  struct Phone {
    // The 32-byte pseudonym; for one of another length (tests), key[0..4) is
    // the handle of it in other_strings_ and `masked` has kFlag.
    uint8_t key[32];
    uint32_t masked;  // handle in masks_, or kNoHandle; | kFlag, see key
    // The customer naming it (a handle in customers_), kNone before the
    // first, or kFlag | the index of the list in phone_customers_.
    uint32_t customers;
  };
  static_assert(sizeof(Phone) == 40);

  uint64_t counts_[8][8] = {};  // consents by purpose and state byte

  // Pseudonyms are HMAC outputs, uniformly random: their first eight bytes
  // are as good a hash as any (pseudonym_hash.h).
  struct PhoneHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const {  // 32 bytes
      uint64_t h;
      std::memcpy(&h, key.data(), sizeof h);
      return static_cast<size_t>(h);
    }
    size_t operator()(uint32_t phone) const {
      return (*this)(std::string_view(
          reinterpret_cast<const char*>((*phones)[phone].key), 32));
    }
    const ChunkedVector<Phone, 16>* phones;
  };
  struct PhoneEq {
    using is_transparent = void;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t a, std::string_view key) const {
      return std::memcmp((*phones)[a].key, key.data(), 32) == 0;
    }
    bool operator()(std::string_view key, uint32_t b) const {
      return (*this)(b, key);
    }
    const ChunkedVector<Phone, 16>* phones;
  };

  // A consent id as records hold it.
  struct Id {
    explicit Id(std::string_view id) : text(id), binary(EncodeId(id, bytes)) {}
    std::string_view text;
    uint8_t bytes[16];
    bool binary;
  };

  void SetHead(uint32_t customer, uint32_t consent) {
    Store32(customers_.Prefix(customer), consent);
  }
  uint32_t Head(uint32_t customer) const {
    return Load32(customers_.Prefix(customer));
  }
  // The customer's consent with the id, or kNone; *last is the customer's
  // last consent.
  uint32_t FindConsent(uint32_t customer, const Id& id, uint32_t* last) const;
  uint32_t FindCompany(std::string_view company_id) const {
    auto it = company_index_.find(company_id);
    return it == company_index_.end() ? kNone : it->second;
  }
  uint32_t InternCompany(std::string_view company_id);
  uint32_t FindPhone(std::string_view key) const;
  // The number's index, the number added if new, with the masked form if it
  // has none yet, and the customer among its customers.
  uint32_t AddPhone(std::string_view key, std::string_view masked,
                    uint32_t customer);
  std::string_view PhoneKey(uint32_t phone) const;
  ConsentFact Fact(const Record& r, std::string_view customer_id) const;

  ChunkedVector<Record, 16> records_;
  // Prefix: the index of the customer's first consent in records_.
  StringSet customers_;
  std::vector<std::string> companies_;
  StringMap<uint32_t> company_index_;
  ChunkedVector<Phone, 16> phones_;
  absl::flat_hash_set<uint32_t, PhoneHash, PhoneEq> phone_set_;  // 32 bytes
  StringMap<uint32_t> other_phones_;  // other lengths
  StringSet masks_;
  std::vector<std::vector<uint32_t>> phone_customers_;
  // Consent ids not in NewId's form, pseudonyms not of 32 bytes.
  StringArena other_strings_{0};
};

void ConsentIndex::Tables::Reserve(size_t consents) {
  records_.Reserve(consents);
  customers_.Reserve(consents / 2);
  phone_set_.reserve(consents / 4);
}

uint32_t ConsentIndex::Tables::FindConsent(uint32_t customer, const Id& id,
                                           uint32_t* last) const {
  uint32_t prev = kNone;
  for (uint32_t i = Head(customer); i != kNone; i = records_[i].next) {
    const Record& r = records_[i];
    const bool same =
        id.binary
            ? r.text_id == 0 && std::memcmp(r.id, id.bytes, 16) == 0
            : r.text_id != 0 && other_strings_.Get(Load32(r.id)) == id.text;
    if (same) return i;
    prev = i;
  }
  if (last != nullptr) *last = prev;
  return kNone;
}

uint32_t ConsentIndex::Tables::InternCompany(std::string_view company_id) {
  auto it = company_index_.find(company_id);
  if (it != company_index_.end()) return it->second;
  if (companies_.size() == kMaxCompanies) TooMany("companies");
  const auto index = static_cast<uint32_t>(companies_.size());
  companies_.emplace_back(company_id);
  company_index_.emplace(companies_.back(), index);
  return index;
}

uint32_t ConsentIndex::Tables::FindPhone(std::string_view key) const {
  if (key.size() == 32) {
    auto it = phone_set_.find(key);
    return it == phone_set_.end() ? kNone : *it;
  }
  auto it = other_phones_.find(key);
  return it == other_phones_.end() ? kNone : it->second;
}

std::string_view ConsentIndex::Tables::PhoneKey(uint32_t phone) const {
  const Phone& p = phones_[phone];
  if ((p.masked & kFlag) != 0) return other_strings_.Get(Load32(p.key));
  return {reinterpret_cast<const char*>(p.key), 32};
}

uint32_t ConsentIndex::Tables::AddPhone(std::string_view key,
                                        std::string_view masked,
                                        uint32_t customer) {
  uint32_t index;
  if (key.size() == 32) {
    index = *phone_set_.lazy_emplace(key, [&](const auto& construct) {
      Phone p{};
      std::memcpy(p.key, key.data(), 32);
      p.masked = kNoHandle;
      p.customers = kNone;
      construct(phones_.Append(p, "numbers"));
    });
  } else {
    auto [it, added] = other_phones_.try_emplace(key, 0);
    if (added) {
      Phone p{};
      Store32(p.key, other_strings_.Add(key, "pseudonyms"));
      p.masked = kFlag | kNoHandle;
      p.customers = kNone;
      it->second = phones_.Append(p, "numbers");
    }
    index = it->second;
  }
  Phone& p = phones_[index];
  if ((p.masked & ~kFlag) == kNoHandle && !masked.empty()) {
    p.masked = (p.masked & kFlag) | masks_.Insert(masked);
  }
  if (p.customers == kNone) {
    p.customers = customer;
  } else if ((p.customers & kFlag) == 0) {
    if (p.customers != customer) {
      if (phone_customers_.size() >= kNoHandle) TooMany("shared numbers");
      phone_customers_.push_back({p.customers, customer});
      p.customers = kFlag | static_cast<uint32_t>(phone_customers_.size() - 1);
    }
  } else {
    std::vector<uint32_t>& list = phone_customers_[p.customers & ~kFlag];
    if (std::find(list.begin(), list.end(), customer) == list.end()) {
      list.push_back(customer);
    }
  }
  return index;
}

void ConsentIndex::Tables::SetStateByte(std::string_view customer_id,
                                        std::string_view consent_id,
                                        uint8_t state) {
  const uint32_t customer = customers_.Find(customer_id);
  if (customer == kNone) return;
  const uint32_t i = FindConsent(customer, Id(consent_id), nullptr);
  if (i == kNone) return;
  Record& r = records_[i];
  --counts_[r.purpose][r.state];
  r.state = state;
  ++counts_[r.purpose][r.state];
}

void ConsentIndex::Tables::Add(const Row& row) {
  const Id id(row.consent_id);
  const uint32_t customer = customers_.Insert(row.customer_id);
  Record r{};
  r.collected_at = row.collected_at;
  r.expires_at = row.expires_at;
  r.phone = row.phone_pseudonym.empty()
                ? kNone
                : AddPhone(row.phone_pseudonym, row.phone_masked, customer);
  r.company = InternCompany(row.company_id);
  r.purpose = PurposeByte(row.purpose);
  r.state = StateByte(row.state);
  uint32_t last = kNone;
  const uint32_t existing = FindConsent(customer, id, &last);
  ++counts_[r.purpose][r.state];
  if (existing != kNone) {  // the same id: keep it, and the chain
    Record& old = records_[existing];
    --counts_[old.purpose][old.state];
    std::memcpy(r.id, old.id, sizeof r.id);
    r.text_id = old.text_id;
    r.next = old.next;
    old = r;
    return;
  }
  if (id.binary) {
    std::memcpy(r.id, id.bytes, sizeof r.id);
  } else {
    r.text_id = 1;
    Store32(r.id, other_strings_.Add(id.text, "consent ids"));
  }
  r.next = kNone;
  const uint32_t i = records_.Append(r, "consents");
  if (last == kNone) {
    SetHead(customer, i);
  } else {
    records_[last].next = i;
  }
}

ConsentFact ConsentIndex::Tables::Fact(const Record& r,
                                       std::string_view customer_id) const {
  ConsentFact f;
  f.consent_id = r.text_id != 0 ? std::string(other_strings_.Get(Load32(r.id)))
                                : DecodeId(r.id);
  f.customer_id = customer_id;
  if (r.phone != kNone) f.phone_pseudonym = PhoneKey(r.phone);
  f.collected_at = r.collected_at;
  f.expires_at = r.expires_at;
  f.state = static_cast<v1::ConsentState>(r.state);
  return f;
}

void ConsentIndex::Tables::OfCustomer(std::string_view customer_id,
                                      v1::Purpose purpose,
                                      std::string_view company_id,
                                      std::vector<ConsentFact>& out) const {
  const uint32_t company = FindCompany(company_id);
  if (company == kNone || !v1::Purpose_IsValid(purpose)) return;
  const uint32_t customer = customers_.Find(customer_id);
  if (customer == kNone) return;
  for (uint32_t i = Head(customer); i != kNone; i = records_[i].next) {
    const Record& r = records_[i];
    if (r.purpose == purpose && r.company == company && r.state != kPurged) {
      out.push_back(Fact(r, customer_id));
    }
  }
}

void ConsentIndex::Tables::OfPhone(std::string_view phone_pseudonym,
                                   v1::Purpose purpose,
                                   std::string_view company_id,
                                   std::vector<ConsentFact>& out) const {
  const uint32_t company = FindCompany(company_id);
  if (company == kNone || !v1::Purpose_IsValid(purpose)) return;
  const uint32_t phone = FindPhone(phone_pseudonym);
  if (phone == kNone) return;
  auto collect = [&](uint32_t customer) {
    const std::string_view customer_id = customers_.Get(customer);
    for (uint32_t i = Head(customer); i != kNone; i = records_[i].next) {
      const Record& r = records_[i];
      if (r.phone == phone && r.purpose == purpose && r.company == company &&
          r.state != kPurged) {
        out.push_back(Fact(r, customer_id));
      }
    }
  };
  const uint32_t customers = phones_[phone].customers;
  if ((customers & kFlag) == 0) {
    collect(customers);
  } else {
    for (uint32_t customer : phone_customers_[customers & ~kFlag]) {
      collect(customer);
    }
  }
}

std::optional<std::string> ConsentIndex::Tables::MaskOfPhone(
    std::string_view phone_pseudonym) const {
  const uint32_t phone = FindPhone(phone_pseudonym);
  if (phone == kNone) return std::nullopt;
  const uint32_t masked = phones_[phone].masked & ~kFlag;
  if (masked == kNoHandle) return std::string();
  return std::string(masks_.Get(masked));
}

void ConsentIndex::Tables::Save(SnapshotWriter& w) const {
  records_.Save(w);
  customers_.Save(w);
  w.U64(companies_.size());
  for (const std::string& c : companies_) w.String(c);
  phones_.Save(w);
  masks_.Save(w);
  w.U64(phone_customers_.size());
  for (const std::vector<uint32_t>& list : phone_customers_) {
    w.U64(list.size());
    w.Bytes(list.data(), list.size() * sizeof(uint32_t));
  }
  other_strings_.Save(w);
  w.Bytes(counts_, sizeof counts_);
}

bool ConsentIndex::Tables::Restore(SnapshotReader& r) {
  uint64_t n = 0;
  if (!records_.Restore(r) || !customers_.Restore(r) || !r.U64(&n) ||
      n > kMaxCompanies) {
    return false;
  }
  for (uint64_t i = 0; i < n; ++i) {
    std::string c;
    if (!r.String(&c, size_t{1} << 20)) return false;
    InternCompany(c);
  }
  if (companies_.size() != n || !phones_.Restore(r) || !masks_.Restore(r) ||
      !r.U64(&n) || n >= kNoHandle) {
    return false;
  }
  phone_customers_.resize(static_cast<size_t>(n));
  for (std::vector<uint32_t>& list : phone_customers_) {
    if (!r.U64(&n) || n >= kNone) return false;
    list.resize(static_cast<size_t>(n));
    if (!r.Bytes(list.data(), list.size() * sizeof(uint32_t))) return false;
  }
  if (!other_strings_.Restore(r) || !r.Bytes(counts_, sizeof counts_)) {
    return false;
  }
  // The number tables are rebuilt from the numbers.
  phone_set_.reserve(phones_.size());
  for (uint32_t i = 0; i < phones_.size(); ++i) {
    if ((phones_[i].masked & kFlag) == 0) {
      phone_set_.insert(i);
    } else {
      other_phones_.emplace(PhoneKey(i), i);
    }
  }
  return true;
}

size_t ConsentIndex::Tables::AllocatedBytes() const {
  size_t bytes = records_.AllocatedBytes() + customers_.AllocatedBytes() +
                 phones_.AllocatedBytes() + masks_.AllocatedBytes() +
                 other_strings_.AllocatedBytes();
  bytes += phone_set_.capacity() * (sizeof(uint32_t) + 1);
  bytes += company_index_.capacity() * (sizeof(std::string) + 8 + 1);
  bytes += other_phones_.capacity() * (sizeof(std::string) + 8 + 1);
  for (const std::string& c : companies_) bytes += sizeof c + c.capacity();
  bytes += phone_customers_.capacity() * sizeof(phone_customers_[0]);
  for (const auto& list : phone_customers_) {
    bytes += list.capacity() * sizeof(uint32_t);
  }
  return bytes;
}

ConsentIndex::ConsentIndex() : ConsentIndex(&DefaultStringHash) {}

ConsentIndex::ConsentIndex(StringHash customer_hash)
    : customer_hash_(customer_hash),
      tables_(std::make_unique<Tables>(customer_hash)) {}

ConsentIndex::~ConsentIndex() = default;

void ConsentIndex::Reserve(size_t consents) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  tables_->Reserve(consents);
}

namespace {

// How many changes ahead of the one applied the hash tables are prefetched:
// enough to cover a miss to memory, few enough to stay in the cache.
constexpr size_t kPrefetchAhead = 16;

ConsentIndex::Row RowOf(const ConsentIndex::Change& c) {
  const ConsentFact& f = c.entry.fact;
  return {f.consent_id,   f.customer_id,      f.phone_pseudonym,
          c.phone_masked, c.entry.company_id, c.entry.purpose,
          f.state,        f.collected_at,     f.expires_at};
}

}  // namespace

void ConsentIndex::Apply(std::vector<Change>& changes) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (size_t i = 0; i < changes.size(); ++i) {
    if (i + kPrefetchAhead < changes.size()) {
      const ConsentFact& ahead = changes[i + kPrefetchAhead].entry.fact;
      tables_->Prefetch(ahead.customer_id, ahead.phone_pseudonym);
    }
    const Change& c = changes[i];
    if (c.removed) {
      tables_->SetStateByte(c.entry.fact.customer_id, c.entry.fact.consent_id,
                            kPurged);
    } else if (c.only_state) {
      tables_->SetStateByte(c.entry.fact.customer_id, c.entry.fact.consent_id,
                            StateByte(c.entry.fact.state));
    } else {
      tables_->Add(RowOf(c));
    }
  }
}

void ConsentIndex::Load(std::span<const Row> rows) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i + kPrefetchAhead < rows.size()) {
      const Row& ahead = rows[i + kPrefetchAhead];
      tables_->Prefetch(ahead.customer_id, ahead.phone_pseudonym);
    }
    tables_->Add(rows[i]);
  }
}

std::map<std::pair<std::string, std::string>, uint64_t>
ConsentIndex::CountsByPurposeAndState() const {
  std::map<std::pair<std::string, std::string>, uint64_t> out;
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (int p = 1; p < 8; ++p) {
    if (!v1::Purpose_IsValid(p)) continue;
    for (int st = 1; st < 8; ++st) {
      if (!v1::ConsentState_IsValid(st)) continue;
      const uint64_t n = tables_->count(p, st);
      std::string purpose = v1::Purpose_Name(static_cast<v1::Purpose>(p));
      std::string state =
          v1::ConsentState_Name(static_cast<v1::ConsentState>(st));
      out[{purpose.substr(purpose.find('_') + 1),
           state.substr(std::string_view("CONSENT_STATE_").size())}] = n;
    }
  }
  return out;
}

std::vector<ConsentFact> ConsentIndex::OfCustomer(
    std::string_view customer_id, v1::Purpose purpose,
    std::string_view company_id) const {
  std::vector<ConsentFact> out;
  std::shared_lock<std::shared_mutex> lock(mu_);
  tables_->OfCustomer(customer_id, purpose, company_id, out);
  return out;
}

void ConsentIndex::PrefetchCustomers(
    std::span<const std::string_view> customer_ids) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (std::string_view id : customer_ids) tables_->Prefetch(id, {});
}

std::vector<ConsentFact> ConsentIndex::OfPhone(
    std::string_view phone_pseudonym, v1::Purpose purpose,
    std::string_view company_id) const {
  std::vector<ConsentFact> out;
  if (phone_pseudonym.empty()) return out;
  std::shared_lock<std::shared_mutex> lock(mu_);
  tables_->OfPhone(phone_pseudonym, purpose, company_id, out);
  return out;
}

std::optional<std::string> ConsentIndex::MaskOfPhone(
    std::string_view phone_pseudonym) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return tables_->MaskOfPhone(phone_pseudonym);
}

size_t ConsentIndex::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return tables_->size();
}

size_t ConsentIndex::AllocatedBytes() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return tables_->AllocatedBytes();
}

void ConsentIndex::Save(SnapshotWriter& w) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  tables_->Save(w);
}

absl::Status ConsentIndex::Restore(SnapshotReader& r) {
  auto restored = std::make_unique<Tables>(customer_hash_);
  if (!restored->Restore(r)) {
    return absl::DataLossError("it ends early or is malformed");
  }
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  std::unique_lock<std::shared_mutex> lock(mu_);
  tables_ = std::move(restored);
  return absl::OkStatus();
}

}  // namespace gatekeeper
