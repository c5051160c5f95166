#!/usr/bin/env bash
# The Postfix harness itself, with no milter: mail reaches the sink intact and exactly once, mail
# for a next hop that is down waits in the deferred queue until a flush, mail on hold waits until
# released, and two instances run side by side. Exit status: 0 pass, 1 fail, 77 skipped (not root).
set -euo pipefail
# Output is searched with `grep -q PATTERN <<< "$text"`, never `producer | grep -q`: grep -q
# leaves at its first match, and under pipefail the producer's SIGPIPE would fail the check.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/postfix-harness.sh
source "$here/postfix-harness.sh"

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root to start Postfix" >&2
  exit 77
fi

step() { echo "== $*"; }

# Send one message through instance mx and fail unless Postfix accepted it; print its queue id.
send_accepted() {
  local transcript
  transcript=$(smtp_send "$(postfix_smtpd_port mx)" "$@") ||
    harness_fail "message not accepted:"$'\n'"$transcript"
  smtp_queue_id "$transcript"
}

harness_setup
sink_start sink
postfix_start mx --relay-port "$(sink_port sink)"

step "three messages arrive exactly once, a custom header intact"
for n in 1 2 3; do
  args=(--from sender@example.org --to "rcpt$n@example.net" --body "message $n")
  [ "$n" = 2 ] && args+=(--header "X-Harness-Check: kept intact; n=2")
  send_accepted "${args[@]}" > /dev/null
done
sink_wait_for_count sink 3 30
queue_wait_empty mx 30
sink_assert_count sink 3
[ "$(sink_count_matching sink '^X-Harness-Check: kept intact; n=2$')" = 1 ] ||
  harness_fail "the sink did not receive X-Harness-Check intact in exactly one message"
[ "$(sink_count_matching sink '^X-Rcpt-Args: <rcpt[123]@example\.net>')" = 3 ] ||
  harness_fail "the sink did not receive one message for each of the three recipients"

step "a RCPT reply is read from the transcript"
transcript=$(smtp_send "$(postfix_smtpd_port mx)" --from sender@example.org --to nobody@example.net \
  --quit-after RCPT)
grep -q '^<- *250 2\.1\.5 Ok' <<< "$(smtp_reply_to "RCPT TO" "$transcript")" ||
  harness_fail "no '250 2.1.5 Ok' reply to RCPT TO in:"$'\n'"$transcript"
sink_assert_count sink 3 0

step "mail for a next hop that is down is deferred, then arrives once after a flush"
sink_stop sink
deferred_id=$(send_accepted --from sender@example.org --to later@example.net --header "X-Harness-Case: deferred")
[ -n "$deferred_id" ] || harness_fail "no queue id in the reply to the deferred message"
queue_wait_for mx deferred "$deferred_id" 30
postfix_wait_for_log mx "$deferred_id: to=<later@example.net>.*status=deferred" 5 ||
  harness_fail "the log does not say that $deferred_id was deferred"
sink_start sink
queue_flush mx
sink_wait_for_count sink 4 30
queue_wait_empty mx 30
sink_assert_count sink 4
[ "$(sink_count_matching sink '^X-Harness-Case: deferred$')" = 1 ] ||
  harness_fail "the deferred message did not arrive exactly once"

step "mail on hold stays until released, then arrives once"
sink_stop sink
held_id=$(send_accepted --from sender@example.org --to held@example.net --header "X-Harness-Case: held")
queue_wait_for mx deferred "$held_id" 30
queue_hold mx "$held_id"
queue_wait_for mx hold "$held_id" 10
sink_start sink
queue_flush mx
# A message sent after the flush and seen at the sink shows that delivery works again; the held one
# must still be waiting.
send_accepted --from sender@example.org --to control@example.net --header "X-Harness-Case: control" > /dev/null
sink_wait_for_count sink 5 30
[ "$(queue_ids mx deferred | wc -l)" = 0 ] || harness_fail "deferred mail left after the flush"
grep -qx "$held_id" <<< "$(queue_ids mx hold)" || harness_fail "$held_id left the hold queue by itself"
sink_assert_count sink 5 2
[ "$(sink_count_matching sink '^X-Harness-Case: held$')" = 0 ] || harness_fail "a held message was delivered"
queue_release mx "$held_id"
queue_flush mx
sink_wait_for_count sink 6 30
queue_wait_empty mx 30
sink_assert_count sink 6
[ "$(sink_count_matching sink '^X-Harness-Case: held$')" = 1 ] ||
  harness_fail "the released message did not arrive exactly once"

step "a second instance runs beside the first, each with its own queue, log and sink"
sink_start sink2
postfix_start mx2 --relay-port "$(sink_port sink2)"
send_accepted --from sender@example.org --to one@example.net --header "X-Harness-Case: first" > /dev/null
transcript=$(smtp_send "$(postfix_smtpd_port mx2)" --from sender@example.org --to two@example.net \
  --header "X-Harness-Case: second") || harness_fail "mx2 did not accept:"$'\n'"$transcript"
sink_wait_for_count sink 7 30
sink_wait_for_count sink2 1 30
queue_wait_empty mx 30
queue_wait_empty mx2 30
sink_assert_count sink 7
sink_assert_count sink2 1 0
[ "$(sink_count_matching sink2 '^X-Harness-Case: second$')" = 1 ] || harness_fail "mx2 relayed to the wrong sink"
grep -q 'to=<two@example.net>.*status=sent' "$(postfix_log mx2)" || harness_fail "mx2 did not log its delivery"
! grep -q 'two@example.net' "$(postfix_log mx)" || harness_fail "mx logged mail of mx2"

step "a milter setting reaches the running instance"
# Nothing listens on this port, so with milter_default_action = tempfail the smtpd must answer
# with a 4xx from now on; then removing the milter brings back a 250.
dead_milter_port=$(harness_free_port)
postfix_set_milters mx "inet:127.0.0.1:$dead_milter_port"
[ "$(postconf -c "$(postfix_config_dir mx)" -h smtpd_milters)" = "inet:127.0.0.1:$dead_milter_port" ] ||
  harness_fail "smtpd_milters was not written to main.cf"
status=0
transcript=$(smtp_send "$(postfix_smtpd_port mx)" --from sender@example.org --to milter@example.net) || status=$?
[ "$status" != 0 ] || harness_fail "mail was accepted although the milter is unreachable:"$'\n'"$transcript"
grep -q '^<\*\* *4[0-9][0-9] ' <<< "$transcript" ||
  harness_fail "no 4xx reply with an unreachable milter:"$'\n'"$transcript"
postfix_set_milters mx ""
send_accepted --from sender@example.org --to milter@example.net > /dev/null

step "stopping leaves no Postfix or sink process behind"
master_pid=$(cat "$HARNESS_ROOT/mx/spool/pid/master.pid" | tr -dc 0-9)
sink_pid=$(cat "$HARNESS_ROOT/sink/pid")
postfix_stop mx
sink_stop sink
! _harness_process_alive "$master_pid" || harness_fail "the master of mx (pid $master_pid) still runs"
! _harness_process_alive "$sink_pid" || harness_fail "the sink (pid $sink_pid) still runs"

echo "PASS: postfix harness"
