// What the benchmarks share about the machine and the run: the daemon's
// configuration for a benchmark, the CPU model and the file system reported
// with the figures, file sizes, resource use, medians.
#ifndef GATEKEEPER_BENCH_MACHINE_H_
#define GATEKEEPER_BENCH_MACHINE_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gatekeeper::bench {

// config/gatekeeper.example.yaml's companies and notices, on 127.0.0.1:0 with
// `data_dir`, written by `tool`; `extra` (YAML lines) goes after max_batch.
std::string ExampleConfigYaml(std::string_view tool,
                              const std::filesystem::path& data_dir,
                              std::string_view extra = "");
// The data directory of a run: `flag` (created, owner-only) or, when it is
// empty, a fresh /tmp/<tool>-XXXXXX (temporary: removed at the end).
struct DataDir {
  std::filesystem::path path;
  bool temporary = false;
};
absl::StatusOr<DataDir> PrepareDataDir(const std::string& flag,
                                       std::string_view tool);
// The file marking how far a seed got in a data directory ("layout V\nKEY
// N\n"), so that a later run reuses it or resumes it.
struct SeedMarker {
  const char* file;  // in the data directory
  int layout;        // a marker of another layout counts as none
  const char* key;   // what N counts ("consents", "customers")
  // N, or 0 when there is no (valid) marker.
  uint64_t Read(const std::filesystem::path& dir) const;
  // Replaces the marker (written aside, then renamed).
  absl::Status Write(const std::filesystem::path& dir, uint64_t n) const;
};
// Seconds since t0.
double SecondsSince(std::chrono::steady_clock::time_point t0);
// /proc/cpuinfo's model name.
std::string CpuModel();
// The file system `p` is on ("ext4", ...): fsync costs depend on it.
std::string FsType(const std::filesystem::path& p);
// 0 when it does not exist.
uint64_t FileSize(const std::filesystem::path& p);
// /proc/meminfo's MemTotal.
uint64_t TotalMemoryKib();
// "12.3 MiB"
std::string Mib(uint64_t bytes);
// This process's user + system CPU so far.
double SelfCpuSeconds();
double Median(std::vector<double> v);

}  // namespace gatekeeper::bench

#endif  // GATEKEEPER_BENCH_MACHINE_H_
