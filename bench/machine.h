// What the benchmarks share about the machine and the run: the daemon's
// configuration for a benchmark, the CPU model and the file system reported
// with the figures, file sizes, resource use, medians.
#ifndef GATEKEEPER_BENCH_MACHINE_H_
#define GATEKEEPER_BENCH_MACHINE_H_

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
