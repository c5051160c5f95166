#include "store/sqlite_day_functions.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "store/day_list.h"

namespace sendguard::store_internal {
namespace {

constexpr char kMalformed[] = "malformed day list";

std::string_view blob_of(sqlite3_value* value) {
  const void* data = sqlite3_value_blob(value);
  int size = sqlite3_value_bytes(value);
  return data ? std::string_view(static_cast<const char*>(data), static_cast<std::size_t>(size))
              : std::string_view();
}

// An empty list is an empty blob, not NULL (which a null pointer would give).
void set_blob(sqlite3_context* context, std::string_view bytes) {
  if (bytes.empty()) return sqlite3_result_zeroblob(context, 0);
  sqlite3_result_blob64(context, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
}

void day_union(sqlite3_context* context, int, sqlite3_value** args) {
  auto merged = merge_day_lists(blob_of(args[0]), blob_of(args[1]));
  if (!merged) return sqlite3_result_error(context, kMalformed, -1);
  set_blob(context, *merged);
}

void day_count(sqlite3_context* context, int, sqlite3_value** args) {
  auto days = decode_day_list(blob_of(args[0]));
  if (!days) return sqlite3_result_error(context, kMalformed, -1);
  sqlite3_result_int64(context, static_cast<sqlite3_int64>(days->size()));
}

// The aggregate's state: SQLite hands out zeroed memory, so the vector lives on the heap and
// the state holds only its pointer.
std::vector<std::int64_t>*& collected(sqlite3_context* context, int bytes) {
  return *static_cast<std::vector<std::int64_t>**>(sqlite3_aggregate_context(context, bytes));
}

void day_list_step(sqlite3_context* context, int, sqlite3_value** args) {
  if (sqlite3_aggregate_context(context, sizeof(void*)) == nullptr) {
    return sqlite3_result_error_nomem(context);
  }
  std::vector<std::int64_t>*& days = collected(context, sizeof(void*));
  if (!days) days = new std::vector<std::int64_t>();
  days->push_back(sqlite3_value_int64(args[0]));
}

void day_list_final(sqlite3_context* context) {
  // Asking for zero bytes gives the state only if a step made it.
  void* state = sqlite3_aggregate_context(context, 0);
  std::vector<std::int64_t>* days = state ? collected(context, 0) : nullptr;
  if (!days) return set_blob(context, {});
  std::sort(days->begin(), days->end());
  days->erase(std::unique(days->begin(), days->end()), days->end());
  set_blob(context, encode_day_list(*days));
  delete days;
}

}  // namespace

int register_day_functions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  int rc = sqlite3_create_function_v2(db, "sendguard_day_union", 2, kFlags, nullptr, day_union,
                                      nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function_v2(db, "sendguard_day_count", 1, kFlags, nullptr, day_count,
                                    nullptr, nullptr, nullptr);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function_v2(db, "sendguard_day_list", 1, kFlags, nullptr, nullptr,
                                    day_list_step, day_list_final, nullptr);
  }
  return rc;
}

}  // namespace sendguard::store_internal
