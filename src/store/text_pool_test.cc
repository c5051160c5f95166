#include "store/text_pool.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendguard {
namespace {

TEST(TextPoolTest, GivesEachDistinctTextOneNumberInOrder) {
  TextPool pool;
  EXPECT_EQ(pool.intern(""), 0u);
  EXPECT_EQ(pool.intern("army.mil"), 1u);
  EXPECT_EQ(pool.intern("army.ml"), 2u);
  EXPECT_EQ(pool.intern("army.mil"), 1u);
  EXPECT_EQ(pool.intern(""), 0u);
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.text(2), "army.ml");
  EXPECT_EQ(pool.find("army.ml"), 2u);
  EXPECT_EQ(pool.find("navy.mil"), TextPool::kNotFound);
}

TEST(TextPoolTest, ViewsStayValidAndNumbersStableWhileItGrows) {
  TextPool pool;
  std::string_view first = pool.text(pool.intern("first@example.org"));
  // Enough texts to grow the index many times and fill several byte blocks, one of them
  // larger than a block on its own.
  std::vector<std::string> texts;
  for (int i = 0; i < 200'000; ++i) texts.push_back("user" + std::to_string(i) + "@example.org");
  texts.push_back(std::string(3 << 20, 'x'));
  for (const std::string& t : texts) pool.intern(t);
  EXPECT_EQ(first, "first@example.org");
  for (std::size_t i = 0; i < texts.size(); i += 997) {
    EXPECT_EQ(pool.text(pool.find(texts[i])), texts[i]);
    EXPECT_EQ(pool.find(texts[i]), i + 1);
  }
  EXPECT_EQ(pool.size(), texts.size() + 1);
  EXPECT_GT(pool.memory_bytes(), std::size_t{3} << 20);
  pool.clear();
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.find("first@example.org"), TextPool::kNotFound);
  EXPECT_EQ(pool.intern("again"), 0u);
}

}  // namespace
}  // namespace sendguard
