/* cmd_audit.c - `steward audit`: verify, show, prove, consistency, checkpoint, append,
 * export, forget and recall over the Merkle audit log. */
#include "cli.h"
#include "steward/audit.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD "audit"
#define USAGE "audit verify | show N | prove N [--size S | --checkpoint FILE] | consistency OLD NEW |\n" \
              "       checkpoint |" \
              " append [--retain] | export [--from N | --salvage] | forget [--record N | --older-than-days D] |\n" \
              "       recall N | lineage EVENT [in:ROLE=FILE]... [out:ROLE=FILE]... | rotate-key   [--json]\n\n" \
              "lineage records a data, train, policy or key event linking the SHA-256 of its input and\n" \
              "output files (e.g. 'lineage train in:dataset=d.jsonl out:model=m.gguf').\n" \
              "export --salvage reads the segments directly (not the index) and writes every record\n" \
              "whose frame is intact, skipping damage: for getting records out of a damaged log.\n" \
              "OLD and NEW are tree sizes or checkpoint files. --batch (prove, consistency) reads\n" \
              "'N SIZE' or 'OLD NEW' pairs from stdin, one per line, and answers one JSON line each."

typedef struct args {
    int json, batch, retain, record, older_days, salvage;
    const char *size_s, *from_s, *record_s, *principal, *details, *checkpoint_s;
} args;

#define MAX_POS 66

static void hexs(const uint8_t h[SW_HASH_BYTES], char out[65]) { sw_hex(h, SW_HASH_BYTES, out); }

static json_t *json_hash(const uint8_t h[SW_HASH_BYTES]) {
    char x[65];
    hexs(h, x);
    return json_string(x);
}

static int parse_u64(const char *s, uint64_t *v) {
    if (!s || !*s || *s == '-') return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *v = x;
    return 0;
}

static int open_log(int writer, sw_audit **log, sw_err *err) {
    char home[4096];
    if (sw_home_resolve(sw_cli_home, home, sizeof home, err) < 0) return -1;
    sw_audit_opts o = {0};
    o.read_only = !writer;
    if (sw_audit_open(home, &o, log, err) < 0) return -1;
    const sw_audit_recovery *r = sw_audit_recovered(*log);
    if (r->truncated_bytes)
        fprintf(stderr, "steward audit: recovery truncated a torn tail of %" PRIu64
                " bytes (from record %" PRIu64 ", never acknowledged)\n", r->truncated_bytes, r->truncated_from);
    return 0;
}

static int finish(sw_audit *log, int rc) {
    sw_err err;
    if (sw_audit_close(log, &err) < 0 && rc == SW_EXIT_OK) return sw_cli_fail(CMD, &err);
    return rc;
}

/* ---- verify ---- */
static int do_verify(const args *a) {
    sw_err err;
    sw_audit *log;
    if (open_log(0, &log, &err) < 0) return sw_cli_fail(CMD, &err);
    sw_audit_verify_report rep;
    int rc = sw_audit_verify(log, &rep, &err);
    uint64_t tail = sw_audit_recovered(log)->tail_bytes;
    if (a->json) {
        json_t *o = json_pack("{s:b, s:I, s:I, s:I}", "ok", rc == 0, "records", (json_int_t)rep.records,
                              "checkpoints", (json_int_t)rep.checkpoints, "tail_bytes", (json_int_t)tail);
        if (rc == 0) json_object_set_new(o, "root", json_hash(rep.root));
        else json_object_set_new(o, "error", json_string(err.msg));
        if (rc < 0 && rep.has_bad_record) json_object_set_new(o, "bad_record", json_integer((json_int_t)rep.bad_record));
        sw_cli_print_json(o);
    }
    if (rc < 0) {
        sw_audit_close(log, NULL);
        return sw_cli_fail(CMD, &err);
    }
    if (!a->json) {
        char x[65];
        hexs(rep.root, x);
        printf("ok: %" PRIu64 " records, %" PRIu64 " signed checkpoints match, root %s\n", rep.records,
               rep.checkpoints, x);
    }
    if (tail)
        fprintf(stderr, "steward audit: %" PRIu64 " bytes past the last indexed record (appends in "
                "progress, or a tail that the next writer will recover)\n", tail);
    return finish(log, SW_EXIT_OK);
}

/* ---- show, export ---- */
static json_t *record_json(uint64_t index, const uint8_t *rec, size_t len) {
    uint8_t leaf[SW_HASH_BYTES];
    sw_merkle_leaf_hash(rec, len, leaf);
    json_error_t je;
    json_t *r = json_loadb((const char *)rec, len, JSON_DECODE_ANY, &je);
    if (!r) r = json_stringn((const char *)rec, len); /* not JSON: keep the bytes as text */
    if (!r) r = json_null();
    return json_pack("{s:I, s:o, s:o}", "index", (json_int_t)index, "leaf_hash", json_hash(leaf), "record", r);
}

static int do_show(const args *a, const char *n_s) {
    uint64_t n;
    if (parse_u64(n_s, &n) < 0) return sw_cli_usage_error(CMD, "show expects a record number, got '%s'", n_s);
    sw_err err;
    sw_audit *log;
    if (open_log(0, &log, &err) < 0) return sw_cli_fail(CMD, &err);
    sw_buf b = {0};
    int rc = sw_audit_read(log, n, &b, &err);
    if (rc == 0) {
        if (a->json) sw_cli_print_json(record_json(n, (const uint8_t *)b.data, b.len));
        else {
            fwrite(b.data, 1, b.len, stdout);
            fputc('\n', stdout);
        }
    }
    sw_buf_free(&b);
    if (rc < 0) {
        sw_audit_close(log, NULL);
        return sw_cli_fail(CMD, &err);
    }
    return finish(log, SW_EXIT_OK);
}

static int export_one(void *ud, uint64_t index, const uint8_t *rec, size_t len) {
    (void)ud;
    return sw_cli_print_json(record_json(index, rec, len)) < 0;
}

static int do_export(const args *a) {
    uint64_t from = 0;
    if (a->from_s && parse_u64(a->from_s, &from) < 0)
        return sw_cli_usage_error(CMD, "--from expects a record number");
    if (a->from_s && a->salvage) return sw_cli_usage_error(CMD, "--salvage reads everything; no --from");
    sw_err err;
    sw_audit *log;
    if (open_log(0, &log, &err) < 0) return sw_cli_fail(CMD, &err);
    if (a->salvage) {
        sw_audit_salvage_report r;
        if (sw_audit_salvage(log, export_one, NULL, &r, &err) < 0) {
            sw_audit_close(log, NULL);
            return sw_cli_fail(CMD, &err);
        }
        fprintf(stderr, "steward audit: salvaged %" PRIu64 " intact records", r.records);
        if (r.damaged)
            fprintf(stderr, "; skipped %" PRIu64 " damaged stretch(es), %" PRIu64 " bytes, the first where record %"
                    PRIu64 " was expected", r.damaged, r.damaged_bytes, r.first_damaged);
        fputc('\n', stderr);
        return finish(log, SW_EXIT_OK);
    }
    if (sw_audit_scan(log, from, export_one, NULL, &err) < 0) {
        sw_audit_close(log, NULL);
        return sw_cli_fail(CMD, &err);
    }
    return finish(log, SW_EXIT_OK);
}

/* ---- prove ---- */

/* The root that a proof of tree size `size` is checked against: the signed checkpoint of
 * that size when one is stored, else the root recomputed from the log. */
static int root_for(sw_audit *log, uint64_t size, uint8_t root[SW_HASH_BYTES], int *signed_cp, sw_err *err) {
    sw_checkpoint cp;
    sw_err e;
    *signed_cp = 0;
    if (sw_audit_find_checkpoint(log, size, &cp, NULL, &e) == 0) {
        memcpy(root, cp.root, SW_HASH_BYTES);
        *signed_cp = 1;
        return 0;
    }
    return sw_audit_root(log, size, root, err);
}

static json_t *proof_json(uint8_t proof[][SW_HASH_BYTES], size_t n) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, json_hash(proof[i]));
    return arr;
}

/* Proves record index in the tree of size; given_root (a checkpoint the caller holds) is
 * used instead of the stored or recomputed root when not NULL. */
static int prove_one(sw_audit *log, uint64_t index, uint64_t size, const uint8_t *given_root, int json,
                     sw_err *err) {
    uint8_t proof[SW_MERKLE_MAX_PROOF][SW_HASH_BYTES], root[SW_HASH_BYTES], leaf[SW_HASH_BYTES];
    size_t n;
    int signed_cp = given_root != NULL;
    sw_buf rec = {0};
    /* the leaf is recomputed from the record itself, not taken from the tree files */
    int rc = sw_audit_read(log, index, &rec, err);
    if (rc == 0) sw_merkle_leaf_hash(rec.data, rec.len, leaf);
    sw_buf_free(&rec);
    if (given_root) memcpy(root, given_root, SW_HASH_BYTES);
    if (rc < 0 || (!given_root && root_for(log, size, root, &signed_cp, err) < 0) ||
        sw_audit_prove(log, index, size, proof, &n, err) < 0 ||
        sw_merkle_verify_inclusion(leaf, index, size, (const uint8_t(*)[SW_HASH_BYTES])proof, n, root, err) < 0)
        return sw_err_prefix(err, "record %" PRIu64 " in tree of size %" PRIu64, index, size);
    if (json) {
        sw_cli_print_json(json_pack("{s:I, s:I, s:o, s:o, s:o, s:b, s:b}", "index", (json_int_t)index,
                                    "size", (json_int_t)size, "leaf_hash", json_hash(leaf), "root",
                                    json_hash(root), "proof", proof_json(proof, n), "checkpoint", signed_cp,
                                    "verified", 1));
    } else {
        char x[65];
        hexs(leaf, x);
        printf("record %" PRIu64 " is in the tree of %" PRIu64 " records (%s): verified\nleaf %s\n", index,
               size, signed_cp ? "signed checkpoint" : "root recomputed from the log", x);
        hexs(root, x);
        printf("root %s\n", x);
        for (size_t i = 0; i < n; i++) {
            hexs(proof[i], x);
            printf("proof[%zu] %s\n", i, x);
        }
    }
    return 0;
}

static int size_or_note(sw_audit *log, const char *s, uint64_t *size, uint8_t root[SW_HASH_BYTES],
                        int *have_root, sw_err *err);

static int do_prove(const args *a, const char *n_s) {
    sw_err err;
    sw_audit *log;
    uint64_t index = 0, size = 0;
    if (!a->batch && parse_u64(n_s, &index) < 0)
        return sw_cli_usage_error(CMD, "prove expects a record number, got '%s'", n_s ? n_s : "nothing");
    if (a->size_s && parse_u64(a->size_s, &size) < 0) return sw_cli_usage_error(CMD, "--size expects a number");
    if (open_log(0, &log, &err) < 0) return sw_cli_fail(CMD, &err);
    int rc = 0;
    if (a->batch) {
        unsigned long long i, s;
        char line[256];
        while (rc == 0 && fgets(line, sizeof line, stdin)) {
            if (sscanf(line, "%llu %llu", &i, &s) != 2) {
                rc = sw_err_set(&err, "--batch: expected 'N SIZE', got '%.40s'", line);
                break;
            }
            rc = prove_one(log, i, s, NULL, 1, &err);
        }
    } else {
        uint8_t root[SW_HASH_BYTES];
        int have_root = 0;
        if (a->checkpoint_s) { /* a checkpoint the caller holds */
            rc = size_or_note(log, a->checkpoint_s, &size, root, &have_root, &err);
            if (rc == 0 && !have_root) rc = sw_err_set(&err, "--checkpoint expects a checkpoint file");
        } else if (!a->size_s) { /* the latest checkpoint */
            sw_checkpoint cp;
            if (sw_audit_latest_checkpoint(log, &cp, NULL, &err) < 0) rc = -1;
            size = cp.size;
        }
        if (rc == 0) rc = prove_one(log, index, size, have_root ? root : NULL, a->json, &err);
    }
    if (rc < 0) {
        sw_audit_close(log, NULL);
        return sw_cli_fail(CMD, &err);
    }
    return finish(log, SW_EXIT_OK);
}

/* ---- consistency ---- */

/* A tree size, or a checkpoint file (verified with this instance's keys). */
static int size_or_note(sw_audit *log, const char *s, uint64_t *size, uint8_t root[SW_HASH_BYTES],
                        int *have_root, sw_err *err) {
    *have_root = 0;
    if (parse_u64(s, size) == 0) return 0;
    sw_buf b = {0};
    sw_checkpoint cp;
    int rc = sw_read_file(s, &b, err);
    if (rc == 0) rc = sw_audit_verify_note(log, b.data, b.len, &cp, err);
    sw_buf_free(&b);
    if (rc < 0) return sw_err_prefix(err, "%s", s);
    *size = cp.size;
    memcpy(root, cp.root, SW_HASH_BYTES);
    *have_root = 1;
    return 0;
}

static int consistency_one(sw_audit *log, const char *old_s, const char *new_s, int json, sw_err *err) {
    uint64_t old, size;
    uint8_t r1[SW_HASH_BYTES], r2[SW_HASH_BYTES], proof[SW_MERKLE_MAX_PROOF][SW_HASH_BYTES];
    int h1, h2, s1 = 0, s2 = 0;
    size_t n;
    if (size_or_note(log, old_s, &old, r1, &h1, err) < 0 || size_or_note(log, new_s, &size, r2, &h2, err) < 0)
        return -1;
    if (!h1 && root_for(log, old, r1, &s1, err) < 0) return -1;
    if (!h2 && root_for(log, size, r2, &s2, err) < 0) return -1;
    if (sw_audit_consistency(log, old, size, proof, &n, err) < 0 ||
        sw_merkle_verify_consistency(old, size, r1, r2, (const uint8_t(*)[SW_HASH_BYTES])proof, n, err) < 0)
        return sw_err_prefix(err, "trees of %" PRIu64 " and %" PRIu64 " records", old, size);
    if (json) {
        sw_cli_print_json(json_pack("{s:I, s:I, s:o, s:o, s:o, s:b}", "old", (json_int_t)old, "new",
                                    (json_int_t)size, "old_root", json_hash(r1), "new_root", json_hash(r2),
                                    "proof", proof_json(proof, n), "verified", 1));
    } else {
        char x[65];
        printf("the tree of %" PRIu64 " records is a prefix of the tree of %" PRIu64 " records: verified\n",
               old, size);
        hexs(r1, x);
        printf("old root %s%s\n", x, h1 || s1 ? " (signed)" : "");
        hexs(r2, x);
        printf("new root %s%s\n", x, h2 || s2 ? " (signed)" : "");
        for (size_t i = 0; i < n; i++) {
            hexs(proof[i], x);
            printf("proof[%zu] %s\n", i, x);
        }
    }
    return 0;
}

static int do_consistency(const args *a, const char *old_s, const char *new_s) {
    if (!a->batch && (!old_s || !new_s)) return sw_cli_usage_error(CMD, "consistency expects OLD and NEW");
    sw_err err;
    sw_audit *log;
    if (open_log(0, &log, &err) < 0) return sw_cli_fail(CMD, &err);
    int rc = 0;
    if (a->batch) {
        char line[8192], o[4096], n[4096];
        while (rc == 0 && fgets(line, sizeof line, stdin)) {
            if (sscanf(line, "%4095s %4095s", o, n) != 2) {
                rc = sw_err_set(&err, "--batch: expected 'OLD NEW', got '%.40s'", line);
                break;
            }
            rc = consistency_one(log, o, n, 1, &err);
        }
    } else {
        rc = consistency_one(log, old_s, new_s, a->json, &err);
    }
    if (rc < 0) {
        sw_audit_close(log, NULL);
        return sw_cli_fail(CMD, &err);
    }
    return finish(log, SW_EXIT_OK);
}

/* ---- checkpoint ---- */
static int do_checkpoint(const args *a) {
    sw_err err;
    sw_audit *log;
    if (open_log(1, &log, &err) < 0) return sw_cli_fail(CMD, &err);
    sw_checkpoint cp;
    sw_buf note = {0};
    if (sw_audit_checkpoint(log, &cp, &note, &err) < 0) {
        sw_buf_free(&note);
        sw_audit_close(log, NULL);
        return sw_cli_fail(CMD, &err);
    }
    if (a->json)
        sw_cli_print_json(json_pack("{s:s, s:I, s:o, s:s}", "origin", cp.origin, "size", (json_int_t)cp.size,
                                    "root", json_hash(cp.root), "note", note.data));
    else
        fwrite(note.data, 1, note.len, stdout);
    sw_buf_free(&note);
    return finish(log, SW_EXIT_OK);
}

/* ---- append ---- */

/* With --retain, a "content" string is encrypted into the vault and replaced by its hash
 * and slot. Returns the record text to append (caller frees) or NULL with err filled. */
static char *prepare_record(sw_audit *log, const char *line, size_t len, int retain, uint64_t lineno,
                            sw_err *err) {
    json_error_t je;
    json_t *rec = json_loadb(line, len, 0, &je);
    if (!rec || !json_is_object(rec)) {
        json_decref(rec);
        sw_err_set(err, "stdin line %" PRIu64 ": not a JSON object (%s, column %d)", lineno, je.text, je.column);
        return NULL;
    }
    if (!retain) {
        json_decref(rec);
        char *copy = malloc(len + 1);
        if (copy) memcpy(copy, line, len), copy[len] = 0; /* the record's bytes as given */
        return copy;
    }
    json_t *content = json_object_get(rec, "content");
    if (json_is_string(content)) {
        const char *c = json_string_value(content);
        size_t clen = json_string_length(content);
        char hx[65];
        uint64_t slot;
        sw_sha256_hex(c, clen, hx);
        if (sw_audit_retain(log, c, clen, &slot, err) < 0) {
            json_decref(rec);
            return NULL;
        }
        json_object_set_new(rec, "content_sha256", json_string(hx));
        json_object_set_new(rec, "retained", json_pack("{s:I}", "slot", (json_int_t)slot));
        json_object_del(rec, "content");
    }
    char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(rec);
    if (!text) sw_err_set(err, "stdin line %" PRIu64 ": cannot serialise", lineno);
    return text;
}

/* Prints indices [from, to) once durable, one line each. The batch goes out in one
 * write(2) of whole lines, never through stdio's buffer (which flushes mid-line), so a
 * kill can leave at most one unterminated last line; only newline-terminated lines are
 * acknowledgements. Returns 0, or -1 with err filled (the records stay durable). */
static int ack(sw_audit *log, uint64_t from, uint64_t to, int json, sw_err *err) {
    enum { ACK_LINE_MAX = 40 }; /* {"index":<20 digits>}\n */
    if (from == to) return 0;
    if (sw_audit_sync(log, to - 1, err) < 0) return -1;
    char *buf = malloc((size_t)(to - from) * ACK_LINE_MAX);
    if (!buf) return sw_err_set(err, "out of memory acknowledging records"), -1;
    size_t n = 0;
    for (uint64_t i = from; i < to; i++)
        n += (size_t)snprintf(buf + n, ACK_LINE_MAX, json ? "{\"index\":%" PRIu64 "}\n" : "%" PRIu64 "\n", i);
    fflush(stdout);
    int rc = sw_write_all(STDOUT_FILENO, buf, n);
    free(buf);
    if (rc < 0) sw_err_set(err, "cannot write acknowledgements to stdout: %s", strerror(errno));
    return rc;
}

static int stdin_ready(void) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

static int do_append(const args *a) {
    sw_err err;
    sw_audit *log;
    if (open_log(1, &log, &err) < 0) return sw_cli_fail(CMD, &err);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t lineno = 0, first_unacked = 0, last = 0;
    int have = 0, rc = 0;
    /* submit while input keeps coming; make durable and acknowledge when it pauses */
    while (rc == 0 && (len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        if (len == 0) continue;
        char *text = prepare_record(log, line, (size_t)len, a->retain, lineno, &err);
        if (!text) { rc = -1; break; }
        uint64_t idx;
        rc = sw_audit_submit(log, text, strlen(text), &idx, &err);
        free(text);
        if (rc < 0) {
            sw_err_prefix(&err, "stdin line %" PRIu64, lineno);
            break;
        }
        if (!have) first_unacked = idx;
        have = 1;
        last = idx;
        if (last + 1 - first_unacked >= 4096 || !stdin_ready()) {
            rc = ack(log, first_unacked, last + 1, a->json, &err);
            have = 0;
        }
    }
    free(line);
    if (rc == 0 && have) rc = ack(log, first_unacked, last + 1, a->json, &err);
    if (rc < 0) {
        if (have) ack(log, first_unacked, last + 1, a->json, NULL); /* what was accepted */
        sw_audit_close(log, NULL);
        return sw_cli_fail(CMD, &err);
    }
    return finish(log, SW_EXIT_OK);
}

/* ---- forget, recall ---- */
static int do_forget(const args *a) {
    sw_err err;
    sw_audit *log;
    if (a->record_s && a->older_days >= 0)
        return sw_cli_usage_error(CMD, "forget takes --record or --older-than-days, not both");
    uint64_t rec = 0;
    if (a->record_s && parse_u64(a->record_s, &rec) < 0) return sw_cli_usage_error(CMD, "--record expects a number");
    if (open_log(1, &log, &err) < 0) return sw_cli_fail(CMD, &err);
    uint64_t count = 0;
    int rc;
    if (a->record_s) {
        rc = sw_audit_forget_record(log, rec, &err);
        count = rc == 0;
    } else {
        int64_t age = a->older_days >= 0 ? (int64_t)a->older_days * 86400 : SW_AUDIT_RETENTION_DEFAULT_S;
        rc = sw_audit_forget_expired(log, age, (int64_t)time(NULL), &count, &err);
    }
    if (rc < 0) {
        sw_audit_close(log, NULL);
        return sw_cli_fail(CMD, &err);
    }
    if (a->json) sw_cli_print_json(json_pack("{s:I}", "forgotten", (json_int_t)count));
    else printf("forgot the content keys of %" PRIu64 " record(s)\n", count);
    return finish(log, SW_EXIT_OK);
}

static int do_recall(const args *a, const char *n_s) {
    uint64_t n;
    if (parse_u64(n_s, &n) < 0) return sw_cli_usage_error(CMD, "recall expects a record number");
    sw_err err;
    sw_audit *log;
    if (open_log(0, &log, &err) < 0) return sw_cli_fail(CMD, &err);
    sw_buf b = {0};
    int rc = sw_audit_recall_record(log, n, &b, &err);
    if (rc == 0) {
        if (a->json) sw_cli_print_json(json_pack("{s:I, s:s%}", "index", (json_int_t)n, "content", b.data, b.len));
        else fwrite(b.data, 1, b.len, stdout);
    }
    sw_buf_free(&b);
    if (rc < 0) {
        sw_audit_close(log, NULL);
        return sw_cli_fail(CMD, &err);
    }
    return finish(log, SW_EXIT_OK);
}

/* ---- lineage, rotate-key ---- */

/* "in:ROLE=FILE" / "out:ROLE=FILE": hashes FILE into art (strings owned by the caller's
 * storage: role and name point into spec, sha256 into hex). */
static int parse_artifact(char *spec, sw_audit_artifact *art, char hex[65], int *is_out, sw_err *err) {
    if (strncmp(spec, "in:", 3) == 0) *is_out = 0;
    else if (strncmp(spec, "out:", 4) == 0) *is_out = 1;
    else return sw_err_set(err, "lineage: '%s' must start with in: or out:", spec);
    char *role = spec + (*is_out ? 4 : 3), *eq = strchr(role, '=');
    if (!eq || eq == role || !eq[1]) return sw_err_set(err, "lineage: '%s' must be in:ROLE=FILE or out:ROLE=FILE", spec);
    *eq = 0;
    if (sw_sha256_file_hex(eq + 1, hex, err) < 0) return -1;
    art->role = role;
    art->name = eq + 1;
    art->sha256 = hex;
    return 0;
}

static int do_lineage(const args *a, const char **pos, int npos) {
    enum { MAXA = MAX_POS };
    sw_audit_artifact in[MAXA], out[MAXA];
    static char hexes[MAXA][65];
    char *specs[MAXA];
    size_t nin = 0, nout = 0;
    sw_err err;
    int rc = 0;
    for (int i = 2; i < npos; i++) specs[i] = strdup(pos[i]);
    for (int i = 2; i < npos && rc == 0; i++) {
        sw_audit_artifact art;
        int is_out = 0;
        if (!specs[i]) rc = sw_err_set(&err, "out of memory");
        else if ((rc = parse_artifact(specs[i], &art, hexes[i], &is_out, &err)) == 0) {
            if (is_out) out[nout++] = art;
            else in[nin++] = art;
        }
    }
    sw_audit *log = NULL;
    uint64_t idx = 0;
    if (rc == 0 && open_log(1, &log, &err) < 0) rc = -1;
    if (rc == 0) rc = sw_audit_lineage(log, pos[1], a->principal, in, nin, out, nout, a->details, &idx, &err);
    for (int i = 2; i < npos; i++) free(specs[i]);
    if (rc < 0) {
        sw_audit_close(log, NULL);
        return sw_cli_fail(CMD, &err);
    }
    if (a->json) sw_cli_print_json(json_pack("{s:I}", "index", (json_int_t)idx));
    else printf("%" PRIu64 "\n", idx);
    return finish(log, SW_EXIT_OK);
}

static int do_rotate_key(const args *a) {
    sw_err err;
    sw_audit *log;
    uint64_t idx;
    if (open_log(1, &log, &err) < 0) return sw_cli_fail(CMD, &err);
    if (sw_audit_rotate_key(log, a->principal, &idx, &err) < 0) {
        sw_audit_close(log, NULL);
        return sw_cli_fail(CMD, &err);
    }
    if (a->json) sw_cli_print_json(json_pack("{s:I}", "index", (json_int_t)idx));
    else printf("new audit signing key; key change recorded as record %" PRIu64 "\n", idx);
    return finish(log, SW_EXIT_OK);
}

/* One help page per subcommand: its synopsis, what it does, the options it takes. */
typedef struct sub_help {
    const char *name, *synopsis, *about, *options; /* options: "|"-separated names */
} sub_help;

static const sub_help SUBS[] = {
    {"verify", "verify [--json]", "Recomputes every record's hash and the Merkle root, and checks each signed\n"
     "checkpoint against the log; names the first record that differs.", "json"},
    {"show", "show N [--json]", "Prints record N (its JSON) and its leaf hash.", "json"},
    {"prove", "prove N [--size S | --checkpoint FILE] [--batch] [--json]",
     "An inclusion proof of record N in the tree of size S (default: the latest\n"
     "checkpoint), checked before it is printed. --batch reads 'N SIZE' lines from stdin.",
     "size|checkpoint|batch|json"},
    {"consistency", "consistency OLD NEW [--batch] [--json]",
     "A consistency proof between two tree sizes or checkpoint files: the log of size\n"
     "OLD is a prefix of the log of size NEW. --batch reads 'OLD NEW' lines from stdin.", "batch|json"},
    {"checkpoint", "checkpoint [--json]", "Signs a checkpoint (a signed note: size and root) of the log as it is now.",
     "json"},
    {"append", "append [--retain] [--json] < RECORDS",
     "Appends JSON records from stdin, one per line. --retain keeps a record's \"content\"\n"
     "string encrypted in the vault (erasable with forget).", "retain|json"},
    {"export", "export [--from N]", "Prints the records from N on, one JSON line each.", "from"},
    {"forget", "forget [--record N | --older-than-days D] [--json]",
     "Erases retained content (the vault's keys), keeping the records and their hashes.",
     "record|older-than-days|json"},
    {"recall", "recall N [--json]", "Prints the retained content of record N, while it is not forgotten.", "json"},
    {"lineage", "lineage EVENT [in:ROLE=FILE]... [out:ROLE=FILE]... [--principal WHO] [--details JSON]",
     "Records a data, train, policy or key event linking the SHA-256 of its input and\n"
     "output files (e.g. 'lineage train in:dataset=d.jsonl out:model=m.gguf').", "principal|details|json"},
    {"rotate-key", "rotate-key [--principal WHO] [--json]",
     "Makes a new audit signing key; the change is itself a record.", "principal|json"},
    {NULL, NULL, NULL, NULL},
};

/* "--help" after a known subcommand prints that subcommand's page; 1 when it did. */
static int sub_help_shown(int argc, char **argv, const sw_opt *opts) {
    if (argc < 3) return 0;
    const sub_help *h = SUBS;
    while (h->name && strcmp(h->name, argv[1])) h++;
    if (!h->name) return 0;
    int asked = 0;
    for (int i = 2; i < argc; i++) asked |= !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
    if (!asked) return 0;
    printf("usage: steward audit %s\n\n%s\n\noptions:\n", h->synopsis, h->about);
    for (const sw_opt *o = opts; o->name; o++) {
        size_t n = strlen(o->name);
        const char *p = strstr(h->options, o->name);
        if (!p || (p != h->options && p[-1] != '|') || (p[n] && p[n] != '|')) continue;
        char left[64];
        snprintf(left, sizeof left, o->kind == SW_OPT_FLAG ? "--%s" : "--%s %s", o->name, o->metavar);
        printf("  %-24s %s\n", left, o->help);
    }
    printf("  %-24s %s\n", "--home DIR", "state directory (default $STEWARD_HOME or ~/.steward)");
    return 1;
}

/* The subcommands' names, for `steward --help`. */
void sw_cli_audit_subcommands(FILE *f) {
    for (const sub_help *h = SUBS; h->name; h++) fprintf(f, "%s%s", h == SUBS ? "" : ", ", h->name);
}

int sw_cmd_audit(int argc, char **argv) {
    args a = {0};
    a.older_days = -1;
    const sw_opt opts[] = {
        {"json", SW_OPT_FLAG, &a.json, NULL, "JSON output (one object per line)"},
        {"size", SW_OPT_STR, &a.size_s, "S", "prove: tree size (default: the latest checkpoint)"},
        {"checkpoint", SW_OPT_STR, &a.checkpoint_s, "FILE", "prove: against this checkpoint note"},
        {"batch", SW_OPT_FLAG, &a.batch, NULL, "prove, consistency: read queries from stdin"},
        {"retain", SW_OPT_FLAG, &a.retain, NULL, "append: keep a \"content\" string encrypted in the vault"},
        {"from", SW_OPT_STR, &a.from_s, "N", "export: first record"},
        {"salvage", SW_OPT_FLAG, &a.salvage, NULL, "export: every intact frame of the segments, skipping damage"},
        {"record", SW_OPT_STR, &a.record_s, "N", "forget: this record's content"},
        {"older-than-days", SW_OPT_INT, &a.older_days, "D", "forget: content older than D days (default 183)"},
        {"principal", SW_OPT_STR, &a.principal, "WHO", "lineage, rotate-key: who made the change"},
        {"details", SW_OPT_STR, &a.details, "JSON", "lineage: a JSON object of further details"},
        {NULL, 0, NULL, NULL, NULL},
    };
    if (sub_help_shown(argc, argv, opts)) return SW_EXIT_OK;
    const char *pos[MAX_POS];
    int npos;
    int rc = sw_cli_parse(CMD, USAGE, opts, argc, argv, pos, MAX_POS, &npos);
    if (rc) return sw_cli_exit(rc);
    if (npos == 0) return sw_cli_usage_error(CMD, "missing subcommand");
    const char *sub = pos[0], *p1 = npos > 1 ? pos[1] : NULL, *p2 = npos > 2 ? pos[2] : NULL;
    int want = !strcmp(sub, "consistency") ? 3 : (!strcmp(sub, "show") || !strcmp(sub, "prove") ||
                                                   !strcmp(sub, "recall")) ? 2 : 1;
    if (!strcmp(sub, "prove") && a.batch) want = 1;
    if (!strcmp(sub, "lineage")) {
        if (npos < 2) return sw_cli_usage_error(CMD, "lineage needs an EVENT");
        return do_lineage(&a, pos, npos);
    }
    if (!strcmp(sub, "consistency") && a.batch) want = 1;
    if (npos != want) return sw_cli_usage_error(CMD, "%s takes %d argument(s)", sub, want - 1);
    if (!strcmp(sub, "verify")) return do_verify(&a);
    if (!strcmp(sub, "show")) return do_show(&a, p1);
    if (!strcmp(sub, "prove")) return do_prove(&a, p1);
    if (!strcmp(sub, "consistency")) return do_consistency(&a, p1, p2);
    if (!strcmp(sub, "checkpoint")) return do_checkpoint(&a);
    if (!strcmp(sub, "append")) return do_append(&a);
    if (!strcmp(sub, "export")) return do_export(&a);
    if (!strcmp(sub, "forget")) return do_forget(&a);
    if (!strcmp(sub, "recall")) return do_recall(&a, p1);
    if (!strcmp(sub, "rotate-key")) return do_rotate_key(&a);
    return sw_cli_usage_error(CMD, "unknown subcommand '%s'", sub);
}
