// A temporary directory removed with its contents when the object dies
// (kept when GK_KEEP_TMP is set, for debugging a failed test).
#ifndef GATEKEEPER_TESTS_TESTING_TEMP_DIR_H_
#define GATEKEEPER_TESTS_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace gatekeeper::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "gktest.XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    if (!getenv("GK_KEEP_TMP")) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace gatekeeper::testing

#endif  // GATEKEEPER_TESTS_TESTING_TEMP_DIR_H_
