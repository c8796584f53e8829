// A progress bar for the clients' long runs (print-gate's documents,
// gkctl's consent import), and the number format it uses. Used by one thread.
#ifndef GATEKEEPER_CLIENTS_COMMON_PROGRESS_H_
#define GATEKEEPER_CLIENTS_COMMON_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace gkclient {

// "12,345".
std::string Thousands(uint64_t n);

// A progress bar on stderr, drawn only when stderr is a terminal, at most ten
// times a second: "\r<label> [#####-----]  50% 5,000/10,000 <unit>".
// `total` 0: unknown (no bar, only the count).
class Progress {
 public:
  Progress(std::string label, uint64_t total, std::string unit = "documents");
  ~Progress();  // ends the line if anything was drawn
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void Update(uint64_t done);
  // Draws the final state and ends the line.
  void Finish();
  // Ends the line drawn so far, so that a message can follow on stderr; the
  // next Update draws again.
  void Break();

 private:
  void Draw();

  const bool enabled_;
  std::string label_;
  std::string unit_;
  uint64_t total_, done_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace gkclient

#endif  // GATEKEEPER_CLIENTS_COMMON_PROGRESS_H_
