#include "tests/testing/fault_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "daemon/store/forwarding_vfs.h"

namespace gatekeeper::testing {
namespace {

std::atomic<bool> g_fail_writes{false};
std::atomic<bool> g_fail_syncs{false};
sqlite3_vfs g_vfs;
sqlite3_vfs* g_real = nullptr;

using FaultFile = sqlite::ShimFile;
using sqlite::RealFile;

// The default VFS's methods, but for the writes and syncs a test fails.
const sqlite3_io_methods kMethods = [] {
  sqlite3_io_methods m = sqlite::ForwardingMethods();
  m.xWrite = [](sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
    if (g_fail_writes) return SQLITE_FULL;
    return RealFile(f)->pMethods->xWrite(RealFile(f), b, n, o);
  };
  m.xSync = [](sqlite3_file* f, int flags) {
    if (g_fail_syncs) return SQLITE_IOERR_FSYNC;
    return RealFile(f)->pMethods->xSync(RealFile(f), flags);
  };
  return m;
}();

int Open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags,
         int* out_flags) {
  auto* ff = reinterpret_cast<FaultFile*>(f);
  ff->real = reinterpret_cast<sqlite3_file*>(ff + 1);
  std::memset(ff->real, 0, static_cast<size_t>(g_real->szOsFile));
  const int rc = g_real->xOpen(g_real, name, ff->real, flags, out_flags);
  ff->base.pMethods = ff->real->pMethods != nullptr ? &kMethods : nullptr;
  return rc;
}

}  // namespace

const char* FaultVfsName() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_real = sqlite3_vfs_find(nullptr);
    g_vfs = *g_real;
    g_vfs.zName = "gk-fault";
    g_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_real->szOsFile;
    g_vfs.xOpen = Open;
    sqlite3_vfs_register(&g_vfs, 0);
  });
  return "gk-fault";
}

void SetFailWrites(bool fail) { g_fail_writes = fail; }
void SetFailSyncs(bool fail) { g_fail_syncs = fail; }

}  // namespace gatekeeper::testing
