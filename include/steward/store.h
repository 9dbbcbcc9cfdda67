/* store.h - the server's state store: SQLite (WAL) at $STEWARD_HOME/state.db: API keys
 * and their limits; the oversight state (review queue, conversations taken over, halt,
 * feedback) built on it. Thread-safe: one sw_store may be used from many threads. */
#ifndef STEWARD_STORE_H
#define STEWARD_STORE_H

#include "steward/core.h"

typedef struct sw_store sw_store;
typedef enum { SW_ROLE_USER = 1, SW_ROLE_REVIEWER = 2, SW_ROLE_ADMIN = 3 } sw_role;
#define SW_KEY_ID_CHARS 16      /* public key id: hex, shown by `keys list` */
#define SW_KEY_NAME_MAX 64
typedef struct sw_key_info {
    char id[SW_KEY_ID_CHARS + 1];   /* public identifier (not secret) */
    char name[SW_KEY_NAME_MAX + 1];
    sw_role role;
    int rate_per_min;               /* requests per minute; 0: unlimited */
    long long tokens_per_day;       /* generated tokens per UTC day; 0: unlimited */
    long long created;              /* unix seconds */
    int revoked;
} sw_key_info;
int sw_store_open(const char *home, sw_store **out, sw_err *err);   /* creates state.db (0600) */
void sw_store_close(sw_store *s);
const char *sw_role_name(sw_role r);            /* "user" | "reviewer" | "admin" */
int sw_role_parse(const char *s, sw_role *out); /* -1 when unknown */
/* Creates a key; secret receives the bearer token (NUL-terminated, "sk-sw-" + 43 base64url chars),
 * shown once; only its hash (SHA-256 keyed... or plain SHA-256 of a 256-bit random secret) is stored. */
#define SW_KEY_SECRET_CHARS 64
int sw_store_key_add(sw_store *s, const char *name, sw_role role, int rate_per_min, long long tokens_per_day,
                     char secret[SW_KEY_SECRET_CHARS], sw_key_info *info, sw_err *err);
/* 1 and *info filled when the bearer token is a live key; 0 when unknown or revoked
 * (compared in constant time); -1 on a store error. */
int sw_store_key_auth(sw_store *s, const char *bearer, sw_key_info *info, sw_err *err);
/* Lists keys (revoked too) : calls fn for each; -1 on error. */
int sw_store_key_list(sw_store *s, int (*fn)(void *ud, const sw_key_info *k), void *ud, sw_err *err);
/* Revokes by id or name: 1 revoked, 0 no such key, -1 error. */
int sw_store_key_revoke(sw_store *s, const char *id_or_name, sw_err *err);
/* Rate limiting: admits one request of key k now. 1 admitted; 0 over the per-minute rate or
 * the day's token budget, with *retry_after_s the seconds until it would be admitted; -1 error.
 * (In-memory sliding window or token bucket for the rate; the day's tokens persisted.) */
int sw_store_limit_admit(sw_store *s, const sw_key_info *k, int *retry_after_s, sw_err *err);
/* Adds tokens generated for key k to today's count (persisted). */
int sw_store_limit_charge(sw_store *s, const sw_key_info *k, long long tokens, sw_err *err);

/* ============================ additions (beyond the shared API) ============================ */

/* Looks a key up by public id or name (revoked keys too): 1 and *info filled, 0 when there
 * is no such key, -1 on a store error. */
int sw_store_key_get(sw_store *s, const char *id_or_name, sw_key_info *info, sw_err *err);
/* Appends the audit record of a key action ("add", "revoke") to an open audit log:
 * {"type":"key","action","time","principal","key_id","name","role","rate_per_min",
 * "tokens_per_day"} - never the secret. *index receives its number (may be NULL). -1 on error. */
typedef struct sw_audit sw_audit;
int sw_store_key_audit(sw_audit *log, const char *action, const sw_key_info *k, const char *principal,
                       uint64_t *index, sw_err *err);
/* Appends the audit record of an oversight action by a person in charge: {"type":
 * "oversight","action","time","principal","subject","details"} where action names what was
 * done ("review.approve", "review.edit", "review.reject", "takeover", "release", "halt",
 * "resume", "feedback.handle", ...), principal the key id of who did it, subject what it was
 * done to (review id, conversation id, ...; may be NULL) and details_json a JSON object (may
 * be NULL). -1 when details_json is not a JSON object or the append fails. */
int sw_store_audit_oversight(sw_audit *log, const char *action, const char *principal, const char *subject,
                             const char *details_json, uint64_t *index, sw_err *err);
/* Tokens charged to key_id on the current UTC day into *tokens (0 when none). -1 on error. */
int sw_store_limit_used(sw_store *s, const char *key_id, long long *tokens, sw_err *err);

/* Parses a request rate for a key: "N", "N/min" or "N/s" (N * 60 per minute), N a decimal
 * integer, at most SW_RATE_MAX_PER_MIN per minute; 0 means unlimited. -1 naming the text
 * otherwise. */
#define SW_RATE_MAX_PER_MIN 6000000
int sw_store_parse_rate(const char *s, int *per_min, sw_err *err);
/* Parses a token budget: a decimal integer with an optional k (1000) or M (1000000)
 * suffix, at most SW_TOKENS_MAX; 0 means unlimited. -1 naming the text otherwise. */
#define SW_TOKENS_MAX 1000000000000000LL
int sw_store_parse_tokens(const char *s, long long *tokens, sw_err *err);

/* ---- review queue (issue 11): held or flagged completions waiting for a person ---- */
#define SW_REVIEW_NONCE_BYTES 24 /* crypto_secretbox_NONCEBYTES */
typedef enum {
    SW_REVIEW_PENDING = 0,
    SW_REVIEW_APPROVED = 1,
    SW_REVIEW_EDITED = 2,
    SW_REVIEW_REJECTED = 3
} sw_review_status;
#define SW_REVIEW_ANY (-1) /* status filter for sw_store_review_list: every status */
const char *sw_review_status_name(sw_review_status st); /* "pending" | "approved" | ... */
int sw_review_status_parse(const char *s, sw_review_status *out); /* -1 when unknown */

/* A held text: ciphertext (e.g. crypto_secretbox of the completion) and its nonce. The
 * store keeps the bytes as they are; it never sees the key. */
typedef struct sw_blob {
    const uint8_t *data;
    size_t len;
    uint8_t nonce[SW_REVIEW_NONCE_BYTES];
} sw_blob;

/* A review item as read back. Strings and the held bytes point into memory owned by the
 * store for the duration of the callback (list) or until sw_review_item_free (get). */
typedef struct sw_review_item {
    long long id;                        /* 1, 2, ... in order of arrival */
    char completion_id[128];
    char owner_key_id[SW_KEY_ID_CHARS + 1];
    char *request_json;                  /* never NULL ("" when empty) */
    char *verdicts_json;                 /* never NULL */
    uint8_t *held;                       /* NULL when no text was held */
    size_t held_len;
    uint8_t held_nonce[SW_REVIEW_NONCE_BYTES];
    sw_review_status status;
    long long created;                   /* unix seconds */
    long long decided;                   /* unix seconds; 0 while pending */
    char reviewer_key_id[SW_KEY_ID_CHARS + 1]; /* "" while pending */
    char *decision_text;                 /* edited content or rejection reason; never NULL */
} sw_review_item;
#define SW_REVIEW_COMPLETION_ID_MAX 127
/* Frees the strings of an item filled by sw_store_review_get; accepts NULL. */
void sw_review_item_free(sw_review_item *it);

/* Queues an item (status pending); held may be NULL. *id receives its number. -1 on error
 * (completion_id empty or longer than SW_REVIEW_COMPLETION_ID_MAX, store error). */
int sw_store_review_add(sw_store *s, const char *completion_id, const char *owner_key_id,
                        const char *request_json, const char *verdicts_json, const sw_blob *held,
                        long long *id, sw_err *err);
/* Calls fn for each item with the given status (or SW_REVIEW_ANY), oldest first; fn returns
 * 0 to go on, non-zero to stop. -1 on error. */
int sw_store_review_list(sw_store *s, int status, int (*fn)(void *ud, const sw_review_item *it),
                         void *ud, sw_err *err);
/* 1 and *it filled (free with sw_review_item_free), 0 when there is no such item, -1 on error. */
int sw_store_review_get(sw_store *s, long long id, sw_review_item *it, sw_err *err);
/* Decides a pending item: decision is APPROVED, EDITED (text: the edited content) or
 * REJECTED (text: the reason; may be NULL). Returns 1 decided, 0 no such item, -1 on error;
 * an item already decided is an error whose message names its status and reviewer. */
int sw_store_review_decide(sw_store *s, long long id, sw_review_status decision,
                           const char *reviewer_key_id, const char *text, sw_err *err);

/* ---- stored completions (retrievable by their owner, as OpenAI's store=true) ---- */
/* Stores (or replaces) the completion's JSON. -1 on error. */
int sw_store_completion_put(sw_store *s, const char *id, const char *owner_key_id,
                            const char *json, sw_err *err);
/* 1 and *json (malloc'd, caller frees) when the completion exists and owner_key_id owns it;
 * 0 when it does not exist or belongs to another key. -1 on error. */
int sw_store_completion_get(sw_store *s, const char *id, const char *owner_key_id, char **json,
                            sw_err *err);
/* The same for a reviewer or admin (role checked here: a user gets 0 unless owner). */
int sw_store_completion_get_as(sw_store *s, const char *id, const sw_key_info *who, char **json,
                               sw_err *err);

/* ---- conversations taken over by a person, and their queued human replies ---- */
#define SW_CONV_ID_MAX 127
/* Sets (on = 1) or releases (on = 0) the takeover of conv_id by by_key_id. -1 on error. */
int sw_store_takeover_set(sw_store *s, const char *conv_id, const char *by_key_id, int on,
                          sw_err *err);
/* 1 when conv_id is taken over (by_key_id[SW_KEY_ID_CHARS + 1] and *since filled when not
 * NULL), 0 when not, -1 on error. */
int sw_store_takeover_get(sw_store *s, const char *conv_id, char *by_key_id, long long *since,
                          sw_err *err);
/* Queues a human reply for conv_id. *id receives its number. -1 on error. */
int sw_store_reply_add(sw_store *s, const char *conv_id, const char *by_key_id, const char *text,
                       long long *id, sw_err *err);
/* Takes the oldest undelivered reply of conv_id: 1 and *text (malloc'd, caller frees), and it
 * is marked delivered; 0 when none is queued; -1 on error. */
int sw_store_reply_take(sw_store *s, const char *conv_id, char **text, sw_err *err);
/* A request of a conversation taken over whose client was answered "pending": the next
 * reply goes to its stored completion, after a restart too. */
#define SW_CONV_WAIT_ID_MAX 63
typedef struct sw_conv_wait {
    char conv_id[SW_CONV_ID_MAX + 1];
    char completion_id[SW_CONV_WAIT_ID_MAX + 1];
    char owner_key_id[SW_KEY_ID_CHARS + 1];
    int chat;
    long long created;             /* the completion's (unix seconds) */
} sw_conv_wait;
/* Records w (after the waits recorded before). -1 on error (an id too long, store error). */
int sw_store_conv_wait_add(sw_store *s, const sw_conv_wait *w, sw_err *err);
/* Takes (removes) the oldest wait of conv_id into *w: 1, 0 when none, -1 on error. */
int sw_store_conv_wait_take(sw_store *s, const char *conv_id, sw_conv_wait *w, sw_err *err);
/* *n = the waits of conv_id. -1 on error. */
int sw_store_conv_wait_count(sw_store *s, const char *conv_id, long long *n, sw_err *err);

/* ---- halt: a person stops all generation; persisted, so a halted server starts halted ---- */
#define SW_HALT_BY_MAX 64
#define SW_HALT_REASON_MAX 512
/* Sets or clears the halt. by and reason may be NULL. -1 on error. */
int sw_store_halt_set(sw_store *s, int halted, const char *by, const char *reason, sw_err *err);
/* *halted, *since (unix seconds of the last change; 0 never), by[SW_HALT_BY_MAX + 1] and
 * reason[SW_HALT_REASON_MAX + 1] (each may be NULL). Answers from memory. -1 on error. */
int sw_store_halt_get(sw_store *s, int *halted, long long *since, char *by, char *reason,
                      sw_err *err);

/* ---- feedback from users on completions ---- */
typedef enum {
    SW_FEEDBACK_WRONG = 0,
    SW_FEEDBACK_HARMFUL = 1,
    SW_FEEDBACK_BIASED = 2,
    SW_FEEDBACK_OTHER = 3
} sw_feedback_category;
#define SW_FEEDBACK_CATEGORIES 4
#define SW_FEEDBACK_COMMENT_MAX 4096
const char *sw_feedback_category_name(sw_feedback_category c); /* "wrong" | "harmful" | ... */
int sw_feedback_category_parse(const char *s, sw_feedback_category *out); /* -1 when unknown */
typedef struct sw_feedback {
    long long id;
    char completion_id[SW_REVIEW_COMPLETION_ID_MAX + 1];
    char owner_key_id[SW_KEY_ID_CHARS + 1];
    sw_feedback_category category;
    const char *comment;       /* valid during the callback */
    long long created;
    int handled;
} sw_feedback;
/* Records feedback; comment may be NULL (at most SW_FEEDBACK_COMMENT_MAX bytes). *id
 * receives its number (may be NULL). -1 on error. */
int sw_store_feedback_add(sw_store *s, const char *completion_id, const char *owner_key_id,
                          sw_feedback_category category, const char *comment, long long *id,
                          sw_err *err);
/* Calls fn for each item, oldest first; only_unhandled selects those not yet handled. fn
 * returns 0 to go on, non-zero to stop. -1 on error. */
int sw_store_feedback_list(sw_store *s, int only_unhandled,
                           int (*fn)(void *ud, const sw_feedback *f), void *ud, sw_err *err);
/* Marks feedback id handled: 1 done, 0 no such item, -1 on error. */
int sw_store_feedback_handle(sw_store *s, long long id, sw_err *err);
/* counts[c] = number of feedback items of category c (handled or not). -1 on error. */
int sw_store_feedback_counts(sw_store *s, long long counts[SW_FEEDBACK_CATEGORIES], sw_err *err);

/* ---- what waits for people (status, metrics, console) ---- */
/* Calls fn for each conversation taken over, longest first; fn returns non-zero to stop.
 * -1 on error. */
int sw_store_takeover_list(sw_store *s, int (*fn)(void *ud, const char *conv_id, const char *by_key_id,
                                                  long long since),
                           void *ud, sw_err *err);
typedef struct sw_oversight_depths {
    long long review_pending;     /* review items not yet decided */
    long long takeovers;          /* conversations taken over */
    long long replies_queued;     /* human replies not yet delivered */
    long long feedback_unhandled; /* feedback not yet marked handled */
} sw_oversight_depths;
/* Fills *d from the store. -1 on error. */
int sw_store_oversight_depths(sw_store *s, sw_oversight_depths *d, sw_err *err);

#endif
