// A table-valued function that hands an import's rows to SQLite from memory:
//
//   INSERT INTO history_counts SELECT ... FROM sendguard_import_rows(?1) WHERE true ON CONFLICT ...
//
// with ?1 bound by bind_import_rows(). One statement then inserts every row in one pass over the
// table, where a statement stepped once per row starts its program, opens its cursor and seeks
// from the root again for each row: several times the work for a few million rows.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace sendguard::store_internal {

// One row of history_counts, texts already numbered as the store numbers them.
struct ImportRow {
  std::int64_t scope, subject, key, key2, local, messages, first_us, last_us;
  std::string day_list;  // encoded (store/day_list.h)
};

// Where the rows come from: built one at a time as SQLite reads them, so that an import of
// millions of rows needs no second copy of them.
class ImportRowSource {
 public:
  virtual ~ImportRowSource() = default;
  virtual std::size_t size() const = 0;
  // Fills `row` (reusing its day_list's memory) with row `index`, 0 <= index < size().
  virtual void fill(std::size_t index, ImportRow& row) const = 0;
};

// Registers sendguard_import_rows on one connection; an SQLite result code.
int register_import_rows(sqlite3* db);
// Binds `rows` (which must outlive the statement's run) to parameter `index`.
int bind_import_rows(sqlite3_stmt* statement, int index, const ImportRowSource* rows);

}  // namespace sendguard::store_internal
