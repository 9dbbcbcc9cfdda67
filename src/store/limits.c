/* limits.c - per-key limits: a token bucket per key for the per-minute rate (memory), and
 * the generated tokens of each UTC day (the usage table, mirrored in memory). */
#include "store_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1e9
#define SECONDS_PER_MINUTE 60.0

void store_limits_free(sw_store *s) {
    for (size_t b = 0; b < STORE_LIMIT_BUCKETS; b++) {
        for (limit_entry *e = s->limits[b], *next; e; e = next) {
            next = e->next;
            free(e);
        }
        s->limits[b] = NULL;
    }
}

static long long utc_day(long long unix_s) { return unix_s / STORE_SECONDS_PER_DAY; }

/* Key k's entry, created with a full bucket (call with limit_mu held). NULL when memory runs out. */
static limit_entry *entry_of(sw_store *s, const sw_key_info *k) {
    size_t h = 5381;
    for (const char *c = k->id; *c; c++) h = h * 33 + (unsigned char)*c;
    limit_entry **head = &s->limits[h % STORE_LIMIT_BUCKETS];
    for (limit_entry *e = *head; e; e = e->next)
        if (strcmp(e->key_id, k->id) == 0) return e;
    limit_entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    memcpy(e->key_id, k->id, sizeof e->key_id);
    e->tokens = k->rate_per_min;
    e->refilled_ns = sw_now_ns();
    e->day = -1;
    e->next = *head;
    *head = e;
    return e;
}

/* Today's tokens of key_id from the usage table (call with db_mu held). -1 on error. */
static int read_usage(sw_store *s, const char *key_id, long long day, long long *tokens, sw_err *err) {
    sqlite3_stmt *st;
    if (store_prepare(s, "SELECT tokens FROM usage WHERE key_id = ? AND day = ?", &st, err) < 0) return -1;
    sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, day);
    int rc = sqlite3_step(st);
    *tokens = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_db_err(s, "reading token usage", err);
    return 0;
}

/* Makes e->day_tokens today's count, reading it once per day (limit_mu held). */
static int ensure_day(sw_store *s, limit_entry *e, long long today, sw_err *err) {
    if (e->day == today) return 0;
    long long t;
    pthread_mutex_lock(&s->db_mu);
    int rc = read_usage(s, e->key_id, today, &t, err);
    pthread_mutex_unlock(&s->db_mu);
    if (rc < 0) return -1;
    e->day = today;
    e->day_tokens = t;
    return 0;
}

/* The rate part of admit: 1 when a whole token is in the bucket (and takes it). */
static int take_rate(limit_entry *e, int rate_per_min, int *retry_after_s) {
    uint64_t now = sw_now_ns();
    double per_s = rate_per_min / SECONDS_PER_MINUTE;
    e->tokens += (double)(now - e->refilled_ns) / NS_PER_S * per_s;
    if (e->tokens > rate_per_min) e->tokens = rate_per_min;
    e->refilled_ns = now;
    if (e->tokens >= 1.0) {
        e->tokens -= 1.0;
        return 1;
    }
    int wait = (int)ceil((1.0 - e->tokens) / per_s);
    *retry_after_s = wait < 1 ? 1 : wait;
    return 0;
}

int sw_store_limit_admit(sw_store *s, const sw_key_info *k, int *retry_after_s, sw_err *err) {
    int dummy;
    if (!retry_after_s) retry_after_s = &dummy;
    *retry_after_s = 0;
    if (k->rate_per_min <= 0 && k->tokens_per_day <= 0) return 1;
    pthread_mutex_lock(&s->limit_mu);
    limit_entry *e = entry_of(s, k);
    int rc = e ? 1 : sw_err_set(err, "rate limit of key %s: out of memory", k->id);
    if (rc == 1 && k->tokens_per_day > 0) {
        long long now = store_now(), today = utc_day(now);
        if (ensure_day(s, e, today, err) < 0) {
            rc = -1;
        } else if (e->day_tokens >= k->tokens_per_day) {
            *retry_after_s = (int)((today + 1) * STORE_SECONDS_PER_DAY - now);
            rc = 0;
        }
    }
    if (rc == 1 && k->rate_per_min > 0) rc = take_rate(e, k->rate_per_min, retry_after_s);
    pthread_mutex_unlock(&s->limit_mu);
    return rc;
}

/* Adds tokens to the usage row of (key_id, day) (db_mu held). */
static int add_usage(sw_store *s, const char *key_id, long long day, long long tokens, sw_err *err) {
    sqlite3_stmt *st;
    if (store_prepare(s,
                      "INSERT INTO usage (key_id, day, tokens) VALUES (?, ?, ?)"
                      " ON CONFLICT (key_id, day) DO UPDATE SET tokens = tokens + excluded.tokens",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, day);
    sqlite3_bind_int64(st, 3, tokens);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_db_err(s, "charging tokens", err);
}

int sw_store_limit_charge(sw_store *s, const sw_key_info *k, long long tokens, sw_err *err) {
    if (tokens < 0) return sw_err_set(err, "charging key %s: negative token count %lld", k->id, tokens);
    if (tokens == 0) return 0;
    long long today = utc_day(store_now());
    pthread_mutex_lock(&s->limit_mu);
    limit_entry *e = entry_of(s, k);
    int rc = e ? ensure_day(s, e, today, err) : sw_err_set(err, "charging key %s: out of memory", k->id);
    if (rc == 0) {
        pthread_mutex_lock(&s->db_mu);
        rc = add_usage(s, k->id, today, tokens, err);
        pthread_mutex_unlock(&s->db_mu);
    }
    if (rc == 0) e->day_tokens += tokens;
    pthread_mutex_unlock(&s->limit_mu);
    return rc;
}

int sw_store_limit_used(sw_store *s, const char *key_id, long long *tokens, sw_err *err) {
    pthread_mutex_lock(&s->db_mu);
    int rc = read_usage(s, key_id, utc_day(store_now()), tokens, err);
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

/* Reads a decimal integer of at most max from *p (advanced past it). -1 when there is no
 * digit or it is too large. */
static int read_count(const char **p, long long max, long long *out) {
    long long v = 0;
    const char *c = *p;
    if (!isdigit((unsigned char)*c)) return -1;
    for (; isdigit((unsigned char)*c); c++) {
        int d = *c - '0';
        if (v > (max - d) / 10) return -1;
        v = v * 10 + d;
    }
    *p = c;
    *out = v;
    return 0;
}

int sw_store_parse_rate(const char *s, int *per_min, sw_err *err) {
    const char *p = s ? s : "";
    long long v;
    if (read_count(&p, SW_RATE_MAX_PER_MIN, &v) < 0)
        return sw_err_set(err, "rate '%s': expected N, N/min or N/s with N at most %d per minute", s ? s : "",
                          SW_RATE_MAX_PER_MIN);
    if (strcmp(p, "/s") == 0) {
        if (v > SW_RATE_MAX_PER_MIN / 60)
            return sw_err_set(err, "rate '%s': more than %d per minute", s, SW_RATE_MAX_PER_MIN);
        v *= 60;
    } else if (*p && strcmp(p, "/min") != 0) {
        return sw_err_set(err, "rate '%s': unknown unit '%s' (use /min or /s)", s, p);
    }
    *per_min = (int)v;
    return 0;
}

int sw_store_parse_tokens(const char *s, long long *tokens, sw_err *err) {
    const char *p = s ? s : "";
    long long v;
    if (read_count(&p, SW_TOKENS_MAX, &v) < 0)
        return sw_err_set(err, "token count '%s': expected a whole number (k and M suffixes allowed), at most %lld",
                          s ? s : "", SW_TOKENS_MAX);
    long long mult = *p == 'k' ? 1000 : *p == 'M' ? 1000000 : 1;
    if (mult > 1) p++;
    if (*p) return sw_err_set(err, "token count '%s': unexpected '%s' after the number", s, p);
    if (v > SW_TOKENS_MAX / mult) return sw_err_set(err, "token count '%s': more than %lld", s, SW_TOKENS_MAX);
    *tokens = v * mult;
    return 0;
}
