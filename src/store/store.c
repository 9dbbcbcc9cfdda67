/* store.c - the state store's database: opening state.db (WAL, 0600), schema migrations,
 * role names, and the helpers the other src/store files share. */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Migration i brings the schema from version i to version i + 1; append, never edit. */
static const char *const MIGRATIONS[] = {
    /* 0 -> 1: keys, usage, the oversight tables */
    "CREATE TABLE keys ("
    "  id TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',"
    "  role INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),"
    "  rate_per_min INTEGER NOT NULL CHECK (rate_per_min >= 0),"
    "  tokens_per_day INTEGER NOT NULL CHECK (tokens_per_day >= 0),"
    "  created INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, revoked_at INTEGER);"
    "CREATE UNIQUE INDEX keys_live_name ON keys(name) WHERE revoked = 0 AND name <> '';"
    "CREATE TABLE usage ("
    "  key_id TEXT NOT NULL REFERENCES keys(id), day INTEGER NOT NULL,"
    "  tokens INTEGER NOT NULL, PRIMARY KEY (key_id, day));"
    "CREATE TABLE reviews ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, completion_id TEXT NOT NULL,"
    "  owner_key_id TEXT REFERENCES keys(id), request_json TEXT NOT NULL,"
    "  verdicts_json TEXT NOT NULL, held BLOB, held_nonce BLOB,"
    "  status INTEGER NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 3),"
    "  created INTEGER NOT NULL, decided INTEGER NOT NULL DEFAULT 0,"
    "  reviewer_key_id TEXT REFERENCES keys(id), decision_text TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX reviews_status ON reviews(status, id);"
    "CREATE TABLE completions ("
    "  id TEXT PRIMARY KEY, owner_key_id TEXT REFERENCES keys(id), json TEXT NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE takeovers ("
    "  conv_id TEXT PRIMARY KEY, by_key_id TEXT REFERENCES keys(id), since INTEGER NOT NULL);"
    "CREATE TABLE replies ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, conv_id TEXT NOT NULL,"
    "  by_key_id TEXT REFERENCES keys(id), text TEXT NOT NULL, created INTEGER NOT NULL,"
    "  delivered INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX replies_conv ON replies(conv_id, delivered, id);"
    "CREATE TABLE halt ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1), halted INTEGER NOT NULL, since INTEGER NOT NULL,"
    "  by TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE feedback ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, completion_id TEXT NOT NULL,"
    "  owner_key_id TEXT REFERENCES keys(id),"
    "  category INTEGER NOT NULL CHECK (category BETWEEN 0 AND 3),"
    "  comment TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL,"
    "  handled INTEGER NOT NULL DEFAULT 0);",
    /* 1 -> 2: requests of a conversation taken over still waiting for a person's reply */
    "CREATE TABLE conv_waits ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, conv_id TEXT NOT NULL, completion_id TEXT NOT NULL UNIQUE,"
    "  owner_key_id TEXT NOT NULL, chat INTEGER NOT NULL, created INTEGER NOT NULL);"
    "CREATE INDEX conv_waits_conv ON conv_waits(conv_id, id);",
};
#define SCHEMA_VERSION ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

static const char *const ROLE_NAMES[] = {NULL, "user", "reviewer", "admin"};

const char *sw_role_name(sw_role r) {
    return r >= SW_ROLE_USER && r <= SW_ROLE_ADMIN ? ROLE_NAMES[r] : "unknown";
}

int sw_role_parse(const char *s, sw_role *out) {
    for (int r = SW_ROLE_USER; s && r <= SW_ROLE_ADMIN; r++)
        if (strcmp(s, ROLE_NAMES[r]) == 0) {
            *out = (sw_role)r;
            return 0;
        }
    return -1;
}

/* ------------------------------------------------------------------- shared helpers */

int store_db_err(sw_store *s, const char *what, sw_err *err) {
    return sw_err_set(err, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

int store_prepare(sw_store *s, const char *sql, sqlite3_stmt **st, sw_err *err) {
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return store_db_err(s, "prepare", err);
    }
    return 0;
}

int store_exec(sw_store *s, const char *sql, sw_err *err) {
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    sw_err_set(err, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return -1;
}

int store_bind_text_or_null(sqlite3_stmt *st, int i, const char *v) {
    return v && *v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

void store_col_copy(sqlite3_stmt *st, int i, char *out, size_t cap) {
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

char *store_col_dup(sqlite3_stmt *st, int i) {
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t ? (const char *)t : "");
}

long long store_now(void) { return (long long)time(NULL); }

int store_check_ident(const char *s, size_t max, const char *field, sw_err *err) {
    if (!s || !*s) return sw_err_set(err, "%s is empty", field);
    size_t n = strlen(s);
    if (n > max) return sw_err_set(err, "%s is %zu bytes long; at most %zu", field, n, max);
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~')
            return sw_err_set(err, "%s has a space or control or non-ASCII byte at offset %zu", field, i);
    return 0;
}

/* ------------------------------------------------------------------- sync and halt */

int store_halt_load(sw_store *s, sw_err *err) {
    sqlite3_stmt *st;
    if (store_prepare(s, "SELECT halted, since, by, reason FROM halt WHERE id = 1", &st, err) < 0) return -1;
    int rc = sqlite3_step(st);
    s->halted = 0;
    s->halt_since = 0;
    s->halt_by[0] = s->halt_reason[0] = 0;
    if (rc == SQLITE_ROW) {
        s->halted = sqlite3_column_int(st, 0);
        s->halt_since = sqlite3_column_int64(st, 1);
        store_col_copy(st, 2, s->halt_by, sizeof s->halt_by);
        store_col_copy(st, 3, s->halt_reason, sizeof s->halt_reason);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_db_err(s, "reading the halt", err);
    return 0;
}

static int read_data_version(sw_store *s, long long *v, sw_err *err) {
    sqlite3_stmt *st;
    if (store_prepare(s, "PRAGMA data_version", &st, err) < 0) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : store_db_err(s, "PRAGMA data_version", err);
}

int store_sync(sw_store *s, int force, sw_err *err) {
    uint64_t now = sw_now_ns();
    if (!force && now - __atomic_load_n(&s->synced_ns, __ATOMIC_RELAXED) < STORE_SYNC_INTERVAL_NS) return 0;
    long long v = 0;
    if (read_data_version(s, &v, err) < 0) return -1;
    __atomic_store_n(&s->synced_ns, now, __ATOMIC_RELAXED);
    if (v == s->data_version && !force) return 0;
    s->data_version = v;
    store_cache_flush(s);
    return store_halt_load(s, err);
}

int store_sync_if_due(sw_store *s, sw_err *err) {
    if (sw_now_ns() - __atomic_load_n(&s->synced_ns, __ATOMIC_RELAXED) < STORE_SYNC_INTERVAL_NS) return 0;
    pthread_mutex_lock(&s->db_mu);
    int rc = store_sync(s, 0, err);
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

/* ------------------------------------------------------------------- open and migrate */

static int schema_version(sw_store *s, int *v, sw_err *err) {
    if (store_exec(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", err) < 0)
        return -1;
    sqlite3_stmt *st;
    if (store_prepare(s, "SELECT version FROM schema_version", &st, err) < 0) return -1;
    int rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_db_err(s, "reading schema_version", err);
    return 0;
}

/* Brings the schema to SCHEMA_VERSION, one migration per transaction. -1 on error, or when
 * the file was written by a newer steward. */
static int migrate(sw_store *s, sw_err *err) {
    if (store_exec(s, "BEGIN IMMEDIATE", err) < 0) return -1;
    int v;
    if (schema_version(s, &v, err) < 0) goto fail;
    if (v > SCHEMA_VERSION) {
        sw_err_set(err, "%s: schema version %d is newer than this steward's (%d)", s->path, v, SCHEMA_VERSION);
        goto fail;
    }
    for (; v < SCHEMA_VERSION; v++) {
        if (store_exec(s, MIGRATIONS[v], err) < 0) {
            sw_err_prefix(err, "migration %d to %d", v, v + 1);
            goto fail;
        }
    }
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d)", v);
    if (store_exec(s, sql, err) < 0 || store_exec(s, "COMMIT", err) < 0) goto fail;
    return 0;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* Creates the file with mode 0600 before SQLite opens it (its -wal and -shm files take the
 * database file's mode), and tightens the mode of an existing one. */
static int create_private(const char *path, sw_err *err) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return sw_err_set(err, "%s: cannot create: %s", path, strerror(errno));
    int rc = fchmod(fd, 0600);
    close(fd);
    if (rc != 0) return sw_err_set(err, "%s: chmod 0600: %s", path, strerror(errno));
    return 0;
}

static int configure(sw_store *s, sw_err *err) {
    if (sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK) return store_db_err(s, "busy timeout", err);
    if (store_exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", err) < 0)
        return -1;
    return migrate(s, err);
}

int sw_store_open(const char *home, sw_store **out, sw_err *err) {
    *out = NULL;
    if (sw_crypto_init(err) < 0) return -1;
    if (!home || !*home) return sw_err_set(err, "state store: no state directory given");
    sw_store *s = calloc(1, sizeof *s);
    if (!s) return sw_err_set(err, "state store: out of memory");
    int n = snprintf(s->path, sizeof s->path, "%s/%s", home, STORE_DB_NAME);
    if (n < 0 || (size_t)n >= sizeof s->path) {
        free(s);
        return sw_err_set(err, "state store: path of %s under %s too long", STORE_DB_NAME, home);
    }
    pthread_mutex_init(&s->db_mu, NULL);
    pthread_rwlock_init(&s->cache_mu, NULL);
    pthread_mutex_init(&s->limit_mu, NULL);
    if (sw_mkdirs(home, 0700, err) < 0 || create_private(s->path, err) < 0) goto fail;
    if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        store_db_err(s, "cannot open", err);
        goto fail;
    }
    if (configure(s, err) < 0 || store_keys_prepare(s, err) < 0 || store_sync(s, 1, err) < 0) goto fail;
    *out = s;
    return 0;
fail:
    sw_store_close(s);
    return -1;
}

void sw_store_close(sw_store *s) {
    if (!s) return;
    sqlite3_finalize(s->auth_st);
    if (s->db) sqlite3_close(s->db);
    store_cache_free(s);
    store_limits_free(s);
    pthread_mutex_destroy(&s->db_mu);
    pthread_rwlock_destroy(&s->cache_mu);
    pthread_mutex_destroy(&s->limit_mu);
    free(s);
}
