// Phone numbers: parsing (libphonenumber, default region JP), masking and
// pseudonymisation. A number in clear never leaves this module except as the
// E.164 string handed back to the caller; error messages never echo it.
// Thread-safe.
#ifndef GATEKEEPER_DAEMON_COMMON_PHONE_H_
#define GATEKEEPER_DAEMON_COMMON_PHONE_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/common/crypto.h"

namespace gatekeeper {

struct ParsedPhone {
  std::string e164;    // "+819012345678"; sensitive
  std::string masked;  // "+81 90-****-5678"; safe to store and show
};

// Accepts any common Japanese format ("090-1234-5678", "03 1234 5678",
// full-width digits) or E.164. InvalidArgument if it is not a valid number.
absl::StatusOr<ParsedPhone> ParsePhone(std::string_view input);

// The E.164 form of the commonest spellings of a Japanese number, without
// libphonenumber: "+81 90-1234-5678", "090-1234-5678", "(03) 1234-5678" (ASCII
// digits, spaces, hyphens, dots and parentheses) give "+819012345678" or
// "+81312345678"; anything else (other countries, full-width digits,
// international prefixes, extensions) gives nullopt. It does not validate,
// so it is only a lookup key for numbers already on record: a candidate whose
// pseudonym matches a recorded one is that number, which ParsePhone
// validated when it was recorded, and ParsePhone would read the input as
// that same number (a unit test checks this over many spellings). Parsing
// costs about 13 µs a number; this, well under one.
std::optional<std::string> JapaneseE164Candidate(std::string_view input);

// Keyed pseudonyms: HMAC-SHA256 under a 32-byte secret kept in data_dir.
// Equal numbers give equal pseudonyms; without the key a pseudonym cannot be
// brute-forced back to the (small) space of phone numbers.
class Pseudonymizer {
 public:
  // Reads the key file, or creates it (mode 0600, 32 random bytes) when it
  // does not exist. Fails if the file exists with another size or is readable
  // by group or others.
  static absl::StatusOr<Pseudonymizer> LoadOrCreate(
      const std::filesystem::path& key_file);
  static Pseudonymizer ForTesting(std::string key) {
    return Pseudonymizer(std::move(key));
  }

  // Raw 32 bytes.
  std::string Pseudonym(std::string_view e164) const;
  // HMAC of arbitrary bytes (used to fingerprint requests that hold numbers).
  std::string Mac(std::string_view data) const;

 private:
  explicit Pseudonymizer(std::string key)
      : key_(std::make_shared<const HmacSha256Key>(key)) {}
  std::shared_ptr<const HmacSha256Key> key_;  // shared by copies
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_COMMON_PHONE_H_
