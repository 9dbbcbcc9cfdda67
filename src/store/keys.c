/* keys.c - API keys: creation (only a hash of the secret is kept), authentication through
 * an in-memory cache keyed by that hash, listing, revocation, and their audit records. */
#include "store_int.h"

#include "steward/audit.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_ID_BYTES (SW_KEY_ID_CHARS / 2)
#define SECRET_B64_CHARS 43 /* base64url of 32 bytes, no padding */
#define TOKEN_CHARS (sizeof STORE_SECRET_PREFIX - 1 + SECRET_B64_CHARS)
#define KEY_COLUMNS "id, name, role, rate_per_min, tokens_per_day, created, revoked"

/* ------------------------------------------------------------------- the cache */

static size_t bucket_of(const uint8_t hash[SW_SHA256_BYTES]) {
    return ((size_t)hash[0] | (size_t)hash[1] << 8) % STORE_CACHE_BUCKETS;
}

void store_cache_flush(sw_store *s) {
    pthread_rwlock_wrlock(&s->cache_mu);
    for (size_t b = 0; b < STORE_CACHE_BUCKETS; b++) {
        for (cache_entry *e = s->cache[b], *next; e; e = next) {
            next = e->next;
            sodium_memzero(e, sizeof *e);
            free(e);
        }
        s->cache[b] = NULL;
    }
    pthread_rwlock_unlock(&s->cache_mu);
}

void store_cache_free(sw_store *s) { store_cache_flush(s); }

/* 1 and *info when hash is cached; 0 otherwise. */
static int cache_find(sw_store *s, const uint8_t hash[SW_SHA256_BYTES], sw_key_info *info) {
    int found = 0;
    pthread_rwlock_rdlock(&s->cache_mu);
    for (cache_entry *e = s->cache[bucket_of(hash)]; e && !found; e = e->next)
        if (sodium_memcmp(e->hash, hash, SW_SHA256_BYTES) == 0) {
            *info = e->info;
            found = 1;
        }
    pthread_rwlock_unlock(&s->cache_mu);
    return found;
}

/* Adds a live key (call with db_mu held, so that a revocation cannot slip in between the
 * read and the insert). Out of memory only means no caching. */
static void cache_add(sw_store *s, const uint8_t hash[SW_SHA256_BYTES], const sw_key_info *info) {
    cache_entry *e = malloc(sizeof *e);
    if (!e) return;
    memcpy(e->hash, hash, SW_SHA256_BYTES);
    e->info = *info;
    pthread_rwlock_wrlock(&s->cache_mu);
    size_t b = bucket_of(hash);
    e->next = s->cache[b];
    s->cache[b] = e;
    pthread_rwlock_unlock(&s->cache_mu);
}

/* ------------------------------------------------------------------- rows */

static void row_to_info(sqlite3_stmt *st, sw_key_info *k) {
    memset(k, 0, sizeof *k);
    store_col_copy(st, 0, k->id, sizeof k->id);
    store_col_copy(st, 1, k->name, sizeof k->name);
    k->role = (sw_role)sqlite3_column_int(st, 2);
    k->rate_per_min = sqlite3_column_int(st, 3);
    k->tokens_per_day = sqlite3_column_int64(st, 4);
    k->created = sqlite3_column_int64(st, 5);
    k->revoked = sqlite3_column_int(st, 6);
}

/* 1 when s is exactly SW_KEY_ID_CHARS lower-case hex digits (the shape of a key id). */
static int looks_like_id(const char *s) {
    size_t n = strlen(s);
    if (n != SW_KEY_ID_CHARS) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

static int check_new_key(const char *name, sw_role role, int rate_per_min, long long tokens_per_day, sw_err *err) {
    if (role < SW_ROLE_USER || role > SW_ROLE_ADMIN) return sw_err_set(err, "key: unknown role %d", (int)role);
    if (rate_per_min < 0) return sw_err_set(err, "key: rate per minute %d is negative", rate_per_min);
    if (tokens_per_day < 0) return sw_err_set(err, "key: tokens per day %lld is negative", tokens_per_day);
    if (!name || !*name) return 0;
    if (store_check_ident(name, SW_KEY_NAME_MAX, "key name", err) < 0) return -1;
    if (looks_like_id(name))
        return sw_err_set(err, "key name '%s' looks like a key id (16 hex digits); choose another", name);
    return 0;
}

/* ------------------------------------------------------------------- the API */

/* Inserts the new key's row. -1 with a message naming a duplicate live name. */
static int insert_key(sw_store *s, const uint8_t hash[SW_SHA256_BYTES], const sw_key_info *k, sw_err *err) {
    sqlite3_stmt *st;
    if (store_prepare(s,
                      "INSERT INTO keys (id, hash, name, role, rate_per_min, tokens_per_day, created)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?)",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, k->id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, hash, SW_SHA256_BYTES, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, k->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, (int)k->role);
    sqlite3_bind_int(st, 5, k->rate_per_min);
    sqlite3_bind_int64(st, 6, k->tokens_per_day);
    sqlite3_bind_int64(st, 7, k->created);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc == SQLITE_CONSTRAINT && k->name[0])
        return sw_err_set(err, "%s: a live key named '%s' exists already (revoke it first)", s->path, k->name);
    return store_db_err(s, "adding a key", err);
}

int sw_store_key_add(sw_store *s, const char *name, sw_role role, int rate_per_min, long long tokens_per_day,
                     char secret[SW_KEY_SECRET_CHARS], sw_key_info *info, sw_err *err) {
    if (check_new_key(name, role, rate_per_min, tokens_per_day, err) < 0) return -1;
    sw_key_info k = {.role = role, .rate_per_min = rate_per_min, .tokens_per_day = tokens_per_day};
    snprintf(k.name, sizeof k.name, "%s", name ? name : "");
    k.created = store_now();
    uint8_t raw[STORE_SECRET_BYTES], idb[KEY_ID_BYTES], hash[SW_SHA256_BYTES];
    randombytes_buf(raw, sizeof raw);
    randombytes_buf(idb, sizeof idb);
    sw_hex(idb, sizeof idb, k.id);
    sw_sha256(raw, sizeof raw, hash);
    pthread_mutex_lock(&s->db_mu);
    int rc = insert_key(s, hash, &k, err);
    pthread_mutex_unlock(&s->db_mu);
    if (rc == 0) {
        memcpy(secret, STORE_SECRET_PREFIX, sizeof STORE_SECRET_PREFIX - 1);
        sodium_bin2base64(secret + sizeof STORE_SECRET_PREFIX - 1, SW_KEY_SECRET_CHARS - (sizeof STORE_SECRET_PREFIX - 1),
                          raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        if (info) *info = k;
    }
    sodium_memzero(raw, sizeof raw);
    return rc;
}

/* Decodes a bearer token into the hash of its secret. 0 when it does not have the shape
 * of a steward key. */
static int token_hash(const char *bearer, uint8_t hash[SW_SHA256_BYTES]) {
    size_t pre = sizeof STORE_SECRET_PREFIX - 1;
    if (!bearer || strnlen(bearer, TOKEN_CHARS + 1) != TOKEN_CHARS || memcmp(bearer, STORE_SECRET_PREFIX, pre) != 0)
        return 0;
    uint8_t raw[STORE_SECRET_BYTES];
    size_t n = 0;
    if (sodium_base642bin(raw, sizeof raw, bearer + pre, SECRET_B64_CHARS, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || n != sizeof raw)
        return 0;
    sw_sha256(raw, sizeof raw, hash);
    sodium_memzero(raw, sizeof raw);
    return 1;
}

int store_keys_prepare(sw_store *s, sw_err *err) {
    if (sqlite3_prepare_v3(s->db, "SELECT " KEY_COLUMNS ", hash FROM keys WHERE hash = ?", -1,
                           SQLITE_PREPARE_PERSISTENT, &s->auth_st, NULL) != SQLITE_OK)
        return store_db_err(s, "prepare", err);
    return 0;
}

/* Reads the key with this hash from the database and caches it when live. Call with db_mu
 * held. 1 live, 0 unknown or revoked, -1 error. */
static int auth_from_db(sw_store *s, const uint8_t hash[SW_SHA256_BYTES], sw_key_info *info, sw_err *err) {
    sqlite3_stmt *st = s->auth_st;
    sqlite3_bind_blob(st, 1, hash, SW_SHA256_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(st), live = 0;
    if (rc == SQLITE_ROW) {
        sw_key_info k;
        row_to_info(st, &k);
        const void *h = sqlite3_column_blob(st, 7);
        live = !k.revoked && h && sqlite3_column_bytes(st, 7) == SW_SHA256_BYTES &&
               sodium_memcmp(h, hash, SW_SHA256_BYTES) == 0;
        if (live) {
            cache_add(s, hash, &k);
            if (info) *info = k;
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) live = store_db_err(s, "authenticating a key", err);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return live;
}

int sw_store_key_auth(sw_store *s, const char *bearer, sw_key_info *info, sw_err *err) {
    uint8_t hash[SW_SHA256_BYTES];
    if (!token_hash(bearer, hash)) return 0;
    if (store_sync_if_due(s, err) < 0) return -1;
    sw_key_info k;
    if (cache_find(s, hash, &k)) {
        if (info) *info = k;
        return 1;
    }
    pthread_mutex_lock(&s->db_mu);
    int rc = auth_from_db(s, hash, info, err);
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

/* Reads every key into *out (malloc'd; caller frees) in order of creation (db_mu held). */
static int read_all_keys(sw_store *s, sw_key_info **out, size_t *n, sw_err *err) {
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (store_prepare(s, "SELECT " KEY_COLUMNS " FROM keys ORDER BY created, rowid", &st, err) < 0) return -1;
    size_t cap = 0;
    int step, rc = 0;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            sw_key_info *grown = realloc(*out, ncap * sizeof *grown);
            if (!grown) {
                rc = sw_err_set(err, "listing keys: out of memory");
                break;
            }
            *out = grown;
            cap = ncap;
        }
        row_to_info(st, &(*out)[(*n)++]);
    }
    if (rc == 0 && step != SQLITE_DONE) rc = store_db_err(s, "listing keys", err);
    sqlite3_finalize(st);
    return rc;
}

int sw_store_key_list(sw_store *s, int (*fn)(void *ud, const sw_key_info *k), void *ud, sw_err *err) {
    sw_key_info *keys;
    size_t n;
    pthread_mutex_lock(&s->db_mu);
    int rc = read_all_keys(s, &keys, &n, err);
    pthread_mutex_unlock(&s->db_mu);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (fn(ud, &keys[i]) != 0) break; /* no lock held: fn may call the store */
    free(keys);
    return rc;
}

int sw_store_key_get(sw_store *s, const char *id_or_name, sw_key_info *info, sw_err *err) {
    if (!id_or_name || !*id_or_name) return 0;
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s,
                           "SELECT " KEY_COLUMNS " FROM keys WHERE id = ?1 OR name = ?1"
                           " ORDER BY revoked, created DESC, rowid DESC LIMIT 1",
                           &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, id_or_name, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            if (info) row_to_info(st, info);
            rc = 1;
        } else if (step != SQLITE_DONE) {
            rc = store_db_err(s, "reading a key", err);
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

int sw_store_key_revoke(sw_store *s, const char *id_or_name, sw_err *err) {
    if (!id_or_name || !*id_or_name) return 0;
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s,
                           "UPDATE keys SET revoked = 1, revoked_at = ?2"
                           " WHERE revoked = 0 AND (id = ?1 OR name = ?1)",
                           &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, id_or_name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, store_now());
        if (sqlite3_step(st) != SQLITE_DONE) rc = store_db_err(s, "revoking a key", err);
        else rc = sqlite3_changes(s->db) > 0;
        sqlite3_finalize(st);
    }
    if (rc == 1) store_cache_flush(s); /* under db_mu: no auth can re-cache it meanwhile */
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

/* Appends r (consumed) as one compact JSON record with sorted keys. */
static int append_json(sw_audit *log, json_t *r, uint64_t *index, sw_err *err) {
    char *text = r ? json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(r);
    if (!text) return sw_err_set(err, "audit record: out of memory");
    uint64_t idx;
    int rc = sw_audit_append(log, text, strlen(text), index ? index : &idx, err);
    free(text);
    return rc;
}

int sw_store_key_audit(sw_audit *log, const char *action, const sw_key_info *k, const char *principal,
                       uint64_t *index, sw_err *err) {
    json_t *r = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:i,s:I}", "type", "key", "action", action, "time",
                          (json_int_t)store_now(), "principal", principal ? principal : "", "key_id", k->id,
                          "name", k->name, "role", sw_role_name(k->role), "rate_per_min", k->rate_per_min,
                          "tokens_per_day", (json_int_t)k->tokens_per_day);
    return append_json(log, r, index, err) < 0 ? sw_err_prefix(err, "audit record of key %s", k->id) : 0;
}

int sw_store_audit_oversight(sw_audit *log, const char *action, const char *principal, const char *subject,
                             const char *details_json, uint64_t *index, sw_err *err) {
    if (!action || !*action) return sw_err_set(err, "oversight audit record: no action given");
    json_t *details = NULL;
    if (details_json) {
        json_error_t je;
        details = json_loads(details_json, 0, &je);
        if (!json_is_object(details)) {
            json_decref(details);
            return sw_err_set(err, "oversight audit record (%s): details are not a JSON object (%s)", action,
                              details ? "another JSON value" : je.text);
        }
    }
    json_t *r = json_pack("{s:s,s:s,s:I,s:s,s:s?,s:o*}", "type", "oversight", "action", action, "time",
                          (json_int_t)store_now(), "principal", principal ? principal : "", "subject", subject,
                          "details", details);
    return append_json(log, r, index, err) < 0 ? sw_err_prefix(err, "oversight audit record (%s)", action) : 0;
}
