// Releasing and discarding held mail: the quarantine index in the store says what is held and
// where; the MTA's hold queue holds it. Exactly once: the store's compare-and-set moves an
// entry from held to releasing before the MTA is asked, so of two operators (or two gateway
// nodes) releasing the same message, only one reaches the MTA.
//
// Thread-safety: the functions may be called concurrently; the store serialises them.
#pragma once

#include <string>

#include "core/config.h"
#include "core/error.h"
#include "store/store.h"

namespace sendguard {

// Releases a held message for delivery. `by` names who released it, for the audit log.
Result<void> release_held(Store& store, const GatewayConfig& config, const std::string& id,
                          const std::string& by);

// Deletes a held message from the MTA's hold queue without delivering it.
Result<void> discard_held(Store& store, const GatewayConfig& config, const std::string& id,
                          const std::string& by);

}  // namespace sendguard
