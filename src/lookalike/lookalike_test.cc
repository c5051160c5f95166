#include "lookalike/lookalike.h"

#include <gtest/gtest.h>

#include <thread>

#include "core/config.h"

namespace sendguard {
namespace {

class LookalikeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto psl = PublicSuffixList::load(PublicSuffixList::kDefaultPath);
    ASSERT_TRUE(psl.has_value()) << psl.error().message;
    LookalikeOptions options;
    options.known_domains = {"army.mil",
                             "dod.mil",
                             "af.mil",
                             "mail.navy.mil",
                             "lloydsbank.co.uk",
                             "company.co.uk",
                             "aol.com",
                             "apple.com",
                             "amazon.com",
                             "nhs.uk",
                             "gchq.gov.uk",
                             "ucl.ac.uk",
                             "northropgrumman.com",
                             "salesforce.com",
                             "santander.co.uk",
                             "mil.be",
                             "kongsberg.com",
                             "natwest.com",
                             "bücher.de",
                             "stanford.edu",
                             "gmail.com",
                             "caltech.edu",
                             "spaceforce.mil"};
    options.sister_groups = {{"nhs.uk", "nhs.net"}, {"army.mil", "armymil.co"}};
    options.trusted_suffixes = {"gov.uk"};
    options.mail_providers = embedded_mail_providers();
    auto built =
        LookalikeIndex::build(options, std::make_shared<const PublicSuffixList>(std::move(*psl)));
    ASSERT_TRUE(built.has_value()) << built.error().message;
    index_ = new std::shared_ptr<const LookalikeIndex>(*built);
  }
  static void TearDownTestSuite() { delete index_; }

  static RecipientVerdict check(std::string_view address) {
    return (*index_)->check_address(address);
  }

  static void expect_lookalike(std::string_view address, std::string_view intended,
                               std::string_view kind = "") {
    RecipientVerdict v = check(address);
    EXPECT_EQ(to_string(v.verdict), "lookalike")
        << address << " (" << v.kind << ") " << v.explanation;
    EXPECT_EQ(v.intended, intended) << address;
    if (!kind.empty()) {
      EXPECT_EQ(v.kind, kind) << address << ": " << v.explanation;
    }
    EXPECT_GT(v.score, 0.0) << address;
    EXPECT_LE(v.score, 1.0) << address;
    EXPECT_FALSE(v.explanation.empty()) << address;
  }

  static void expect_verdict(std::string_view address, Verdict verdict,
                             std::string_view kind = "") {
    RecipientVerdict v = check(address);
    EXPECT_EQ(to_string(v.verdict), to_string(verdict))
        << address << " intended " << v.intended << " (" << v.kind << ") " << v.explanation;
    if (!kind.empty()) {
      EXPECT_EQ(v.kind, kind) << address;
    }
  }

  static std::shared_ptr<const LookalikeIndex>* index_;
};
std::shared_ptr<const LookalikeIndex>* LookalikeTest::index_ = nullptr;

TEST_F(LookalikeTest, KnownExactSubdomainAndCase) {
  expect_verdict("ops@army.mil", Verdict::kKnown, "exact");
  expect_verdict("OPS@ARMY.MIL", Verdict::kKnown, "exact");
  expect_verdict("ops@hq.army.mil", Verdict::kKnown, "subdomain");
  expect_verdict("ops@deep.hq.lloydsbank.co.uk", Verdict::kKnown, "subdomain");
  expect_verdict("Ops <ops@army.mil.>", Verdict::kKnown, "exact");
  expect_verdict("info@xn--bcher-kva.de", Verdict::kKnown, "exact");
  EXPECT_EQ(check("ops@hq.army.mil").intended, "army.mil");
}

TEST_F(LookalikeTest, SisterOfKnownDomainIsKnownAndNotALookalike) {
  expect_verdict("a@nhs.net", Verdict::kKnown);
  // armymil.co would otherwise be "army.mil written inside another domain".
  expect_verdict("a@armymil.co", Verdict::kKnown);
}

TEST_F(LookalikeTest, TopLevelDomainTypos) {
  expect_lookalike("a@army.ml", "army.mil", "top-level-domain");
  expect_lookalike("a@apple.co", "apple.com", "top-level-domain");
  expect_lookalike("a@apple.cm", "apple.com");
  expect_lookalike("a@apple.om", "apple.com");
  expect_lookalike("a@apple.con", "apple.com");
  expect_lookalike("a@natwest.comm", "natwest.com");
  expect_lookalike("a@lloydsbank.co.um", "lloydsbank.co.uk");
  expect_lookalike("a@ucl.ac.um", "ucl.ac.uk");
  EXPECT_EQ(check("a@army.ml").explanation,
            "army.ml looks like army.mil with the letter i missing from the top-level domain.");
  EXPECT_NE(check("a@lloydsbank.co.um").explanation.find("in the ending .co.uk"),
            std::string::npos);
}

TEST_F(LookalikeTest, SecondLevelSuffixSwaps) {
  expect_lookalike("a@company.org.uk", "company.co.uk", "suffix-swap");
  expect_lookalike("a@company.uk", "company.co.uk", "suffix-swap");
  expect_lookalike("a@lloydsbank.ltd.uk", "lloydsbank.co.uk", "suffix-swap");
}

TEST_F(LookalikeTest, SlipsInTheName) {
  expect_lookalike("a@arrny.mil", "army.mil");
  expect_lookalike("a@amazn.com", "amazon.com", "omission");
  expect_lookalike("a@amazoon.com", "amazon.com", "repetition");
  expect_lookalike("a@amazpn.com", "amazon.com", "keyboard");    // QWERTY neighbours
  expect_lookalike("a@amaxon.com", "amazon.com", "keyboard");    // z and x
  expect_lookalike("a@nazwest.com", "natwest.com", "keyboard");  // QWERTZ: t and z touch
  expect_lookalike("a@appme.com", "apple.com", "keyboard");      // AZERTY: l and m touch
  expect_lookalike("a@amazom.com", "amazon.com");
  expect_lookalike("a@amzaon.com", "amazon.com", "transposition");
  expect_lookalike("a@kongsburg.com", "kongsberg.com", "vowel-swap");
  expect_lookalike("a@apples.com", "apple.com");  // plural
  expect_lookalike("a@sales-force.com", "salesforce.com", "hyphenation");
  expect_lookalike("a@uch.ac.uk", "ucl.ac.uk", "bitsquat");
  expect_lookalike("a@amazqn.com", "amazon.com");  // arbitrary, long enough
  expect_lookalike("a@northropgruman.com", "northropgrumman.com");
}

TEST_F(LookalikeTest, TwoEditsOnLongNamesOnly) {
  expect_lookalike("a@nortrhopgruman.com", "northropgrumman.com", "two-edits");
  expect_lookalike("a@salezforse.com", "salesforce.com", "two-edits");
  // Two arbitrary changes to a short name make another name.
  expect_verdict("a@abx.com", Verdict::kNew);
  expect_verdict("a@bpple.org", Verdict::kNew);
}

TEST_F(LookalikeTest, TwoEditsWhereverTheyFall) {
  // Two-edit candidates come from the quarters of the name that the edits left alone. A swap
  // across the boundary of two quarters plus one more edit leaves a single quarter intact
  // (northropgrumman's quarters are nor|thro|pgru|mman); each of these needs the keys of the
  // name with that swap undone.
  expect_lookalike("a@notrhropgrummna.com", "northropgrumman.com", "two-edits");
  expect_lookalike("a@nrothrpogrumman.com", "northropgrumman.com", "two-edits");
  expect_lookalike("a@morthropgrmuman.com", "northropgrumman.com", "two-edits");
  // Both edits in one quarter, and two insertions.
  expect_lookalike("a@nortthhropgrumman.com", "northropgrumman.com", "two-edits");
  expect_lookalike("a@northropgrumnam.com", "northropgrumman.com");
}

TEST_F(LookalikeTest, ShortNamesNeedAPlausibleSlip) {
  expect_lookalike("a@akl.com", "aol.com");    // neighbouring key
  expect_lookalike("a@a0l.com", "aol.com");    // looks alike
  expect_verdict("a@abl.com", Verdict::kNew);  // b is nowhere near o
  expect_verdict("a@dax.mil", Verdict::kNew);  // one arbitrary edit on a 3-letter name
}

TEST_F(LookalikeTest, DotsDroppedOrAdded) {
  expect_lookalike("a@mailnavy.mil", "mail.navy.mil", "dot");
  expect_lookalike("a@milbe.com", "mil.be", "embedded");
  expect_lookalike("a@santandercouk.com", "santander.co.uk", "embedded");
}

TEST_F(LookalikeTest, KnownDomainEmbeddedInAnother) {
  expect_lookalike("a@army-mil.com", "army.mil", "embedded");
  expect_lookalike("a@army.mil.com", "army.mil", "embedded");
  expect_lookalike("a@secure-army-mil.net", "army.mil", "embedded");
  // Not embedded: the letters occur, but not as the known domain's own words.
  expect_verdict("a@olivecompany.com", Verdict::kNew);
}

TEST_F(LookalikeTest, UnicodeHomoglyphs) {
  expect_lookalike("a@\u0430rmy.mil", "army.mil", "homoglyph");                   // Cyrillic a
  expect_lookalike("a@\u0430\u0440\u0440l\u0435.com", "apple.com", "homoglyph");  // whole-script
  expect_lookalike("a@\u03bAongsberg.com", "kongsberg.com", "homoglyph");         // Greek kappa
  expect_lookalike("a@xn--rmy-5cd.mil", "army.mil", "homoglyph");                 // as punycode
  // A homoglyph and a slip together.
  expect_lookalike("a@\u0430rny.mil", "army.mil", "homoglyph");
  RecipientVerdict v = check("a@\u0430rmy.mil");
  EXPECT_NE(v.explanation.find("Cyrillic"), std::string::npos) << v.explanation;
}

TEST_F(LookalikeTest, AsciiHomoglyphsBeyondUts39) {
  expect_lookalike("a@rnail.navy.mil", "mail.navy.mil");
  expect_lookalike("a@clod.mil", "dod.mil", "homoglyph-ascii");
  expect_lookalike("a@d0d.mil", "dod.mil", "homoglyph-ascii");
  expect_lookalike("a@app1e.com", "apple.com");
  expect_lookalike("a@amazorn.com", "amazon.com");
  expect_lookalike("a@natvvest.com", "natwest.com");
  expect_lookalike("a@salesforce.corn", "salesforce.com");
}

TEST_F(LookalikeTest, MailProvidersAreNeverLookalikes) {
  expect_verdict("a@ymail.com", Verdict::kNew, "mail-provider");  // not gmail.com
  expect_verdict("a@mail.com", Verdict::kNew, "mail-provider");
  expect_verdict("a@email.com", Verdict::kNew, "mail-provider");
  expect_verdict("a@aim.com", Verdict::kNew, "mail-provider");    // not aol.com
  expect_lookalike("a@gmial.com", "gmail.com", "transposition");  // a real typo still is
}

TEST_F(LookalikeTest, TrustedSuffixesAreNeverLookalikes) {
  expect_verdict("a@gchg.gov.uk", Verdict::kNew, "trusted-suffix");
  expect_verdict("a@gchq.gov.uk", Verdict::kKnown);
}

TEST_F(LookalikeTest, UnrelatedDomainsAreNew) {
  for (const char* address :
       {"a@example.org", "a@wikipedia.org", "a@bbc.co.uk", "a@army.com", "a@apple.de",
        "a@amazon.co.jp", "a@mil.gov.au", "a@navy.mil", "a@lloyds.com", "a@nato.int"}) {
    expect_verdict(address, Verdict::kNew);
  }
}

TEST_F(LookalikeTest, InvalidAddressesAndDomains) {
  expect_verdict("not an address", Verdict::kInvalid, "syntax");
  expect_verdict("", Verdict::kInvalid, "syntax");
  expect_verdict("a@exa\xffmple.com", Verdict::kInvalid, "syntax");
  expect_verdict("a@unrelated.notatld", Verdict::kInvalid, "unknown-tld");
  expect_verdict("root@[192.0.2.1]", Verdict::kNew, "address-literal");
  RecipientVerdict v = check("a@b@c");
  EXPECT_FALSE(v.explanation.empty());
  EXPECT_TRUE(v.intended.empty());
}

TEST_F(LookalikeTest, SharedAcrossThreadsGivesTheSameAnswers) {
  const std::vector<std::string> inputs = {"a@army.ml", "a@army.mil", "a@\u0430rmy.mil",
                                           "a@example.org", "a@amzaon.com"};
  std::vector<std::string> expected;
  for (const auto& in : inputs) expected.push_back(check(in).intended + "/" + check(in).kind);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches = 0;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        for (std::size_t i = 0; i < inputs.size(); ++i) {
          RecipientVerdict v = check(inputs[i]);
          if (v.intended + "/" + v.kind != expected[i]) ++mismatches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(LookalikeBuild, InvalidKnownDomainIsAConfigError) {
  auto psl = PublicSuffixList::load(PublicSuffixList::kDefaultPath);
  ASSERT_TRUE(psl.has_value());
  LookalikeOptions options;
  options.known_domains = {"army.mil", "bad domain.com"};
  auto built =
      LookalikeIndex::build(options, std::make_shared<const PublicSuffixList>(std::move(*psl)));
  ASSERT_FALSE(built.has_value());
  EXPECT_EQ(built.error().code, ErrorCode::kConfig);
  EXPECT_NE(built.error().message.find("bad domain.com"), std::string::npos);
}

TEST(LookalikeBuild, CrowdedListsAllowTwoEditsOnlyInLongerNames) {
  auto psl = PublicSuffixList::load(PublicSuffixList::kDefaultPath);
  ASSERT_TRUE(psl.has_value());
  auto suffixes = std::make_shared<const PublicSuffixList>(std::move(*psl));
  LookalikeOptions options;
  options.known_domains = {"natwest.com", "kongsberg.com", "salesforce.com"};
  auto relaxed = LookalikeIndex::build(options, suffixes);
  options.crowded_at = 3;
  auto crowded = LookalikeIndex::build(options, suffixes);
  ASSERT_TRUE(relaxed.has_value() && crowded.has_value());
  auto verdict = [](const auto& index, std::string_view address) {
    return std::string(to_string(index->check_address(address).verdict));
  };
  // Two slips in a 7-letter name: a lookalike among a few names, not among a crowd.
  EXPECT_EQ(verdict(*relaxed, "a@matwezt.com"), "lookalike");
  EXPECT_EQ(verdict(*crowded, "a@matwezt.com"), "new");
  // One slip is a lookalike either way, and so are two slips in a 9-letter name.
  EXPECT_EQ(verdict(*crowded, "a@matwest.com"), "lookalike");
  EXPECT_EQ(verdict(*crowded, "a@konsgberh.com"), "lookalike");
  // Two arbitrary edits need 12 letters when crowded.
  EXPECT_EQ(verdict(*relaxed, "a@koqgsbxrg.com"), "lookalike");
  EXPECT_EQ(verdict(*crowded, "a@koqgsbxrg.com"), "new");
  // Beside a second edit, a vowel for a vowel counts as an arbitrary edit in a crowd: a
  // neighbouring key and a vowel apart is two slips among a few names, another name among many.
  EXPECT_EQ(verdict(*relaxed, "a@kongsbarh.com"), "lookalike");
  EXPECT_EQ(verdict(*crowded, "a@kongsbarh.com"), "new");
  // Alone it is still a slip.
  EXPECT_EQ(verdict(*crowded, "a@kongsbarg.com"), "lookalike");
}

TEST(LookalikeBuild, APublicSuffixInsideTheQueryIsNotALookalike) {
  auto psl = PublicSuffixList::load(PublicSuffixList::kDefaultPath);
  ASSERT_TRUE(psl.has_value());
  LookalikeOptions options;
  options.known_domains = {"com.at"};
  auto built =
      LookalikeIndex::build(options, std::make_shared<const PublicSuffixList>(std::move(*psl)));
  ASSERT_TRUE(built.has_value());
  // com.au is a public suffix: shop.com.au belongs to whoever registered "shop", not to a
  // neighbour of com.at.
  EXPECT_EQ((*built)->check_address("a@shop.com.au").verdict, Verdict::kNew);
  EXPECT_EQ((*built)->check_address("a@kom.at").verdict, Verdict::kLookalike);
}

TEST(LookalikeBuild, SisterGroupsChainThroughASharedMember) {
  auto psl = PublicSuffixList::load(PublicSuffixList::kDefaultPath);
  ASSERT_TRUE(psl.has_value());
  LookalikeOptions options;
  options.known_domains = {"army.mil"};
  options.sister_groups = {{"army.mil", "armymil.co"}, {"armymil.co", "armymil.net"}};
  auto built =
      LookalikeIndex::build(options, std::make_shared<const PublicSuffixList>(std::move(*psl)));
  ASSERT_TRUE(built.has_value());
  EXPECT_EQ((*built)->check_address("a@armymil.co").verdict, Verdict::kKnown);
  EXPECT_EQ((*built)->check_address("a@armymil.net").verdict, Verdict::kKnown);
  EXPECT_EQ((*built)->size(), 3u);
}

TEST(LookalikeBuild, EmptyKnownListFlagsNothingButInvalid) {
  auto psl = PublicSuffixList::load(PublicSuffixList::kDefaultPath);
  ASSERT_TRUE(psl.has_value());
  auto built = LookalikeIndex::build({}, std::make_shared<const PublicSuffixList>(std::move(*psl)));
  ASSERT_TRUE(built.has_value());
  EXPECT_EQ((*built)->check_address("a@army.ml").verdict, Verdict::kNew);
  EXPECT_EQ((*built)->check_address("nonsense").verdict, Verdict::kInvalid);
}

}  // namespace
}  // namespace sendguard
