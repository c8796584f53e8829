#include "daemon/store/index_snapshot.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include "daemon/common/strings.h"

namespace gatekeeper {
namespace {

constexpr std::string_view kMagic = "gatekeeperd consent index snapshot 1\n";
constexpr size_t kBuffer = size_t{1} << 20;
constexpr size_t kMaxKey = 4096;

}  // namespace

SnapshotWriter::SnapshotWriter(std::filesystem::path path, std::FILE* f)
    : path_(std::move(path)), f_(f) {}

SnapshotWriter::~SnapshotWriter() {
  if (f_ != nullptr) std::fclose(f_);
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(path_.string() + ".tmp", ec);
  }
}

absl::StatusOr<std::unique_ptr<SnapshotWriter>> SnapshotWriter::Create(
    const std::filesystem::path& path, std::string_view key) {
  const std::string tmp = path.string() + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return absl::UnavailableError(
        StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  std::setvbuf(f, nullptr, _IOFBF, kBuffer);
  auto w = std::unique_ptr<SnapshotWriter>(new SnapshotWriter(path, f));
  w->Bytes(kMagic.data(), kMagic.size());
  w->String(key);
  return w;
}

void SnapshotWriter::Bytes(const void* data, size_t size) {
  if (failed_ || size == 0) return;
  hash_.Update(std::string_view(static_cast<const char*>(data), size));
  if (std::fwrite(data, 1, size, f_) != size) failed_ = true;
}

absl::Status SnapshotWriter::Commit() {
  const std::string digest = hash_.Finish();
  if (!failed_ &&
      std::fwrite(digest.data(), 1, digest.size(), f_) != digest.size()) {
    failed_ = true;
  }
  const int closed = std::fclose(f_);
  f_ = nullptr;
  if (failed_ || closed != 0) {
    return absl::UnavailableError(
        StrCat("cannot write ", path_.string(), ".tmp"));
  }
  std::error_code ec;
  std::filesystem::rename(path_.string() + ".tmp", path_, ec);
  if (ec) {
    return absl::UnavailableError(
        StrCat("cannot rename to ", path_.string(), ": ", ec.message()));
  }
  committed_ = true;
  return absl::OkStatus();
}

SnapshotReader::SnapshotReader(std::filesystem::path path, std::FILE* f)
    : path_(std::move(path)), f_(f) {}

SnapshotReader::~SnapshotReader() {
  if (f_ != nullptr) std::fclose(f_);
}

absl::StatusOr<std::unique_ptr<SnapshotReader>> SnapshotReader::Open(
    const std::filesystem::path& path, std::string_view key) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    if (errno == ENOENT) return absl::NotFoundError("no snapshot");
    return absl::UnavailableError(
        StrCat("cannot read ", path.string(), ": ", std::strerror(errno)));
  }
  std::setvbuf(f, nullptr, _IOFBF, kBuffer);
  auto r = std::unique_ptr<SnapshotReader>(new SnapshotReader(path, f));
  std::string magic(kMagic.size(), '\0');
  std::string found;
  if (!r->Bytes(magic.data(), magic.size()) || magic != kMagic ||
      !r->String(&found, kMaxKey)) {
    return absl::DataLossError("not a consent index snapshot of this version");
  }
  if (found != key) {
    return absl::FailedPreconditionError(
        StrCat("written for ", found, ", not ", key));
  }
  return r;
}

bool SnapshotReader::Bytes(void* data, size_t size) {
  if (failed_) return false;
  if (size == 0) return true;
  if (std::fread(data, 1, size, f_) != size) {
    failed_ = true;
    return false;
  }
  hash_.Update(std::string_view(static_cast<const char*>(data), size));
  return true;
}

bool SnapshotReader::String(std::string* s, size_t max_size) {
  uint64_t size = 0;
  if (!U64(&size) || size > max_size) {
    failed_ = true;
    return false;
  }
  s->resize(static_cast<size_t>(size));
  return Bytes(s->data(), s->size());
}

absl::Status SnapshotReader::Finish() {
  if (failed_) return absl::DataLossError("it ends early or is malformed");
  const std::string want = hash_.Finish();
  std::string digest(want.size(), '\0');
  if (std::fread(digest.data(), 1, digest.size(), f_) != digest.size()) {
    return absl::DataLossError("it ends before its SHA-256");
  }
  if (digest != want) return absl::DataLossError("its SHA-256 does not match");
  if (std::fgetc(f_) != EOF) {
    return absl::DataLossError("it goes on after its SHA-256");
  }
  return absl::OkStatus();
}

}  // namespace gatekeeper
