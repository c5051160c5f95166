#!/usr/bin/env bash
# End-to-end tests of `sendguard recipients`: the real binary, real files, real exit codes.
# usage: cli_recipients_test.sh SENDGUARD_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_status() {  # expected actual what
  [ "$1" = "$2" ] || fail "$3: exit status $2, expected $1"
}

printf 'army.mil\nlloydsbank.co.uk\n# comment\naol.com\n' > "$work/known.txt"

# JSON: one object per input line, in input order, with the documented fields.
printf 'ops@army.mil\nops@army.ml\n\nnot-an-address\nfriend@example.org\n' |
  "$bin" recipients --known-domains "$work/known.txt" --format json > "$work/out.json"
expect_status 1 $? "json with a lookalike"
python3 - "$work/out.json" <<'PY' || fail "json output"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert [r["address"] for r in rows] == ["ops@army.mil", "ops@army.ml", "", "not-an-address", "friend@example.org"], rows
assert [r["verdict"] for r in rows] == ["known", "lookalike", "invalid", "invalid", "new"], rows
look = rows[1]
assert look["domain"] == "army.ml" and look["intended"] == "army.mil", look
assert look["kind"] == "top-level-domain" and 0 < look["score"] <= 1, look
assert "army.mil" in look["explanation"], look
for r in rows:
    for key in ("address", "domain", "verdict", "intended", "kind", "score", "explanation"):
        assert key in r, (key, r)
assert rows[4]["intended"] is None and rows[3]["domain"] is None
PY

# Exit 0 when nothing is flagged; addresses on the command line instead of stdin.
"$bin" recipients --known-domains "$work/known.txt" ops@army.mil friend@example.org > "$work/out.txt"
expect_status 0 $? "nothing flagged"
grep -q "VERDICT" "$work/out.txt" || fail "text output has no table header"
grep -q "friend@example.org *new" "$work/out.txt" || fail "text output lacks the new verdict"

# Text output explains a lookalike under its row.
"$bin" recipients --known-domains "$work/known.txt" "Jane <j@lloydsbank.co.um>" > "$work/out.txt"
expect_status 1 $? "text with a lookalike"
grep -q "looks like lloydsbank.co.uk" "$work/out.txt" || fail "text output lacks the explanation"

# Invalid UTF-8 and an absurdly long line are reported as invalid, never a crash.
{ printf 'a@exa\xffmple.com\n'; head -c 3000000 /dev/zero | tr '\0' 'a'; printf '@example.com\n'; } |
  "$bin" recipients --format json > "$work/hostile.json"
expect_status 1 $? "hostile input"
[ "$(wc -l < "$work/hostile.json")" = 2 ] || fail "hostile input: expected two answers"
grep -c '"verdict":"invalid"' "$work/hostile.json" | grep -q '^2$' || fail "hostile input not invalid"

# Usage and configuration errors exit 2 with a message naming the problem.
"$bin" recipients --format xml a@b.com > /dev/null 2> "$work/err.txt"
expect_status 2 $? "bad --format"
"$bin" recipients --known-domains "$work/missing.txt" a@b.com > /dev/null 2> "$work/err.txt"
expect_status 2 $? "missing known-domains file"
printf 'army.mil\nnot a domain\n' > "$work/bad-known.txt"
"$bin" recipients --known-domains "$work/bad-known.txt" a@b.com > /dev/null 2> "$work/err.txt"
expect_status 2 $? "bad known-domains file"
grep -q "bad-known.txt:2" "$work/err.txt" || fail "bad known-domains error lacks file:line: $(cat "$work/err.txt")"
printf 'version: 1\nrecipients:\n  known_domainz: []\n' > "$work/bad.yaml"
"$bin" recipients --config "$work/bad.yaml" a@b.com > /dev/null 2> "$work/err.txt"
expect_status 2 $? "bad config"
grep -q "bad.yaml:3: recipients.known_domainz" "$work/err.txt" || fail "config error lacks file:line:key: $(cat "$work/err.txt")"
printf 'version: 1\npublic_suffix_list: nowhere.dat\n' > "$work/nopsl.yaml"
"$bin" recipients --config "$work/nopsl.yaml" a@b.com > /dev/null 2> "$work/err.txt"
expect_status 2 $? "missing public suffix list"
grep -q "publicsuffix" "$work/err.txt" || fail "missing PSL error does not say which package"
"$bin" > /dev/null 2>&1
expect_status 2 $? "no subcommand"

# A config file's relative known-domains file is read relative to the config.
mkdir -p "$work/etc"
printf 'navy.mil\n' > "$work/etc/partners.txt"
printf 'version: 1\nrecipients:\n  known_domains_files: [partners.txt]\n' > "$work/etc/sendguard.yaml"
(cd / && "$bin" recipients --config "$work/etc/sendguard.yaml" --format json a@navy.ml) > "$work/out.json"
expect_status 1 $? "config-relative known domains"
grep -q '"intended":"navy.mil"' "$work/out.json" || fail "config-relative known domains not used"

# make run's example list runs on the embedded default configuration.
"$bin" recipients --known-domains "$src/config/example-known-domains.txt" \
  < "$src/config/example-recipients.txt" > "$work/example.txt"
expect_status 1 $? "example list"
grep -q "army.ml .*lookalike *army.mil" "$work/example.txt" || fail "example list: army.ml not flagged"

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "all command-line checks passed"
