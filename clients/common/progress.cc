#include "clients/common/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <utility>

namespace gkclient {

std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

Progress::Progress(std::string label, uint64_t total, std::string unit)
    : enabled_(::isatty(STDERR_FILENO) == 1),
      label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total) {}

Progress::~Progress() {
  if (drawn_) std::cerr << "\n" << std::flush;
}

void Progress::Update(uint64_t done) {
  done_ = done;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw();
}

void Progress::Finish() {
  if (!enabled_) return;
  Draw();
  std::cerr << "\n" << std::flush;
  drawn_ = false;
}

void Progress::Break() {
  if (!drawn_) return;
  std::cerr << "\n" << std::flush;
  drawn_ = false;
}

void Progress::Draw() {
  std::string line = "\r" + label_ + " ";
  if (total_ > 0) {
    constexpr int kWidth = 30;
    const uint64_t shown = std::min(done_, total_);
    const int filled = static_cast<int>(shown * kWidth / total_);
    line += "[" + std::string(static_cast<size_t>(filled), '#') +
            std::string(static_cast<size_t>(kWidth - filled), '-') + "] ";
    char pct[8];
    std::snprintf(pct, sizeof pct, "%3d%%",
                  static_cast<int>(shown * 100 / total_));
    line += pct;
    line += " " + Thousands(done_) + "/" + Thousands(total_);
  } else {
    line += Thousands(done_);
  }
  line += " " + unit_;
  std::cerr << line << std::flush;
  drawn_ = true;
}

}  // namespace gkclient
