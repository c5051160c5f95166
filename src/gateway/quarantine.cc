#include "gateway/quarantine.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <vector>

#include "guard/report_json.h"

extern char** environ;

namespace sendguard {
namespace {

struct Location {
  std::string config_dir;
  std::string queue_id;
};

// "postfix-hold:<config dir>:<queue id>", as the gateway writes it.
Result<Location> parse_location(const std::string& location) {
  constexpr std::string_view kPrefix = "postfix-hold:";
  std::size_t last = location.rfind(':');
  if (!location.starts_with(kPrefix) || last == std::string::npos || last < kPrefix.size()) {
    return make_error(ErrorCode::kInvalidInput, "unknown quarantine location \"" + location + "\"");
  }
  Location out{location.substr(kPrefix.size(), last - kPrefix.size()), location.substr(last + 1)};
  if (out.queue_id.empty() ||
      out.queue_id.find_first_not_of(
          "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != std::string::npos) {
    return make_error(ErrorCode::kInvalidInput,
                      "the held message has no valid queue id (\"" + out.queue_id + "\")");
  }
  return out;
}

// Runs a program (no shell) and returns its exit status and what it wrote to stderr/stdout.
Result<std::pair<int, std::string>> run_program(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return make_error(ErrorCode::kIo, "cannot create a pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    return make_error(ErrorCode::kIo, "cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  std::string output;
  std::array<char, 4096> buffer;
  for (ssize_t n; (n = read(pipe_fds[0], buffer.data(), buffer.size())) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    output.append(buffer.data(), static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return std::pair<int, std::string>{WIFEXITED(status) ? WEXITSTATUS(status) : 128, output};
}

// postqueue lives beside postsuper in every Postfix installation.
std::string postqueue_path(const GatewayConfig& config) {
  std::size_t slash = config.postsuper.rfind('/');
  return (slash == std::string::npos ? std::string() : config.postsuper.substr(0, slash + 1)) +
         "postqueue";
}

// Whether the queue id sits in Postfix's hold queue now. postsuper reports what it did only
// to a terminal, so the queue itself is asked (postqueue -j, one JSON object per message).
Result<bool> in_hold_queue(const GatewayConfig& config, const Location& location) {
  auto ran = run_program({postqueue_path(config), "-c", location.config_dir, "-j"});
  if (!ran) return std::unexpected(ran.error());
  if (ran->first != 0) return make_error(ErrorCode::kIo, "postqueue -j failed: " + ran->second);
  std::size_t start = 0;
  while (start < ran->second.size()) {
    std::size_t end = ran->second.find('\n', start);
    if (end == std::string::npos) end = ran->second.size();
    auto line = nlohmann::json::parse(ran->second.substr(start, end - start), nullptr, false);
    start = end + 1;
    if (line.is_object() && line.value("queue_id", "") == location.queue_id) {
      return line.value("queue_name", "") == "hold";
    }
  }
  return false;
}

void audit_operator_action(Store& store, const QuarantineEntry& entry, const std::string& action,
                           const std::string& by) {
  AuditRecord record;
  record.time = std::chrono::system_clock::now();
  record.stage = "quarantine";
  record.queue_id = entry.queue_id;
  record.message_id = entry.message_id;
  record.sender = entry.sender;
  record.recipients = entry.recipients;
  record.rule = entry.rule;
  record.action = action;
  record.auth_user = by;
  nlohmann::ordered_json details;
  details["quarantine_id"] = entry.id;
  details["by"] = by;
  record.details_json = dump_line(details);
  (void)store.append_audit(record);  // the state change itself is recorded in the entry
}

Result<QuarantineEntry> held_entry(Store& store, const std::string& id) {
  auto entry = store.quarantine_entry(id);
  if (!entry) return std::unexpected(entry.error());
  if (!*entry) return make_error(ErrorCode::kInvalidInput, "no held message with id " + id);
  if ((*entry)->state != QuarantineState::kHeld) {
    return make_error(
        ErrorCode::kInvalidInput,
        "message " + id + " is " + std::string(to_string((*entry)->state)) + ", not held");
  }
  return **entry;
}

// Moves the entry to `busy`, runs postsuper, then to `done`; back to held if postsuper fails.
Result<void> act_on_held(Store& store, const GatewayConfig& config, const std::string& id,
                         const std::string& by, QuarantineState done,
                         const std::vector<std::string>& postsuper_args,
                         const std::string& audit_action) {
  auto entry = held_entry(store, id);
  if (!entry) return std::unexpected(entry.error());
  auto location = parse_location(entry->location);
  if (!location) return std::unexpected(location.error());
  auto held_now = in_hold_queue(config, *location);
  if (!held_now) return std::unexpected(held_now.error());
  if (!*held_now) {
    return make_error(ErrorCode::kInvalidInput,
                      "message " + id + " (queue id " + location->queue_id +
                          ") is not in the hold queue of " + location->config_dir);
  }
  auto claimed = store.transition(id, QuarantineState::kHeld, QuarantineState::kReleasing, by);
  if (!claimed) return std::unexpected(claimed.error());
  if (!*claimed)
    return make_error(ErrorCode::kInvalidInput,
                      "message " + id + " was just released or discarded by someone else");
  std::vector<std::string> argv = {config.postsuper, "-c", location->config_dir};
  argv.insert(argv.end(), postsuper_args.begin(), postsuper_args.end());
  argv.push_back(location->queue_id);
  if (postsuper_args.back() == "-d") argv.push_back("hold");  // delete only from the hold queue
  auto ran = run_program(argv);
  auto still_held = in_hold_queue(config, *location);
  if (!ran || ran->first != 0 || !still_held || *still_held) {
    (void)store.transition(id, QuarantineState::kReleasing, QuarantineState::kHeld, by);
    std::string why = !ran          ? ran.error().message
                      : !still_held ? still_held.error().message
                                    : "postsuper said: " + ran->second;
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return make_error(ErrorCode::kIo, "message " + id + " (queue id " + location->queue_id +
                                          ") is still held: " +
                                          (why.empty() ? "postsuper acted on no message" : why));
  }
  auto finished = store.transition(id, QuarantineState::kReleasing, done, by);
  if (!finished) return std::unexpected(finished.error());
  if (done == QuarantineState::kReleased) {
    // Released mail waits in the deferred queue for the next queue run; ask for it now.
    (void)run_program(
        {postqueue_path(config), "-c", location->config_dir, "-i", location->queue_id});
  }
  audit_operator_action(store, *entry, audit_action, by);
  return {};
}

}  // namespace

Result<void> release_held(Store& store, const GatewayConfig& config, const std::string& id,
                          const std::string& by) {
  return act_on_held(store, config, id, by, QuarantineState::kReleased, {"-H"}, "release");
}

Result<void> discard_held(Store& store, const GatewayConfig& config, const std::string& id,
                          const std::string& by) {
  return act_on_held(store, config, id, by, QuarantineState::kDiscarded, {"-d"}, "discard");
}

}  // namespace sendguard
