// print-gate's first pass over a manifest: every row checked before the
// daemon is asked anything, and the rows counted (for the progress bar).
//
// A large manifest is checked in two halves at once, on two threads: the
// second half starts at the first line after the middle of the file. That is
// a row's beginning unless the middle falls inside a quoted field holding a
// line break; the first half's reader, which goes on until it reaches the
// second half, sees whether its next row begins exactly there, and when it
// does not, it checks the rest of the file itself (the second half's findings
// are dropped). Either way the outcome is the one of a single reader: the
// same count, and the same first malformed row with its line number.
#ifndef GATEKEEPER_CLIENTS_PRINT_GATE_SCAN_H_
#define GATEKEEPER_CLIENTS_PRINT_GATE_SCAN_H_

#include <cstdint>
#include <string>

namespace printgate {

// Files at least this large are checked in two halves.
inline constexpr uint64_t kSplitScanBytes = 32 << 20;

// The number of well-formed rows of the manifest at `path`. Throws Error
// ("PATH:LINE: what") on the first malformed row unless `skip_bad`, and on a
// problem that stops reading (regardless of `skip_bad`).
uint64_t ScanManifest(const std::string& path, bool skip_bad,
                      uint64_t split_bytes = kSplitScanBytes);

}  // namespace printgate

#endif  // GATEKEEPER_CLIENTS_PRINT_GATE_SCAN_H_
