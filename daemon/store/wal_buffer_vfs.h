// A SQLite VFS shim that gathers a transaction's WAL writes into one write.
//
// SQLite appends a WAL frame as two writes (the 24-byte frame header, then
// the page), so a commit of N pages costs 2N pwrite calls before its fsync:
// on this project's virtual machine a system call is expensive, and those
// writes were a sizeable share of a decision's CPU. Through this shim, writes
// to a WAL file that continue the previous one are kept in memory and written
// with one pwrite when SQLite syncs the file (or reads it, truncates it, asks
// its size, closes it, or writes elsewhere in it). A write inside the pending
// range (SQLite rewriting a frame of the same transaction) updates the buffer.
// Every other file, and every other method, goes straight to the base VFS.
//
// Why it is safe: only a connection in synchronous=FULL (or EXTRA) journal
// mode WAL may use it. Such a connection syncs the WAL before it publishes a
// commit's frames in the wal-index, so no other connection can see a frame
// that is still in the buffer, and a commit is acknowledged only after the
// flush and the fsync both succeeded; an error of the flush is the error of
// the sync. A crash loses only unsynced frames, which SQLite ignores anyway.
//
// Thread-safety: a file object is used by one connection at a time (the
// store's connections are NOMUTEX and single-threaded), as SQLite requires.
#ifndef GATEKEEPER_DAEMON_STORE_WAL_BUFFER_VFS_H_
#define GATEKEEPER_DAEMON_STORE_WAL_BUFFER_VFS_H_

namespace gatekeeper {

// Registers (once per base) the shim over `base_vfs` (null: the default VFS)
// and returns its name, or null when the base VFS does not exist.
const char* WalBufferVfs(const char* base_vfs);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_WAL_BUFFER_VFS_H_
