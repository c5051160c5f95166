// SQL functions over history day lists (store/day_list.h), so that one upsert merges a row's
// days inside SQLite:
//   sendguard_day_union(a, b)  the days of both lists, as a list
//   sendguard_day_count(a)     how many days a list holds
//   sendguard_day_list(day)    aggregate: the list of the days given (used by migration 3)
// A value that is not a day list is an error ("malformed day list"), never a wrong count.
#pragma once

#include <sqlite3.h>

namespace sendguard::store_internal {

// Registers the functions on one connection; an SQLite result code.
int register_day_functions(sqlite3* db);

}  // namespace sendguard::store_internal
