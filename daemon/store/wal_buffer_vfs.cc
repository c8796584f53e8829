#include "daemon/store/wal_buffer_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>

#include "daemon/store/forwarding_vfs.h"

namespace gatekeeper {
namespace {

// Pending bytes are written out once they pass this, whatever SQLite does.
constexpr size_t kMaxPending = 4 << 20;

// Standard layout, `vfs` first: a pointer to it is a pointer to the Shim.
// The base's pAppData is kept (its functions may use it).
struct Shim {
  sqlite3_vfs vfs;
  sqlite3_vfs* base;
  char name[80];
};

static_assert(std::is_standard_layout_v<Shim>);

struct BufferedFile {
  sqlite::ShimFile shim;     // .real: the base VFS's file, after this struct
  bool wal;                  // opened with SQLITE_OPEN_WAL
  std::string* pending;      // bytes not yet written (WAL files only)
  sqlite3_int64 pending_at;  // their file offset
};

BufferedFile* Of(sqlite3_file* f) { return reinterpret_cast<BufferedFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return sqlite::RealFile(f); }

// SQLite's unix VFS writes at most 128 KiB in one call (seekAndWriteFd masks
// the length to 17 bits), so the pending bytes go out in pieces of this.
constexpr size_t kMaxWrite = 64 << 10;

// Writes the pending bytes out; returns the base VFS's result.
int Flush(BufferedFile* b) {
  if (b->pending == nullptr || b->pending->empty()) return SQLITE_OK;
  const std::string& p = *b->pending;
  int rc = SQLITE_OK;
  for (size_t done = 0; done < p.size() && rc == SQLITE_OK;) {
    const size_t n = std::min(kMaxWrite, p.size() - done);
    rc = b->shim.real->pMethods->xWrite(
        b->shim.real, p.data() + done, static_cast<int>(n),
        b->pending_at + static_cast<sqlite3_int64>(done));
    done += n;
  }
  b->pending->clear();
  return rc;
}

int Close(sqlite3_file* f) {
  BufferedFile* b = Of(f);
  const int flushed = Flush(b);
  delete b->pending;
  b->pending = nullptr;
  const int rc = b->shim.real->pMethods->xClose(b->shim.real);
  return flushed != SQLITE_OK ? flushed : rc;
}

int Read(sqlite3_file* f, void* out, int n, sqlite3_int64 at) {
  BufferedFile* b = Of(f);
  if (b->pending != nullptr && !b->pending->empty()) {
    const sqlite3_int64 end =
        b->pending_at + static_cast<sqlite3_int64>(b->pending->size());
    if (at >= b->pending_at && at + n <= end) {
      std::memcpy(out, b->pending->data() + (at - b->pending_at),
                  static_cast<size_t>(n));
      return SQLITE_OK;
    }
    if (const int rc = Flush(b); rc != SQLITE_OK) return rc;
  }
  return b->shim.real->pMethods->xRead(b->shim.real, out, n, at);
}

int Write(sqlite3_file* f, const void* data, int n, sqlite3_int64 at) {
  BufferedFile* b = Of(f);
  if (!b->wal) return b->shim.real->pMethods->xWrite(b->shim.real, data, n, at);
  std::string& p = *b->pending;
  const sqlite3_int64 end =
      b->pending_at + static_cast<sqlite3_int64>(p.size());
  if (!p.empty() && at >= b->pending_at && at + n <= end) {
    // SQLite rewriting a frame of the same transaction.
    std::memcpy(p.data() + (at - b->pending_at), data, static_cast<size_t>(n));
    return SQLITE_OK;
  }
  if (!p.empty() && at != end) {
    if (const int rc = Flush(b); rc != SQLITE_OK) return rc;
  }
  if (p.empty()) b->pending_at = at;
  p.append(static_cast<const char*>(data), static_cast<size_t>(n));
  if (p.size() >= kMaxPending) return Flush(b);
  return SQLITE_OK;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (const int rc = Flush(Of(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xTruncate(Real(f), size);
}

int Sync(sqlite3_file* f, int flags) {
  if (const int rc = Flush(Of(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xSync(Real(f), flags);
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  if (const int rc = Flush(Of(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xFileSize(Real(f), size);
}

int FileControl(sqlite3_file* f, int op, void* arg) {
  if (const int rc = Flush(Of(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}

// The base file's methods but where the pending bytes matter.
const sqlite3_io_methods kMethods = [] {
  sqlite3_io_methods m = sqlite::ForwardingMethods();
  m.xClose = Close;
  m.xRead = Read;
  m.xWrite = Write;
  m.xTruncate = Truncate;
  m.xSync = Sync;
  m.xFileSize = FileSize;
  m.xFileControl = FileControl;
  return m;
}();

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags,
         int* out_flags) {
  sqlite3_vfs* base = reinterpret_cast<Shim*>(vfs)->base;
  BufferedFile* b = Of(f);
  b->shim.real = reinterpret_cast<sqlite3_file*>(b + 1);
  std::memset(b->shim.real, 0, static_cast<size_t>(base->szOsFile));
  b->wal = (flags & SQLITE_OPEN_WAL) != 0;
  b->pending = nullptr;
  b->pending_at = 0;
  const int rc = base->xOpen(base, name, b->shim.real, flags, out_flags);
  if (b->shim.real->pMethods == nullptr) {
    b->shim.base.pMethods = nullptr;  // SQLite will not call xClose
    return rc;
  }
  if (b->wal) b->pending = new std::string();
  b->shim.base.pMethods = &kMethods;
  return rc;
}

}  // namespace

const char* WalBufferVfs(const char* base_vfs) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Shim>>* shims =
      new std::map<std::string, std::unique_ptr<Shim>>();
  sqlite3_vfs* base = sqlite3_vfs_find(base_vfs);
  if (base == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<Shim>& shim = (*shims)[base->zName];
  if (shim == nullptr) {
    shim = std::make_unique<Shim>();
    shim->base = base;
    std::snprintf(shim->name, sizeof shim->name, "gk-walbuf-%s", base->zName);
    shim->vfs = *base;  // the base's methods for everything but files
    shim->vfs.zName = shim->name;
    shim->vfs.szOsFile =
        static_cast<int>(sizeof(BufferedFile)) + base->szOsFile;
    shim->vfs.xOpen = Open;
    shim->vfs.pNext = nullptr;
    sqlite3_vfs_register(&shim->vfs, 0);
  }
  return shim->name;
}

}  // namespace gatekeeper
