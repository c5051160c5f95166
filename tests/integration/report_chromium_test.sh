#!/usr/bin/env bash
# The investigation report in a real browser: headless Chromium opens report.html from disk with
# every host name unresolvable, and the test reads the page as the script left it (--dump-dom)
# and as a person sees it (--screenshot).
# usage: report_chromium_test.sh REPORT_SAMPLE_BINARY
#   REPORT_SAMPLE_BINARY writes the reports of a fixed investigation (src/investigate/report_sample.cc).
# Needs the Debian package chromium (scripts/install-deps); fails without it. As root, Chromium
# runs with --no-sandbox; a user whose Chromium refuses to start reports "skipped" (77).
set -uo pipefail
sample=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "FAIL: chromium is not installed (scripts/install-deps installs it)" >&2
  exit 1
fi

# One browser run: a throw-away profile, no GPU, no name resolution (so any network request
# would fail and show), and a hard time limit so that it can never hang the test suite.
# usage: run_browser LOG_FILE CHROMIUM_ARGS...
run_browser() {
  local log=$1
  shift
  local sandbox=()
  [ "$(id -u)" -eq 0 ] && sandbox=(--no-sandbox)
  timeout --kill-after=10 90 "$browser" --headless "${sandbox[@]}" --disable-gpu \
    --user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" \
    --host-resolver-rules="MAP * ~NOTFOUND" --no-first-run --no-default-browser-check \
    --disable-extensions --disable-background-networking --disable-component-update \
    --disable-sync --disable-default-apps --mute-audio --hide-scrollbars \
    --enable-logging=stderr --v=0 --virtual-time-budget=5000 "$@" 2> "$log"
}

# A valid PNG of a real page: large, complete, and not one colour.
check_png() {
  python3 - "$1" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert width >= 1000 and height >= 1000, (width, height)
chunks, at = [], 8
while at < len(data):
    length, kind = struct.unpack(">I4s", data[at:at + 8])
    chunks.append((kind, data[at + 8:at + 8 + length]))
    at += 12 + length
assert chunks[-1][0] == b"IEND", "truncated PNG"
pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
# A blank or single-colour page filters to almost nothing but zeros.
assert len(set(pixels)) > 64, "the screenshot looks blank"
assert sum(1 for b in pixels if b) > len(pixels) // 100, "the screenshot looks blank"
PY
}

"$sample" "$work/report" > /dev/null || { echo "FAIL: the sample report was not written" >&2; exit 1; }
"$sample" "$work/empty" --empty > /dev/null || { echo "FAIL: the empty report was not written" >&2; exit 1; }
page="file://$work/report/report.html"

status=0
run_browser "$work/dom.log" --dump-dom "$page" > "$work/dom.html" || status=$?
if [ "$status" -ne 0 ] || [ ! -s "$work/dom.html" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "skipped: chromium did not start for a user other than root (status $status)" >&2
    cat "$work/dom.log" >&2
    exit 77
  fi
  echo "FAIL: chromium exited with status $status and no page" >&2
  cat "$work/dom.log" >&2
  exit 1
fi
# The page writes nothing to the console: a console message is a script error or a refusal by
# the Content-Security-Policy (the page's own script or style blocked).
if grep -F ':CONSOLE' "$work/dom.log" >&2; then fail "console errors in report.html"; fi

python3 - "$work/dom.html" "$work/report/investigation.json" "$work/report/report.html" <<'PY' || fail "report.html after its script ran"
import collections, datetime, json, sys
from html.parser import HTMLParser

dom_file, json_file, html_file = sys.argv[1:4]
investigation = json.load(open(json_file, encoding="utf-8"))

class Page(HTMLParser):
    """Elements with their attributes, the bars of the chart with their titles, and the text."""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.stack, self.bars, self.text = [], [], [], []
        self.in_script = False
    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        self.in_script = tag == "script"
        if tag == "g" and "bar" in attrs.get("class", "").split():
            self.bars.append({"attrs": attrs, "title": None})
        if tag == "title" and self.stack and self.stack[-1] == "g" and self.bars:
            self.bars[-1]["title"] = ""
        if tag not in ("br", "meta", "input", "rect", "line"):
            self.stack.append(tag)
    def handle_endtag(self, tag):
        self.in_script = False
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass
    def handle_data(self, data):
        if self.stack and self.stack[-1] == "title" and self.bars and self.bars[-1]["title"] == "":
            self.bars[-1]["title"] = data
        if not self.in_script:
            self.text.append(data)

page = Page()
page.feed(open(dom_file, encoding="utf-8").read())
text = "".join(page.text)
by_id = {a["id"]: (t, a) for t, a in page.elements if "id" in a}

# The chart was drawn by the script: one bar per day with mail, with that day's count.
def message_key(m):
    if m["message_id"]:
        return "id:" + m["message_id"]
    if m["queue_id"]:
        return "queue:" + m["queue_id"] + "|" + m["sender"]
    return "time:" + m["time"] + "|" + m["sender"]
day_of_message = {}
for m in investigation["misdirected"]:
    day_of_message.setdefault(message_key(m), m["time"][:10])
expected = collections.Counter(day_of_message.values())
assert len(expected) >= 5, expected
chart = by_id["timeline-chart"][1]
assert chart.get("data-drawn") == "true", "the script did not draw the chart"
drawn = {b["attrs"]["data-period"]: int(b["attrs"]["data-count"]) for b in page.bars}
assert len(page.bars) == len(expected), (len(page.bars), expected)
assert drawn == dict(expected), (drawn, expected)
for bar in page.bars:
    day, count = bar["attrs"]["data-period"], expected[bar["attrs"]["data-period"]]
    want = "%s: %d message%s" % (day, count, "" if count == 1 else "s")
    assert bar["title"] and bar["title"].startswith(want), (bar["title"], want)
# The text fallback: one row per day from the first to the last, quiet days included.
dom = open(dom_file, encoding="utf-8").read()
counts = dom[dom.index('id="timeline-counts"'):]
counts = counts[:counts.index("</details>")]
first, last = min(expected), max(expected)
span = (datetime.date.fromisoformat(last) - datetime.date.fromisoformat(first)).days + 1
assert counts.count("<tr><td>") == span, (counts.count("<tr><td>"), span)
# The script ran to the end: the table's controls are shown.
assert "hidden" not in by_id["message-controls"][1], "the table controls are still hidden"
assert "Showing {0} of {0} rows".format(len(investigation["misdirected"])) in text, "row count"

# No injected markup: only the page's own scripts, no images, no event handlers, nothing that
# loads from anywhere.
scripts = [a for t, a in page.elements if t == "script"]
assert len(scripts) == 2, scripts
assert scripts[0].get("type") == "application/json" and scripts[0].get("id") == "report-data"
assert "nonce" in scripts[1], scripts[1]
for tag, attrs in page.elements:
    assert tag not in ("img", "iframe", "object", "embed", "link", "base", "form"), tag
    for name in attrs:
        assert not name.startswith("on"), (tag, name)
        assert name not in ("src", "href", "srcset", "action", "formaction", "poster",
                            "background", "xlink:href"), (tag, name, attrs[name])
# The hostile values are on the page as text.
for hostile in ('"<script>alert(1)</script>"@army.ml', "x</script><script>alert(2)</script>@evil",
                "<img src=https://tracker.invalid/p.gif onerror=alert(3)>",
                '=HYPERLINK("x")@army.mil'):
    assert hostile in text, hostile
# The file as written loads nothing either, and forbids loading anything.
written = Page()
html = open(html_file, encoding="utf-8").read()
written.feed(html)
policies = [a["content"] for t, a in written.elements
            if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
assert policies and "default-src 'none'" in policies[0], policies
assert "url(" not in html and "@import" not in html
for tag, attrs in written.elements:
    assert tag not in ("img", "iframe", "object", "embed", "link", "base", "form"), tag
    for name in attrs:
        assert name not in ("src", "href", "srcset", "action", "poster", "background"), name
PY

# As a person sees it: a real picture, not a blank page.
run_browser "$work/shot.log" --window-size=1280,2400 --screenshot="$work/report.png" "$page" \
  > /dev/null || fail "chromium could not take a screenshot"
check_png "$work/report.png" || fail "the screenshot of report.html"

# Without JavaScript the page still reads: every message, and the counts as an open table.
# Chromium's --dump-dom and --screenshot need script themselves, so the page is opened with
# its own script taken out instead of with script disabled.
python3 - "$work/report/report.html" "$work/nojs.html" <<'PY' || fail "taking the script out"
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
without, count = re.subn(r'<script nonce="[^"]*">.*?</script>', "", html, flags=re.S)
assert count == 1, count
open(sys.argv[2], "w", encoding="utf-8").write(without)
PY
run_browser "$work/nojs.log" --dump-dom "file://$work/nojs.html" > "$work/nojs-dom.html" \
  || fail "chromium without the page's script"
python3 - "$work/nojs-dom.html" "$work/report/investigation.json" <<'PY' || fail "report.html without JavaScript"
import json, sys
dom = open(sys.argv[1], encoding="utf-8").read()
entries = len(json.load(open(sys.argv[2], encoding="utf-8"))["misdirected"])
assert "data-drawn" not in dom and 'class="bar"' not in dom, "a chart without script"
assert '<details id="timeline-counts" open="">' in dom, "the counts table is not open"
assert 'id="timeline-no-script"' in dom
table = dom[dom.index('id="message-table"'):]
table = table[:table.index("</table>")]
assert table.count("<tr") == entries + 1, (table.count("<tr"), entries)
PY
run_browser "$work/nojs-shot.log" --window-size=1280,2400 --screenshot="$work/nojs.png" \
  "file://$work/nojs.html" > /dev/null || fail "chromium without the page's script"
check_png "$work/nojs.png" || fail "the screenshot of report.html without JavaScript"

# Nothing found: a clear statement, no chart, no script error.
run_browser "$work/empty.log" --dump-dom "file://$work/empty/report.html" > "$work/empty.html" \
  || fail "chromium on the empty report"
grep -q 'No misdirected messages found' "$work/empty.html" || fail "empty report: no statement"
grep -q '<svg' "$work/empty.html" && fail "empty report: a chart"
grep -F ':CONSOLE' "$work/empty.log" >&2 && fail "empty report: console errors"

if [ "$failures" -ne 0 ]; then
  echo "$failures failed" >&2
  exit 1
fi
echo "report_chromium: all checks passed"
