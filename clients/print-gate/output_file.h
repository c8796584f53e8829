// Output files that never look complete before they are: each is written
// under a temporary name in its own directory, "<name>.tmp-<pid>", and renamed
// over its final name only by Commit(), after an fsync (and the directory's
// fsync after the rename). An OutputFile destroyed uncommitted removes its
// temporary file; one left by a killed process is removed by the next run
// (RemoveStaleTemps). Errors throw Error naming the file. Not thread-safe.
#ifndef GATEKEEPER_CLIENTS_PRINT_GATE_OUTPUT_FILE_H_
#define GATEKEEPER_CLIENTS_PRINT_GATE_OUTPUT_FILE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace printgate {

class OutputFile {
 public:
  // Creates "<path>.tmp-<pid>" (exclusively); throws Error when it cannot.
  static std::unique_ptr<OutputFile> Create(const std::filesystem::path& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Buffered; throws Error on a failed write (a full disk).
  void Write(std::string_view data);
  // Flushes, fsyncs, renames over the final path and fsyncs the directory.
  void Commit();

  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temp_path() const { return temp_; }

 private:
  OutputFile(std::filesystem::path path, std::filesystem::path temp, int fd);
  void Flush();

  std::filesystem::path path_, temp_;
  int fd_;
  std::string buf_;
  bool committed_ = false;
};

// The temporary name of `path` for process `pid`.
std::filesystem::path TempPathFor(const std::filesystem::path& path, long pid);

// Removes the temporary files of `path` ("<name>.tmp-<pid>") whose process no
// longer exists: what a run killed before it could clean up left behind. Call
// it before creating this process's own OutputFile for `path` (a file under
// this process's pid is stale too).
void RemoveStaleTemps(const std::filesystem::path& path);

}  // namespace printgate

#endif  // GATEKEEPER_CLIENTS_PRINT_GATE_OUTPUT_FILE_H_
