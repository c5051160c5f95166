# shellcheck shell=bash
# A throw-away Postfix on loopback for integration tests and benchmarks. Source this file; do not run it.
#
# Each Postfix instance lives in its own directory (config, queue, data, log) with its smtpd on a
# loopback port, and relays every message to an smtp-sink on another loopback port, which writes one
# file per message so a test can count deliveries and read headers. Nothing resolves names or leaves
# 127.0.0.1. Several instances may run side by side. Needs root (Postfix's master runs as root),
# postfix, smtp-sink (postfix package), swaks.
#
# Life cycle
#   harness_setup                       make the work area ($HARNESS_ROOT) and arm the teardown trap;
#                                       call it once, first, in the test's main shell
#   harness_teardown                    stop every instance, sink and registered process, remove the
#                                       work area; runs by itself on exit, on failure and on INT/TERM
#   harness_on_teardown COMMAND         run COMMAND (a string, eval'd) at teardown, after the Postfix
#                                       instances have stopped; for milters and other peers
#   harness_free_port                   print a loopback TCP port nobody listens on
#   harness_wait_for_port PORT [SECS]   wait until something accepts on 127.0.0.1:PORT (default 20 s)
#   harness_socket_path NAME            print a path for a milter's unix socket (unix:PATH for
#                                       --milter) in a directory Postfix's unprivileged daemons can
#                                       reach; the milter must give the socket a mode (or group)
#                                       that lets the postfix user write to it
#   harness_wait_for_socket PATH [SECS] wait until a unix socket at PATH accepts (default 20 s)
#   harness_fail MESSAGE...             print "FAIL: MESSAGE" to stderr and exit 1
#
# Postfix (INSTANCE is a short name such as "mx"; its directory is $HARNESS_ROOT/INSTANCE)
#   postfix_start INSTANCE --relay-port PORT [--smtpd-port PORT] [--milter SPEC] [--set NAME=VALUE]...
#                                       write main.cf/master.cf, `postfix check`, start, wait for the
#                                       smtpd; --set adds or overrides any main.cf parameter
#   postfix_stop INSTANCE               stop the instance and wait until its master and children are gone
#   postfix_config_dir INSTANCE         print the directory to give to postfix/postconf/postqueue -c
#   postfix_smtpd_port INSTANCE         print the smtpd's port
#   postfix_log INSTANCE                print the path of the instance's mail log
#   postfix_wait_for_log INSTANCE ERE [SECS]
#                                       wait until a log line matches the extended regex ERE
#   postfix_set_milters INSTANCE SPEC   set smtpd_milters on the running instance ("" for none) and
#                                       reload; returns once the master has logged the reload
#
# Sink (the next hop; INSTANCE is its own short name, e.g. "sink")
#   sink_start INSTANCE [--port PORT]   start smtp-sink writing each message to $HARNESS_ROOT/INSTANCE/mail
#                                       (do not call inside $(...): the sink is a background job)
#   sink_stop INSTANCE                  stop it (its files stay, so counts still work); start it again
#                                       with sink_start INSTANCE, which reuses the port
#   sink_port INSTANCE                  print its port
#   sink_mail_dir INSTANCE              print the directory holding one file per received message
#   sink_count INSTANCE                 print how many messages it has received
#   sink_count_matching INSTANCE ERE    print how many received messages have a line matching ERE
#   sink_wait_for_count INSTANCE N [SECS]
#                                       wait until at least N messages have arrived (default 30 s)
#   sink_assert_count INSTANCE N [SETTLE_SECS]
#                                       wait SETTLE_SECS (default 1) for stragglers, then fail unless
#                                       exactly N messages have arrived
#
# Sending
#   smtp_send PORT SWAKS_ARGS...        send one message with swaks to 127.0.0.1:PORT and print the
#                                       whole SMTP transcript; returns swaks' status (0 accepted;
#                                       23, 24, 25, 26 refused at MAIL, RCPT, DATA, end of data)
#   smtp_reply_to COMMAND TRANSCRIPT    print the server's reply line(s) to COMMAND ("MAIL FROM",
#                                       "RCPT TO", "DATA", or "." for the end of the message)
#   smtp_queue_id TRANSCRIPT            print the queue id from "250 ... queued as ID"
#
# Queue (INSTANCE is a Postfix instance)
#   queue_ids INSTANCE QUEUE            print the ids in QUEUE (hold, deferred, active, incoming,
#                                       maildrop), one a line
#   queue_wait_for INSTANCE QUEUE ID [SECS]
#                                       wait until message ID is in QUEUE
#   queue_wait_empty INSTANCE [SECS]    wait until no message is queued at all (default 30 s)
#   queue_flush INSTANCE                ask Postfix to retry all deferred mail now (postqueue -f)
#   queue_hold INSTANCE ID              put a message on hold (postsuper -h)
#   queue_release INSTANCE ID           release it from hold (postsuper -H)
#
# A test looks like:
#   source tests/integration/postfix-harness.sh
#   harness_setup
#   sink_start sink
#   postfix_start mx --relay-port "$(sink_port sink)"
#   smtp_send "$(postfix_smtpd_port mx)" --from a@example.org --to b@example.net > "$HARNESS_ROOT/t1"
#   sink_wait_for_count sink 1
#
# Why the settings below: Postfix 3.7 accepts `postfix -c DIR` from root for a directory that the
# default main.cf does not list in alternate_config_directories (that list is enforced only for
# set-gid callers that are not root), so nothing outside the work area is touched and the system
# instance stays as it is. Every service runs without chroot so it needs no copies of /etc files.
# There is no syslog daemon, so postlogd writes maillog_file, which must lie under
# maillog_file_prefixes.

HARNESS_ROOT=${HARNESS_ROOT:-}
_harness_postfix_instances=()
_harness_sink_instances=()
_harness_teardown_commands=()

harness_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

harness_setup() {
  local tool
  for tool in postfix postconf postqueue postsuper smtp-sink swaks; do
    command -v "$tool" > /dev/null || PATH="$PATH:/usr/sbin"
    command -v "$tool" > /dev/null || harness_fail "$tool is not installed (scripts/install-deps installs it)"
  done
  [ "$(id -u)" = 0 ] || harness_fail "the Postfix harness must run as root (Postfix's master does)"
  HARNESS_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/sendguard-postfix.XXXXXX")
  # The Postfix daemons and smtp-sink drop to unprivileged users that must reach their directories.
  chmod 755 "$HARNESS_ROOT"
  trap harness_teardown EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

harness_on_teardown() {
  _harness_teardown_commands+=("$1")
}

harness_teardown() {
  local status=$? name i
  set +e
  for name in "${_harness_postfix_instances[@]}"; do postfix_stop "$name"; done
  for ((i = ${#_harness_teardown_commands[@]} - 1; i >= 0; i--)); do
    eval "${_harness_teardown_commands[i]}"
  done
  for name in "${_harness_sink_instances[@]}"; do sink_stop "$name"; done
  if [ -n "$HARNESS_ROOT" ] && [ -d "$HARNESS_ROOT" ]; then
    if [ -n "${HARNESS_KEEP:-}" ]; then
      echo "HARNESS_KEEP is set: leaving $HARNESS_ROOT" >&2
    else
      rm -rf "$HARNESS_ROOT"
    fi
  fi
  _harness_postfix_instances=()
  _harness_sink_instances=()
  _harness_teardown_commands=()
  return "$status"
}

# A zombie still answers kill -0, and processes that Postfix's master daemonises are reaped by
# whatever PID 1 is, if at all, so "alive" means: exists and is not a zombie.
_harness_process_alive() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

_harness_port_in_use() {
  (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null
}

# How many sockets listen on TCP port PORT, on any address. Linux lets two programs that both ask
# for SO_REUSEPORT (Postfix's master and smtp-sink do) listen on the same port and share its
# connections between them, so a port taken twice shows only here, not as a failed bind.
_harness_listeners() {
  local hex
  hex=$(printf '%04X' "$1")
  cat /proc/net/tcp /proc/net/tcp6 2> /dev/null |
    awk -v hex="$hex" '$4 == "0A" { split($2, a, ":"); if (a[2] == hex) n++ } END { print n + 0 }'
}

# Fail unless exactly one socket listens on PORT: WHAT has it, and nothing else shares it.
_harness_assert_sole_listener() {
  local port=$1 what=$2 count
  count=$(_harness_listeners "$port")
  [ "$count" = 1 ] || harness_fail "$count sockets listen on port $port, expected only $what's"
}

harness_free_port() {
  local port try
  for try in $(seq 100); do
    # Below Linux's ephemeral range (32768 and up), so that no outgoing connection holds it either.
    port=$((20000 + RANDOM % 12000))
    # Skip ports another instance of this harness has been given but may not have bound yet.
    grep -qx "$port" "$HARNESS_ROOT/.ports" 2> /dev/null && continue
    if [ "$(_harness_listeners "$port")" = 0 ] && ! _harness_port_in_use "$port"; then
      [ -n "$HARNESS_ROOT" ] && echo "$port" >> "$HARNESS_ROOT/.ports"
      echo "$port"
      return 0
    fi
  done
  harness_fail "no free loopback port found"
}

harness_wait_for_port() {
  local port=$1 seconds=${2:-20} deadline
  deadline=$((SECONDS + seconds))
  until _harness_port_in_use "$port"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

harness_socket_path() {
  [ -n "$HARNESS_ROOT" ] || harness_fail "harness_socket_path: call harness_setup first"
  # The smtpd runs as postfix and (no chroot here) opens the path as given: every directory on
  # the way must be searchable by it, as $HARNESS_ROOT is.
  mkdir -p "$HARNESS_ROOT/sockets"
  chmod 755 "$HARNESS_ROOT/sockets"
  echo "$HARNESS_ROOT/sockets/$1.sock"
}

harness_wait_for_socket() {
  local path=$1 seconds=${2:-20} deadline
  deadline=$((SECONDS + seconds))
  until [ -S "$path" ] && python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])' "$path" 2> /dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# ---------------------------------------------------------------------------------------------
# Postfix

postfix_config_dir() { echo "$HARNESS_ROOT/$1/etc"; }
postfix_smtpd_port() { cat "$HARNESS_ROOT/$1/smtpd_port"; }
postfix_log() { echo "$HARNESS_ROOT/$1/log/maillog"; }

_postfix_write_config() {
  local dir=$1 smtpd_port=$2 relay_port=$3 milter=$4
  shift 4
  cat > "$dir/etc/main.cf" << EOF
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
maillog_file = $dir/log/maillog
maillog_file_prefixes = $dir/log
myhostname = postfix-harness.localdomain
mydomain = localdomain
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
# Everything goes to the sink; an IP literal in brackets needs no MX lookup, and DNS stays off.
relayhost = [127.0.0.1]:$relay_port
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtp_tls_security_level = none
smtpd_tls_security_level = none
milter_protocol = 6
milter_default_action = tempfail
milter_connect_timeout = 5s
milter_command_timeout = 10s
milter_content_timeout = 30s
smtpd_milters = $milter
non_smtpd_milters =
# Tests wait on deferred mail: retry within seconds, not minutes.
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
smtp_connect_timeout = 5s
# Sub-second delay= values in the log, for latency measurements.
delay_logging_resolution_limit = 6
EOF
  local setting
  for setting in "$@"; do
    printf '%s\n' "${setting%%=*} = ${setting#*=}" >> "$dir/etc/main.cf"
  done
  # No chroot anywhere: a chrooted daemon would need copies of /etc files inside the queue.
  cat > "$dir/etc/master.cf" << EOF
127.0.0.1:$smtpd_port inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n -  0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n -  - trivial-rewrite
bounce     unix  - - n -  0 bounce
defer      unix  - - n -  0 bounce
trace      unix  - - n -  0 bounce
verify     unix  - - n -  1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -  - proxymap
smtp       unix  - - n -  - smtp
relay      unix  - - n -  - smtp
showq      unix  n - n -  - showq
error      unix  - - n -  - error
retry      unix  - - n -  - error
discard    unix  - - n -  - discard
local      unix  - n n -  - local
anvil      unix  - - n -  1 anvil
scache     unix  - - n -  1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
}

postfix_start() {
  local name=$1 smtpd_port="" relay_port="" milter="" settings=()
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --smtpd-port) smtpd_port=$2; shift 2 ;;
      --relay-port) relay_port=$2; shift 2 ;;
      --milter) milter=$2; shift 2 ;;
      --set) settings+=("$2"); shift 2 ;;
      *) harness_fail "postfix_start: unknown option $1" ;;
    esac
  done
  [ -n "$HARNESS_ROOT" ] || harness_fail "postfix_start: call harness_setup first"
  [ -n "$relay_port" ] || harness_fail "postfix_start $name: --relay-port is required"
  [ -n "$smtpd_port" ] || smtpd_port=$(harness_free_port)
  local dir=$HARNESS_ROOT/$name
  [ -e "$dir" ] && harness_fail "postfix_start: $dir exists already"
  mkdir -p "$dir/etc" "$dir/spool" "$dir/data" "$dir/log"
  chown postfix "$dir/data"
  echo "$smtpd_port" > "$dir/smtpd_port"
  _postfix_write_config "$dir" "$smtpd_port" "$relay_port" "$milter" "${settings[@]}"

  local out
  if ! out=$(postfix -c "$dir/etc" check 2>&1); then
    harness_fail "postfix check for $name: $out"
  fi
  [ -z "$out" ] || echo "postfix check for $name: $out" >&2
  _harness_postfix_instances+=("$name")
  if ! out=$(postfix -c "$dir/etc" start 2>&1 < /dev/null); then
    harness_fail "postfix start for $name: $out"
  fi
  # The master may have exited with a fatal error (a bad setting, say) while something else answers
  # on the port, so check the master as well as the port.
  local pid=""
  if harness_wait_for_port "$smtpd_port" 20; then
    pid=$(tr -dc 0-9 < "$dir/spool/pid/master.pid" 2> /dev/null || true)
  fi
  if [ -z "$pid" ] || ! _harness_process_alive "$pid" || grep -q 'fatal:' "$dir/log/maillog" 2> /dev/null; then
    harness_fail "Postfix $name did not start on 127.0.0.1:$smtpd_port; log: $(tail -5 "$dir/log/maillog" 2>&1)"
  fi
  _harness_assert_sole_listener "$smtpd_port" "Postfix $name"
}

postfix_stop() {
  local name=$1 dir=$HARNESS_ROOT/$1 pid children deadline
  [ -f "$dir/spool/pid/master.pid" ] || return 0
  pid=$(tr -dc 0-9 < "$dir/spool/pid/master.pid")
  [ -n "$pid" ] && _harness_process_alive "$pid" || return 0
  children=$(pgrep -P "$pid" || true)
  postfix -c "$dir/etc" stop > /dev/null 2>&1 < /dev/null
  deadline=$((SECONDS + 15))
  while _harness_process_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if _harness_process_alive "$pid"; then
    echo "Postfix $name did not stop within 15 s; killing its master (pid $pid)" >&2
    kill -KILL "$pid" 2> /dev/null
  fi
  # The daemons exit once they see their master gone; wait so that nothing outlives the test.
  local child
  for child in $children; do
    deadline=$((SECONDS + 10))
    while _harness_process_alive "$child" && ((SECONDS < deadline)); do sleep 0.1; done
    _harness_process_alive "$child" && kill -KILL "$child" 2> /dev/null
  done
  return 0
}

postfix_wait_for_log() {
  local name=$1 pattern=$2 seconds=${3:-20} deadline
  deadline=$((SECONDS + seconds))
  until grep -Eq -- "$pattern" "$(postfix_log "$name")" 2> /dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

postfix_set_milters() {
  local name=$1 spec=$2 dir=$HARNESS_ROOT/$1 reloads
  reloads=$(grep -c 'reload -- version' "$(postfix_log "$name")" 2> /dev/null || true)
  postconf -c "$dir/etc" -e "smtpd_milters = $spec" || harness_fail "postconf smtpd_milters for $name"
  postfix -c "$dir/etc" reload > /dev/null 2>&1 < /dev/null || harness_fail "postfix reload for $name"
  # The master logs the reload once it has re-read main.cf; smtpd processes started after that
  # use the new milters, and idle ones from before exit at their next turn.
  local deadline=$((SECONDS + 20))
  until [ "$(grep -c 'reload -- version' "$(postfix_log "$name")")" -gt "${reloads:-0}" ]; do
    ((SECONDS < deadline)) || harness_fail "Postfix $name did not log its reload within 20 s"
    sleep 0.1
  done
}

# ---------------------------------------------------------------------------------------------
# Sink

sink_port() { cat "$HARNESS_ROOT/$1/port"; }
sink_mail_dir() { echo "$HARNESS_ROOT/$1/mail"; }

sink_start() {
  local name=$1 port=""
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --port) port=$2; shift 2 ;;
      *) harness_fail "sink_start: unknown option $1" ;;
    esac
  done
  [ -n "$HARNESS_ROOT" ] || harness_fail "sink_start: call harness_setup first"
  local dir=$HARNESS_ROOT/$name
  mkdir -p "$dir/mail"
  if [ -z "$port" ]; then
    if [ -f "$dir/port" ]; then port=$(cat "$dir/port"); else port=$(harness_free_port); fi
  fi
  echo "$port" > "$dir/port"
  # smtp-sink refuses to run as root: it drops to -u after binding, and writes as that user.
  chown nobody "$dir/mail"
  [[ " ${_harness_sink_instances[*]} " == *" $name "* ]] || _harness_sink_instances+=("$name")
  # -d writes one file per message; the template's %s plus smtp-sink's random suffix keep names unique.
  smtp-sink -u nobody -d "$dir/mail/%s." "127.0.0.1:$port" 256 \
    >> "$dir/sink.log" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$dir/pid"
  # A sink that could not bind exits at once, while the port may answer for someone else.
  if ! harness_wait_for_port "$port" 10 || ! { sleep 0.1; _harness_process_alive "$pid"; }; then
    harness_fail "smtp-sink $name did not start on 127.0.0.1:$port: $(cat "$dir/sink.log")"
  fi
  _harness_assert_sole_listener "$port" "smtp-sink $name"
}

sink_stop() {
  local dir=$HARNESS_ROOT/$1 pid deadline
  [ -f "$dir/pid" ] || return 0
  pid=$(cat "$dir/pid")
  rm -f "$dir/pid"
  kill "$pid" 2> /dev/null || return 0
  deadline=$((SECONDS + 10))
  while _harness_process_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  _harness_process_alive "$pid" && kill -KILL "$pid" 2> /dev/null
  # Reap it when it is our own job, so that it leaves no zombie behind.
  wait "$pid" 2> /dev/null || true
  return 0
}

sink_count() {
  find "$(sink_mail_dir "$1")" -type f | wc -l
}

sink_count_matching() {
  # grep's status 1 (no match in a batch) is not an error here.
  { find "$(sink_mail_dir "$1")" -type f -exec grep -El -- "$2" {} + || true; } | wc -l
}

sink_wait_for_count() {
  local name=$1 want=$2 seconds=${3:-30} deadline
  deadline=$((SECONDS + seconds))
  until [ "$(sink_count "$name")" -ge "$want" ]; do
    if ((SECONDS >= deadline)); then
      harness_fail "sink $name: $(sink_count "$name") of $want messages after $seconds s"
    fi
    sleep 0.2
  done
}

sink_assert_count() {
  local name=$1 want=$2 settle=${3:-1} got
  sleep "$settle"
  got=$(sink_count "$name")
  [ "$got" -eq "$want" ] || harness_fail "sink $name: $got messages, expected exactly $want"
}

# ---------------------------------------------------------------------------------------------
# Sending

smtp_send() {
  local port=$1
  shift
  swaks --server "127.0.0.1:$port" --timeout 30 "$@" 2>&1
}

smtp_reply_to() {
  local command=$1 transcript=$2
  # swaks marks what it sends with " -> " and what the server says with "<- " (or "<** " for
  # errors); take the reply lines that directly follow the command.
  awk -v cmd="$command" '
    /^ -> / { line = substr($0, 5); sending = (index(toupper(line), toupper(cmd)) == 1); next }
    /^<(-|\*\*) / { if (sending) print; next }
    { if (sending && !/^ /) sending = 0 }
  ' <<< "$transcript"
}

smtp_queue_id() {
  sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' <<< "$1" | tail -1
}

# ---------------------------------------------------------------------------------------------
# Queue

queue_ids() {
  local name=$1 queue=$2
  # postqueue -j prints one JSON object a line; its two string fields we need hold no quotes.
  postqueue -c "$(postfix_config_dir "$name")" -j | awk -v q="$queue" '
    match($0, /"queue_name": *"[^"]*"/) {
      n = substr($0, RSTART, RLENGTH); sub(/^"queue_name": *"/, "", n); sub(/"$/, "", n)
      if (n == q && match($0, /"queue_id": *"[^"]*"/)) {
        id = substr($0, RSTART, RLENGTH); sub(/^"queue_id": *"/, "", id); sub(/"$/, "", id)
        print id
      }
    }'
}

queue_wait_for() {
  local name=$1 queue=$2 id=$3 seconds=${4:-30} deadline
  deadline=$((SECONDS + seconds))
  until grep -qx -- "$id" <<< "$(queue_ids "$name" "$queue")"; do
    ((SECONDS < deadline)) || harness_fail "Postfix $name: message $id not in the $queue queue after $seconds s"
    sleep 0.2
  done
}

queue_wait_empty() {
  local name=$1 seconds=${2:-30} deadline left
  deadline=$((SECONDS + seconds))
  while left=$(postqueue -c "$(postfix_config_dir "$name")" -j | wc -l) && [ "$left" -gt 0 ]; do
    ((SECONDS < deadline)) || harness_fail "Postfix $name: $left messages still queued after $seconds s"
    sleep 0.2
  done
}

queue_flush() {
  postqueue -c "$(postfix_config_dir "$1")" -f || harness_fail "postqueue -f for $1"
}

queue_hold() {
  postsuper -c "$(postfix_config_dir "$1")" -h "$2" 2> /dev/null || harness_fail "postsuper -h $2 for $1"
}

queue_release() {
  postsuper -c "$(postfix_config_dir "$1")" -H "$2" 2> /dev/null || harness_fail "postsuper -H $2 for $1"
}
