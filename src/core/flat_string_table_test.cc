#include "core/flat_string_table.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace sendguard {
namespace {

TEST(FlatStringTable, FindsWhatItHoldsAndNothingElse) {
  const FlatStringTable<std::uint8_t> table({{"com", 1}, {"co.uk", 2}, {"uk", 3}, {"", 4}});
  ASSERT_NE(table.find("com"), nullptr);
  EXPECT_EQ(*table.find("com"), 1);
  EXPECT_EQ(*table.find("co.uk"), 2);
  EXPECT_EQ(*table.find("uk"), 3);
  EXPECT_EQ(*table.find(""), 4);
  EXPECT_EQ(table.find("co"), nullptr);
  EXPECT_EQ(table.find("com."), nullptr);
  EXPECT_EQ(table.find("xcom"), nullptr);
  EXPECT_TRUE(table.contains("uk"));
  EXPECT_FALSE(table.contains("UK"));
  EXPECT_EQ(table.size(), 4u);
}

TEST(FlatStringTable, AnEmptyTableFindsNothing) {
  const FlatStringTable<bool> table;
  EXPECT_TRUE(table.empty());
  EXPECT_FALSE(table.contains("anything"));
  table.prefetch(FlatStringTable<bool>::hash("anything"));  // harmless on an empty table
}

// Thousands of keys in a table at most half full: every probe sequence ends at an empty slot,
// and each key is found with its own value.
TEST(FlatStringTable, ManyKeysEachFoundWithItsValue) {
  std::vector<std::pair<std::string, std::uint16_t>> entries;
  for (std::uint16_t k = 0; k < 5000; ++k) entries.emplace_back("rule" + std::to_string(k), k);
  const FlatStringTable<std::uint16_t> table(entries);
  for (const auto& [key, value] : entries) {
    const std::uint16_t* found = table.find(key);
    ASSERT_NE(found, nullptr) << key;
    EXPECT_EQ(*found, value);
  }
  EXPECT_EQ(table.find("rule5000"), nullptr);
  EXPECT_GE(table.memory_bytes(), 5000u * 16);
}

TEST(FlatStringTable, KeysLongerThanItsLimitAreLeftOut) {
  const std::string long_key(FlatStringTable<bool>::kMaxKeyBytes + 1, 'a');
  const FlatStringTable<bool> table({{long_key, true}, {"short", true}});
  EXPECT_FALSE(table.contains(long_key));
  EXPECT_TRUE(table.contains("short"));
  EXPECT_EQ(table.size(), 1u);
}

}  // namespace
}  // namespace sendguard
