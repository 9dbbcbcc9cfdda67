/* review.c - the review queue (completions held or flagged for a person to approve, edit
 * or reject) and stored completions retrievable by their owner. */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#define REVIEW_PAGE 32 /* items read per lock while listing */
#define REVIEW_COLUMNS                                                                            \
    "id, completion_id, owner_key_id, request_json, verdicts_json, held, held_nonce, status, " \
    "created, decided, reviewer_key_id, decision_text"

static const char *const STATUS_NAMES[] = {"pending", "approved", "edited", "rejected"};

const char *sw_review_status_name(sw_review_status st) {
    return st >= SW_REVIEW_PENDING && st <= SW_REVIEW_REJECTED ? STATUS_NAMES[st] : "unknown";
}

int sw_review_status_parse(const char *s, sw_review_status *out) {
    for (int i = SW_REVIEW_PENDING; s && i <= SW_REVIEW_REJECTED; i++)
        if (strcmp(s, STATUS_NAMES[i]) == 0) {
            *out = (sw_review_status)i;
            return 0;
        }
    return -1;
}

void sw_review_item_free(sw_review_item *it) {
    if (!it) return;
    free(it->request_json);
    free(it->verdicts_json);
    free(it->held);
    free(it->decision_text);
    it->request_json = it->verdicts_json = it->decision_text = NULL;
    it->held = NULL;
}

/* Fills *it from a row of REVIEW_COLUMNS. -1 when memory runs out (it is then freed). */
static int row_to_item(sqlite3_stmt *st, sw_review_item *it, sw_err *err) {
    memset(it, 0, sizeof *it);
    it->id = sqlite3_column_int64(st, 0);
    store_col_copy(st, 1, it->completion_id, sizeof it->completion_id);
    store_col_copy(st, 2, it->owner_key_id, sizeof it->owner_key_id);
    it->request_json = store_col_dup(st, 3);
    it->verdicts_json = store_col_dup(st, 4);
    it->decision_text = store_col_dup(st, 11);
    int held_ok = 1;
    if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
        it->held_len = (size_t)sqlite3_column_bytes(st, 5);
        it->held = malloc(it->held_len ? it->held_len : 1);
        if (it->held && it->held_len) memcpy(it->held, sqlite3_column_blob(st, 5), it->held_len);
        held_ok = it->held != NULL;
        if (sqlite3_column_bytes(st, 6) == SW_REVIEW_NONCE_BYTES)
            memcpy(it->held_nonce, sqlite3_column_blob(st, 6), SW_REVIEW_NONCE_BYTES);
    }
    it->status = (sw_review_status)sqlite3_column_int(st, 7);
    it->created = sqlite3_column_int64(st, 8);
    it->decided = sqlite3_column_int64(st, 9);
    store_col_copy(st, 10, it->reviewer_key_id, sizeof it->reviewer_key_id);
    if (!it->request_json || !it->verdicts_json || !it->decision_text || !held_ok) {
        sw_review_item_free(it);
        return sw_err_set(err, "review item %lld: out of memory", it->id);
    }
    return 0;
}

/* Message for a foreign-key or other failure of a write about key ids. */
static int write_err(sw_store *s, int rc, const char *what, sw_err *err) {
    if (rc == SQLITE_CONSTRAINT)
        return sw_err_set(err, "%s: %s: a key id given is not a key of this store (%s)", s->path, what,
                          sqlite3_errmsg(s->db));
    return store_db_err(s, what, err);
}

int sw_store_review_add(sw_store *s, const char *completion_id, const char *owner_key_id,
                        const char *request_json, const char *verdicts_json, const sw_blob *held,
                        long long *id, sw_err *err) {
    if (store_check_ident(completion_id, SW_REVIEW_COMPLETION_ID_MAX, "review: completion id", err) < 0) return -1;
    if (held && held->len && !held->data)
        return sw_err_set(err, "review of %s: held text of %zu bytes has no data", completion_id, held->len);
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s,
                           "INSERT INTO reviews (completion_id, owner_key_id, request_json, verdicts_json,"
                           " held, held_nonce, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, completion_id, -1, SQLITE_STATIC);
        store_bind_text_or_null(st, 2, owner_key_id);
        sqlite3_bind_text(st, 3, request_json ? request_json : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, verdicts_json ? verdicts_json : "", -1, SQLITE_STATIC);
        if (held) {
            sqlite3_bind_blob64(st, 5, held->len ? (const void *)held->data : "", held->len, SQLITE_STATIC);
            sqlite3_bind_blob(st, 6, held->nonce, SW_REVIEW_NONCE_BYTES, SQLITE_STATIC);
        }
        sqlite3_bind_int64(st, 7, store_now());
        int step = sqlite3_step(st);
        if (step != SQLITE_DONE) rc = write_err(s, step, "queueing a review", err);
        else if (id) *id = sqlite3_last_insert_rowid(s->db);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

/* Reads up to REVIEW_PAGE items after id `after` into items (db_mu held); *n items. */
static int read_page(sw_store *s, int status, long long after, sw_review_item *items, size_t *n, sw_err *err) {
    sqlite3_stmt *st;
    *n = 0;
    if (store_prepare(s,
                      "SELECT " REVIEW_COLUMNS " FROM reviews WHERE id > ?1 AND (?2 < 0 OR status = ?2)"
                      " ORDER BY id LIMIT ?3",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, status);
    sqlite3_bind_int(st, 3, REVIEW_PAGE);
    int step, rc = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (row_to_item(st, &items[*n], err) < 0) {
            rc = -1;
            break;
        }
        (*n)++;
    }
    if (rc == 0 && step != SQLITE_DONE) rc = store_db_err(s, "listing reviews", err);
    sqlite3_finalize(st);
    if (rc < 0)
        while (*n) sw_review_item_free(&items[--*n]);
    return rc;
}

/* Calls fn for items[0..n) until it returns non-zero (no lock held: fn may call the store),
 * frees them all, and stores the last id in *after. 1 when fn asked to stop. */
static int deliver(sw_review_item *items, size_t n, int (*fn)(void *ud, const sw_review_item *it), void *ud,
                   long long *after) {
    int stop = 0;
    for (size_t i = 0; i < n; i++) {
        if (!stop) stop = fn(ud, &items[i]) != 0;
        *after = items[i].id;
        sw_review_item_free(&items[i]);
    }
    return stop;
}

int sw_store_review_list(sw_store *s, int status, int (*fn)(void *ud, const sw_review_item *it), void *ud,
                         sw_err *err) {
    if (status != SW_REVIEW_ANY && (status < SW_REVIEW_PENDING || status > SW_REVIEW_REJECTED))
        return sw_err_set(err, "review list: unknown status %d", status);
    sw_review_item items[REVIEW_PAGE];
    long long after = 0;
    for (;;) {
        size_t n;
        pthread_mutex_lock(&s->db_mu);
        int rc = read_page(s, status, after, items, &n, err);
        pthread_mutex_unlock(&s->db_mu);
        if (rc < 0) return -1;
        if (deliver(items, n, fn, ud, &after) || n < REVIEW_PAGE) return 0;
    }
}

int sw_store_review_get(sw_store *s, long long id, sw_review_item *it, sw_err *err) {
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s, "SELECT " REVIEW_COLUMNS " FROM reviews WHERE id = ?", &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, id);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) rc = row_to_item(st, it, err) < 0 ? -1 : 1;
        else if (step != SQLITE_DONE) rc = store_db_err(s, "reading a review", err);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

/* Why item id could not be decided: 0 when it does not exist, else -1 naming its status
 * and reviewer (db_mu held). */
static int why_not_pending(sw_store *s, long long id, sw_err *err) {
    sqlite3_stmt *st;
    if (store_prepare(s, "SELECT status, reviewer_key_id FROM reviews WHERE id = ?", &st, err) < 0) return -1;
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st), rc = 0;
    if (step == SQLITE_ROW) {
        char by[SW_KEY_ID_CHARS + 1];
        store_col_copy(st, 1, by, sizeof by);
        rc = sw_err_set(err, "review %lld is already %s (by key %s)", id,
                        sw_review_status_name((sw_review_status)sqlite3_column_int(st, 0)), by[0] ? by : "-");
    } else if (step != SQLITE_DONE) {
        rc = store_db_err(s, "reading a review", err);
    }
    sqlite3_finalize(st);
    return rc;
}

static int check_decision(long long id, sw_review_status decision, const char *reviewer, const char *text,
                          sw_err *err) {
    if (decision != SW_REVIEW_APPROVED && decision != SW_REVIEW_EDITED && decision != SW_REVIEW_REJECTED)
        return sw_err_set(err, "review %lld: decision must be approved, edited or rejected (got %d)", id,
                          (int)decision);
    if (store_check_ident(reviewer, SW_KEY_ID_CHARS, "review: reviewer key id", err) < 0) return -1;
    if (decision == SW_REVIEW_EDITED && (!text || !*text))
        return sw_err_set(err, "review %lld: an edited decision needs the edited content", id);
    return 0;
}

int sw_store_review_decide(sw_store *s, long long id, sw_review_status decision, const char *reviewer_key_id,
                           const char *text, sw_err *err) {
    if (check_decision(id, decision, reviewer_key_id, text, err) < 0) return -1;
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s,
                           "UPDATE reviews SET status = ?2, reviewer_key_id = ?3, decision_text = ?4, decided = ?5"
                           " WHERE id = ?1 AND status = 0",
                           &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, (int)decision);
        sqlite3_bind_text(st, 3, reviewer_key_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, text ? text : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, store_now());
        int step = sqlite3_step(st);
        if (step != SQLITE_DONE) rc = write_err(s, step, "deciding a review", err);
        else rc = sqlite3_changes(s->db) > 0 ? 1 : why_not_pending(s, id, err);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

/* ------------------------------------------------------------------- stored completions */

int sw_store_completion_put(sw_store *s, const char *id, const char *owner_key_id, const char *json, sw_err *err) {
    if (store_check_ident(id, SW_REVIEW_COMPLETION_ID_MAX, "completion id", err) < 0) return -1;
    if (!json) return sw_err_set(err, "completion %s: no JSON given", id);
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s,
                           "INSERT INTO completions (id, owner_key_id, json, created) VALUES (?1, ?2, ?3, ?4)"
                           " ON CONFLICT (id) DO UPDATE SET json = excluded.json"
                           " WHERE completions.owner_key_id IS excluded.owner_key_id",
                           &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        store_bind_text_or_null(st, 2, owner_key_id);
        sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, store_now());
        int step = sqlite3_step(st);
        if (step != SQLITE_DONE) rc = write_err(s, step, "storing a completion", err);
        else if (sqlite3_changes(s->db) == 0) rc = sw_err_set(err, "completion %s belongs to another key", id);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

/* Reads completion id: 1 and *json when any_owner or its owner is owner_key_id. */
static int completion_read(sw_store *s, const char *id, const char *owner_key_id, int any_owner, char **json,
                           sw_err *err) {
    *json = NULL;
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s, "SELECT json, owner_key_id FROM completions WHERE id = ?", &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            const unsigned char *owner = sqlite3_column_text(st, 1);
            const char *want = owner_key_id ? owner_key_id : "";
            if (any_owner || strcmp(owner ? (const char *)owner : "", want) == 0) {
                *json = store_col_dup(st, 0);
                rc = *json ? 1 : sw_err_set(err, "completion %s: out of memory", id);
            }
        } else if (step != SQLITE_DONE) {
            rc = store_db_err(s, "reading a completion", err);
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

int sw_store_completion_get(sw_store *s, const char *id, const char *owner_key_id, char **json, sw_err *err) {
    return completion_read(s, id, owner_key_id, 0, json, err);
}

int sw_store_completion_get_as(sw_store *s, const char *id, const sw_key_info *who, char **json, sw_err *err) {
    return completion_read(s, id, who->id, who->role >= SW_ROLE_REVIEWER, json, err);
}
