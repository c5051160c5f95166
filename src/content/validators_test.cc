#include "content/validators.h"

#include <gtest/gtest.h>

#include "content/redact.h"

namespace sendguard::content {
namespace {

TEST(ContentLuhn, AcceptsValidAndRejectsOneDigitOff) {
  EXPECT_TRUE(luhn_valid("4716290144987355"));
  EXPECT_FALSE(luhn_valid("4716290144987356"));
  EXPECT_TRUE(luhn_valid("379826415702332"));
  EXPECT_FALSE(luhn_valid("37982641570233x"));
  EXPECT_FALSE(luhn_valid(""));
}

TEST(ContentCardIssuer, PrefixesAndLengths) {
  EXPECT_TRUE(card_issuer_valid("4716290144987355"));   // Visa 16
  EXPECT_TRUE(card_issuer_valid("5520384761209343"));   // Mastercard 16
  EXPECT_TRUE(card_issuer_valid("379826415702332"));    // Amex 15
  EXPECT_TRUE(card_issuer_valid("6011749302857160"));   // Discover 16
  EXPECT_FALSE(card_issuer_valid("37982641570233"));    // Amex needs 15
  EXPECT_FALSE(card_issuer_valid("5520384761209"));     // Mastercard needs 16
  EXPECT_FALSE(card_issuer_valid("1234567812345670"));  // no issuer starts with 1
}

TEST(ContentCardIssuer, TestNumbers) {
  EXPECT_TRUE(is_test_card("4111111111111111"));
  EXPECT_TRUE(is_test_card("5555555555554444"));
  EXPECT_TRUE(is_test_card("4242424242424242"));
  EXPECT_TRUE(is_test_card("378282246310005"));
  EXPECT_FALSE(is_test_card("4716290144987355"));
}

TEST(ContentIban, Mod97AndCountryLength) {
  EXPECT_TRUE(iban_valid("GB29NWBK60161331926819"));
  EXPECT_TRUE(iban_valid("DE89370400440532013000"));
  EXPECT_TRUE(iban_valid("FR1420041010050500013M02606"));
  EXPECT_FALSE(iban_valid("GB28NWBK60161331926819"));  // check digits off by one
  EXPECT_FALSE(iban_valid("GB29NWBK6016133192681"));   // one short for GB
  EXPECT_FALSE(iban_valid("QQ29NWBK60161331926819"));  // no such country
}

TEST(ContentNhs, Mod11) {
  EXPECT_TRUE(nhs_valid("9434765919"));
  EXPECT_TRUE(nhs_valid("4010232137"));
  EXPECT_FALSE(nhs_valid("9434765918"));
  EXPECT_FALSE(nhs_valid("4010232130"));
  EXPECT_FALSE(nhs_valid("1111111111"));  // passes mod 11, never issued
}

TEST(ContentSsn, SsaRules) {
  EXPECT_TRUE(ssn_valid("536227193"));
  EXPECT_FALSE(ssn_valid("000227193"));
  EXPECT_FALSE(ssn_valid("666227193"));
  EXPECT_FALSE(ssn_valid("936227193"));
  EXPECT_FALSE(ssn_valid("536007193"));
  EXPECT_FALSE(ssn_valid("536220000"));
  EXPECT_TRUE(is_sample_ssn("078051120"));
  EXPECT_TRUE(is_sample_ssn("123456789"));
  EXPECT_FALSE(is_sample_ssn("536227193"));
}

TEST(ContentNino, HmrcPrefixRules) {
  EXPECT_TRUE(nino_valid("JG103759A"));
  EXPECT_TRUE(nino_valid("AB123456C"));
  EXPECT_FALSE(nino_valid("DA123456C"));  // D never first
  EXPECT_FALSE(nino_valid("AO123456C"));  // O never second
  EXPECT_FALSE(nino_valid("GB123456C"));  // administrative prefix
  EXPECT_FALSE(nino_valid("ZZ123456C"));
  EXPECT_FALSE(nino_valid("AB123456E"));  // suffix A-D only
}

TEST(ContentIcd10, ChapterRanges) {
  EXPECT_TRUE(icd10_valid("E11.9"));
  EXPECT_TRUE(icd10_valid("F32.1"));
  EXPECT_FALSE(icd10_valid("E95.1"));  // endocrine chapter stops at E90
  EXPECT_FALSE(icd10_valid("K99.0"));
  EXPECT_FALSE(icd10_valid("1E1.9"));
}

TEST(ContentEntropy, Classes) {
  EXPECT_EQ(char_classes("Xk9#mP2q"), 4);
  EXPECT_EQ(char_classes("password"), 1);
  EXPECT_GT(shannon_entropy("Xk9#mP2q"), shannon_entropy("aaaaaaab"));
}

TEST(ContentRedact, Masks) {
  EXPECT_EQ(mask_middle("4929 1234 5678 9012", 4, 4), "4929 **** **** 9012");
  EXPECT_EQ(mask_middle("943 476 5919", 3, 0), "943 *** ****");
  EXPECT_EQ(mask_after("AKIAQ3EGZ7T5J2XKQW4M", 4), "AKIA****************");
  EXPECT_EQ(context_before("my card 1: 4929", 11), "my card *:");
  EXPECT_EQ(printable(std::string_view("a\xff\x01z", 4)), "a? z");
}

}  // namespace
}  // namespace sendguard::content
