// Building blocks of SQLite VFS shims, which wrap the files of another VFS:
// the file object's layout and a table of io methods that forward every call
// to the wrapped file, for a shim to copy and change where it differs (see
// wal_buffer_vfs.cc, and tests/testing/fault_vfs.cc). Header-only; the
// functions are thread-safe as far as the wrapped file's are.
#ifndef GATEKEEPER_DAEMON_STORE_FORWARDING_VFS_H_
#define GATEKEEPER_DAEMON_STORE_FORWARDING_VFS_H_

#include <sqlite3.h>

namespace gatekeeper::sqlite {

// The first member of a shim's file object: SQLite's part, then a pointer to
// the wrapped VFS's file, which the shim keeps in the space after its own
// object (the shim's szOsFile adds the wrapped VFS's).
struct ShimFile {
  sqlite3_file base;
  sqlite3_file* real;
};

inline sqlite3_file* RealFile(sqlite3_file* f) {
  return reinterpret_cast<ShimFile*>(f)->real;
}

// Version 3 io methods, each calling the wrapped file's.
inline sqlite3_io_methods ForwardingMethods() {
  sqlite3_io_methods m = {};
  m.iVersion = 3;
  m.xClose = [](sqlite3_file* f) {
    return RealFile(f)->pMethods->xClose(RealFile(f));
  };
  m.xRead = [](sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
    return RealFile(f)->pMethods->xRead(RealFile(f), b, n, o);
  };
  m.xWrite = [](sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
    return RealFile(f)->pMethods->xWrite(RealFile(f), b, n, o);
  };
  m.xTruncate = [](sqlite3_file* f, sqlite3_int64 s) {
    return RealFile(f)->pMethods->xTruncate(RealFile(f), s);
  };
  m.xSync = [](sqlite3_file* f, int flags) {
    return RealFile(f)->pMethods->xSync(RealFile(f), flags);
  };
  m.xFileSize = [](sqlite3_file* f, sqlite3_int64* s) {
    return RealFile(f)->pMethods->xFileSize(RealFile(f), s);
  };
  m.xLock = [](sqlite3_file* f, int l) {
    return RealFile(f)->pMethods->xLock(RealFile(f), l);
  };
  m.xUnlock = [](sqlite3_file* f, int l) {
    return RealFile(f)->pMethods->xUnlock(RealFile(f), l);
  };
  m.xCheckReservedLock = [](sqlite3_file* f, int* r) {
    return RealFile(f)->pMethods->xCheckReservedLock(RealFile(f), r);
  };
  m.xFileControl = [](sqlite3_file* f, int op, void* a) {
    return RealFile(f)->pMethods->xFileControl(RealFile(f), op, a);
  };
  m.xSectorSize = [](sqlite3_file* f) {
    return RealFile(f)->pMethods->xSectorSize(RealFile(f));
  };
  m.xDeviceCharacteristics = [](sqlite3_file* f) {
    return RealFile(f)->pMethods->xDeviceCharacteristics(RealFile(f));
  };
  m.xShmMap = [](sqlite3_file* f, int i, int sz, int e, void volatile** p) {
    return RealFile(f)->pMethods->xShmMap(RealFile(f), i, sz, e, p);
  };
  m.xShmLock = [](sqlite3_file* f, int o, int n, int fl) {
    return RealFile(f)->pMethods->xShmLock(RealFile(f), o, n, fl);
  };
  m.xShmBarrier = [](sqlite3_file* f) {
    RealFile(f)->pMethods->xShmBarrier(RealFile(f));
  };
  m.xShmUnmap = [](sqlite3_file* f, int d) {
    return RealFile(f)->pMethods->xShmUnmap(RealFile(f), d);
  };
  m.xFetch = [](sqlite3_file* f, sqlite3_int64 o, int n, void** p) {
    return RealFile(f)->pMethods->xFetch(RealFile(f), o, n, p);
  };
  m.xUnfetch = [](sqlite3_file* f, sqlite3_int64 o, void* p) {
    return RealFile(f)->pMethods->xUnfetch(RealFile(f), o, p);
  };
  return m;
}

}  // namespace gatekeeper::sqlite

#endif  // GATEKEEPER_DAEMON_STORE_FORWARDING_VFS_H_
