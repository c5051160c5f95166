#include "content/patterns.h"

#include <hs/hs.h>

namespace sendguard::content {
namespace {

constexpr unsigned kSom = HS_FLAG_SOM_LEFTMOST;
constexpr unsigned kNoCase = HS_FLAG_SOM_LEFTMOST | HS_FLAG_CASELESS;

// Numbers are matched loosely (single spaces or hyphens anywhere); the confirmers re-read the
// digit run from the match start and insist on the grouping each identifier is written in.
// Repeats are bounded so that start-of-match tracking stays cheap on long inputs.
constexpr PatternSpec kPatterns[] = {
    {R"(\b\d(?:[ -]?\d){11,18}\b)", kSom, Kind::kCard, 0},
    {R"(\b[A-Z]{2}\d{2} ?[A-Z0-9]{4})", kSom, Kind::kIban, 0},
    {R"(\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b)", kSom, Kind::kNino, 0},
    {R"(\b\d{3}[ -]?\d{3}[ -]?\d{4}\b)", kSom, Kind::kNhs, 0},
    {R"(\b\d{3}[ -]?\d{2}[ -]?\d{4}\b)", kSom, Kind::kSsn, 0},

    {R"(-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)", kSom,
     Kind::kPrivateKey, 0},
    {R"(\b(?:AKIA|ASIA)[A-Z0-9]{16}\b)", kSom, Kind::kAwsKey, 0},
    {R"(\b(?:pass(?:word|wd|phrase|code)?s?|pwd|pw|passwort|kennwort|wachtwoord|mot de passe|contrase(?:n|\xC3\xB1)a)\b)",
     kNoCase, Kind::kPassword, 0},
    {R"(\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b)", kSom, Kind::kGithub, 0},
    {R"(\bxox[baprs]-[A-Za-z0-9-]{10})", kSom, Kind::kSlack, 0},
    {R"(\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,247})", kSom, Kind::kStripe, 0},
    {R"(\beyJ[A-Za-z0-9_-]{8,}\.eyJ)", kSom, Kind::kJwt, 0},
    // No start tracking here (too large with it): the confirmer walks back from the '@'.
    {R"(://[^\s:/@'"<>]{1,64}:[^\s@/'"<>]{1,128}@[A-Za-z0-9._-])", HS_FLAG_CASELESS, Kind::kConnUrl,
     0},
    {R"(\b(?:password|pwd)\s{0,3}=)", kNoCase, Kind::kConnAdo, 0},

    {R"(\b(?:TOP[ -]SECRET|SECRET|OFFICIAL|CONFIDENTIAL|RESTRICTED|PROTECT(?:ED)?|UNCLASSIFIED|UNOFFICIAL|CUI|NATO|COSMIC|EYES ONLY|FOUO|NOFORN)\b)",
     kNoCase, Kind::kMarking, 0},
    {R"(\[SEC=)", kNoCase, Kind::kMarking, 0},
    {R"(\((?:TS|S|C|U|R|CUI|NU|NR|NC|NS|CTS)(?://|\)))", kSom, Kind::kMarking, 0},
    {R"(\b(?:classified by|derived from|declassify on|classification authority)\s{0,3}:)", kNoCase,
     Kind::kUsHint, 0},
};

constexpr PatternSpec kContextPatterns[] = {
    {R"(\b(?:credit card|debit card|card ?(?:number|no|num|holder)|cardholder|visa|master ?card|amex|american express|discover|diners|jcb|maestro|expiry|expiration|expires|exp(?:iry)? date|valid (?:thru|through)|cvv2?|cvc2?|security code|payment card|card)\b)",
     kNoCase, Kind::kContext, kCtxCard},
    {R"(\b(?:iban|bic|swift|bank|banking|account|acct|beneficiary|payee|transfer|wire|sort code|remittance)\b)",
     kNoCase, Kind::kContext, kCtxIban},
    {R"(\b(?:national insurance|nat\.? ins|ni (?:number|no)|nino|insurance number|hmrc)\b)",
     kNoCase, Kind::kContext, kCtxNino},
    {R"(\b(?:nhs|patient|health service|hospital|gp surgery|chi number|health and care number)\b)",
     kNoCase, Kind::kContext, kCtxNhs},
    {R"(\b(?:ssn|ss ?#|social security|ssa|taxpayer identification|tin)\b)", kNoCase,
     Kind::kContext, kCtxSsn},
    {R"(\b(?:aws|amazon|iam|access[ _]key|secret[ _]key|secret[ _]access[ _]key|aws_secret_access_key|aws_access_key_id)\b)",
     kNoCase, Kind::kContext, kCtxAws},
};

}  // namespace

std::span<const PatternSpec> builtin_patterns() { return kPatterns; }
std::span<const PatternSpec> context_patterns() { return kContextPatterns; }

}  // namespace sendguard::content
