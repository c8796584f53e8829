// The SQLite wrappers on a real database file in a temp dir.
#include "daemon/store/sqlite.h"

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace gatekeeper::sqlite {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  SqliteTest() {
    auto c = Connection::Open((dir_.path() / "t.db").string(),
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    EXPECT_TRUE(c.ok()) << c.status();
    db_ = *std::move(c);
    EXPECT_TRUE(
        db_->Exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)").ok());
  }

  int64_t Count() {
    auto s = db_->Prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(s.ok()) << s.status();
    EXPECT_TRUE(*s->Step());
    return s->Int(0);
  }

  testing::TempDir dir_;
  std::unique_ptr<Connection> db_;
};

// A regression: Run() used to leave the statement at its end, so binding the
// same handle again failed silently and the next Run() repeated the old row.
TEST_F(SqliteTest, RunResetsSoTheSameHandleRunsWithNewBindings) {
  auto s = db_->Prepare("INSERT OR IGNORE INTO t(k, v) VALUES(?, ?)");
  ASSERT_TRUE(s.ok()) << s.status();
  for (int64_t k = 1; k <= 3; ++k) {
    ASSERT_TRUE(s->Bind(1, k).Bind(2, "v").Run().ok());
  }
  EXPECT_EQ(Count(), 3);
}

TEST_F(SqliteTest,
       BindOnARunningStatementFailsTheStepInsteadOfReusingOldValues) {
  ASSERT_TRUE(db_->Exec("INSERT INTO t VALUES(1, 'a'), (2, 'b')").ok());
  auto s = db_->Prepare("SELECT v FROM t WHERE k >= ? ORDER BY k");
  ASSERT_TRUE(s.ok());
  s->Bind(1, int64_t{1});
  ASSERT_TRUE(*s->Step());
  s->Bind(1, int64_t{2});  // the statement is mid-run: SQLITE_MISUSE
  auto next = s->Step();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("cannot bind"), std::string::npos)
      << next.status();
}

}  // namespace
}  // namespace gatekeeper::sqlite
