#include "daemon/common/phone.h"

#include <fcntl.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "daemon/common/crypto.h"
#include "daemon/common/files.h"
#include "daemon/common/strings.h"

namespace gatekeeper {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr size_t kKeySize = 32;

// "+81 90-1234-5678" -> "+81 90-****-5678": every digit group between the
// first and the last is starred; a number with fewer groups keeps only its
// last four digits.
std::string Mask(const std::string& international) {
  const size_t space = international.find(' ');
  if (space == std::string::npos) return "****";
  std::string country = international.substr(0, space);
  std::string national = international.substr(space + 1);
  std::vector<std::string> groups = absl::StrSplit(national, '-');
  std::string out = country + " ";
  if (groups.size() >= 3) {
    for (size_t i = 0; i < groups.size(); ++i) {
      if (i > 0) out += '-';
      if (i == 0 || i + 1 == groups.size()) {
        out += groups[i];
      } else {
        out += std::string(groups[i].size(), '*');
      }
    }
    return out;
  }
  std::string digits;
  for (char c : national) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  const size_t keep = digits.size() > 4 ? 4 : digits.size() / 2;
  return out + std::string(digits.size() - keep, '*') +
         digits.substr(digits.size() - keep);
}

}  // namespace

std::optional<std::string> JapaneseE164Candidate(std::string_view input) {
  // The spellings people write: at most kMaxSpelling characters, and at most
  // two separators in a row ("(03) 1234"). Anything longer or looser is left
  // to ParsePhone, which may not read it as these digits (found by fuzzing:
  // "+81 3" and a hundred dots before "1234 5678").
  constexpr size_t kMaxSpelling = 24;
  if (input.size() > kMaxSpelling) return std::nullopt;
  std::string digits;
  digits.reserve(16);
  bool plus = false;
  int run = 0;  // separators in a row
  for (size_t i = 0; i < input.size(); ++i) {
    const char c = input[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      run = 0;
    } else if (c == '+' && i == 0) {
      plus = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return std::nullopt;
    } else if (++run > 2) {
      return std::nullopt;
    }
    if (digits.size() > 12) return std::nullopt;
  }
  // The national significant number: 9 or 10 digits, never starting with 0
  // (the trunk prefix), which the two spellings below put in front of it.
  std::string_view nsn;
  if (plus) {
    if (digits.rfind("81", 0) != 0) return std::nullopt;
    nsn = std::string_view(digits).substr(2);
  } else {
    if (digits.size() < 2 || digits[0] != '0') return std::nullopt;
    nsn = std::string_view(digits).substr(1);
  }
  if (nsn.size() < 9 || nsn.size() > 10 || nsn[0] == '0') return std::nullopt;
  // "010" is Japan's international call prefix, not a trunk 0 before "10".
  if (!plus && nsn[0] == '1' && nsn[1] == '0') return std::nullopt;
  return StrCat("+81", nsn);
}

absl::StatusOr<ParsedPhone> ParsePhone(std::string_view input) {
  if (input.empty()) return absl::InvalidArgumentError("is empty");
  if (input.size() > 64) return absl::InvalidArgumentError("is too long");
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(std::string(input), "JP", &number) !=
      PhoneNumberUtil::NO_PARSING_ERROR) {
    return absl::InvalidArgumentError("is not a phone number");
  }
  if (!util.IsValidNumber(number)) {
    return absl::InvalidArgumentError(
        "is not a valid Japanese or E.164 phone number");
  }
  ParsedPhone out;
  util.Format(number, PhoneNumberUtil::E164, &out.e164);
  std::string international;
  util.Format(number, PhoneNumberUtil::INTERNATIONAL, &international);
  out.masked = Mask(international);
  return out;
}

absl::StatusOr<Pseudonymizer> Pseudonymizer::LoadOrCreate(
    const std::filesystem::path& key_file) {
  auto key = ReadWholeFile(key_file, /*private_only=*/true);
  if (absl::IsNotFound(key.status())) {
    // First start: create the key atomically, durably, 0600.
    absl::Status created =
        CreateFileDurably(key_file, RandomBytes(kKeySize), 0600);
    if (!created.ok() && !absl::IsAlreadyExists(created)) return created;
    key = ReadWholeFile(key_file, /*private_only=*/true);
  }
  if (!key.ok()) return key.status();
  if (key->size() != kKeySize) {
    return absl::DataLossError(
        StrCat(key_file.string(), " does not hold a 32-byte key"));
  }
  return Pseudonymizer(*std::move(key));
}

std::string Pseudonymizer::Pseudonym(std::string_view e164) const {
  return key_->Mac(StrCat("phone:", e164));
}

std::string Pseudonymizer::Mac(std::string_view data) const {
  return key_->Mac(data);
}

}  // namespace gatekeeper
