#include "daemon/common/iso_duration.h"

#include <cstdint>

#include "daemon/common/strings.h"

namespace gatekeeper {

absl::StatusOr<Micros> ParseIsoDuration(std::string_view text) {
  constexpr Micros kSecond = 1'000'000;
  constexpr Micros kDay = 86'400 * kSecond;
  auto bad = [&] {
    return absl::InvalidArgumentError(StrCat(
        "\"", text, "\" is not an ISO 8601 duration such as P1Y, P3Y, P90D"));
  };
  if (text.size() < 3 || text[0] != 'P') return bad();
  Micros total = 0;
  bool in_time = false;
  bool any = false;
  uint64_t n = 0;
  bool have_n = false;
  for (size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      n = n * 10 + static_cast<uint64_t>(c - '0');
      if (n > 100'000) return bad();
      have_n = true;
      continue;
    }
    if (c == 'T' && !in_time && !have_n) {
      in_time = true;
      continue;
    }
    if (!have_n) return bad();
    Micros unit = 0;
    if (!in_time) {
      switch (c) {
        case 'Y':
          unit = 366 * kDay;
          break;
        case 'M':
          unit = 31 * kDay;
          break;
        case 'W':
          unit = 7 * kDay;
          break;
        case 'D':
          unit = kDay;
          break;
        default:
          return bad();
      }
    } else {
      switch (c) {
        case 'H':
          unit = 3600 * kSecond;
          break;
        case 'M':
          unit = 60 * kSecond;
          break;
        case 'S':
          unit = kSecond;
          break;
        default:
          return bad();
      }
    }
    total += static_cast<Micros>(n) * unit;
    n = 0;
    have_n = false;
    any = true;
  }
  if (have_n || !any) return bad();
  return total;
}

}  // namespace gatekeeper
