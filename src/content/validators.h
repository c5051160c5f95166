// Check-digit and shape rules that confirm a pattern match is a real identifier or secret.
// Pure functions over ASCII; no allocation beyond the return values. Thread-safe.
#pragma once

#include <string_view>

namespace sendguard::content {

// Payment cards: Luhn (ISO/IEC 7812) over the digits.
bool luhn_valid(std::string_view digits);
// Issuer prefix (IIN) and a length that issuer uses: Visa, Mastercard, Amex, Discover, JCB,
// Diners, UnionPay, Maestro.
bool card_issuer_valid(std::string_view digits);
// Published test numbers (Stripe, Braintree, PayPal docs...) and degenerate ones (one or two
// distinct digits): they fill documentation and test mails, never a real card.
bool is_test_card(std::string_view digits);

// IBAN (ISO 13616): compact upper-case form; country code with its registered length, mod-97 == 1.
bool iban_valid(std::string_view compact);
// Registered IBAN length for a country code, 0 when the country has no IBAN.
int iban_length(std::string_view country);

// NHS number: 10 digits, mod-11 check digit (a remainder giving 10 is never issued).
bool nhs_valid(std::string_view digits);

// US SSN: 9 digits; SSA never issues area 000, 666 or 900-999, group 00 or serial 0000.
bool ssn_valid(std::string_view digits);
// Numbers published as examples (078-05-1120 from the Woolworth wallet insert, 123-45-6789,
// 219-09-9999 from SSA leaflets) and ones made of a single repeated digit.
bool is_sample_ssn(std::string_view digits);

// UK National Insurance number, compact 9 characters (AB123456C), HMRC prefix rules.
bool nino_valid(std::string_view compact);

// ICD-10 code such as E11.9: chapter letter and category number inside the WHO chapter ranges.
bool icd10_valid(std::string_view code);

// Shannon entropy in bits per byte.
double shannon_entropy(std::string_view s);
// How many of lower case, upper case, digits and other printable characters occur (0..4).
int char_classes(std::string_view s);

}  // namespace sendguard::content
