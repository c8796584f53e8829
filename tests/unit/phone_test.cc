// Phone parsing, masking and pseudonymisation.
#include "daemon/common/phone.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tests/testing/temp_dir.h"

namespace gatekeeper {
namespace {

TEST(PhoneTest, CommonJapaneseFormatsNormaliseToE164) {
  for (const char* in :
       {"090-1234-5678", "09012345678", "090 1234 5678", "+81 90-1234-5678",
        "+819012345678", "(090)1234-5678",
        "\xef\xbc\x90\xef\xbc\x99\xef\xbc\x90\xef\xbc\x91\xef\xbc\x92\xef"
        "\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96\xef\xbc\x97\xef\xbc"
        "\x98"}) {  // full-width ０９０１２３４５６７８
    auto p = ParsePhone(in);
    ASSERT_TRUE(p.ok()) << in << ": " << p.status();
    EXPECT_EQ(p->e164, "+819012345678") << in;
  }
}

TEST(PhoneTest, MasksTheMiddleGroups) {
  EXPECT_EQ(ParsePhone("090-1234-5678")->masked, "+81 90-****-5678");
  EXPECT_EQ(ParsePhone("03-1234-5678")->masked, "+81 3-****-5678");
}

TEST(PhoneTest, RejectsInvalidNumbers) {
  for (const char* in : {"", "12345", "abc", "090-1234-567", "+1 555"}) {
    EXPECT_EQ(ParsePhone(in).status().code(),
              absl::StatusCode::kInvalidArgument)
        << in;
  }
}

TEST(PhoneTest, JapaneseE164CandidateOfTheCommonSpellings) {
  for (const char* in :
       {"090-1234-5678", "09012345678", "090 1234 5678", "+81 90-1234-5678",
        "+819012345678", "(090)1234-5678", "090.1234.5678"}) {
    EXPECT_EQ(JapaneseE164Candidate(in), "+819012345678") << in;
  }
  EXPECT_EQ(JapaneseE164Candidate("03-1234-5678"), "+81312345678");
  for (const char* in :
       {"", "0", "abc", "+1 650 253 0000", "010-1-650-253-0000",
        "0081-90-1234-5678", "+81 090-1234-5678", "090-1234-5678 ext 1",
        "9012345678", "0901234567890", "090-1234-56",
        "\xef\xbc\x90\xef\xbc\x99\xef\xbc\x90"}) {
    EXPECT_EQ(JapaneseE164Candidate(in), std::nullopt) << in;
  }
}

// Found by tests/fuzz/phone_fuzz: ParsePhone refuses this, and the shortcut
// read it as +81312345678, so the dial gate would have decided a number the
// full check refuses. Long or loose spellings now go to ParsePhone.
TEST(PhoneTest, JapaneseE164CandidateLeavesLooseSpellingsToParsePhone) {
  const std::string found = "+81 3" + std::string(30, '.') + "((" +
                            std::string(65, '.') + " 1234 5678";
  EXPECT_FALSE(ParsePhone(found).ok());
  EXPECT_EQ(JapaneseE164Candidate(found), std::nullopt);
  EXPECT_EQ(JapaneseE164Candidate("03...1234-5678"), std::nullopt);
  EXPECT_EQ(JapaneseE164Candidate("+81 (3) 1234-5678"), "+81312345678");
}

// The property CheckDial's shortcut rests on: whenever a candidate is the
// E.164 form of a valid number (so could match a recorded pseudonym),
// libphonenumber reads the input as that same number.
TEST(PhoneTest, JapaneseE164CandidateAgreesWithLibphonenumber) {
  std::mt19937 rng(20261128);
  const std::vector<std::string> prefixes = {"0",    "+81", "+81 ", "(0",  "0 ",
                                             "+81-", "+8",  "00",   "+810"};
  const std::string seps = " -.()";
  int checked = 0, agreed_valid = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string in = prefixes[rng() % prefixes.size()];
    const int n = 7 + static_cast<int>(rng() % 6);
    for (int d = 0; d < n; ++d) {
      // Weighted first digits: 1, 3, 5-9 and 0 lead real and tricky numbers.
      in.push_back(static_cast<char>('0' + rng() % 10));
      if (rng() % 5 == 0) in.push_back(seps[rng() % seps.size()]);
    }
    const std::optional<std::string> c = JapaneseE164Candidate(in);
    if (!c.has_value()) continue;
    auto as_recorded = ParsePhone(*c);
    if (!as_recorded.ok() || as_recorded->e164 != *c) continue;
    ++checked;
    auto parsed = ParsePhone(in);
    ASSERT_TRUE(parsed.ok()) << in << " -> " << *c;
    EXPECT_EQ(parsed->e164, *c) << in;
    EXPECT_EQ(parsed->masked, as_recorded->masked) << in;
    ++agreed_valid;
  }
  // The generator must reach the interesting cases.
  EXPECT_GT(checked, 1000);
  EXPECT_EQ(agreed_valid, checked);
}

TEST(PseudonymizerTest, CreatesKeyWithMode0600AndReloadsIt) {
  testing::TempDir dir;
  const auto path = dir.path() / "pseudonym.key";
  auto a = Pseudonymizer::LoadOrCreate(path);
  ASSERT_TRUE(a.ok()) << a.status();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto b = Pseudonymizer::LoadOrCreate(path);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->Pseudonym("+819012345678"), b->Pseudonym("+819012345678"));
  EXPECT_NE(a->Pseudonym("+819012345678"), a->Pseudonym("+819012345679"));
}

TEST(PseudonymizerTest, DifferentKeysGiveDifferentPseudonyms) {
  EXPECT_NE(Pseudonymizer::ForTesting("k1").Pseudonym("+819012345678"),
            Pseudonymizer::ForTesting("k2").Pseudonym("+819012345678"));
}

TEST(PseudonymizerTest, RefusesKeyReadableByOthers) {
  testing::TempDir dir;
  const auto path = dir.path() / "pseudonym.key";
  ASSERT_TRUE(Pseudonymizer::LoadOrCreate(path).ok());
  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(Pseudonymizer::LoadOrCreate(path).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(PseudonymizerTest, RefusesTruncatedKey) {
  testing::TempDir dir;
  const auto path = dir.path() / "pseudonym.key";
  { std::ofstream(path) << "short"; }
  ::chmod(path.c_str(), 0600);
  EXPECT_EQ(Pseudonymizer::LoadOrCreate(path).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace gatekeeper
