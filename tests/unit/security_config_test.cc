// The config's security keys (config/security_config.h): each error names its
// key; and private key files must be the daemon's own (common/files.h).
#include "daemon/config/security_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>

#include "daemon/common/files.h"
#include "daemon/config/config.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_config.h"

namespace gatekeeper {
namespace {

constexpr char kHash[] =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// The test config (loopback, no tls, no principals) with `edit` applied.
template <typename F>
absl::Status Check(F edit) {
  Config c = testing::TestConfig();
  edit(c);
  return ValidateSecurityConfig(c);
}

config::v1::Principal* AddToken(Config& c, const std::string& name,
                                const std::string& hash,
                                std::vector<std::string> roles = {"admin"}) {
  auto* p = c.add_principals();
  p->set_name(name);
  p->set_token_sha256(hash);
  for (auto& r : roles) p->add_roles(r);
  return p;
}

void WithTls(Config& c) {
  c.mutable_tls()->set_cert_file("server.crt");
  c.mutable_tls()->set_key_file("server.key");
}

TEST(SecurityConfigTest, LoopbackAddressesAreLoopback) {
  for (const char* a :
       {"127.0.0.1:50051", "127.8.9.10:1", "localhost:80", "[::1]:50051"}) {
    EXPECT_TRUE(IsLoopbackListen(a)) << a;
  }
  for (const char* a :
       {"0.0.0.0:50051", "10.0.0.5:1", "[::]:50051", "128.0.0.1:1",
        "example.com:1", "127.0.0.1", "localhost.example.com:1", ""}) {
    EXPECT_FALSE(IsLoopbackListen(a)) << a;
  }
}

TEST(SecurityConfigTest, TheTestConfigWithoutSecurityIsValidOnLoopback) {
  EXPECT_TRUE(Check([](Config&) {}).ok());
}

TEST(SecurityConfigTest, PlaintextBeyondLoopbackIsRefusedNamingTheKey) {
  absl::Status s = Check([](Config& c) {
    c.set_listen("0.0.0.0:50051");
    AddToken(c, "ops", kHash);
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Message(s).rfind("listen: plaintext is allowed only on a loopback", 0),
      0u)
      << s;
  EXPECT_NE(Message(s).find("\"0.0.0.0:50051\""), std::string::npos) << s;
}

TEST(SecurityConfigTest, PlaintextHttpBeyondLoopbackIsRefusedNamingTheKey) {
  absl::Status s =
      Check([](Config& c) { c.mutable_http()->set_listen("10.1.2.3:9100"); });
  EXPECT_EQ(Message(s).rfind("http.listen: plaintext is allowed only", 0), 0u)
      << s;
  // The HTTP side has no TLS of its own: gRPC's does not cover it.
  s = Check([](Config& c) {
    WithTls(c);
    c.mutable_http()->set_listen("10.1.2.3:9100");
  });
  EXPECT_NE(Message(s).find("the HTTP side has no TLS"), std::string::npos)
      << s;
}

TEST(SecurityConfigTest, TlsBeyondLoopbackNeedsPrincipals) {
  absl::Status s = Check([](Config& c) {
    c.set_listen("0.0.0.0:50051");
    WithTls(c);
  });
  EXPECT_EQ(Message(s).rfind("principals: required when listen", 0), 0u) << s;
  EXPECT_TRUE(Check([](Config& c) {
                c.set_listen("0.0.0.0:50051");
                WithTls(c);
                AddToken(c, "ops", kHash);
              }).ok());
}

TEST(SecurityConfigTest, HalfSetTlsIsRefused) {
  EXPECT_EQ(Message(Check(
                [](Config& c) { c.mutable_tls()->set_cert_file("a.crt"); })),
            "tls.key_file: is required with tls.cert_file");
  EXPECT_EQ(
      Message(Check([](Config& c) { c.mutable_tls()->set_key_file("a.key"); })),
      "tls.cert_file: is required with tls.key_file");
  EXPECT_EQ(Message(Check([](Config& c) {
              c.mutable_tls()->set_client_ca_file("ca.crt");
            })).rfind("tls.client_ca_file: needs tls.cert_file", 0),
            0u);
}

TEST(SecurityConfigTest, PrincipalErrorsNameTheEntryAndField) {
  struct Case {
    std::function<void(Config&)> edit;
    std::string prefix;
  };
  const std::vector<Case> cases = {
      {[](Config& c) { AddToken(c, "", kHash); },
       "principals[0].name: is "
       "required"},
      {[](Config& c) { AddToken(c, "a b", kHash); },
       "principals[0].name: expected 1-64"},
      {[](Config& c) { AddToken(c, std::string(65, 'a'), kHash); },
       "principals[0].name: expected 1-64"},
      {[](Config& c) {
         AddToken(c, "ops", kHash);
         AddToken(c, "ops", std::string(64, '0'));
       },
       "principals[1].name: \"ops\" is named twice"},
      {[](Config& c) { AddToken(c, "ops", ""); },
       "principals[0]: set exactly one of cert_subject and token_sha256"},
      {[](Config& c) {
         AddToken(c, "ops", kHash)->set_cert_subject("ops.example.jp");
       },
       "principals[0]: set exactly one of cert_subject and token_sha256"},
      {[](Config& c) { AddToken(c, "ops", std::string(64, 'A')); },
       "principals[0].token_sha256: expected 64 lowercase hex"},
      {[](Config& c) { AddToken(c, "ops", "abc"); },
       "principals[0].token_sha256: expected 64 lowercase hex"},
      {[](Config& c) {
         AddToken(c, "ops", kHash);
         AddToken(c, "shop", kHash);
       },
       "principals[1].token_sha256: the same token is given to another"},
      {[](Config& c) {
         WithTls(c);
         AddToken(c, "ops", "")->set_cert_subject("ops.example.jp");
       },
       "principals[0].cert_subject: needs tls.client_ca_file"},
      {[](Config& c) {
         WithTls(c);
         c.mutable_tls()->set_client_ca_file("ca.crt");
         AddToken(c, "ops", "")->set_cert_subject("ops\n.example.jp");
       },
       "principals[0].cert_subject: expected at most 255 printable"},
      {[](Config& c) {
         WithTls(c);
         c.mutable_tls()->set_client_ca_file("ca.crt");
         AddToken(c, "ops", "")->set_cert_subject("x.example.jp");
         AddToken(c, "shop", "")->set_cert_subject("x.example.jp");
       },
       "principals[1].cert_subject: the same subject is given to another"},
      {[](Config& c) { AddToken(c, "ops", kHash, {}); },
       "principals[0].roles: at least one role is required"},
      {[](Config& c) {
         AddToken(c, "ops", kHash, {"auditor", "root"});
       },
       "principals[0].roles[1]: unknown role \"root\" (expected one of "
       "print_shop, dialer, consent_writer, campaign_editor, compliance, "
       "auditor, admin)"},
      {[](Config& c) {
         AddToken(c, "ops", kHash, {"auditor", "auditor"});
       },
       "principals[0].roles[1]: duplicate role"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    absl::Status s = Check(cases[i].edit);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << i;
    EXPECT_EQ(Message(s).rfind(cases[i].prefix, 0), 0u)
        << "case " << i << ": " << s;
  }
}

TEST(SecurityConfigTest, TheYamlKeysParseAndValidateConfigChecksThem) {
  const std::string yaml = std::string(testing::kTestConfigYaml) +
                           "data_dir: \"d\"\n"
                           "tls: {cert_file: s.crt, key_file: s.key, "
                           "client_ca_file: ca.crt}\n"
                           "principals:\n"
                           "  - {name: shop-1, cert_subject: shop1.example.jp,"
                           " roles: [print_shop]}\n"
                           "  - {name: ops, token_sha256: " +
                           kHash + ", roles: [auditor, compliance]}\n";
  auto c = ParseConfigYaml(yaml, "gk.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(ValidateConfig(*c).ok());
  EXPECT_EQ(c->principals_size(), 2);
  EXPECT_EQ(c->principals(1).roles(1), "compliance");

  std::string open = std::string(testing::kTestConfigYaml) + "data_dir: d\n";
  open.replace(open.find("127.0.0.1:0"), 11, "0.0.0.0:1");
  auto bad = ParseConfigYaml(open, "gk.yaml");
  ASSERT_TRUE(bad.ok()) << bad.status();
  absl::Status s = ValidateConfig(*bad);
  EXPECT_NE(Message(s).find("listen: plaintext is allowed only"),
            std::string::npos)
      << s;
}

TEST(SecurityConfigTest, LimitsHaveDefaultsAndRanges) {
  Config c = testing::TestConfig();
  ASSERT_TRUE(ValidateLimits(c).ok());
  EXPECT_EQ(c.limits().max_message_bytes(), 32u << 20);
  EXPECT_EQ(c.limits().rate_per_principal(), 50'000u);
  EXPECT_EQ(c.limits().max_batch_items(), 10'000u);
  EXPECT_EQ(c.limits().max_streams_per_principal(), 64u);
  c.mutable_limits()->set_max_batch_items(10'001);
  EXPECT_EQ(Message(ValidateLimits(c)),
            "limits.max_batch_items: expected 1 to 10000 items");
  c.mutable_limits()->set_max_batch_items(500);
  c.mutable_limits()->set_max_message_bytes(1000);
  EXPECT_EQ(Message(ValidateLimits(c)),
            "limits.max_message_bytes: expected 65536 to 1073741824 bytes");
  c.mutable_limits()->set_max_message_bytes(65536);
  c.mutable_limits()->set_rate_per_principal(20'000'000);
  EXPECT_EQ(Message(ValidateLimits(c)),
            "limits.rate_per_principal: expected 1 to 10000000 calls a second");
  c.mutable_limits()->set_rate_per_principal(10);
  EXPECT_EQ(c.limits().default_deadline_ms(), 600'000u);
  c.mutable_limits()->set_default_deadline_ms(10);
  EXPECT_EQ(Message(ValidateLimits(c)),
            "limits.default_deadline_ms: expected 1000 to 86400000 ms");
}

TEST(PrivateFileTest, AKeyReadableByOthersIsRefusedAndSaysChmod) {
  testing::TempDir dir;
  const auto path = dir.path() / "server.key";
  std::ofstream(path) << "secret";
  ::chmod(path.c_str(), 0644);
  auto r = ReadWholeFile(path, /*private_only=*/true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(r.status()).find("chmod 600"), std::string::npos)
      << r.status();
  ::chmod(path.c_str(), 0600);
  auto ok = ReadWholeFile(path, /*private_only=*/true);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "secret");
}

TEST(PrivateFileTest, AKeyOwnedBySomeoneElseIsRefusedAndSaysChown) {
  testing::TempDir dir;
  const auto path = dir.path() / "server.key";
  std::ofstream(path) << "secret";
  ::chmod(path.c_str(), 0600);
  if (::chown(path.c_str(), 65534, 65534) != 0) {
    GTEST_SKIP() << "giving a file away needs root";
  }
  auto r = ReadWholeFile(path, /*private_only=*/true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(Message(r.status()).find("is owned by uid 65534"),
            std::string::npos)
      << r.status();
  EXPECT_NE(Message(r.status()).find("chown it"), std::string::npos);
}

}  // namespace
}  // namespace gatekeeper
