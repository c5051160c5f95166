// End-to-end tests of the scanner: true positives, near misses, invalid check digits, tiers.
#include "content/content.h"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace sendguard {
namespace {

const ContentScanner& scanner() {
  static const std::shared_ptr<const ContentScanner> s = [] {
    ContentOptions options;
    options.custom_detectors.push_back(
        {"org.project-falcon", {"Project Falcon"}, {R"(\bFAL-\d{4}\b)"}, 0.5});
    auto built = ContentScanner::build(options);
    EXPECT_TRUE(built.has_value()) << (built ? "" : built.error().message);
    return *built;
  }();
  return *s;
}

std::vector<Finding> scan(std::string_view text, std::string_view where = "body") {
  std::vector<Finding> out;
  scanner().scan_text(text, where, out);
  return out;
}

std::optional<Finding> find(const std::vector<Finding>& findings, std::string_view detector) {
  for (const auto& f : findings)
    if (f.detector == detector) return f;
  return std::nullopt;
}

// The confidence a detector reports for `text`, or "none".
std::string conf(std::string_view text, std::string_view detector,
                 std::string_view where = "body") {
  auto f = find(scan(text, where), detector);
  return f ? std::string(to_string(f->confidence)) : "none";
}

// --- payment cards ---
TEST(ContentCreditCard, ContextMakesHigh) {
  auto f = find(scan("Please charge my Visa card 4716 2901 4498 7355, expiry 09/27."),
                "pii.credit-card");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->confidence, Confidence::kHigh);
  EXPECT_NE(f->excerpt.find("4716 **** **** 7355"), std::string::npos) << f->excerpt;
  EXPECT_EQ(f->excerpt.find("2901"), std::string::npos);
}

TEST(ContentCreditCard, Tiers) {
  std::string filler(600, 'x');
  filler = " " + filler + " ";
  EXPECT_EQ(conf(filler + "ref 4716-2901-4498-7355" + filler, "pii.credit-card"), "medium");
  EXPECT_EQ(conf(filler + "ref 4716290144987355" + filler, "pii.credit-card"), "low");
  EXPECT_EQ(conf("card 3798 264157 02332", "pii.credit-card"), "high");  // Amex 4-6-5
  EXPECT_EQ(conf("card 5520384761209343", "pii.credit-card"), "high");
}

TEST(ContentCreditCard, TestNumbersNeverMediumOrHigh) {
  for (const char* n : {"4111 1111 1111 1111", "5555 5555 5555 4444", "4242 4242 4242 4242",
                        "378282246310005", "6011111111111117"}) {
    std::string c = conf(std::string("Card number: ") + n + " exp 12/30", "pii.credit-card");
    EXPECT_TRUE(c == "low" || c == "none") << n << " " << c;
  }
}

TEST(ContentCreditCard, NearMisses) {
  EXPECT_EQ(conf("card 4716 2901 4498 7356", "pii.credit-card"), "none");       // Luhn fails
  EXPECT_EQ(conf("card 47162 9014 4987 355", "pii.credit-card"), "none");       // odd grouping
  EXPECT_EQ(conf("card 4716 2901-4498 7355", "pii.credit-card"), "none");       // mixed separators
  EXPECT_EQ(conf("card 1234 5678 9012 3452", "pii.credit-card"), "none");       // no issuer
  EXPECT_EQ(conf("tracking 94716290144987355123", "pii.credit-card"), "none");  // longer number
  EXPECT_EQ(conf("order 12 4716 2901 4498 7355 33", "pii.credit-card"), "none");
  EXPECT_EQ(conf("total 4716290144987355.00", "pii.credit-card"), "none");
}

// --- IBAN ---
TEST(ContentIban, SpacedAndCompact) {
  EXPECT_EQ(conf("IBAN: GB29 NWBK 6016 1331 9268 19", "pii.iban"), "high");
  EXPECT_EQ(conf("pay to DE89370400440532013000 today", "pii.iban"),
            "medium");  // "pay" is not context
  std::string filler(400, 'y');
  EXPECT_EQ(conf(filler + " FR1420041010050500013M02606 " + filler, "pii.iban"), "medium");
  auto f = find(scan("IBAN GB29 NWBK 6016 1331 9268 19"), "pii.iban");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->excerpt.find("6016 1331"), std::string::npos) << f->excerpt;
}

TEST(ContentIban, InvalidCheckDigits) {
  EXPECT_EQ(conf("IBAN: GB28 NWBK 6016 1331 9268 19", "pii.iban"), "none");
  EXPECT_EQ(conf("IBAN: GB29 NWBK 6016 1331 9268 1", "pii.iban"), "none");
  EXPECT_EQ(conf("IBAN: XX29 NWBK 6016 1331 9268 19", "pii.iban"), "none");
}

// --- UK NINO ---
TEST(ContentNino, ValidWithAndWithoutContext) {
  EXPECT_EQ(conf("National Insurance number: JG 10 37 59 A", "pii.uk-nino"), "high");
  EXPECT_EQ(conf("NI number JG103759A", "pii.uk-nino"), "high");
  std::string filler(400, 'z');
  EXPECT_EQ(conf(filler + " JG 10 37 59 A " + filler, "pii.uk-nino"), "medium");
  EXPECT_EQ(conf(filler + " JG103759A " + filler, "pii.uk-nino"), "low");
  auto f = find(scan("NINO JG 10 37 59 A"), "pii.uk-nino");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->excerpt.find("37"), std::string::npos) << f->excerpt;
}

TEST(ContentNino, InvalidPrefixes) {
  for (const char* n : {"DA 12 34 56 C", "AO 12 34 56 C", "GB 12 34 56 C", "ZZ 12 34 56 C",
                        "NT 12 34 56 A", "AB 12 34 56 E", "QQ 12 34 56 C"})
    EXPECT_EQ(conf(std::string("National Insurance number ") + n, "pii.uk-nino"), "none") << n;
}

// --- NHS ---
TEST(ContentNhs, ValidNumbers) {
  EXPECT_EQ(conf("Patient NHS number: 943 476 5919", "pii.uk-nhs"), "high");
  EXPECT_EQ(conf("NHS No 401-023-2137", "pii.uk-nhs"), "high");
  EXPECT_EQ(conf("nhs 4010232137", "pii.uk-nhs"), "high");
  std::string filler(400, 'q');
  EXPECT_EQ(conf(filler + " 943 476 5919 " + filler, "pii.uk-nhs"), "low");
  auto f = find(scan("NHS number 943 476 5919"), "pii.uk-nhs");
  ASSERT_TRUE(f);
  EXPECT_NE(f->excerpt.find("943 *** ****"), std::string::npos) << f->excerpt;
}

TEST(ContentNhs, InvalidCheckDigitAndShapes) {
  EXPECT_EQ(conf("NHS number: 943 476 5918", "pii.uk-nhs"), "none");
  EXPECT_EQ(conf("NHS number: 9434 76 5919", "pii.uk-nhs"), "none");
  EXPECT_EQ(conf("NHS number: 111 111 1111", "pii.uk-nhs"), "none");
  EXPECT_EQ(conf("patient line +44 943 476 5919", "pii.uk-nhs"), "none");
  // A leading 0 is a phone shape: reported only with health words around it.
  EXPECT_EQ(conf("Patient NHS number 069 712 0554", "pii.uk-nhs"), "high");
  std::string filler(400, 'q');
  EXPECT_EQ(conf(filler + " call 069 712 0554 " + filler, "pii.uk-nhs"), "none");
}

// --- US SSN ---
TEST(ContentSsn, ValidNumbers) {
  EXPECT_EQ(conf("SSN: 536-22-7193", "pii.us-ssn"), "high");
  EXPECT_EQ(conf("Social Security Number 536 22 7193", "pii.us-ssn"), "high");
  EXPECT_EQ(conf("SSN 536227193", "pii.us-ssn"), "medium");
  std::string filler(400, 'w');
  EXPECT_EQ(conf(filler + " 536-22-7193 " + filler, "pii.us-ssn"), "low");
  EXPECT_EQ(conf(filler + " 536227193 " + filler, "pii.us-ssn"), "none");
  auto f = find(scan("SSN: 536-22-7193"), "pii.us-ssn");
  ASSERT_TRUE(f);
  EXPECT_NE(f->excerpt.find("***-**-7193"), std::string::npos) << f->excerpt;
}

TEST(ContentSsn, InvalidAndSamples) {
  for (const char* n :
       {"000-22-7193", "666-22-7193", "936-22-7193", "536-00-7193", "536-22-0000", "536-227-193"})
    EXPECT_EQ(conf(std::string("SSN: ") + n, "pii.us-ssn"), "none") << n;
  for (const char* n : {"078-05-1120", "123-45-6789"}) {
    std::string c = conf(std::string("SSN: ") + n, "pii.us-ssn");
    EXPECT_TRUE(c == "low" || c == "none") << n;
  }
}

// --- secrets ---
TEST(ContentPrivateKey, BlockWithBody) {
  std::string key = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  for (int i = 0; i < 6; ++i)
    key += "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABlwAAAAdzc2gtcn\n";
  key += "-----END OPENSSH PRIVATE KEY-----\n";
  auto f = find(scan("here is the key\n" + key), "secret.private-key");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->confidence, Confidence::kHigh);
  EXPECT_EQ(f->excerpt.find("b3Blbn"), std::string::npos);
  EXPECT_EQ(conf("-----BEGIN EC PRIVATE KEY-----\n...\n-----END EC PRIVATE KEY-----",
                 "secret.private-key"),
            "low");
}

TEST(ContentPrivateKey, PublicKeysAndCertificatesAreNot) {
  std::string body =
      "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
      "\n";
  EXPECT_EQ(conf("-----BEGIN PUBLIC KEY-----\n" + body + "-----END PUBLIC KEY-----",
                 "secret.private-key"),
            "none");
  EXPECT_EQ(conf("-----BEGIN CERTIFICATE-----\n" + body + "-----END CERTIFICATE-----",
                 "secret.private-key"),
            "none");
}

TEST(ContentAws, KeyAndSecret) {
  EXPECT_EQ(conf("key AKIAQ3EGZ7T5J2XKQW4M", "secret.aws-access-key"), "medium");
  EXPECT_EQ(conf("aws_access_key_id = AKIAQ3EGZ7T5J2XKQW4M\naws_secret_access_key = "
                 "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",
                 "secret.aws-access-key"),
            "high");
  EXPECT_EQ(conf("AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                 "secret.aws-access-key"),
            "none");
  EXPECT_EQ(conf("AKIAXXXXXXXXXXXXXXXX", "secret.aws-access-key"), "none");
  EXPECT_EQ(conf("AKIAQ3EGZ7T5J2XKQW4", "secret.aws-access-key"), "none");  // 19 chars
  auto f = find(scan("key AKIAQ3EGZ7T5J2XKQW4M"), "secret.aws-access-key");
  ASSERT_TRUE(f);
  EXPECT_NE(f->excerpt.find("AKIA****"), std::string::npos);
  EXPECT_EQ(f->excerpt.find("Q3EG"), std::string::npos);
}

TEST(ContentPassword, GivenInText) {
  EXPECT_EQ(conf("Your new password: Xk9#mP2q", "secret.password"), "high");
  EXPECT_EQ(conf("pwd=hunter2x", "secret.password"), "medium");
  EXPECT_EQ(conf("The password is Tr0ub4dor&3 for the VPN", "secret.password"), "high");
  EXPECT_EQ(conf("login: jsmith / pass Xk9#mP2qLw", "secret.password"), "high");
  EXPECT_EQ(conf("\"password\": \"Sup3r-Secr3t!\"", "secret.password"), "high");
  auto f = find(scan("password: Xk9#mP2q"), "secret.password");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->excerpt.find("Xk9"), std::string::npos) << f->excerpt;
  EXPECT_NE(f->excerpt.find("********"), std::string::npos);
}

TEST(ContentPassword, TalkAboutPasswordsIsNot) {
  for (const char* t :
       {"Please reset your password before Friday.", "Our password policy requires 12 characters.",
        "Your password must be 8 characters long.", "Password: ********",
        "password: <your password>", "The password is incorrect.",
        "Forgot password? Click the link.", "password expired", "Use a password manager.",
        "password: see attached", "passwords: 12 characters minimum",
        "Password reset link: https://example.com/reset"})
    EXPECT_EQ(conf(t, "secret.password"), "none") << t;
}

TEST(ContentTokens, Formats) {
  EXPECT_EQ(conf("token ghp_4fR8sKq2Lm9Xz7Wc1Vb6Nn3Jh5Tg0Yp8Ud2E", "secret.github-token"), "high");
  EXPECT_EQ(conf("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "secret.slack-token"),
            "high");
  EXPECT_EQ(conf("xoxb-not-a-real-token-this-will-not-work", "secret.slack-token"), "low");
  EXPECT_EQ(conf("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "secret.stripe-key"), "high");
  EXPECT_EQ(conf("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "secret.stripe-key"), "low");
  EXPECT_EQ(conf("Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                 "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
                 "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
                 "secret.jwt"),
            "high");
  EXPECT_EQ(
      conf("eyJub3Rqc29uIjoxfQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnopqrstu", "secret.jwt"),
      "none");
  EXPECT_EQ(conf("ghp_short", "secret.github-token"), "none");
}

TEST(ContentConnectionString, UrlsAndAdo) {
  EXPECT_EQ(
      conf("DATABASE_URL=postgres://app:S3cr3tPw@db.internal:5432/app", "secret.connection-string"),
      "high");
  EXPECT_EQ(
      conf("Server=sql01;Database=hr;User Id=sa;Password=Wint3r!2024;", "secret.connection-string"),
      "high");
  EXPECT_EQ(conf("postgres://user:password@localhost/db", "secret.connection-string"), "none");
  EXPECT_EQ(conf("mysql://root:${DB_PASSWORD}@db/app", "secret.connection-string"), "none");
  EXPECT_EQ(conf("https://example.com/path@foo", "secret.connection-string"), "none");
  auto f = find(scan("postgres://app:S3cr3tPw@db.internal/app"), "secret.connection-string");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->excerpt.find("S3cr3t"), std::string::npos) << f->excerpt;
}

// --- markings ---
std::optional<Finding> marking(std::string_view text, std::string_view detector,
                               std::string_view where = "body") {
  auto f = find(scan(text, where), detector);
  if (f && f->confidence == Confidence::kLow) return std::nullopt;
  return f;
}

TEST(ContentMarkingUk, BannersAndDescriptors) {
  auto f =
      marking("OFFICIAL-SENSITIVE COMMERCIAL\n\nPlease find the tender attached.", "marking.uk");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->level, "OFFICIAL-SENSITIVE");
  EXPECT_EQ(f->confidence, Confidence::kHigh);
  f = marking("Dear all,\n\n*** SECRET UK EYES ONLY ***\n", "marking.uk");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->level, "SECRET");
  f = marking("TOP SECRET\nbody\nTOP SECRET", "marking.uk");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->level, "TOP SECRET");
  f = marking("Classification: OFFICIAL\n\nMinutes of the meeting.", "marking.uk");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->level, "OFFICIAL");
  f = marking("As discussed this is OFFICIAL-SENSITIVE and must not be forwarded.", "marking.uk");
  ASSERT_TRUE(f);
  f = marking("RESTRICTED\nlegacy document", "marking.uk");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->level, "RESTRICTED");
  f = marking("OFFICIAL-SENSITIVE: contract renewal", "marking.uk", "subject");
  ASSERT_TRUE(f);
  f = marking("SECRET Budget question", "marking.uk", "subject");
  ASSERT_TRUE(f);
  EXPECT_FALSE(marking("OFFICIAL RECEIPT for your order", "marking.uk", "subject"));
  EXPECT_FALSE(marking("Top secret plans for the party", "marking.uk", "subject"));
  EXPECT_FALSE(marking("Official receipt", "marking.uk", "subject"));
}

TEST(ContentMarkingUk, OrdinaryWordsAreNot) {
  for (const char* t :
       {"Please keep your official receipt.", "Visit our official website for details.",
        "Grandma's top secret recipe for scones.", "(C) 2024 Example Ltd. All rights reserved.",
        "The secretary will send the agenda.", "Can you keep a secret?",
        "This is confidential between us, ok?", "OFFICIAL RECEIPT\nThank you for your order",
        "Official statistics were published today.", "It's no secret that sales are up.",
        "TOP SECRET RECIPE\nMix flour and sugar.", "The restricted area is closed."}) {
    for (const char* d : {"marking.uk", "marking.us", "marking.nato"})
      EXPECT_FALSE(marking(t, d)) << t << " " << d;
  }
}

TEST(ContentMarkingUs, BannersAndPortionMarks) {
  auto f = marking("SECRET//NOFORN\n\n(S//NF) The meeting moved.\n\nSECRET//NOFORN", "marking.us");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->level, "SECRET");
  EXPECT_TRUE(marking("TOP SECRET//SI//NOFORN\nbody", "marking.us"));
  EXPECT_TRUE(marking("(TS//SCI) Collection summary follows.", "marking.us"));
  f = marking("(U//FOUO) Staff list attached.", "marking.us");
  ASSERT_TRUE(f);
  f = marking("CUI\n\nControlled by: DoD", "marking.us");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->level, "CUI");
  EXPECT_TRUE(marking("Header CUI//SP-PRVCY applies", "marking.us"));
  EXPECT_TRUE(marking("CONFIDENTIAL//REL TO USA, FVEY\nbody", "marking.us"));
  // A bare SECRET banner follows the US when the text says so.
  f = marking("SECRET\nClassified By: J. Smith\nDerived From: SCG\nDeclassify On: 20351231\nSECRET",
              "marking.us");
  ASSERT_TRUE(f);
}

TEST(ContentMarkingNato, Levels) {
  auto f = marking("NATO SECRET\n\nExercise plan attached.", "marking.nato");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->level, "NATO SECRET");
  f = marking("This annex is COSMIC TOP SECRET.", "marking.nato");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->level, "COSMIC TOP SECRET");
  EXPECT_TRUE(marking("NATO RESTRICTED\nbody", "marking.nato"));
  EXPECT_FALSE(marking("NATO leaders met in Brussels to discuss secret talks.", "marking.nato"));
  EXPECT_FALSE(marking("NATO UNCLASSIFIED\nbody", "marking.nato"));  // a marking, nothing to act on
}

TEST(ContentMarkingAu, SubjectAndHeader) {
  auto f = marking("Budget figures [SEC=OFFICIAL:Sensitive]", "marking.au", "subject");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->level, "OFFICIAL:Sensitive");
  std::vector<Finding> out;
  scanner().scan_header(
      "X-Protective-Marking",
      "VER=2018.1, NS=gov.au, SEC=PROTECTED, ACCESS=Personal-Privacy, ORIGIN=a@b.gov.au", out);
  auto g = find(out, "marking.au");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->level, "PROTECTED");
  EXPECT_EQ(g->where, "header:X-Protective-Marking");
}

TEST(ContentLabelHeaders, ToolsWriteMarkings) {
  std::vector<Finding> out;
  scanner().scan_header("msip_labels",
                        "MSIP_Label_0f2f3ad1-1234-4b6c-9aaa-0123456789ab_Enabled=true; "
                        "MSIP_Label_0f2f3ad1-1234-4b6c-9aaa-0123456789ab_Name=OFFICIAL-SENSITIVE; "
                        "MSIP_Label_0f2f3ad1-1234-4b6c-9aaa-0123456789ab_Method=Standard",
                        out);
  auto f = find(out, "marking.uk");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->level, "OFFICIAL-SENSITIVE");
  out.clear();
  // base64 of <TitusMetadata><Prop name="Classification">SECRET</Prop></TitusMetadata>
  scanner().scan_header(
      "x-titus-metadata-40",
      "PFRpdHVzTWV0YWRhdGE+"
      "PFByb3AgbmFtZT0iQ2xhc3NpZmljYXRpb24iPlNFQ1JFVDwvUHJvcD48L1RpdHVzTWV0YWRhdGE+",
      out);
  f = find(out, "marking.uk");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->level, "SECRET");
  out.clear();
  scanner().scan_header("X-Classification", "TOP SECRET", out);
  ASSERT_TRUE(find(out, "marking.uk"));
  out.clear();
  scanner().scan_header("Subject", "OFFICIAL-SENSITIVE: pay review", out);
  f = find(out, "marking.uk");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->where, "subject");
  out.clear();
  scanner().scan_header("Received", "from a.example (1.2.3.4) by b.example; SECRET", out);
  EXPECT_TRUE(out.empty());
}

// --- topics ---
TEST(ContentTopics, Medical) {
  EXPECT_EQ(
      conf("Patient was diagnosed with type 2 diabetes (E11.9) and prescribed metformin 500 mg "
           "twice daily. Review at the clinic in 3 months.",
           "sensitive.medical"),
      "high");
  std::string c = conf("The hospital car park is closed for resurfacing.", "sensitive.medical");
  EXPECT_EQ(c, "none");
  c = conf("Our health and safety officer will visit the clinic on Monday.", "sensitive.medical");
  EXPECT_TRUE(c == "none" || c == "low") << c;
  EXPECT_EQ(conf("Invoice line E95.1 and K99.0 totals", "sensitive.medical"), "none");
}

TEST(ContentTopics, Travel) {
  EXPECT_EQ(
      conf("Your itinerary: flight BA 117 departs London LHR 09:40 on 14 March, arrives JFK 12:35. "
           "Booking reference QX7T2L. Hotel check-in from 15:00.",
           "sensitive.travel-itinerary"),
      "high");
  std::string c =
      conf("We should travel to the conference by train.", "sensitive.travel-itinerary");
  EXPECT_TRUE(c == "none" || c == "low") << c;
}

TEST(ContentTopics, OnlyVouchedBookingReferencesCount) {
  const std::string itinerary =
      "Flight BA 117 departs LHR 09:40. Booking reference QX7T2L. Booking code ZK4P9W.";
  auto base = find(scan(itinerary), "sensitive.travel-itinerary");
  ASSERT_TRUE(base);
  // Two booking words before one reference vouch for it once.
  auto twice = find(scan(itinerary + " Reference, ref: RT5K2M."), "sensitive.travel-itinerary");
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->count, base->count + 1);
  // One booking word vouches for every reference within its 40 bytes.
  auto two = find(scan(itinerary + " PNRs: RT5K2M, MM7Q2X."), "sensitive.travel-itinerary");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->count, base->count + 2);
  // Six capitals or digits with no booking word in the 40 bytes before them are not booking
  // references.
  const std::string far(50, ' ');
  auto unvouched =
      find(scan(itinerary + far + "Part ABCDEF, lot 7X2Q9L," + far + "code QQ12RR from the supplier."),
           "sensitive.travel-itinerary");
  ASSERT_TRUE(unvouched);
  EXPECT_EQ(unvouched->count, base->count);
}

TEST(ContentTopics, Tax) {
  EXPECT_EQ(conf("Attached are your P60 and the SA100 for your self assessment tax return. "
                 "UTR 1234567890. HMRC deadline is 31 January.",
                 "sensitive.tax"),
            "high");
  EXPECT_EQ(
      conf("Form 1040 and W-2 from your employer for the tax return; IRS e-file.", "sensitive.tax"),
      "high");
  std::string c = conf("The new tax on sugar was in the news.", "sensitive.tax");
  EXPECT_TRUE(c == "none" || c == "low") << c;
}

// --- custom detectors ---
TEST(ContentCustom, KeywordsAndPatterns) {
  EXPECT_EQ(conf("Notes on project falcon milestones", "org.project-falcon"), "medium");
  auto f = find(scan("Project Falcon status FAL-1234 and FAL-9876"), "org.project-falcon");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->confidence, Confidence::kHigh);
  EXPECT_EQ(f->count, 3);
  EXPECT_EQ(conf("the falcons flew", "org.project-falcon"), "none");
}

TEST(ContentCustom, BuildErrorsNameTheDetector) {
  ContentOptions options;
  options.custom_detectors.push_back({"org.bad", {}, {"(unclosed"}, 1.0});
  auto built = ContentScanner::build(options);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code, ErrorCode::kConfig);
  EXPECT_NE(built.error().message.find("org.bad"), std::string::npos);
  options.custom_detectors = {{"pii.mine", {"x"}, {}, 1.0}};
  EXPECT_FALSE(ContentScanner::build(options));
  options.custom_detectors = {{"org.empty", {}, {"a*"}, 1.0}};
  EXPECT_FALSE(ContentScanner::build(options));
}

// --- findings shape and limits ---
TEST(ContentFindings, OnePerDetectorWithCount) {
  auto out = scan("SSN 536-22-7193, SSN 536-22-7194 and SSN 536-22-7195");
  auto f = find(out, "pii.us-ssn");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->count, 3);
  EXPECT_EQ(f->where, "body");
}

TEST(ContentLimits, HostileInputs) {
  std::string big(16u << 20, '4');
  EXPECT_TRUE(scan(big).empty() || true);
  std::string mixed;
  for (int i = 0; i < 200000; ++i) mixed += "4716 2901 4498 7355 SECRET password: Xk9#mP2q\n";
  auto out = scan(mixed);
  auto f = find(out, "pii.credit-card");
  ASSERT_TRUE(f);
  EXPECT_LE(f->count, 1000);
  std::string binary;
  for (int i = 0; i < 1 << 16; ++i) binary += static_cast<char>(i * 7919 % 256);
  binary += std::string("\0\0NHS 943 476 5919\xff\xfe", 20);
  out = scan(binary);
  for (const auto& g : out) {
    for (unsigned char c : g.excerpt) EXPECT_GE(c, 0x20);
  }
}

TEST(ContentThreads, SharedScanner) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        if (find(scan("SSN: 536-22-7193"), "pii.us-ssn")) ++ok;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 200);
}

TEST(ContentFixtures, SampleMessageText) {
  std::ifstream in(std::string(SENDGUARD_SOURCE_DIR) + "/tests/content/hr-letter.txt");
  ASSERT_TRUE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  auto out = scan(ss.str());
  EXPECT_TRUE(find(out, "pii.uk-nino"));
  EXPECT_TRUE(find(out, "marking.uk"));
  auto f = find(out, "pii.uk-nino");
  EXPECT_EQ(f->confidence, Confidence::kHigh);
}

}  // namespace
}  // namespace sendguard
