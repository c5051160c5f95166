#include "gateway/quarantine.h"

#include <chrono>
#include <optional>
#include <vector>

#include "core/utc_time.h"
#include "gateway/run_program.h"
#include "guard/report_json.h"

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
  if (ran->status != 0) return make_error(ErrorCode::kIo, "postqueue -j failed: " + ran->output);
  std::size_t start = 0;
  while (start < ran->output.size()) {
    std::size_t end = ran->output.find('\n', start);
    if (end == std::string::npos) end = ran->output.size();
    auto line = nlohmann::json::parse(ran->output.substr(start, end - start), nullptr, false);
    start = end + 1;
    if (line.is_object() && line.value("queue_id", "") == location.queue_id) {
      return line.value("queue_name", "") == "hold";
    }
  }
  return false;
}

void audit_operator_action(Store& store, const QuarantineEntry& entry, const std::string& action,
                           const std::string& by,
                           nlohmann::ordered_json details = nlohmann::ordered_json::object()) {
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
  details["quarantine_id"] = entry.id;
  details["by"] = by;
  record.details_json = dump_line(details);
  (void)store.append_audit(record);  // the state change itself is recorded in the entry
}

enum class Verb { kRelease, kDiscard };

std::string verb_name(Verb verb) { return verb == Verb::kRelease ? "release" : "discard"; }
QuarantineState done_state(Verb verb) {
  return verb == Verb::kRelease ? QuarantineState::kReleased : QuarantineState::kDiscarded;
}

// Moves the held entry to releasing, runs postsuper, then to its end state; back to held if
// postsuper fails. The intent is audited once the claim is won, so that a claim cut short can
// be finished as it was meant (recover_stalled).
Result<std::string> act_on_held(Store& store, const GatewayConfig& config,
                                const QuarantineEntry& entry, const std::string& by, Verb verb) {
  const std::string& id = entry.id;
  auto location = parse_location(entry.location);
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
  audit_operator_action(store, entry, verb_name(verb) + "-started", by);
  std::vector<std::string> argv = {config.postsuper, "-c", location->config_dir};
  if (verb == Verb::kRelease) {
    argv.insert(argv.end(), {"-H", location->queue_id});
  } else {
    argv.insert(argv.end(), {"-d", location->queue_id, "hold"});  // only from the hold queue
  }
  auto ran = run_program(argv);
  auto still_held = in_hold_queue(config, *location);
  if (!ran || ran->status != 0 || !still_held || *still_held) {
    (void)store.transition(id, QuarantineState::kReleasing, QuarantineState::kHeld, by);
    std::string why = !ran          ? ran.error().message
                      : !still_held ? still_held.error().message
                                    : "postsuper said: " + ran->output;
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return make_error(ErrorCode::kIo, "message " + id + " (queue id " + location->queue_id +
                                          ") is still held: " +
                                          (why.empty() ? "postsuper acted on no message" : why));
  }
  auto finished = store.transition(id, QuarantineState::kReleasing, done_state(verb), by);
  if (!finished) return std::unexpected(finished.error());
  if (verb == Verb::kRelease) {
    // Released mail waits in the deferred queue for the next queue run; ask for it now.
    (void)run_program(
        {postqueue_path(config), "-c", location->config_dir, "-i", location->queue_id});
  }
  audit_operator_action(store, entry, verb_name(verb), by);
  return verb == Verb::kRelease ? "released for delivery" : "discarded";
}

// What the claimant of a stalled claim meant to do: its "*-started" audit record, newest first.
std::optional<Verb> claimed_intent(Store& store, const QuarantineEntry& entry) {
  AuditQuery query;
  query.queue_id = entry.queue_id;
  query.limit = 100;
  auto records = store.audit(query);
  if (!records) return std::nullopt;
  for (const AuditRecord& r : *records) {
    if (r.stage != "quarantine") continue;
    auto details = nlohmann::json::parse(r.details_json, nullptr, false);
    if (!details.is_object() || details.value("quarantine_id", "") != entry.id) continue;
    if (r.action == "release-started") return Verb::kRelease;
    if (r.action == "discard-started") return Verb::kDiscard;
  }
  return std::nullopt;
}

struct Recovery {
  bool finished = false;  // the entry reached its end state; nothing left to do
  std::string what;       // for the operator
  bool as_asked = true;   // finished the way the operator asked
};

// Finishes or undoes a stalled claim (see release_held in quarantine.h).
Result<Recovery> recover_stalled(Store& store, const GatewayConfig& config,
                                 const QuarantineEntry& entry, const std::string& by, Verb asked) {
  const std::string& id = entry.id;
  auto location = parse_location(entry.location);
  if (!location) return std::unexpected(location.error());
  // Asked before the take-over, so that a failing postqueue leaves the claim as it was.
  auto held_now = in_hold_queue(config, *location);
  if (!held_now) return std::unexpected(held_now.error());
  auto taken = store.take_over_claim(id, entry.changed_at, by);
  if (!taken) return std::unexpected(taken.error());
  if (!*taken) {
    return make_error(ErrorCode::kInvalidInput,
                      "message " + id +
                          " is being recovered or was just finished by someone "
                          "else; see `sendguard quarantine show " +
                          id + "`");
  }
  std::string earlier =
      "the claim by " + entry.changed_by + " at " + utc_time(entry.changed_at) + " was cut short";
  nlohmann::ordered_json details;
  details["recovered_claim_by"] = entry.changed_by;
  details["recovered_claim_at"] = utc_time(entry.changed_at);
  if (*held_now) {
    auto back = store.transition(id, QuarantineState::kReleasing, QuarantineState::kHeld, by);
    if (!back) return std::unexpected(back.error());
    details["found"] = "still in the hold queue";
    audit_operator_action(store, entry, "recover-held", by, details);
    return Recovery{false, earlier + " before it reached the MTA; ", true};
  }
  std::optional<Verb> intent = claimed_intent(store, entry);
  // Without the intent on record, "released": the message may have gone out, and the record
  // must not claim otherwise.
  Verb meant = intent.value_or(Verb::kRelease);
  auto finished = store.transition(id, QuarantineState::kReleasing, done_state(meant), by);
  if (!finished) return std::unexpected(finished.error());
  details["found"] = "gone from the hold queue";
  details["intent"] = intent ? verb_name(*intent) : "unknown";
  audit_operator_action(store, entry, verb_name(meant), by, details);
  std::string state(to_string(done_state(meant)));
  return Recovery{true,
                  "had already left the hold queue (" + earlier + " after the MTA acted" +
                      (intent ? "" : "; what it meant is not on record") + "); marked " + state,
                  meant == asked};
}

Result<std::string> act(Store& store, const GatewayConfig& config, const std::string& id,
                        const std::string& by, Verb verb,
                        std::chrono::system_clock::time_point now) {
  auto entry = store.quarantine_entry(id);
  if (!entry) return std::unexpected(entry.error());
  if (!*entry) return make_error(ErrorCode::kInvalidInput, "no held message with id " + id);
  std::string prefix;
  if ((*entry)->state == QuarantineState::kReleasing) {
    if (!is_stale_claim(**entry, config, now)) {
      auto retry_at = (*entry)->changed_at + std::chrono::seconds(config.stale_release_s);
      return make_error(ErrorCode::kInvalidInput,
                        "message " + id + " is being released or discarded by " +
                            (*entry)->changed_by + " since " + utc_time((*entry)->changed_at) +
                            "; if that was cut short, run this again after " + utc_time(retry_at) +
                            " (gateway.stale_release_s)");
    }
    auto recovery = recover_stalled(store, config, **entry, by, verb);
    if (!recovery) return std::unexpected(recovery.error());
    if (recovery->finished) {
      if (!recovery->as_asked) {
        return make_error(ErrorCode::kInvalidInput,
                          "message " + id + " cannot be " +
                              (verb == Verb::kRelease ? "released" : "discarded") + ": it " +
                              recovery->what);
      }
      return recovery->what;
    }
    prefix = recovery->what;
    entry = store.quarantine_entry(id);
    if (!entry) return std::unexpected(entry.error());
    if (!*entry) return make_error(ErrorCode::kInvalidInput, "no held message with id " + id);
  }
  if ((*entry)->state != QuarantineState::kHeld) {
    return make_error(
        ErrorCode::kInvalidInput,
        "message " + id + " is " + std::string(to_string((*entry)->state)) + ", not held");
  }
  auto done = act_on_held(store, config, **entry, by, verb);
  if (!done) {
    return std::unexpected(Error{done.error().code, prefix + done.error().message});
  }
  return prefix + *done;
}

}  // namespace

bool is_stale_claim(const QuarantineEntry& entry, const GatewayConfig& config,
                    std::chrono::system_clock::time_point now) {
  return entry.state == QuarantineState::kReleasing &&
         now - entry.changed_at >= std::chrono::seconds(config.stale_release_s);
}

Result<std::string> release_held(Store& store, const GatewayConfig& config, const std::string& id,
                                 const std::string& by, std::chrono::system_clock::time_point now) {
  return act(store, config, id, by, Verb::kRelease, now);
}

Result<std::string> discard_held(Store& store, const GatewayConfig& config, const std::string& id,
                                 const std::string& by, std::chrono::system_clock::time_point now) {
  return act(store, config, id, by, Verb::kDiscard, now);
}

}  // namespace sendguard
