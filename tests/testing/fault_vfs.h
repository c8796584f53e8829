// A SQLite VFS for tests that forwards to the default VFS and fails writes or
// syncs on demand, like leveldb's fault-injection Env: the seam where tests
// simulate a full disk or a failing fsync under the store.
#ifndef GATEKEEPER_TESTS_TESTING_FAULT_VFS_H_
#define GATEKEEPER_TESTS_TESTING_FAULT_VFS_H_

namespace gatekeeper::testing {

// Registers the VFS (once) and returns its name.
const char* FaultVfsName();

// While set, xWrite returns SQLITE_FULL / xSync returns SQLITE_IOERR_FSYNC.
void SetFailWrites(bool fail);
void SetFailSyncs(bool fail);

}  // namespace gatekeeper::testing

#endif  // GATEKEEPER_TESTS_TESTING_FAULT_VFS_H_
