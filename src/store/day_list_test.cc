#include "store/day_list.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sendguard::store_internal {
namespace {

using Days = std::vector<std::int64_t>;

TEST(DayListTest, RoundTripsDaysIncludingNegativeAndFarOffOnes) {
  for (const Days& days : {Days{}, Days{0}, Days{20'000, 20'001, 20'400},
                           Days{-719'162, -1, 0, 2'932'896}, Days{INT64_MIN / 4, INT64_MAX / 4}}) {
    std::string encoded = encode_day_list(days);
    auto decoded = decode_day_list(encoded);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, days);
  }
}

TEST(DayListTest, ADenseYearTakesAByteADay) {
  Days year;
  for (std::int64_t d = 20'000; d < 20'365; ++d) year.push_back(d);
  EXPECT_EQ(encode_day_list(year).size(), 3u + 364u);
}

TEST(DayListTest, MergingKeepsEachDayOnce) {
  auto merged = merge_day_lists(encode_day_list(Days{3, 5, 9}), encode_day_list(Days{1, 5, 10}));
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(decode_day_list(*merged).value(), (Days{1, 3, 5, 9, 10}));
  auto same = merge_day_lists(encode_day_list(Days{3, 5}), encode_day_list(Days{5}));
  EXPECT_EQ(decode_day_list(same.value()).value(), (Days{3, 5}));
  EXPECT_EQ(decode_day_list(merge_day_lists("", "").value()).value(), Days{});
}

TEST(DayListTest, RefusesWhatIsNotADayList) {
  EXPECT_FALSE(decode_day_list(std::string("\x80", 1)));            // truncated varint
  EXPECT_FALSE(decode_day_list(std::string("\x02\x00", 2)));        // a gap of zero
  EXPECT_FALSE(decode_day_list(std::string(11, '\xff')));           // longer than 64 bits
  EXPECT_FALSE(decode_day_list(std::string("\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02", 11)));
  EXPECT_FALSE(merge_day_lists(std::string("\x80", 1), ""));
}

}  // namespace
}  // namespace sendguard::store_internal
