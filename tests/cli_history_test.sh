#!/usr/bin/env bash
# End-to-end tests of `sendguard learn`, `sendguard history domains` and `sendguard investigate`:
# the real binary over a rotated, gzipped Postfix log and a Maildir, with exit codes, the
# printed summary and the report files.
# usage: cli_history_test.sh SENDGUARD_BINARY
set -uo pipefail
# Output is searched with `grep -q PATTERN <<< "$text"`, never `producer | grep -q`: grep -q
# leaves at its first match, and under pipefail the producer's SIGPIPE would fail the check.
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_status() { [ "$1" = "$2" ] || fail "$3: exit status $2, expected $1"; }

# Fourteen days of ordinary mail to army.mil and partner.co.uk, and two slips: ops@army.ml on
# day 4 (in the gzipped, rotated log) and bob@arrny.mil on day 12.
python3 - "$work" <<'PY'
import gzip, sys
work = sys.argv[1]
def message(day, qid, sender, rcpt):
    stamp = f"2026-11-{day:02d}T10:00:00.000000+00:00 mx1"
    return (f"{stamp} postfix/cleanup[1]: {qid}: message-id=<{qid}@corp.example>\n"
            f"{stamp} postfix/qmgr[2]: {qid}: from=<{sender}>, size=900, nrcpt=1 (queue active)\n"
            f"{stamp} postfix/smtp[3]: {qid}: to=<{rcpt}>, relay=mx.remote.example[192.0.2.1]:25, "
            f"delay=0.2, delays=0/0/0.1/0.1, dsn=2.0.0, status=sent (250 ok)\n"
            f"{stamp} postfix/qmgr[2]: {qid}: removed\n")
old, new = "", ""
for day in range(1, 15):
    text = message(day, f"{day:02X}00A1", "alice@corp.example", "bob@army.mil")
    text += message(day, f"{day:02X}00B2", "alice@corp.example", "carol@partner.co.uk")
    if day == 4: text += message(day, "0400C3", "alice@corp.example", "ops@army.ml")
    if day == 12: text += message(day, "0C00C3", "erin@corp.example", "bob@arrny.mil")
    if day <= 7: old += text
    else: new += text
with gzip.open(f"{work}/mail.log.1.gz", "wt") as f: f.write(old)
open(f"{work}/mail.log", "w").write(new)
PY
mkdir -p "$work/Maildir/cur" "$work/Maildir/new" "$work/Maildir/tmp"
cat > "$work/Maildir/cur/1.host:2,S" <<'MSG'
From: Alice <alice@corp.example>
To: Bob <bob@army.ml>
Subject: Itinerary
Date: Fri, 13 Nov 2026 09:00:00 +0000
Message-ID: <maildir-slip@corp.example>

SECRET

Flight details for the visit.

SECRET
MSG
config=$work/sendguard.yaml
printf 'version: 1\npolicy:\n  internal_domains: [corp.example]\n' > "$config"
state=$work/state

# learn: counts, re-import counts nothing, known domains.
out=$("$bin" learn --config "$config" --state-dir "$state" "$work/mail.log.1.gz" "$work/mail.log" 2>&1)
expect_status 0 $? "learn"
grep -q "Read 30 messages" <<< "$out" || fail "learn summary: $out"
grep -q "30 added to the history, 0 already in it" <<< "$out" || fail "first import counts: $out"
grep -q "2 domains are now known" <<< "$out" || fail "learned domains: $out"
out=$("$bin" learn --config "$config" --state-dir "$state" "$work/mail.log.1.gz" "$work/mail.log" 2>&1)
expect_status 0 $? "learn again"
grep -q "0 added to the history, 30 already in it" <<< "$out" || fail "re-import counted again: $out"

domains=$("$bin" history domains --format json --config "$config" --state-dir "$state")
expect_status 0 $? "history domains"
echo "$domains" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
known = sorted(r["domain"] for r in rows if r["status"] == "known")
assert known == ["army.mil", "partner.co.uk"], rows
assert all(r["days"] == 14 for r in rows if r["status"] == "known"), rows
' || fail "history domains: $domains"

# learn: errors are clear and exit 2.
out=$("$bin" learn --config "$config" --state-dir "$state" "$work/missing.log" 2>&1)
expect_status 2 $? "learn from a missing file"
grep -q "missing.log" <<< "$out" || fail "the error does not name the file: $out"
printf '\x1f\x8b\x08\x00garbage' > "$work/broken.gz"
out=$("$bin" learn --config "$config" --state-dir "$state" "$work/broken.gz" 2>&1)
expect_status 2 $? "learn from a damaged gzip"
grep -q "broken.gz" <<< "$out" || fail "the gzip error does not name the file: $out"

# investigate: the slips, with the history's domains, into report files.
out=$("$bin" investigate --config "$config" --state-dir "$state" --out "$work/report" \
  "$work/mail.log.1.gz" "$work/mail.log" "$work/Maildir" 2>&1)
expect_status 1 $? "investigate with slips"
grep -q "3 recipients at lookalike domains" <<< "$out" || fail "investigate summary: $out"
grep -q "ops@army.ml  (meant army.mil?)" <<< "$out" || fail "ops@army.ml not listed: $out"
grep -q "bob@arrny.mil  (meant army.mil?)" <<< "$out" || fail "bob@arrny.mil not listed: $out"
for f in report.html misdirected.csv investigation.json; do
  [ -s "$work/report/$f" ] || fail "no $f written"
done
python3 - "$work/report/investigation.json" <<'PY' || fail "investigation.json does not hold the slips"
import json, sys
data = json.load(open(sys.argv[1]))
rows = data["misdirected"]
got = sorted((r["recipient"], r["intended"]) for r in rows)
assert got == [("bob@army.ml", "army.mil"), ("bob@arrny.mil", "army.mil"), ("ops@army.ml", "army.mil")], got
secret = [r for r in rows if r["recipient"] == "bob@army.ml"][0]
assert any(f["detector"] == "marking.uk" for f in secret["findings"]), secret
PY
[ "$(grep -c 'army.ml\|arrny.mil' "$work/report/misdirected.csv")" = 3 ] || fail "misdirected.csv rows"

# investigate --since/--until narrows the window; nothing found is exit 0.
"$bin" investigate --config "$config" --no-history --out "$work/quiet" --since 2026-11-05 \
  --until 2026-11-10 "$work/mail.log.1.gz" "$work/mail.log" > /dev/null 2>&1
expect_status 0 $? "investigate a quiet window"
out=$("$bin" investigate --config "$config" --no-history --out "$work/x" --since 2026-13-01 "$work/mail.log" 2>&1)
expect_status 2 $? "investigate with a bad date"
grep -q "expected a UTC date" <<< "$out" || fail "bad --since message: $out"

[ "$failures" = 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "PASS"
