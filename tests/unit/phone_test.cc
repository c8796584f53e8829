// Phone parsing, masking and pseudonymisation.
#include "daemon/common/phone.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

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
