/* store_int.h - the state store's internals shared by the files of src/store (not a public API). */
#ifndef STEWARD_STORE_INT_H
#define STEWARD_STORE_INT_H

#include "steward/store.h"

#include <pthread.h>
#include <sqlite3.h>

#define STORE_DB_NAME "state.db"
#define STORE_BUSY_TIMEOUT_MS 5000
/* How often (at most) auth and halt look whether another process changed state.db. */
#define STORE_SYNC_INTERVAL_NS (50ull * 1000 * 1000)
#define STORE_CACHE_BUCKETS 1024 /* authenticated-key cache: chained hash table */
#define STORE_LIMIT_BUCKETS 256  /* per-key rate and day counters */
#define STORE_SECRET_BYTES 32    /* 256-bit random key secret */
#define STORE_SECRET_PREFIX "sk-sw-"
#define STORE_SECONDS_PER_DAY 86400

typedef struct cache_entry {
    uint8_t hash[SW_SHA256_BYTES];
    sw_key_info info;
    struct cache_entry *next;
} cache_entry;

typedef struct limit_entry {
    char key_id[SW_KEY_ID_CHARS + 1];
    double tokens;          /* token bucket of the per-minute rate */
    uint64_t refilled_ns;   /* monotonic time of the last refill */
    long long day;          /* UTC day (unix seconds / 86400) of day_tokens */
    long long day_tokens;   /* tokens charged on that day (mirrors the usage table) */
    struct limit_entry *next;
} limit_entry;

struct sw_store {
    sqlite3 *db;
    pthread_mutex_t db_mu;          /* one connection, used by one thread at a time */
    sqlite3_stmt *auth_st;          /* the key lookup by hash, prepared once (db_mu) */
    char path[4096];
    /* authenticated keys, keyed by SHA-256 of the secret */
    pthread_rwlock_t cache_mu;
    cache_entry *cache[STORE_CACHE_BUCKETS];
    /* rate limits (memory) and the day's tokens (memory mirror of the usage table) */
    pthread_mutex_t limit_mu;
    limit_entry *limits[STORE_LIMIT_BUCKETS];
    /* what another process may change: seen through PRAGMA data_version */
    uint64_t synced_ns;             /* written under db_mu, read atomically */
    long long data_version;         /* guarded by db_mu */
    /* halt, answered from memory (guarded by db_mu) */
    int halted;
    long long halt_since;
    char halt_by[SW_HALT_BY_MAX + 1];
    char halt_reason[SW_HALT_REASON_MAX + 1];
};

/* ---- store.c ---- */
/* Fills err with "state.db: what: sqlite's message" and returns -1. Call with db_mu held. */
int store_db_err(sw_store *s, const char *what, sw_err *err);
/* Prepares sql; -1 with err filled. Call with db_mu held. */
int store_prepare(sw_store *s, const char *sql, sqlite3_stmt **st, sw_err *err);
/* Runs a statement without results (sql may hold several). Call with db_mu held. */
int store_exec(sw_store *s, const char *sql, sw_err *err);
/* Binds text, or NULL when v is NULL or empty. */
int store_bind_text_or_null(sqlite3_stmt *st, int i, const char *v);
/* Copies column i (text, NULL as "") into out[cap]. */
void store_col_copy(sqlite3_stmt *st, int i, char *out, size_t cap);
/* malloc'd copy of column i ("" for NULL); NULL when memory runs out. */
char *store_col_dup(sqlite3_stmt *st, int i);
/* Looks whether another connection changed state.db since the last look (at most every
 * STORE_SYNC_INTERVAL_NS unless force): if so flushes the key cache and reloads the halt.
 * Call with db_mu held. -1 on error. */
int store_sync(sw_store *s, int force, sw_err *err);
/* store_sync(s, 0) taking db_mu, after a lock-free look at the clock (call without db_mu). */
int store_sync_if_due(sw_store *s, sw_err *err);
/* Reloads the halt row into memory. Call with db_mu held. */
int store_halt_load(sw_store *s, sw_err *err);
/* Current unix seconds. */
long long store_now(void);
/* Checks that s is a short identifier for the given field: 1..max bytes, printable ASCII
 * without spaces. -1 with err naming the field otherwise. */
int store_check_ident(const char *s, size_t max, const char *field, sw_err *err);

/* ---- keys.c ---- */
/* Prepares the statements keys.c keeps for the life of the store. -1 on error. */
int store_keys_prepare(sw_store *s, sw_err *err);
/* Empties the authenticated-key cache. */
void store_cache_flush(sw_store *s);
void store_cache_free(sw_store *s);

/* ---- limits.c ---- */
void store_limits_free(sw_store *s);

#endif
