#!/usr/bin/env bash
# End-to-end tests of `sendguard check`: the real binary on real message files.
# usage: cli_check_test.sh SENDGUARD_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_status() { [ "$1" = "$2" ] || fail "$3: exit status $2, expected $1"; }

printf 'army.mil\nnhs.uk\n' > "$work/known.txt"
mkdir -p "$work/mail/sub"

# A patient record marked OFFICIAL-SENSITIVE, addressed to a lookalike of a known domain.
cat > "$work/mail/leak.eml" <<'MSG'
From: Duty Officer <duty@army.mil>
To: Ward Manager <ward@nhs.uk>, records@army.ml
Subject: OFFICIAL-SENSITIVE patient transfer
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Patient: J. Smith
NHS number: 478 778 9325
Please arrange the transfer on Monday.
MSG

# An ordinary message to a known domain.
cat > "$work/mail/sub/lunch.eml" <<'MSG'
From: duty@army.mil
To: friend@army.mil
Subject: Lunch on Friday?
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Shall we try the new place on the corner? Around one o'clock.
MSG
printf 'not an eml\n' > "$work/mail/notes.txt"

"$bin" check --known-domains "$work/known.txt" --format json "$work/mail/leak.eml" > "$work/leak.json"
expect_status 1 $? "sensitive message"
python3 - "$work/leak.json" <<'PY' || fail "json output of a sensitive message"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(rows) == 1, rows
r = rows[0]
assert r["file"].endswith("leak.eml"), r["file"]
assert r["from"] == "Duty Officer <duty@army.mil>", r["from"]
verdicts = {v["domain"]: v["verdict"] for v in r["recipients"]}
assert verdicts == {"nhs.uk": "known", "army.ml": "lookalike"}, verdicts
places = [(f["detector"], f["where"]) for f in r["findings"]]
assert len(places) == len(set(places)), "a finding reported twice: %s" % places
found = {f["detector"]: f for f in r["findings"]}
assert "marking.uk" in found and found["marking.uk"]["where"] == "subject", found
assert found["marking.uk"].get("level") == "OFFICIAL-SENSITIVE", found["marking.uk"]
nhs = found.get("pii.uk-nhs")
assert nhs and nhs["confidence"] in ("medium", "high") and nhs["where"] == "body", found
text = json.dumps(r)
assert "478 778 9325" not in text and "4787789325" not in text, "full NHS number in output"
for key in ("parse_ms", "scan_ms", "total_ms"):
    assert r["timing"][key] >= 0
PY

# Envelope recipients replace the headers.
"$bin" check --known-domains "$work/known.txt" --format json --rcpt ok@army.mil "$work/mail/sub/lunch.eml" > "$work/rcpt.json"
expect_status 0 $? "clean message"
grep -q '"domain":"army.mil","verdict":"known"' "$work/rcpt.json" || fail "--rcpt not used"

# A directory is scanned for .eml files (recursively, sorted); other files are left alone.
"$bin" check --known-domains "$work/known.txt" --format json "$work/mail" > "$work/dir.json"
expect_status 1 $? "directory"
[ "$(wc -l < "$work/dir.json")" = 2 ] || fail "directory: expected two messages"

# Standard input.
"$bin" check --known-domains "$work/known.txt" --format json - < "$work/mail/sub/lunch.eml" > "$work/stdin.json"
expect_status 0 $? "standard input"
grep -q '"file":"-"' "$work/stdin.json" || fail "standard input not named '-'"

# Text output for people.
"$bin" check --known-domains "$work/known.txt" "$work/mail/leak.eml" > "$work/leak.txt"
expect_status 1 $? "text output"
grep -q "marking.uk (OFFICIAL-SENSITIVE)" "$work/leak.txt" || fail "text output lacks the marking"
grep -q "army.ml  lookalike" "$work/leak.txt" || fail "text output lacks the lookalike recipient"

# A message over the configured size limit is reported unscannable, not passed.
printf 'version: 1\ncontent:\n  limits:\n    max_message_bytes: 2048\n' > "$work/small.yaml"
head -c 5000 /dev/zero | tr '\0' 'x' | fold -w 70 > "$work/body.txt"
{ printf 'From: a@army.mil\nTo: b@army.mil\nSubject: big\n\n'; cat "$work/body.txt"; } > "$work/big.eml"
"$bin" check --config "$work/small.yaml" --format json "$work/big.eml" > "$work/big.json"
expect_status 1 $? "oversized message"
grep -q '"detector":"unscannable"' "$work/big.json" || fail "oversized message not unscannable"

# Errors: a missing file is reported and the others still checked; exit status 2.
"$bin" check --format json "$work/missing.eml" "$work/mail/sub/lunch.eml" > "$work/err.json" 2> "$work/err.txt"
expect_status 2 $? "missing file"
grep -q "missing.eml" "$work/err.txt" || fail "missing file not named"
[ "$(wc -l < "$work/err.json")" = 1 ] || fail "other files not checked after an error"
"$bin" check > /dev/null 2>&1
expect_status 2 $? "no file"

if [ "$failures" -gt 0 ]; then echo "$failures failure(s)" >&2; exit 1; fi
echo "all check command tests passed"
