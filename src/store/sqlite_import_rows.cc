#include "store/sqlite_import_rows.h"

#include <cstddef>
#include <new>

namespace sendguard::store_internal {
namespace {

// The pointer type name SQLite checks when the pointer is read back: a value bound by anyone
// else cannot be taken for our rows.
constexpr const char* kPointerType = "sendguard_import_rows";

enum Column { kScope, kSubject, kKey, kKey2, kLocal, kMessages, kFirst, kLast, kDayList, kSource };

struct Cursor {
  sqlite3_vtab_cursor base;  // first, as SQLite requires
  const ImportRowSource* rows = nullptr;
  std::size_t next = 0;
  ImportRow row;  // rows->fill(next)

  void fill() {
    if (rows && next < rows->size()) rows->fill(next, row);
  }
};

int connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** table, char**) {
  int rc = sqlite3_declare_vtab(
      db,
      "CREATE TABLE x(scope, subject, key, key2, local, messages, first_us, last_us, day_list, "
      "source HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  *table = new (std::nothrow) sqlite3_vtab{};
  return *table ? SQLITE_OK : SQLITE_NOMEM;
}

int disconnect(sqlite3_vtab* table) {
  delete table;
  return SQLITE_OK;
}

// The rows come only from the bound source: without `source = ?` there is nothing to read.
int best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn == kSource && c.op == SQLITE_INDEX_CONSTRAINT_EQ && c.usable) {
      info->aConstraintUsage[i].argvIndex = 1;
      info->aConstraintUsage[i].omit = 1;
      info->idxNum = 1;
      info->estimatedCost = 1;
      return SQLITE_OK;
    }
  }
  return SQLITE_CONSTRAINT;
}

int open(sqlite3_vtab*, sqlite3_vtab_cursor** cursor) {
  auto* c = new (std::nothrow) Cursor{};
  if (!c) return SQLITE_NOMEM;
  *cursor = &c->base;
  return SQLITE_OK;
}

int close(sqlite3_vtab_cursor* cursor) {
  delete reinterpret_cast<Cursor*>(cursor);
  return SQLITE_OK;
}

int filter(sqlite3_vtab_cursor* cursor, int, const char*, int argc, sqlite3_value** argv) {
  auto* c = reinterpret_cast<Cursor*>(cursor);
  c->rows = argc == 1 ? static_cast<const ImportRowSource*>(
                            sqlite3_value_pointer(argv[0], kPointerType))
                      : nullptr;
  c->next = 0;
  c->fill();
  return SQLITE_OK;
}

int next(sqlite3_vtab_cursor* cursor) {
  auto* c = reinterpret_cast<Cursor*>(cursor);
  ++c->next;
  c->fill();
  return SQLITE_OK;
}

int eof(sqlite3_vtab_cursor* cursor) {
  auto* c = reinterpret_cast<Cursor*>(cursor);
  return !c->rows || c->next >= c->rows->size();
}

int column(sqlite3_vtab_cursor* cursor, sqlite3_context* context, int n) {
  auto* c = reinterpret_cast<Cursor*>(cursor);
  const ImportRow& row = c->row;
  switch (n) {
    case kScope:
      sqlite3_result_int64(context, row.scope);
      break;
    case kSubject:
      sqlite3_result_int64(context, row.subject);
      break;
    case kKey:
      sqlite3_result_int64(context, row.key);
      break;
    case kKey2:
      sqlite3_result_int64(context, row.key2);
      break;
    case kLocal:
      sqlite3_result_int64(context, row.local);
      break;
    case kMessages:
      sqlite3_result_int64(context, row.messages);
      break;
    case kFirst:
      sqlite3_result_int64(context, row.first_us);
      break;
    case kLast:
      sqlite3_result_int64(context, row.last_us);
      break;
    case kDayList:
      // Valid until the cursor moves, which is as long as SQLite needs it.
      sqlite3_result_blob(context, row.day_list.data(), static_cast<int>(row.day_list.size()),
                          SQLITE_STATIC);
      break;
    default:
      sqlite3_result_null(context);
  }
  return SQLITE_OK;
}

int rowid(sqlite3_vtab_cursor* cursor, sqlite3_int64* id) {
  *id = static_cast<sqlite3_int64>(reinterpret_cast<Cursor*>(cursor)->next);
  return SQLITE_OK;
}

// Eponymous only (no xCreate): it exists in every schema without a CREATE VIRTUAL TABLE, and
// it is read-only (no xUpdate).
const sqlite3_module kModule = {
    /*iVersion=*/0, /*xCreate=*/nullptr, connect, best_index, disconnect, /*xDestroy=*/nullptr,
    open, close, filter, next, eof, column, rowid,
    /*xUpdate=*/nullptr, /*xBegin=*/nullptr, /*xSync=*/nullptr, /*xCommit=*/nullptr,
    /*xRollback=*/nullptr, /*xFindFunction=*/nullptr, /*xRename=*/nullptr,
    /*xSavepoint=*/nullptr, /*xRelease=*/nullptr, /*xRollbackTo=*/nullptr,
    /*xShadowName=*/nullptr};

}  // namespace

int register_import_rows(sqlite3* db) {
  return sqlite3_create_module(db, "sendguard_import_rows", &kModule, nullptr);
}

int bind_import_rows(sqlite3_stmt* statement, int index, const ImportRowSource* rows) {
  return sqlite3_bind_pointer(statement, index, const_cast<ImportRowSource*>(rows), kPointerType,
                              nullptr);
}

}  // namespace sendguard::store_internal
