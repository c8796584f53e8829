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
  std::string digits;
  digits.reserve(16);
  bool plus = false;
  for (size_t i = 0; i < input.size(); ++i) {
    const char c = input[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && i == 0) {
      plus = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
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
  const std::string path = key_file.string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    // First start: create the key atomically (O_EXCL), durably, 0600.
    const std::string tmp = path + ".tmp";
    ::unlink(tmp.c_str());
    int w = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (w < 0) {
      return absl::UnavailableError(
          StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
    }
    const std::string key = RandomBytes(kKeySize);
    const bool ok = ::write(w, key.data(), key.size()) ==
                        static_cast<ssize_t>(key.size()) &&
                    ::fsync(w) == 0;
    ::close(w);
    if (!ok || ::link(tmp.c_str(), path.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return absl::UnavailableError(
          StrCat("cannot write ", path, ": ", std::strerror(err)));
    }
    ::unlink(tmp.c_str());
    const std::string dir = key_file.parent_path().empty()
                                ? std::string(".")
                                : key_file.parent_path().string();
    int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d >= 0) {
      ::fsync(d);
      ::close(d);
    }
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) {
    return absl::UnavailableError(
        StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return absl::UnavailableError(StrCat("cannot stat ", path));
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(
        StrCat(path, " is readable by group or others; chmod 600 it"));
  }
  std::string key(kKeySize + 1, '\0');
  const ssize_t n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(kKeySize)) {
    return absl::DataLossError(StrCat(path, " does not hold a 32-byte key"));
  }
  key.resize(kKeySize);
  return Pseudonymizer(std::move(key));
}

std::string Pseudonymizer::Pseudonym(std::string_view e164) const {
  return key_->Mac(StrCat("phone:", e164));
}

std::string Pseudonymizer::Mac(std::string_view data) const {
  return key_->Mac(data);
}

}  // namespace gatekeeper
