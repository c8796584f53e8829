// The phone normaliser. Beyond not crashing:
//  - a number ParsePhone accepts parses again, from its E.164 form, to the
//    same number, and its masked form never shows the whole number;
//  - JapaneseE164Candidate's promise (daemon/common/phone.h): when its
//    candidate is a valid number, ParsePhone reads the input as that same
//    number. The dial gate relies on it to look numbers up without parsing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/common/phone.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = gatekeeper::ParsePhone(input);
  if (parsed.ok()) {
    if (parsed->e164.empty() || parsed->e164[0] != '+') __builtin_trap();
    auto again = gatekeeper::ParsePhone(parsed->e164);
    if (!again.ok() || again->e164 != parsed->e164) __builtin_trap();
    if (parsed->masked.find(parsed->e164.substr(1)) != std::string::npos) {
      __builtin_trap();
    }
  }
  const auto candidate = gatekeeper::JapaneseE164Candidate(input);
  if (candidate.has_value()) {
    auto valid = gatekeeper::ParsePhone(*candidate);
    if (valid.ok() && valid->e164 == *candidate &&
        (!parsed.ok() || parsed->e164 != *candidate)) {
      __builtin_trap();
    }
  }
  return 0;
}
