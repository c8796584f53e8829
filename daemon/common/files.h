// Small file-system steps that must be durable: key files written once.
#ifndef GATEKEEPER_DAEMON_COMMON_FILES_H_
#define GATEKEEPER_DAEMON_COMMON_FILES_H_

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gatekeeper {

// Writes `content` to `path` atomically and durably with `mode`: to a
// temporary file first, fsynced, then linked into place (ALREADY_EXISTS when
// `path` exists: a concurrent writer won) and the directory fsynced.
absl::Status CreateFileDurably(const std::filesystem::path& path,
                               std::string_view content, mode_t mode);

// Replaces `path` with `content` (written to a temporary file, fsynced,
// renamed over it).
absl::Status ReplaceFileDurably(const std::filesystem::path& path,
                                std::string_view content, mode_t mode);

// The whole file; NOT_FOUND when it does not exist. With `private_only`,
// FAILED_PRECONDITION when group or others may read it or when the process's
// user does not own it.
absl::StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path,
                                          bool private_only);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_COMMON_FILES_H_
