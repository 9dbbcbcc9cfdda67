/* test_store.c - the state store: keys (hashed, cached, revoked across handles), limits,
 * review queue, stored completions, takeover and replies, halt, feedback; reopening keeps
 * everything; many threads at once. */
#include "steward/audit.h"
#include "steward/store.h"
#include "t.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define THREADS 8
#define PER_THREAD 40
#define SYNC_WAIT_US 80000 /* longer than the store's 50 ms look at other handles */

static char home_tpl[] = "/tmp/sw_store_XXXXXX";
static const char *home;

static sw_store *open_store(void) {
    sw_store *s = NULL;
    sw_err e = {{0}};
    int rc = sw_store_open(home, &s, &e);
    T_CHECK_MSG(rc == 0, "%s", e.msg);
    return s;
}

/* 1 when the file at path contains needle. */
static int file_contains(const char *path, const char *needle) {
    sw_buf b = {0};
    sw_err e;
    if (sw_read_file(path, &b, &e) < 0) return 0;
    int found = 0;
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= b.len && !found; i++) found = memcmp(b.data + i, needle, n) == 0;
    sw_buf_free(&b);
    return found;
}

static void test_roles(void) {
    sw_role r;
    T_CHECK(sw_role_parse("user", &r) == 0 && r == SW_ROLE_USER);
    T_CHECK(sw_role_parse("reviewer", &r) == 0 && r == SW_ROLE_REVIEWER);
    T_CHECK(sw_role_parse("admin", &r) == 0 && r == SW_ROLE_ADMIN);
    T_CHECK(sw_role_parse("root", &r) == -1);
    T_CHECK(sw_role_parse(NULL, &r) == -1);
    T_CHECK(strcmp(sw_role_name(SW_ROLE_REVIEWER), "reviewer") == 0);
}

static void test_parse_limits(void) {
    int r = -1;
    long long n = -1;
    sw_err e;
    T_CHECK(sw_store_parse_rate("60", &r, &e) == 0 && r == 60);
    T_CHECK(sw_store_parse_rate("60/min", &r, &e) == 0 && r == 60);
    T_CHECK(sw_store_parse_rate("2/s", &r, &e) == 0 && r == 120);
    T_CHECK(sw_store_parse_rate("0", &r, &e) == 0 && r == 0);
    T_CHECK(sw_store_parse_rate("5/week", &r, &e) == -1 && strstr(e.msg, "/week"));
    T_CHECK(sw_store_parse_rate("-1", &r, &e) == -1);
    T_CHECK(sw_store_parse_rate("", &r, &e) == -1);
    T_CHECK(sw_store_parse_rate("6000001", &r, &e) == -1);
    T_CHECK(sw_store_parse_rate("100001/s", &r, &e) == -1);
    T_CHECK(sw_store_parse_tokens("10k", &n, &e) == 0 && n == 10000);
    T_CHECK(sw_store_parse_tokens("3M", &n, &e) == 0 && n == 3000000);
    T_CHECK(sw_store_parse_tokens("42", &n, &e) == 0 && n == 42);
    T_CHECK(sw_store_parse_tokens("42x", &n, &e) == -1);
    T_CHECK(sw_store_parse_tokens("1000000000001k", &n, &e) == -1);
    T_CHECK(sw_store_parse_tokens("99999999999999999999", &n, &e) == -1);
}

static void test_open_creates_private_wal_db(void) {
    sw_store *s = open_store();
    char path[256];
    snprintf(path, sizeof path, "%s/state.db", home);
    struct stat st;
    T_CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    sqlite3 *db;
    T_CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    sqlite3_stmt *q;
    T_CHECK(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK);
    T_CHECK(sqlite3_step(q) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 0), "wal") == 0);
    sqlite3_finalize(q);
    T_CHECK(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &q, NULL) == SQLITE_OK);
    T_CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 2); /* 2: conv_waits */
    sqlite3_finalize(q);
    sqlite3_close(db);
    sw_store_close(s);
}

static void test_newer_schema_refused(void) {
    char dir[] = "/tmp/sw_store_newer_XXXXXX", path[128];
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/state.db", dir);
    sqlite3 *db;
    T_CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    T_CHECK(sqlite3_exec(db, "CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (99)",
                         NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    sw_store *s = NULL;
    sw_err e = {{0}};
    T_CHECK(sw_store_open(dir, &s, &e) == -1 && s == NULL);
    T_CHECK_MSG(strstr(e.msg, "newer") != NULL, "%s", e.msg);
    unlink(path);
    rmdir(dir);
}

static void test_key_add_auth_and_hash_only(void) {
    sw_store *s = open_store();
    char secret[SW_KEY_SECRET_CHARS];
    sw_key_info k, got;
    sw_err e = {{0}};
    T_CHECK_MSG(sw_store_key_add(s, "alice", SW_ROLE_USER, 60, 1000, secret, &k, &e) == 0, "%s", e.msg);
    T_CHECK(strncmp(secret, "sk-sw-", 6) == 0 && strlen(secret) == 6 + 43);
    T_CHECK(strlen(k.id) == SW_KEY_ID_CHARS && strcmp(k.name, "alice") == 0 && k.role == SW_ROLE_USER);
    T_CHECK(k.rate_per_min == 60 && k.tokens_per_day == 1000 && k.created > 0 && !k.revoked);
    /* first auth reads the database, the second the cache */
    for (int i = 0; i < 2; i++) {
        memset(&got, 0, sizeof got);
        T_CHECK(sw_store_key_auth(s, secret, &got, &e) == 1);
        T_CHECK(strcmp(got.id, k.id) == 0 && got.role == SW_ROLE_USER && got.tokens_per_day == 1000);
    }
    char wrong[SW_KEY_SECRET_CHARS];
    memcpy(wrong, secret, sizeof wrong);
    wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
    T_CHECK(sw_store_key_auth(s, wrong, &got, &e) == 0);
    T_CHECK(sw_store_key_auth(s, "sk-sw-short", &got, &e) == 0);
    T_CHECK(sw_store_key_auth(s, "", &got, &e) == 0);
    T_CHECK(sw_store_key_auth(s, NULL, &got, &e) == 0);
    /* only a hash is kept: neither the token nor its base64 part is in the files (the WAL
     * holds the new row while the store is open; closing checkpoints it into state.db) */
    char path[256];
    snprintf(path, sizeof path, "%s/state.db-wal", home);
    T_CHECK(file_contains(path, k.id) && !file_contains(path, secret + 6));
    struct stat st;
    T_CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600); /* the WAL takes the database's mode */
    sw_store_close(s);
    snprintf(path, sizeof path, "%s/state.db", home);
    T_CHECK(file_contains(path, k.id) && !file_contains(path, secret + 6));
    s = open_store();
    T_CHECK(sw_store_key_auth(s, secret, &got, &e) == 1); /* restart keeps the key */
    sw_store_close(s);
}

static void test_key_names_and_revoke(void) {
    sw_store *s = open_store();
    char secret[SW_KEY_SECRET_CHARS], secret2[SW_KEY_SECRET_CHARS];
    sw_key_info k, k2, got;
    sw_err e = {{0}};
    T_CHECK(sw_store_key_add(s, "bob", SW_ROLE_REVIEWER, 0, 0, secret, &k, &e) == 0);
    T_CHECK(sw_store_key_add(s, "bob", SW_ROLE_USER, 0, 0, secret2, &k2, &e) == -1);
    T_CHECK_MSG(strstr(e.msg, "bob") && strstr(e.msg, "exists"), "%s", e.msg);
    T_CHECK(sw_store_key_add(s, "0123456789abcdef", SW_ROLE_USER, 0, 0, secret2, &k2, &e) == -1);
    T_CHECK(sw_store_key_add(s, "has space", SW_ROLE_USER, 0, 0, secret2, &k2, &e) == -1);
    T_CHECK(sw_store_key_add(s, "x", (sw_role)7, 0, 0, secret2, &k2, &e) == -1);
    T_CHECK(sw_store_key_add(s, "x", SW_ROLE_USER, -1, 0, secret2, &k2, &e) == -1);
    T_CHECK(sw_store_key_auth(s, secret, &got, &e) == 1); /* now cached */
    T_CHECK(sw_store_key_revoke(s, "bob", &e) == 1);
    T_CHECK(sw_store_key_auth(s, secret, &got, &e) == 0);
    T_CHECK(sw_store_key_revoke(s, "bob", &e) == 0);
    T_CHECK(sw_store_key_revoke(s, k.id, &e) == 0);
    T_CHECK(sw_store_key_revoke(s, "nobody", &e) == 0);
    T_CHECK(sw_store_key_get(s, k.id, &got, &e) == 1 && got.revoked && got.role == SW_ROLE_REVIEWER);
    /* the name is free again; get by name prefers the live key */
    T_CHECK(sw_store_key_add(s, "bob", SW_ROLE_ADMIN, 0, 0, secret2, &k2, &e) == 0);
    T_CHECK(sw_store_key_get(s, "bob", &got, &e) == 1 && strcmp(got.id, k2.id) == 0 && !got.revoked);
    T_CHECK(sw_store_key_get(s, "nobody", &got, &e) == 0);
    /* an unnamed key */
    T_CHECK(sw_store_key_add(s, NULL, SW_ROLE_USER, 0, 0, secret2, &k2, &e) == 0 && k2.name[0] == 0);
    sw_store_close(s);
}

typedef struct {
    int n, revoked;
    long long last_created;
    int ordered;
} list_acc;

static int count_key(void *ud, const sw_key_info *k) {
    list_acc *a = ud;
    a->n++;
    a->revoked += k->revoked;
    if (k->created < a->last_created) a->ordered = 0;
    a->last_created = k->created;
    return 0;
}

static void test_key_list(void) {
    sw_store *s = open_store();
    sw_err e;
    list_acc a = {0, 0, 0, 1};
    T_CHECK(sw_store_key_list(s, count_key, &a, &e) == 0);
    T_CHECK_MSG(a.n == 4 && a.revoked == 1 && a.ordered, "n %d revoked %d", a.n, a.revoked);
    sw_store_close(s);
}

/* A revocation through another handle (another process: the CLI) reaches a cached key. */
static void test_revoke_seen_by_other_handle(void) {
    sw_store *server = open_store(), *cli = open_store();
    char secret[SW_KEY_SECRET_CHARS];
    sw_key_info k, got;
    sw_err e;
    T_CHECK(sw_store_key_add(cli, "carol", SW_ROLE_USER, 0, 0, secret, &k, &e) == 0);
    T_CHECK(sw_store_key_auth(server, secret, &got, &e) == 1);
    T_CHECK(sw_store_key_auth(server, secret, &got, &e) == 1);
    T_CHECK(sw_store_key_revoke(cli, "carol", &e) == 1);
    usleep(SYNC_WAIT_US);
    T_CHECK(sw_store_key_auth(server, secret, &got, &e) == 0);
    sw_store_close(cli);
    sw_store_close(server);
}

static void test_rate_limit(void) {
    sw_store *s = open_store();
    char secret[SW_KEY_SECRET_CHARS];
    sw_key_info k;
    sw_err e;
    T_CHECK(sw_store_key_add(s, "rated", SW_ROLE_USER, 3, 0, secret, &k, &e) == 0);
    int retry = -1;
    for (int i = 0; i < 3; i++) T_CHECK(sw_store_limit_admit(s, &k, &retry, &e) == 1 && retry == 0);
    T_CHECK(sw_store_limit_admit(s, &k, &retry, &e) == 0);
    T_CHECK_MSG(retry >= 1 && retry <= 20, "retry %d", retry); /* one request per 20 s */
    sw_key_info unlimited = k;
    unlimited.rate_per_min = 0;
    T_CHECK(sw_store_limit_admit(s, &unlimited, &retry, &e) == 1);
    sw_store_close(s);
}

static void test_day_budget_persists(void) {
    sw_store *s = open_store();
    char secret[SW_KEY_SECRET_CHARS];
    sw_key_info k;
    sw_err e = {{0}};
    T_CHECK(sw_store_key_add(s, "budget", SW_ROLE_USER, 0, 100, secret, &k, &e) == 0);
    int retry = -1;
    T_CHECK(sw_store_limit_admit(s, &k, &retry, &e) == 1);
    T_CHECK(sw_store_limit_charge(s, &k, 60, &e) == 0);
    T_CHECK(sw_store_limit_admit(s, &k, &retry, &e) == 1);
    T_CHECK(sw_store_limit_charge(s, &k, 50, &e) == 0);
    T_CHECK(sw_store_limit_admit(s, &k, &retry, &e) == 0);
    T_CHECK_MSG(retry >= 1 && retry <= 86400, "retry %d", retry);
    T_CHECK(sw_store_limit_charge(s, &k, -1, &e) == -1);
    sw_store_close(s);
    s = open_store(); /* a restart keeps the day's count */
    long long used = -1;
    T_CHECK(sw_store_limit_used(s, k.id, &used, &e) == 0 && used == 110);
    T_CHECK(sw_store_limit_admit(s, &k, &retry, &e) == 0);
    sw_key_info ghost = k;
    memcpy(ghost.id, "ffffffffffffffff", SW_KEY_ID_CHARS + 1);
    T_CHECK(sw_store_limit_charge(s, &ghost, 5, &e) == -1); /* foreign key: no such key */
    sw_store_close(s);
}

typedef struct {
    long long ids[128];
    int n, stop_after;
} review_acc;

static int collect_review(void *ud, const sw_review_item *it) {
    review_acc *a = ud;
    if (a->n < 128) a->ids[a->n] = it->id;
    a->n++;
    return a->stop_after && a->n >= a->stop_after;
}

static void test_review_queue(void) {
    sw_store *s = open_store();
    sw_err e = {{0}};
    sw_key_info owner, rev;
    char secret[SW_KEY_SECRET_CHARS];
    T_CHECK(sw_store_key_add(s, "owner", SW_ROLE_USER, 0, 0, secret, &owner, &e) == 0);
    T_CHECK(sw_store_key_add(s, "rev", SW_ROLE_REVIEWER, 0, 0, secret, &rev, &e) == 0);
    const uint8_t cipher[] = {1, 2, 3, 0, 5};
    sw_blob held = {cipher, sizeof cipher, {0}};
    memset(held.nonce, 7, sizeof held.nonce);
    long long a, b, c;
    T_CHECK_MSG(sw_store_review_add(s, "cmpl-a", owner.id, "{\"q\":1}", "{\"v\":\"hold\"}", &held, &a, &e) == 0,
                "%s", e.msg);
    T_CHECK(sw_store_review_add(s, "cmpl-b", owner.id, NULL, NULL, NULL, &b, &e) == 0);
    T_CHECK(sw_store_review_add(s, "cmpl-c", NULL, "{}", "{}", NULL, &c, &e) == 0);
    T_CHECK(a < b && b < c);
    T_CHECK(sw_store_review_add(s, "", owner.id, "{}", "{}", NULL, &c, &e) == -1);
    sw_blob no_data = {NULL, 4, {0}};
    T_CHECK(sw_store_review_add(s, "cmpl-y", owner.id, "{}", "{}", &no_data, NULL, &e) == -1);
    T_CHECK(sw_store_review_add(s, "cmpl-x", "0000000000000000", "{}", "{}", NULL, NULL, &e) == -1);
    sw_review_item it;
    T_CHECK(sw_store_review_get(s, a, &it, &e) == 1);
    T_CHECK(strcmp(it.completion_id, "cmpl-a") == 0 && strcmp(it.owner_key_id, owner.id) == 0);
    T_CHECK(strcmp(it.request_json, "{\"q\":1}") == 0 && it.status == SW_REVIEW_PENDING);
    T_CHECK(it.held_len == sizeof cipher && memcmp(it.held, cipher, sizeof cipher) == 0 && it.held_nonce[23] == 7);
    sw_review_item_free(&it);
    T_CHECK(sw_store_review_get(s, b, &it, &e) == 1 && it.held == NULL && it.request_json[0] == 0);
    sw_review_item_free(&it);
    T_CHECK(sw_store_review_get(s, 999999, &it, &e) == 0);
    /* decisions */
    T_CHECK(sw_store_review_decide(s, a, SW_REVIEW_APPROVED, rev.id, NULL, &e) == 1);
    T_CHECK(sw_store_review_decide(s, a, SW_REVIEW_REJECTED, rev.id, "late", &e) == -1);
    T_CHECK_MSG(strstr(e.msg, "already approved") && strstr(e.msg, rev.id), "%s", e.msg);
    T_CHECK(sw_store_review_decide(s, b, SW_REVIEW_EDITED, rev.id, NULL, &e) == -1);
    T_CHECK(sw_store_review_decide(s, b, SW_REVIEW_PENDING, rev.id, NULL, &e) == -1);
    T_CHECK(sw_store_review_decide(s, b, SW_REVIEW_EDITED, rev.id, "fixed text", &e) == 1);
    T_CHECK(sw_store_review_decide(s, 999999, SW_REVIEW_APPROVED, rev.id, NULL, &e) == 0);
    review_acc acc = {{0}, 0, 0};
    T_CHECK(sw_store_review_list(s, SW_REVIEW_PENDING, collect_review, &acc, &e) == 0);
    T_CHECK(acc.n == 1 && acc.ids[0] == c);
    sw_store_close(s);
    s = open_store(); /* restart keeps the queue and the decisions */
    T_CHECK(sw_store_review_get(s, b, &it, &e) == 1 && it.status == SW_REVIEW_EDITED);
    T_CHECK(strcmp(it.decision_text, "fixed text") == 0 && strcmp(it.reviewer_key_id, rev.id) == 0 && it.decided > 0);
    sw_review_item_free(&it);
    memset(&acc, 0, sizeof acc);
    T_CHECK(sw_store_review_list(s, SW_REVIEW_ANY, collect_review, &acc, &e) == 0);
    T_CHECK(acc.n == 3 && acc.ids[0] == a && acc.ids[1] == b && acc.ids[2] == c);
    T_CHECK(sw_store_review_list(s, 9, collect_review, &acc, &e) == -1);
    sw_store_close(s);
}

/* More items than one page of the listing, oldest first; stopping early. */
static void test_review_list_pages(void) {
    sw_store *s = open_store();
    sw_err e;
    long long first = 0, id;
    for (int i = 0; i < 75; i++) {
        T_CHECK(sw_store_review_add(s, "cmpl-page", NULL, "{}", "{}", NULL, &id, &e) == 0);
        if (i == 0) first = id;
    }
    review_acc acc = {{0}, 0, 0};
    T_CHECK(sw_store_review_list(s, SW_REVIEW_PENDING, collect_review, &acc, &e) == 0);
    T_CHECK_MSG(acc.n == 76, "n %d", acc.n); /* 75 and cmpl-c */
    int ordered = 1;
    for (int i = 1; i < acc.n && i < 128; i++) ordered &= acc.ids[i] > acc.ids[i - 1];
    T_CHECK(ordered && acc.ids[1] == first);
    review_acc stop = {{0}, 0, 40};
    T_CHECK(sw_store_review_list(s, SW_REVIEW_PENDING, collect_review, &stop, &e) == 0);
    T_CHECK(stop.n == 40);
    sw_store_close(s);
}

static void test_completions(void) {
    sw_store *s = open_store();
    sw_err e = {{0}};
    sw_key_info owner, other, rev;
    T_CHECK(sw_store_key_get(s, "owner", &owner, &e) == 1 && sw_store_key_get(s, "rev", &rev, &e) == 1);
    char secret[SW_KEY_SECRET_CHARS];
    T_CHECK(sw_store_key_add(s, "other", SW_ROLE_USER, 0, 0, secret, &other, &e) == 0);
    T_CHECK(sw_store_completion_put(s, "chatcmpl-1", owner.id, "{\"id\":\"chatcmpl-1\"}", &e) == 0);
    char *json = NULL;
    T_CHECK(sw_store_completion_get(s, "chatcmpl-1", owner.id, &json, &e) == 1 && strstr(json, "chatcmpl-1"));
    free(json);
    T_CHECK(sw_store_completion_get(s, "chatcmpl-1", other.id, &json, &e) == 0 && json == NULL);
    T_CHECK(sw_store_completion_get(s, "nope", owner.id, &json, &e) == 0);
    T_CHECK(sw_store_completion_get_as(s, "chatcmpl-1", &other, &json, &e) == 0);
    T_CHECK(sw_store_completion_get_as(s, "chatcmpl-1", &rev, &json, &e) == 1);
    free(json);
    T_CHECK(sw_store_completion_put(s, "chatcmpl-1", other.id, "{}", &e) == -1);
    T_CHECK(sw_store_completion_put(s, "chatcmpl-1", owner.id, "{\"v\":2}", &e) == 0);
    T_CHECK(sw_store_completion_get(s, "chatcmpl-1", owner.id, &json, &e) == 1 && strcmp(json, "{\"v\":2}") == 0);
    free(json);
    sw_store_close(s);
}

static int list_conv(void *ud, const char *conv, const char *by, long long since) {
    char (*seen)[SW_CONV_ID_MAX + 1] = ud;
    (void)by;
    (void)since;
    snprintf(seen[seen[0][0] ? 1 : 0], SW_CONV_ID_MAX + 1, "%s", conv);
    return 0;
}

static void test_takeover_and_replies(void) {
    sw_store *s = open_store();
    sw_err e = {{0}};
    sw_key_info rev;
    T_CHECK(sw_store_key_get(s, "rev", &rev, &e) == 1);
    char by[SW_KEY_ID_CHARS + 1] = "";
    long long since = 0, id;
    T_CHECK(sw_store_takeover_get(s, "conv-1", by, &since, &e) == 0);
    T_CHECK(sw_store_takeover_set(s, "conv-1", rev.id, 1, &e) == 0);
    T_CHECK(sw_store_reply_add(s, "conv-1", rev.id, "first", &id, &e) == 0);
    T_CHECK(sw_store_reply_add(s, "conv-1", rev.id, "second", &id, &e) == 0);
    T_CHECK(sw_store_takeover_set(s, "conv 1", rev.id, 1, &e) == -1);
    sw_store_close(s);
    s = open_store();
    T_CHECK(sw_store_takeover_get(s, "conv-1", by, &since, &e) == 1 && strcmp(by, rev.id) == 0 && since > 0);
    char *text = NULL;
    T_CHECK(sw_store_reply_take(s, "conv-1", &text, &e) == 1 && strcmp(text, "first") == 0);
    free(text);
    T_CHECK(sw_store_reply_take(s, "conv-1", &text, &e) == 1 && strcmp(text, "second") == 0);
    free(text);
    T_CHECK(sw_store_reply_take(s, "conv-1", &text, &e) == 0 && text == NULL);
    T_CHECK(sw_store_takeover_set(s, "conv-2", rev.id, 1, &e) == 0);
    sw_oversight_depths d;
    T_CHECK(sw_store_oversight_depths(s, &d, &e) == 0 && d.takeovers == 2 && d.replies_queued == 0);
    char seen[2][SW_CONV_ID_MAX + 1] = {"", ""};
    T_CHECK(sw_store_takeover_list(s, list_conv, seen, &e) == 0);
    T_CHECK(strcmp(seen[0], "conv-1") == 0 && strcmp(seen[1], "conv-2") == 0);
    T_CHECK(sw_store_takeover_set(s, "conv-1", NULL, 0, &e) == 0);
    T_CHECK(sw_store_takeover_get(s, "conv-1", by, &since, &e) == 0);
    T_CHECK(sw_store_oversight_depths(s, &d, &e) == 0 && d.takeovers == 1);
    sw_store_close(s);
}

/* Requests waiting for a reply are kept across a reopen, taken oldest first, per conversation. */
static void test_conv_waits(void) {
    sw_store *s = open_store();
    sw_err e = {{0}};
    sw_conv_wait a = {.conv_id = "conv-w", .completion_id = "chatcmpl-a", .owner_key_id = "k1", .chat = 1,
                      .created = 11};
    sw_conv_wait b = {.conv_id = "conv-w", .completion_id = "cmpl-b", .owner_key_id = "k2", .chat = 0, .created = 12};
    sw_conv_wait o = {.conv_id = "conv-x", .completion_id = "chatcmpl-c", .owner_key_id = "k1", .chat = 1};
    T_CHECK(sw_store_conv_wait_add(s, &a, &e) == 0 && sw_store_conv_wait_add(s, &b, &e) == 0);
    T_CHECK(sw_store_conv_wait_add(s, &o, &e) == 0);
    T_CHECK(sw_store_conv_wait_add(s, &a, &e) == -1); /* one wait per completion */
    sw_conv_wait bad = {.conv_id = "conv w", .completion_id = "x"};
    T_CHECK(sw_store_conv_wait_add(s, &bad, &e) == -1);
    sw_store_close(s);
    s = open_store();
    long long n = 0;
    T_CHECK(sw_store_conv_wait_count(s, "conv-w", &n, &e) == 0 && n == 2);
    sw_conv_wait w;
    T_CHECK(sw_store_conv_wait_take(s, "conv-w", &w, &e) == 1 && strcmp(w.completion_id, "chatcmpl-a") == 0 &&
            strcmp(w.owner_key_id, "k1") == 0 && w.chat == 1 && w.created == 11);
    T_CHECK(sw_store_conv_wait_take(s, "conv-w", &w, &e) == 1 && strcmp(w.completion_id, "cmpl-b") == 0 &&
            w.chat == 0);
    T_CHECK(sw_store_conv_wait_take(s, "conv-w", &w, &e) == 0);
    T_CHECK(sw_store_conv_wait_count(s, "conv-x", &n, &e) == 0 && n == 1);
    sw_store_close(s);
}

static void test_halt_persists_and_spreads(void) {
    sw_store *s = open_store(), *other = open_store();
    sw_err e = {{0}};
    int halted = -1;
    long long since = -1;
    char by[SW_HALT_BY_MAX + 1], reason[SW_HALT_REASON_MAX + 1];
    T_CHECK(sw_store_halt_get(s, &halted, &since, by, reason, &e) == 0 && halted == 0 && since == 0);
    T_CHECK(sw_store_halt_set(s, 1, "admin-key", "incident 42", &e) == 0);
    T_CHECK(sw_store_halt_get(s, &halted, &since, by, reason, &e) == 0 && halted == 1 && since > 0);
    usleep(SYNC_WAIT_US);
    T_CHECK(sw_store_halt_get(other, &halted, NULL, by, reason, &e) == 0 && halted == 1);
    T_CHECK(strcmp(by, "admin-key") == 0 && strcmp(reason, "incident 42") == 0);
    sw_store_close(other);
    sw_store_close(s);
    s = open_store(); /* a halted server starts halted */
    T_CHECK(sw_store_halt_get(s, &halted, NULL, NULL, reason, &e) == 0 && halted == 1);
    T_CHECK(sw_store_halt_set(s, 0, "admin-key", NULL, &e) == 0);
    T_CHECK(sw_store_halt_get(s, &halted, NULL, NULL, NULL, &e) == 0 && halted == 0);
    char long_reason[SW_HALT_REASON_MAX + 8];
    memset(long_reason, 'r', sizeof long_reason - 1);
    long_reason[sizeof long_reason - 1] = 0;
    T_CHECK(sw_store_halt_set(s, 1, NULL, long_reason, &e) == -1);
    sw_store_close(s);
}

typedef struct {
    int n, handled;
    long long last;
} fb_acc;

static int collect_feedback(void *ud, const sw_feedback *f) {
    fb_acc *a = ud;
    a->n++;
    a->handled += f->handled;
    a->last = f->id;
    return 0;
}

static void test_feedback(void) {
    sw_store *s = open_store();
    sw_err e = {{0}};
    sw_key_info owner;
    T_CHECK(sw_store_key_get(s, "owner", &owner, &e) == 1);
    long long id1, id2, id3;
    T_CHECK(sw_store_feedback_add(s, "cmpl-a", owner.id, SW_FEEDBACK_WRONG, "2+2 is not 5", &id1, &e) == 0);
    T_CHECK(sw_store_feedback_add(s, "cmpl-a", owner.id, SW_FEEDBACK_HARMFUL, NULL, &id2, &e) == 0);
    T_CHECK(sw_store_feedback_add(s, "cmpl-b", NULL, SW_FEEDBACK_WRONG, "again", &id3, &e) == 0);
    T_CHECK(sw_store_feedback_add(s, "cmpl-b", NULL, (sw_feedback_category)9, "x", NULL, &e) == -1);
    sw_feedback_category c;
    T_CHECK(sw_feedback_category_parse("biased", &c) == 0 && c == SW_FEEDBACK_BIASED);
    T_CHECK(sw_feedback_category_parse("rude", &c) == -1);
    T_CHECK(sw_store_feedback_handle(s, id1, &e) == 1);
    T_CHECK(sw_store_feedback_handle(s, 999999, &e) == 0);
    sw_store_close(s);
    s = open_store();
    long long counts[SW_FEEDBACK_CATEGORIES];
    T_CHECK(sw_store_feedback_counts(s, counts, &e) == 0);
    T_CHECK(counts[SW_FEEDBACK_WRONG] == 2 && counts[SW_FEEDBACK_HARMFUL] == 1 && counts[SW_FEEDBACK_BIASED] == 0);
    fb_acc all = {0, 0, 0}, open_only = {0, 0, 0};
    T_CHECK(sw_store_feedback_list(s, 0, collect_feedback, &all, &e) == 0);
    T_CHECK(sw_store_feedback_list(s, 1, collect_feedback, &open_only, &e) == 0);
    T_CHECK(all.n == 3 && all.handled == 1 && all.last == id3);
    T_CHECK(open_only.n == 2 && open_only.handled == 0);
    sw_store_close(s);
}

static void test_key_audit_record(void) {
    sw_store *s = open_store();
    sw_audit *log = NULL;
    sw_audit_opts o = {0};
    sw_err e = {{0}};
    T_CHECK_MSG(sw_audit_open(home, &o, &log, &e) == 0, "%s", e.msg);
    char secret[SW_KEY_SECRET_CHARS];
    sw_key_info k;
    T_CHECK(sw_store_key_add(s, "audited", SW_ROLE_ADMIN, 5, 0, secret, &k, &e) == 0);
    uint64_t idx = 0;
    T_CHECK_MSG(sw_store_key_audit(log, "add", &k, "test", &idx, &e) == 0, "%s", e.msg);
    sw_buf rec = {0};
    T_CHECK(sw_audit_read(log, idx, &rec, &e) == 0);
    T_CHECK_MSG(rec.data && strstr(rec.data, "\"type\":\"key\"") && strstr(rec.data, k.id) &&
                    strstr(rec.data, "\"role\":\"admin\"") && strstr(rec.data, "\"action\":\"add\""),
                "%s", rec.data ? rec.data : "(none)");
    T_CHECK(rec.data && !strstr(rec.data, secret + 6));
    sw_buf_free(&rec);
    T_CHECK(sw_store_audit_oversight(log, "review.reject", k.id, "17", "{\"reason\":\"unsafe\"}", &idx, &e) == 0);
    T_CHECK(sw_audit_read(log, idx, &rec, &e) == 0);
    T_CHECK_MSG(rec.data && strstr(rec.data, "\"type\":\"oversight\"") && strstr(rec.data, "\"subject\":\"17\"") &&
                    strstr(rec.data, "\"details\":{\"reason\":\"unsafe\"}") && strstr(rec.data, k.id),
                "%s", rec.data ? rec.data : "(none)");
    sw_buf_free(&rec);
    T_CHECK(sw_store_audit_oversight(log, "halt", k.id, NULL, NULL, &idx, &e) == 0);
    T_CHECK(sw_store_audit_oversight(log, "halt", k.id, NULL, "[1]", &idx, &e) == -1);
    T_CHECK(sw_store_audit_oversight(log, "halt", k.id, NULL, "{bad", &idx, &e) == -1);
    T_CHECK(sw_store_audit_oversight(log, "", k.id, NULL, NULL, &idx, &e) == -1);
    sw_audit_close(log, &e);
    sw_store_close(s);
}

/* ---- many threads on one store ---- */

typedef struct {
    sw_store *s;
    int t, failures;
    const char *shared_secret;
} worker_arg;

static void *worker(void *p) {
    worker_arg *w = p;
    sw_err e;
    char name[32], secret[SW_KEY_SECRET_CHARS], cid[32];
    sw_key_info k, got;
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(name, sizeof name, "t%d-%d", w->t, i);
        snprintf(cid, sizeof cid, "cmpl-%d-%d", w->t, i);
        if (sw_store_key_add(w->s, name, SW_ROLE_USER, 0, 1000000, secret, &k, &e) != 0) w->failures++;
        if (sw_store_key_auth(w->s, secret, &got, &e) != 1 || strcmp(got.id, k.id) != 0) w->failures++;
        if (sw_store_key_auth(w->s, w->shared_secret, &got, &e) != 1) w->failures++;
        if (sw_store_limit_charge(w->s, &k, 3, &e) != 0) w->failures++;
        if (sw_store_review_add(w->s, cid, k.id, "{}", "{}", NULL, NULL, &e) != 0) w->failures++;
        if (sw_store_feedback_add(w->s, cid, k.id, SW_FEEDBACK_OTHER, "t", NULL, &e) != 0) w->failures++;
        if (i % 8 == 0 && sw_store_key_revoke(w->s, name, &e) != 1) w->failures++;
    }
    return NULL;
}

static void test_threads(void) {
    sw_store *s = open_store();
    sw_err e;
    char shared[SW_KEY_SECRET_CHARS];
    sw_key_info sk;
    T_CHECK(sw_store_key_add(s, "shared", SW_ROLE_USER, 0, 0, shared, &sk, &e) == 0);
    long long before[SW_FEEDBACK_CATEGORIES];
    T_CHECK(sw_store_feedback_counts(s, before, &e) == 0);
    pthread_t th[THREADS];
    worker_arg args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (worker_arg){s, t, 0, shared};
        pthread_create(&th[t], NULL, worker, &args[t]);
    }
    int failures = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        failures += args[t].failures;
    }
    T_CHECK_MSG(failures == 0, "%d failures", failures);
    long long after[SW_FEEDBACK_CATEGORIES];
    T_CHECK(sw_store_feedback_counts(s, after, &e) == 0);
    T_CHECK(after[SW_FEEDBACK_OTHER] - before[SW_FEEDBACK_OTHER] == THREADS * PER_THREAD);
    sw_key_info k;
    long long used = 0;
    T_CHECK(sw_store_key_get(s, "t3-5", &k, &e) == 1 && sw_store_limit_used(s, k.id, &used, &e) == 0 && used == 3);
    T_CHECK(sw_store_key_get(s, "t3-8", &k, &e) == 1 && k.revoked);
    sw_store_close(s);
}

int main(void) {
    home = mkdtemp(home_tpl);
    if (!home) return 1;
    T_RUN(test_roles);
    T_RUN(test_parse_limits);
    T_RUN(test_open_creates_private_wal_db);
    T_RUN(test_newer_schema_refused);
    T_RUN(test_key_add_auth_and_hash_only);
    T_RUN(test_key_names_and_revoke);
    T_RUN(test_key_list);
    T_RUN(test_revoke_seen_by_other_handle);
    T_RUN(test_rate_limit);
    T_RUN(test_day_budget_persists);
    T_RUN(test_review_queue);
    T_RUN(test_review_list_pages);
    T_RUN(test_completions);
    T_RUN(test_takeover_and_replies);
    T_RUN(test_conv_waits);
    T_RUN(test_halt_persists_and_spreads);
    T_RUN(test_feedback);
    T_RUN(test_key_audit_record);
    T_RUN(test_threads);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    if (system(cmd) != 0) return 1;
    return t_done();
}
