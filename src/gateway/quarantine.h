// Releasing and discarding held mail: the quarantine index in the store says what is held and
// where; the MTA's hold queue holds it. Exactly once: the store's compare-and-set moves an
// entry from held to releasing before the MTA is asked, so of two operators (or two gateway
// nodes) releasing the same message, only one reaches the MTA. A claim cut short (a crash
// between the claim and its end) is recovered by the next release or discard once it is stale.
//
// Thread-safety: the functions may be called concurrently; the store serialises them.
#pragma once

#include <chrono>
#include <string>

#include "core/config.h"
#include "core/error.h"
#include "store/store.h"

namespace sendguard {

// Whether an entry is a release or discard that stalled: state releasing for at least
// gateway.stale_release_s (the operator or node that claimed it was cut short).
bool is_stale_claim(const QuarantineEntry& entry, const GatewayConfig& config,
                    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Releases a held message for delivery. `by` names who released it, for the audit log. Returns
// what was done, for the operator.
//
// Recovery: on an entry whose release or discard stalled (is_stale_claim), the claim is taken
// over (one operator or node wins, see Store::take_over_claim) and the hold queue asked: a
// message still held goes back to held and is then released as asked; a message gone from the
// hold queue was acted on before the claim was cut short, so the entry is marked as the
// claimant meant it (its "release-started" or "discard-started" audit record; released when
// that record is missing, since the message may have gone out) and the recovery is audited.
// Asking to discard what had in fact been released (or the reverse) is an error that says so.
Result<std::string> release_held(
    Store& store, const GatewayConfig& config, const std::string& id, const std::string& by,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Deletes a held message from the MTA's hold queue without delivering it; recovers a stalled
// claim as release_held() does.
Result<std::string> discard_held(
    Store& store, const GatewayConfig& config, const std::string& id, const std::string& by,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace sendguard
