#!/usr/bin/env bash
# The gateway end to end: a real Postfix on loopback with sendguard as its milter, smtp-sink as
# the next hop, swaks as the client. Shows that
#   - mail to army.ml is refused at RCPT time, and the reply names army.mil;
#   - mail to a known domain is delivered once, with sendguard's headers;
#   - OFFICIAL-SENSITIVE mail to an uncleared domain is held, listed by `sendguard quarantine
#     list`, and reaches the sink exactly once after `sendguard quarantine release` (a second
#     release is refused);
#   - monitor mode delivers everything and records what it would have done;
#   - drop-recipient removes only the offending recipient at the end of the message, and the
#     sender gets a notice (from the null sender, Auto-Submitted) naming it; a bounce gets none;
#   - a sender's override lets marked mail through, and the override header and subject tag do
#     not leave with it;
#   - mail to a recipient domain nobody has written to is tagged as first-time; once it was
#     delivered, the history knows the domain and the next message is not;
#   - killing sendguard while mail is in flight loses nothing: an upstream relay defers the mail
#     and delivers it once sendguard is back;
#   - on a unix socket (gateway.socket_mode sets its mode) Postfix reaches sendguard, a
#     lookalike is refused at RCPT and other mail is delivered tagged.
# usage: gateway_postfix_test.sh SENDGUARD_BINARY
set -euo pipefail
# Output is searched with `grep -q PATTERN <<< "$text"`, never `producer | grep -q`: grep -q
# leaves at its first match, and under pipefail the producer's SIGPIPE would fail the check.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$(realpath "$1")
source "$here/postfix-harness.sh"
[ "$(id -u)" -eq 0 ] || { echo "needs root (Postfix's master runs as root); skipped" >&2; exit 77; }

harness_setup
printf 'army.mil\npartner.co.uk\n' > "$HARNESS_ROOT/known.txt"

# Writes a configuration for one sendguard instance: the shipped default policy, with the
# organisation's own domain, the Postfix instance whose hold queue it uses, and a mode.
write_config() {  # FILE POSTFIX_INSTANCE MODE
  cat > "$1" <<YAML
version: 1
policy:
  mode: $3
  internal_domains: [example.org]
history:
  signals_after_messages: 0   # a fresh history speaks at once
gateway:                      # last: a scenario may append its own gateway settings
  postfix_config_dir: $(postfix_config_dir "$2")
YAML
  # The default rules apply: a policy section without rules keeps the shipped ones.
}

# Starts a milter and sets started_pid. MILTER_PORT CONFIG STATE_DIR LOG
start_milter() {
  "$bin" milter --listen "inet:$1@127.0.0.1" --config "$2" --known-domains "$HARNESS_ROOT/known.txt" \
    --state-dir "$3" >> "$4" 2>&1 &
  started_pid=$!
  harness_on_teardown "kill $started_pid 2>/dev/null || true"
  harness_wait_for_port "$1" 60 || harness_fail "sendguard milter did not start: $(cat "$4")"
}

sg() { "$bin" "$@" --config "$config" --state-dir "$state"; }

sink_start sink
milter_port=$(harness_free_port)
postfix_start mx --relay-port "$(sink_port sink)" --milter "inet:127.0.0.1:$milter_port"
config=$HARNESS_ROOT/sendguard.yaml
state=$HARNESS_ROOT/state
write_config "$config" mx enforce
"$bin" config check "$config" > /dev/null || harness_fail "the test configuration is not valid"
start_milter "$milter_port" "$config" "$state" "$HARNESS_ROOT/milter.log"
gateway_pid=$started_pid
mx_port=$(postfix_smtpd_port mx)

echo "1. a lookalike recipient is refused at RCPT with the intended domain"
status=0
transcript=$(smtp_send "$mx_port" --from alice@example.org --to bob@army.ml) || status=$?
reply=$(smtp_reply_to "RCPT TO" "$transcript")
grep -q ' 550 5.7.1 ' <<< "$reply" || harness_fail "army.ml not refused at RCPT: $reply"
grep -q 'army.mil' <<< "$reply" || harness_fail "the reply does not name army.mil: $reply"
grep -q 'Did you mean bob@army.mil?' <<< "$reply" || harness_fail "no suggestion in the reply: $reply"

echo "2. mail to a known domain is delivered once, with sendguard's headers"
smtp_send "$mx_port" --from alice@example.org --to carol@army.mil --header "X-Test-Id: known-1" \
  --body "Lunch on Friday?" > /dev/null || harness_fail "mail to army.mil was not accepted"
sink_wait_for_count sink 1
[ "$(sink_count_matching sink '^X-Test-Id: known-1')" = 1 ] || harness_fail "known-domain mail not delivered once"
[ "$(sink_count_matching sink '^X-Sendguard-Action: tag')" = 1 ] || harness_fail "no X-Sendguard-Action header"

# The sink's file of the message with this X-Test-Id.
sink_file_of() {  # SINK TEST_ID
  grep -rl -e "^X-Test-Id: $2\$" "$(sink_mail_dir "$1")" | head -n 1
}

echo "2b. a first-time recipient domain is tagged; once delivered, it is history"
smtp_send "$mx_port" --from alice@example.org --to erin@firsttime-example.com \
  --header "X-Test-Id: first-1" --body "Hello Erin." > /dev/null || harness_fail "first-time mail not accepted"
sink_wait_for_count sink 2
grep -q '^X-Sendguard-Rule: first-time-recipient-domain' "$(sink_file_of sink first-1)" ||
  harness_fail "the first message to firsttime-example.com is not tagged first-time: $(cat "$(sink_file_of sink first-1)")"
grep -q '^X-Sendguard-Findings:.*recipient.first-time-domain' "$(sink_file_of sink first-1)" ||
  harness_fail "no recipient.first-time-domain finding in the headers"
# The gateway writes its history about once a second.
sleep 2
smtp_send "$mx_port" --from alice@example.org --to frank@firsttime-example.com \
  --header "X-Test-Id: first-2" --body "Hello Frank." > /dev/null || harness_fail "second mail not accepted"
sink_wait_for_count sink 3
grep -q '^X-Sendguard-Rule: tag-inspected' "$(sink_file_of sink first-2)" ||
  harness_fail "the second message to firsttime-example.com is still first-time: $(cat "$(sink_file_of sink first-2)")"

echo "2c. an override lets marked mail through, and the confirmation stays behind"
smtp_send "$mx_port" --from alice@example.org --to dave@override-example.com \
  --header "Subject: Budget [override: agreed with their finance director]" \
  --header "X-Sendguard-Override: contract 2291 signed, DPA in place" --header "X-Test-Id: override-1" \
  --body $'OFFICIAL-SENSITIVE\n\nThe budget figures for next year.\n\nOFFICIAL-SENSITIVE' > /dev/null ||
  harness_fail "the overridden message was not accepted"
sink_wait_for_count sink 4
override_file=$(sink_file_of sink override-1)
[ -n "$override_file" ] || harness_fail "the overridden message did not reach the sink"
override_copy=$(cat "$override_file")
grep -qi '^X-Sendguard-Override:' <<< "$override_copy" &&
  harness_fail "the override header left with the message: $override_copy"
grep -q '^Subject: Budget$' <<< "$override_copy" ||
  harness_fail "the subject still carries the override tag: $override_copy"
grep -q '^X-Sendguard-Overridden: confirmed by the sender' <<< "$override_copy" ||
  harness_fail "the overridden message is not marked as such: $override_copy"
audit=$(sg audit --format json)
grep -q '"override_justification":"contract 2291 signed, DPA in place"' <<< "$audit" ||
  harness_fail "the justification is not in the audit log: $audit"

echo "3. OFFICIAL-SENSITIVE mail to an uncleared domain is held, then released exactly once"
transcript=$(smtp_send "$mx_port" --from alice@example.org --to dave@newcorp-example.com \
  --header "Subject: Budget" --header "X-Test-Id: held-1" \
  --body $'OFFICIAL-SENSITIVE\n\nThe budget figures for next year.\n\nOFFICIAL-SENSITIVE') ||
  harness_fail "the marked message was not accepted: $transcript"
queue_id=$(smtp_queue_id "$transcript")
queue_wait_for mx hold "$queue_id" 30 || harness_fail "message $queue_id is not in the hold queue"
listing=$(sg quarantine list --format json)
[ "$(echo "$listing" | grep -c .)" = 1 ] || harness_fail "expected one held message, got: $listing"
id=$(echo "$listing" | python3 -c 'import json,sys; e=json.loads(sys.stdin.readline()); print(e["id"])')
echo "$listing" | python3 -c '
import json, sys
e = json.loads(sys.stdin.readline())
assert e["queue_id"] == sys.argv[1], e
assert e["sender"] == "alice@example.org", e
assert e["recipients"] == ["dave@newcorp-example.com"], e
assert e["rule"] == "marked-to-unknown-domain", e
' "$queue_id" || harness_fail "quarantine list does not describe the held message: $listing"
sleep 2
[ "$(sink_count_matching sink '^X-Test-Id: held-1')" = 0 ] || harness_fail "held mail reached the sink"
sg quarantine release "$id" > /dev/null || harness_fail "release failed"
if sg quarantine release "$id" > /dev/null 2>&1; then harness_fail "a second release was accepted"; fi
for _ in $(seq 60); do [ "$(sink_count_matching sink '^X-Test-Id: held-1')" = 1 ] && break; sleep 0.5; done
queue_wait_empty mx
sleep 1
[ "$(sink_count_matching sink '^X-Test-Id: held-1')" = 1 ] || harness_fail "released mail did not arrive exactly once"
entries=$(sg quarantine list --all --format json)
grep -q '"state":"released"' <<< "$entries" || harness_fail "entry not marked released: $entries"
audit=$(sg audit --format json)
grep -q '"action":"release"' <<< "$audit" || harness_fail "the release is not in the audit log: $audit"

echo "4. monitor mode delivers everything and records what it would have done"
sink_start sink2
monitor_port=$(harness_free_port)
postfix_start mon --relay-port "$(sink_port sink2)" --milter "inet:127.0.0.1:$monitor_port"
monitor_config=$HARNESS_ROOT/monitor.yaml
write_config "$monitor_config" mon monitor
start_milter "$monitor_port" "$monitor_config" "$HARNESS_ROOT/state-monitor" "$HARNESS_ROOT/milter-monitor.log"
smtp_send "$(postfix_smtpd_port mon)" --from alice@example.org --to bob@army.ml --header "X-Test-Id: mon-1" \
  > /dev/null || harness_fail "monitor mode refused a lookalike recipient"
smtp_send "$(postfix_smtpd_port mon)" --from alice@example.org --to dave@newcorp-example.com \
  --header "X-Test-Id: mon-2" --body $'OFFICIAL-SENSITIVE\n\nFigures.\n\nOFFICIAL-SENSITIVE' > /dev/null ||
  harness_fail "monitor mode refused marked mail"
sink_wait_for_count sink2 2
queue_wait_empty mon
sink_assert_count sink2 2
[ "$(sink_count_matching sink2 '^X-Sendguard-')" = 0 ] || harness_fail "monitor mode changed a message"
audit=$("$bin" audit --format json --config "$monitor_config" --state-dir "$HARNESS_ROOT/state-monitor")
grep '"monitor":true' <<< "$audit" | grep -c '"action":"reject"' > /dev/null || harness_fail "no would-reject record: $audit"
grep '"monitor":true' <<< "$audit" | grep -c '"action":"hold"' > /dev/null || harness_fail "no would-hold record: $audit"

echo "5. drop-recipient removes only the offending recipient"
sink_start sink3
drop_port=$(harness_free_port)
postfix_start drop --relay-port "$(sink_port sink3)" --milter "inet:127.0.0.1:$drop_port"
drop_config=$HARNESS_ROOT/drop.yaml
cat > "$drop_config" <<YAML
version: 1
policy:
  rules:
    - id: marked-only-to-known
      when: { recipient: [new], finding: { detector: "marking.*", min_level: OFFICIAL-SENSITIVE } }
      action: drop-recipient
gateway:
  # The notice goes in through this instance's own sendmail, and from there to the sink.
  sender_notice_command: [$(command -v sendmail), -C, $(postfix_config_dir drop), -t, -oi, -f, "<>"]
YAML
start_milter "$drop_port" "$drop_config" "$HARNESS_ROOT/state-drop" "$HARNESS_ROOT/milter-drop.log"
smtp_send "$(postfix_smtpd_port drop)" --from alice@example.org --to carol@army.mil,dave@newcorp-example.com \
  --header "X-Test-Id: drop-1" --body $'OFFICIAL-SENSITIVE\n\nFigures.\n\nOFFICIAL-SENSITIVE' > /dev/null ||
  harness_fail "the message for drop-recipient was not accepted"
# The message for the known recipient, and the sender's notice.
sink_wait_for_count sink3 2
queue_wait_empty drop
sink_assert_count sink3 2
# smtp-sink writes one X-Rcpt-Args line per envelope recipient it was given.
drop_file=$(sink_file_of sink3 drop-1)
[ -n "$drop_file" ] || harness_fail "the message for the known recipient did not arrive"
drop_copy=$(cat "$drop_file")
[ "$(grep -c '^X-Rcpt-Args:' <<< "$drop_copy")" = 1 ] && grep -q '^X-Rcpt-Args: <carol@army.mil>' <<< "$drop_copy" ||
  harness_fail "the message did not go to the known recipient alone: $drop_copy"
[ "$(sink_count_matching sink3 '^X-Rcpt-Args:.*<dave@newcorp-example.com>')" = 0 ] ||
  harness_fail "the dropped recipient still received the message"
notice_file=$(grep -rl -e '^X-Sendguard-Notice: drop-recipient' "$(sink_mail_dir sink3)" | head -n 1)
[ -n "$notice_file" ] || harness_fail "no notice reached the sender: $(cat "$HARNESS_ROOT/milter-drop.log")"
notice=$(cat "$notice_file")
for expected in '^X-Mail-Args: <>( |$)' '^X-Rcpt-Args: <alice@example.org>' '^Auto-Submitted: auto-replied$' \
  '^Subject: Not delivered to dave@newcorp-example.com' '^    dave@newcorp-example.com$' \
  'Rule: marked-only-to-known' 'newcorp-example.com is not among the domains'; do
  grep -Eq -e "$expected" <<< "$notice" || harness_fail "the notice lacks /$expected/: $notice"
done
grep -q 'carol@army.mil' <<< "$notice" && harness_fail "the notice names a recipient that got the message: $notice"

# A bounce (null sender) loses the recipient the same way, but nobody is notified.
smtp_send "$(postfix_smtpd_port drop)" --from '<>' --to carol@army.mil,dave@newcorp-example.com \
  --header "X-Test-Id: drop-2" --body $'OFFICIAL-SENSITIVE\n\nFigures.\n\nOFFICIAL-SENSITIVE' > /dev/null ||
  harness_fail "the bounce for drop-recipient was not accepted"
sink_wait_for_count sink3 3
queue_wait_empty drop
sink_assert_count sink3 3 2
[ "$(sink_count_matching sink3 '^X-Sendguard-Notice:')" = 1 ] || harness_fail "a bounce caused a notice"

echo "6. killing sendguard while mail is in flight loses nothing"
# An upstream relay (as in a real site: submission, then the gateway) keeps what the gateway
# defers; Postfix's milter_default_action = tempfail makes the gateway defer while sendguard is down.
postfix_start relay --relay-port "$mx_port"
before=$(sink_count sink)
send_to_relay() {  # I
  smtp_send "$(postfix_smtpd_port relay)" --from alice@example.org --to "p$1@army.mil" \
    --header "X-Test-Id: flight-$1" --body "Message $1 of a batch" > /dev/null
}
senders=()
# The first half is on its way through the gateway when sendguard dies; the second half is
# sent while it is down, so the outage is exercised however fast the first half went.
for i in $(seq 1 10); do send_to_relay "$i" & senders+=($!); done
sleep 0.5
kill -9 "$gateway_pid"
for i in $(seq 11 20); do send_to_relay "$i" & senders+=($!); done
for pid in "${senders[@]}"; do wait "$pid" || harness_fail "the relay refused a message of the batch"; done
postfix_wait_for_log relay 'status=deferred.*4\.7\.1' 60 ||
  harness_fail "the relay never saw the gateway defer mail while sendguard was down"
start_milter "$milter_port" "$config" "$state" "$HARNESS_ROOT/milter.log"
for _ in 1 2 3; do queue_flush relay; queue_flush mx; sleep 2; done
for _ in $(seq 60); do
  [ "$(sink_count_matching sink '^X-Test-Id: flight-')" -ge 20 ] && break
  queue_flush relay
  sleep 1
done
queue_wait_empty relay 60
queue_wait_empty mx 60
sleep 1
for i in $(seq 1 20); do
  n=$(sink_count_matching sink "^X-Test-Id: flight-$i\$")
  [ "$n" = 1 ] || harness_fail "message flight-$i arrived $n times (expected exactly once)"
done
[ "$(sink_count sink)" = $((before + 20)) ] || harness_fail "unexpected extra deliveries"

echo "7. sendguard on a unix socket"
sink_start sink4
socket=$(harness_socket_path sendguard)
unix_config=$HARNESS_ROOT/unix.yaml
write_config "$unix_config" local enforce
# sendguard runs as root here, so the socket's group is root's: let Postfix's user in by mode.
# A deployment keeps the default 0660 and puts postfix in sendguard's group instead.
printf '  socket_mode: "0666"\n' >> "$unix_config"
"$bin" milter --listen "unix:$socket" --config "$unix_config" --known-domains "$HARNESS_ROOT/known.txt" \
  --state-dir "$HARNESS_ROOT/state-unix" >> "$HARNESS_ROOT/milter-unix.log" 2>&1 &
harness_on_teardown "kill $! 2>/dev/null || true"
harness_wait_for_socket "$socket" 60 || harness_fail "sendguard did not listen on $socket: $(cat "$HARNESS_ROOT/milter-unix.log")"
[ "$(stat -c %a "$socket")" = 666 ] || harness_fail "socket mode $(stat -c %a "$socket"), expected 666"
postfix_start local --relay-port "$(sink_port sink4)" --milter "unix:$socket"
status=0
transcript=$(smtp_send "$(postfix_smtpd_port local)" --from alice@example.org --to bob@army.ml) || status=$?
grep -q ' 550 5.7.1 .*army.mil' <<< "$(smtp_reply_to "RCPT TO" "$transcript")" ||
  harness_fail "army.ml not refused at RCPT over the unix socket: $transcript"
smtp_send "$(postfix_smtpd_port local)" --from alice@example.org --to carol@army.mil \
  --header "X-Test-Id: unix-1" --body "Lunch on Friday?" > /dev/null ||
  harness_fail "mail over the unix socket was not accepted"
sink_wait_for_count sink4 1
queue_wait_empty local
sink_assert_count sink4 1
[ "$(sink_count_matching sink4 '^X-Sendguard-Action: tag')" = 1 ] ||
  harness_fail "mail through the unix socket has no X-Sendguard-Action header"

echo "PASS"
