#include "lookalike/hash_postings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace sendguard::lookalike_internal {
namespace {

std::vector<std::uint32_t> ids_under(const HashPostings& postings, std::uint64_t hash) {
  std::vector<std::uint32_t> ids;
  postings.for_each(hash, [&](std::uint32_t id) { ids.push_back(id); });
  std::sort(ids.begin(), ids.end());
  return ids;
}

// Two hashes that choose one bucket (same top 32 bits) but differ in the bits kept beside each
// id, as a quarter-pair key filed under two stem lengths does.
constexpr std::uint64_t kFirst = 0x1234'5678'0A00'0000ull;
constexpr std::uint64_t kSecond = 0x1234'5678'0B00'0000ull;

HashPostings postings_with_two_keys_in_one_bucket() {
  std::vector<std::uint64_t> packed;
  for (std::uint32_t id : {1u, 2u, 3u}) packed.push_back(HashPostings::pack(kFirst, id));
  for (std::uint32_t id : {7u, 8u}) packed.push_back(HashPostings::pack(kSecond, id));
  // Other keys, so that the table has more than one bucket and neighbours to skip.
  for (std::uint32_t k = 0; k < 200; ++k) {
    packed.push_back(HashPostings::pack(hash_key(std::to_string(k), 99), 100 + k));
  }
  return HashPostings(packed);
}

TEST(HashPostings, KeysSharingABucketAreToldApart) {
  const HashPostings postings = postings_with_two_keys_in_one_bucket();
  ASSERT_TRUE(HashPostings::same_bucket(kFirst, kSecond));
  EXPECT_EQ(ids_under(postings, kFirst), (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(ids_under(postings, kSecond), (std::vector<std::uint32_t>{7, 8}));
}

TEST(HashPostings, OnePassOverABucketServesEveryKeyInIt) {
  const HashPostings postings = postings_with_two_keys_in_one_bucket();
  const std::uint64_t both[] = {kFirst, kSecond};
  std::vector<std::uint32_t> ids;
  postings.for_each_in_bucket(both, [&](std::uint32_t id) { ids.push_back(id); });
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{1, 2, 3, 7, 8}));
}

// A line holds 15 entries; a bucket with more runs on into the next line and is read entry by
// entry, while one within its line is compared a whole line at a time.
TEST(HashPostings, ABucketRunningOverIntoTheNextLineKeepsEveryId) {
  std::vector<std::uint64_t> packed;
  std::vector<std::uint32_t> first_ids, second_ids;
  for (std::uint32_t id = 1; id <= 40; ++id) {
    packed.push_back(HashPostings::pack(id % 3 == 0 ? kSecond : kFirst, id));
    (id % 3 == 0 ? second_ids : first_ids).push_back(id);
  }
  const HashPostings postings(packed);
  EXPECT_EQ(ids_under(postings, kFirst), first_ids);
  EXPECT_EQ(ids_under(postings, kSecond), second_ids);
  const std::uint64_t both[] = {kFirst, kSecond};
  std::vector<std::uint32_t> ids;
  postings.for_each_in_bucket(both, [&](std::uint32_t id) { ids.push_back(id); });
  EXPECT_EQ(ids.size(), 40u);
}

TEST(HashPostings, OverCommonKeysAreDropped) {
  std::vector<std::uint64_t> packed;
  for (std::uint32_t id = 0; id < 5; ++id) packed.push_back(HashPostings::pack(kFirst, id));
  packed.push_back(HashPostings::pack(kSecond, 9));
  const HashPostings postings(packed, /*max_ids_per_key=*/4);
  EXPECT_TRUE(ids_under(postings, kFirst).empty());
  EXPECT_EQ(ids_under(postings, kSecond), (std::vector<std::uint32_t>{9}));
  EXPECT_EQ(postings.dropped(), 5u);
}

}  // namespace
}  // namespace sendguard::lookalike_internal
