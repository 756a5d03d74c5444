#include <sqlite3.h>

// sqlite3_config is variadic, which Swift cannot call: this wraps the one setting we make.
// Memory statistics off. With them on (the library's default), every sqlite3_malloc and
// sqlite3_free takes a process-wide mutex to count bytes that nothing here reads: 4 % of
// the CPU of a market buy on the SQLite store (perf with DWARF call graphs, stop 40).
// SQLite accepts it only before it initializes (SQLITE_MISUSE after; then nothing changes).
static inline int brokergate_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
