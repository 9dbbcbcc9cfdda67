/* oversight.c - what people in charge set: conversations taken over, their queued human
 * replies and the requests waiting for one, the halt (kill switch), and users' feedback on
 * completions. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEEDBACK_PAGE 64 /* items read per lock while listing */

/* Runs a prepared write (db_mu held), finalizes it; -1 naming what on failure. */
static int run_write(sw_store *s, sqlite3_stmt *st, const char *what, sw_err *err) {
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step == SQLITE_DONE) return 0;
    if (step == SQLITE_CONSTRAINT)
        return sw_err_set(err, "%s: %s: a key id given is not a key of this store (%s)", s->path, what,
                          sqlite3_errmsg(s->db));
    return store_db_err(s, what, err);
}

/* ------------------------------------------------------------------- takeover */

int sw_store_takeover_set(sw_store *s, const char *conv_id, const char *by_key_id, int on, sw_err *err) {
    if (store_check_ident(conv_id, SW_CONV_ID_MAX, "takeover: conversation id", err) < 0) return -1;
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s,
                           on ? "INSERT INTO takeovers (conv_id, by_key_id, since) VALUES (?1, ?2, ?3)"
                                " ON CONFLICT (conv_id) DO UPDATE SET by_key_id = ?2, since = ?3"
                              : "DELETE FROM takeovers WHERE conv_id = ?1",
                           &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, conv_id, -1, SQLITE_STATIC);
        if (on) {
            store_bind_text_or_null(st, 2, by_key_id);
            sqlite3_bind_int64(st, 3, store_now());
        }
        rc = run_write(s, st, on ? "taking over a conversation" : "releasing a conversation", err);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

int sw_store_takeover_get(sw_store *s, const char *conv_id, char *by_key_id, long long *since, sw_err *err) {
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s, "SELECT by_key_id, since FROM takeovers WHERE conv_id = ?", &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, conv_id ? conv_id : "", -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            if (by_key_id) store_col_copy(st, 0, by_key_id, SW_KEY_ID_CHARS + 1);
            if (since) *since = sqlite3_column_int64(st, 1);
            rc = 1;
        } else if (step != SQLITE_DONE) {
            rc = store_db_err(s, "reading a takeover", err);
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

int sw_store_reply_add(sw_store *s, const char *conv_id, const char *by_key_id, const char *text, long long *id,
                       sw_err *err) {
    if (store_check_ident(conv_id, SW_CONV_ID_MAX, "reply: conversation id", err) < 0) return -1;
    if (!text) return sw_err_set(err, "reply to %s: no text given", conv_id);
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s, "INSERT INTO replies (conv_id, by_key_id, text, created) VALUES (?, ?, ?, ?)", &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, conv_id, -1, SQLITE_STATIC);
        store_bind_text_or_null(st, 2, by_key_id);
        sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, store_now());
        rc = run_write(s, st, "queueing a reply", err);
        if (rc == 0 && id) *id = sqlite3_last_insert_rowid(s->db);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

int sw_store_reply_take(sw_store *s, const char *conv_id, char **text, sw_err *err) {
    *text = NULL;
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s,
                           "UPDATE replies SET delivered = 1 WHERE id = (SELECT id FROM replies"
                           " WHERE conv_id = ? AND delivered = 0 ORDER BY id LIMIT 1) RETURNING text",
                           &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, conv_id ? conv_id : "", -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            *text = store_col_dup(st, 0);
            rc = *text ? 1 : sw_err_set(err, "reply to %s: out of memory", conv_id);
            step = sqlite3_step(st); /* completes the statement */
        }
        if (step != SQLITE_DONE && rc >= 0) rc = store_db_err(s, "taking a reply", err);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    if (rc < 0) {
        free(*text);
        *text = NULL;
    }
    return rc;
}

/* ------------------------------------------------------------------- waits for a reply */

int sw_store_conv_wait_add(sw_store *s, const sw_conv_wait *w, sw_err *err) {
    if (store_check_ident(w->conv_id, SW_CONV_ID_MAX, "wait: conversation id", err) < 0 ||
        store_check_ident(w->completion_id, SW_CONV_WAIT_ID_MAX, "wait: completion id", err) < 0)
        return -1;
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s,
                           "INSERT INTO conv_waits (conv_id, completion_id, owner_key_id, chat, created)"
                           " VALUES (?, ?, ?, ?, ?)",
                           &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, w->conv_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, w->completion_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, w->owner_key_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, w->chat);
        sqlite3_bind_int64(st, 5, w->created);
        rc = run_write(s, st, "recording a request waiting for a reply", err);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

int sw_store_conv_wait_take(sw_store *s, const char *conv_id, sw_conv_wait *w, sw_err *err) {
    memset(w, 0, sizeof *w);
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s,
                           "DELETE FROM conv_waits WHERE id = (SELECT id FROM conv_waits WHERE conv_id = ?"
                           " ORDER BY id LIMIT 1) RETURNING conv_id, completion_id, owner_key_id, chat, created",
                           &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, conv_id ? conv_id : "", -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            store_col_copy(st, 0, w->conv_id, sizeof w->conv_id);
            store_col_copy(st, 1, w->completion_id, sizeof w->completion_id);
            store_col_copy(st, 2, w->owner_key_id, sizeof w->owner_key_id);
            w->chat = sqlite3_column_int(st, 3);
            w->created = sqlite3_column_int64(st, 4);
            rc = 1;
            step = sqlite3_step(st); /* completes the statement */
        }
        if (step != SQLITE_DONE) rc = store_db_err(s, "taking a request waiting for a reply", err);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

int sw_store_conv_wait_count(sw_store *s, const char *conv_id, long long *n, sw_err *err) {
    *n = 0;
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s, "SELECT COUNT(*) FROM conv_waits WHERE conv_id = ?", &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, conv_id ? conv_id : "", -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
        else rc = store_db_err(s, "counting requests waiting for a reply", err);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

/* ------------------------------------------------------------------- halt */

int sw_store_halt_set(sw_store *s, int halted, const char *by, const char *reason, sw_err *err) {
    if (by && strlen(by) > SW_HALT_BY_MAX) return sw_err_set(err, "halt: 'by' longer than %d bytes", SW_HALT_BY_MAX);
    if (reason && strlen(reason) > SW_HALT_REASON_MAX)
        return sw_err_set(err, "halt: reason longer than %d bytes", SW_HALT_REASON_MAX);
    long long now = store_now();
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s,
                           "INSERT INTO halt (id, halted, since, by, reason) VALUES (1, ?1, ?2, ?3, ?4)"
                           " ON CONFLICT (id) DO UPDATE SET halted = ?1, since = ?2, by = ?3, reason = ?4",
                           &st, err);
    if (rc == 0) {
        sqlite3_bind_int(st, 1, halted ? 1 : 0);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_text(st, 3, by ? by : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, reason ? reason : "", -1, SQLITE_STATIC);
        rc = run_write(s, st, "setting the halt", err);
    }
    if (rc == 0) {
        s->halted = halted ? 1 : 0;
        s->halt_since = now;
        snprintf(s->halt_by, sizeof s->halt_by, "%s", by ? by : "");
        snprintf(s->halt_reason, sizeof s->halt_reason, "%s", reason ? reason : "");
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

int sw_store_halt_get(sw_store *s, int *halted, long long *since, char *by, char *reason, sw_err *err) {
    if (store_sync_if_due(s, err) < 0) return -1;
    pthread_mutex_lock(&s->db_mu);
    if (halted) *halted = s->halted;
    if (since) *since = s->halt_since;
    if (by) memcpy(by, s->halt_by, sizeof s->halt_by);
    if (reason) memcpy(reason, s->halt_reason, sizeof s->halt_reason);
    pthread_mutex_unlock(&s->db_mu);
    return 0;
}

/* ------------------------------------------------------------------- feedback */

static const char *const CATEGORY_NAMES[SW_FEEDBACK_CATEGORIES] = {"wrong", "harmful", "biased", "other"};

const char *sw_feedback_category_name(sw_feedback_category c) {
    return c >= 0 && c < SW_FEEDBACK_CATEGORIES ? CATEGORY_NAMES[c] : "unknown";
}

int sw_feedback_category_parse(const char *s, sw_feedback_category *out) {
    for (int i = 0; s && i < SW_FEEDBACK_CATEGORIES; i++)
        if (strcmp(s, CATEGORY_NAMES[i]) == 0) {
            *out = (sw_feedback_category)i;
            return 0;
        }
    return -1;
}

int sw_store_feedback_add(sw_store *s, const char *completion_id, const char *owner_key_id,
                          sw_feedback_category category, const char *comment, long long *id, sw_err *err) {
    if (store_check_ident(completion_id, SW_REVIEW_COMPLETION_ID_MAX, "feedback: completion id", err) < 0) return -1;
    if (category < 0 || category >= SW_FEEDBACK_CATEGORIES)
        return sw_err_set(err, "feedback: unknown category %d", (int)category);
    if (comment && strlen(comment) > SW_FEEDBACK_COMMENT_MAX)
        return sw_err_set(err, "feedback: comment longer than %d bytes", SW_FEEDBACK_COMMENT_MAX);
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s,
                           "INSERT INTO feedback (completion_id, owner_key_id, category, comment, created)"
                           " VALUES (?, ?, ?, ?, ?)",
                           &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, completion_id, -1, SQLITE_STATIC);
        store_bind_text_or_null(st, 2, owner_key_id);
        sqlite3_bind_int(st, 3, (int)category);
        sqlite3_bind_text(st, 4, comment ? comment : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, store_now());
        rc = run_write(s, st, "recording feedback", err);
        if (rc == 0 && id) *id = sqlite3_last_insert_rowid(s->db);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

/* Reads up to FEEDBACK_PAGE items after id `after` (db_mu held); comments malloc'd. */
static int feedback_page(sw_store *s, int only_unhandled, long long after, sw_feedback *items, size_t *n,
                         sw_err *err) {
    sqlite3_stmt *st;
    *n = 0;
    if (store_prepare(s,
                      "SELECT id, completion_id, owner_key_id, category, comment, created, handled FROM feedback"
                      " WHERE id > ?1 AND (?2 = 0 OR handled = 0) ORDER BY id LIMIT ?3",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, only_unhandled ? 1 : 0);
    sqlite3_bind_int(st, 3, FEEDBACK_PAGE);
    int step, rc = 0;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        sw_feedback *f = &items[*n];
        memset(f, 0, sizeof *f);
        f->id = sqlite3_column_int64(st, 0);
        store_col_copy(st, 1, f->completion_id, sizeof f->completion_id);
        store_col_copy(st, 2, f->owner_key_id, sizeof f->owner_key_id);
        f->category = (sw_feedback_category)sqlite3_column_int(st, 3);
        f->comment = store_col_dup(st, 4);
        f->created = sqlite3_column_int64(st, 5);
        f->handled = sqlite3_column_int(st, 6);
        if (f->comment) (*n)++;
        else rc = sw_err_set(err, "listing feedback: out of memory");
    }
    if (rc == 0 && step != SQLITE_DONE) rc = store_db_err(s, "listing feedback", err);
    sqlite3_finalize(st);
    return rc;
}

/* Calls fn for items[0..n) until it returns non-zero (no lock held: fn may call the store),
 * frees the comments, and stores the last id in *after. 1 when fn asked to stop. */
static int feedback_deliver(sw_feedback *items, size_t n, int (*fn)(void *ud, const sw_feedback *f), void *ud,
                            long long *after) {
    int stop = 0;
    for (size_t i = 0; i < n; i++) {
        if (!stop) stop = fn(ud, &items[i]) != 0;
        *after = items[i].id;
        free((char *)items[i].comment);
    }
    return stop;
}

int sw_store_feedback_list(sw_store *s, int only_unhandled, int (*fn)(void *ud, const sw_feedback *f), void *ud,
                           sw_err *err) {
    sw_feedback items[FEEDBACK_PAGE];
    long long after = 0;
    for (;;) {
        size_t n;
        pthread_mutex_lock(&s->db_mu);
        int rc = feedback_page(s, only_unhandled, after, items, &n, err);
        pthread_mutex_unlock(&s->db_mu);
        if (rc < 0) {
            while (n) free((char *)items[--n].comment);
            return -1;
        }
        if (feedback_deliver(items, n, fn, ud, &after) || n < FEEDBACK_PAGE) return 0;
    }
}

int sw_store_feedback_handle(sw_store *s, long long id, sw_err *err) {
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s, "UPDATE feedback SET handled = 1 WHERE id = ?", &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, id);
        rc = run_write(s, st, "marking feedback handled", err);
        if (rc == 0) rc = sqlite3_changes(s->db) > 0;
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

int sw_store_feedback_counts(sw_store *s, long long counts[SW_FEEDBACK_CATEGORIES], sw_err *err) {
    memset(counts, 0, SW_FEEDBACK_CATEGORIES * sizeof counts[0]);
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s, "SELECT category, COUNT(*) FROM feedback GROUP BY category", &st, err);
    if (rc == 0) {
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            int c = sqlite3_column_int(st, 0);
            if (c >= 0 && c < SW_FEEDBACK_CATEGORIES) counts[c] = sqlite3_column_int64(st, 1);
        }
        if (step != SQLITE_DONE) rc = store_db_err(s, "counting feedback", err);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

/* ------------------------------------------------------------------- depths */

int sw_store_takeover_list(sw_store *s, int (*fn)(void *ud, const char *conv_id, const char *by_key_id,
                                                  long long since),
                           void *ud, sw_err *err) {
    /* few conversations are taken over at once: read them all under the lock, call after */
    typedef struct {
        char conv[SW_CONV_ID_MAX + 1], by[SW_KEY_ID_CHARS + 1];
        long long since;
    } row;
    row *rows = NULL;
    size_t n = 0, cap = 0;
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s, "SELECT conv_id, by_key_id, since FROM takeovers ORDER BY since, conv_id", &st, err);
    if (rc == 0) {
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            if (n == cap) {
                row *g = realloc(rows, (cap = cap ? 2 * cap : 16) * sizeof *rows);
                if (!g) break;
                rows = g;
            }
            store_col_copy(st, 0, rows[n].conv, sizeof rows[n].conv);
            store_col_copy(st, 1, rows[n].by, sizeof rows[n].by);
            rows[n++].since = sqlite3_column_int64(st, 2);
        }
        if (step == SQLITE_ROW) rc = sw_err_set(err, "listing takeovers: out of memory");
        else if (step != SQLITE_DONE) rc = store_db_err(s, "listing takeovers", err);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (fn(ud, rows[i].conv, rows[i].by, rows[i].since)) break;
    free(rows);
    return rc;
}

/* One COUNT(*) query; -1 naming what on failure. */
static int count_rows(sw_store *s, const char *sql, const char *what, long long *out, sw_err *err) {
    *out = 0;
    pthread_mutex_lock(&s->db_mu);
    sqlite3_stmt *st;
    int rc = store_prepare(s, sql, &st, err);
    if (rc == 0) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
        else rc = store_db_err(s, what, err);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->db_mu);
    return rc;
}

int sw_store_oversight_depths(sw_store *s, sw_oversight_depths *d, sw_err *err) {
    memset(d, 0, sizeof *d);
    if (count_rows(s, "SELECT COUNT(*) FROM reviews WHERE status = 0", "counting pending reviews",
                   &d->review_pending, err) < 0 ||
        count_rows(s, "SELECT COUNT(*) FROM takeovers", "counting takeovers", &d->takeovers, err) < 0 ||
        count_rows(s, "SELECT COUNT(*) FROM replies WHERE delivered = 0", "counting queued replies",
                   &d->replies_queued, err) < 0 ||
        count_rows(s, "SELECT COUNT(*) FROM feedback WHERE handled = 0", "counting unhandled feedback",
                   &d->feedback_unhandled, err) < 0)
        return -1;
    return 0;
}
