/* checkpoint.c - signed checkpoints (signed notes, Ed25519) of the audit log, their
 * storage and verification, and lineage records (data, training, policy, key events). */
#include "audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EM_DASH "\xe2\x80\x94"
#define CP_EVERY_DEFAULT 100000
#define CP_MS_DEFAULT 1000

/* ---------------------------------------------------------------- the note format */

void sw_checkpoint_keyhash(const char *name, const uint8_t pub[32], uint8_t out[4]) {
    crypto_hash_sha256_state st;
    uint8_t h[32];
    static const uint8_t alg_ed25519 = 0x01, nl = '\n';
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)name, strlen(name));
    crypto_hash_sha256_update(&st, &nl, 1);
    crypto_hash_sha256_update(&st, &alg_ed25519, 1);
    crypto_hash_sha256_update(&st, pub, 32);
    crypto_hash_sha256_final(&st, h);
    memcpy(out, h, 4);
}

static int origin_ok(const char *o) {
    if (!o[0]) return 0;
    for (const char *p = o; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '+') return 0; /* note names: no spaces, no '+' */
    return 1;
}

static int body_text(const sw_checkpoint *cp, sw_buf *out, sw_err *err) {
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, cp->root, 32, sodium_base64_VARIANT_ORIGINAL);
    if (sw_buf_printf(out, "%s\n%" PRIu64 "\n%s\n", cp->origin, cp->size, b64) < 0)
        return sw_err_set(err, "checkpoint: out of memory");
    return 0;
}

int sw_checkpoint_sign(const sw_checkpoint *cp, const uint8_t sk[64], sw_buf *out, sw_err *err) {
    if (!origin_ok(cp->origin)) return sw_err_set(err, "checkpoint origin '%s' is empty or has spaces", cp->origin);
    size_t start = out->len;
    if (body_text(cp, out, err) < 0) return -1;
    uint8_t sig[4 + crypto_sign_BYTES];
    sw_checkpoint_keyhash(cp->origin, sk + 32, sig);
    crypto_sign_detached(sig + 4, NULL, (const unsigned char *)out->data + start, out->len - start, sk);
    char b64[sodium_base64_ENCODED_LEN(sizeof sig, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
    if (sw_buf_printf(out, "\n" EM_DASH " %s %s\n", cp->origin, b64) < 0)
        return sw_err_set(err, "checkpoint: out of memory");
    return 0;
}

/* Splits off the next '\n'-terminated line of [*p, end); NULL when there is none. */
static const char *next_line(const char **p, const char *end, size_t *len) {
    const char *s = *p;
    if (!s || s >= end) return NULL;
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    if (!nl) return NULL;
    *len = (size_t)(nl - s);
    *p = nl + 1;
    return s;
}

/* Parses the body; *body_len receives its length (up to and including the last body
 * line's newline) so that signatures can be checked over it. */
static int parse_body(const char *note, size_t len, sw_checkpoint *cp, size_t *body_len, sw_err *err) {
    memset(cp, 0, sizeof *cp);
    if (!note || len == 0) return sw_err_set(err, "checkpoint: empty");
    const char *p = note, *end = note + len, *l;
    size_t n;
    if (!(l = next_line(&p, end, &n)) || n == 0 || n >= SW_AUDIT_ORIGIN_MAX)
        return sw_err_set(err, "checkpoint line 1: missing or bad origin");
    memcpy(cp->origin, l, n);
    if (memchr(l, 0, n) || !origin_ok(cp->origin)) return sw_err_set(err, "checkpoint line 1: bad origin");
    if (!(l = next_line(&p, end, &n)) || n == 0 || n > 20 || (n > 1 && l[0] == '0'))
        return sw_err_set(err, "checkpoint line 2: missing or bad tree size");
    uint64_t size = 0;
    for (size_t i = 0; i < n; i++) {
        if (l[i] < '0' || l[i] > '9' || size > (UINT64_MAX - 9) / 10)
            return sw_err_set(err, "checkpoint line 2: bad tree size");
        size = size * 10 + (uint64_t)(l[i] - '0');
    }
    cp->size = size;
    if (!(l = next_line(&p, end, &n))) return sw_err_set(err, "checkpoint line 3: missing root hash");
    size_t got = 0;
    if (sodium_base642bin(cp->root, 32, l, n, NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        got != 32)
        return sw_err_set(err, "checkpoint line 3: root is not base64 of 32 bytes");
    /* extension lines may follow until the blank line */
    while ((l = next_line(&p, end, &n)) && n > 0) {}
    if (!l) return sw_err_set(err, "checkpoint: no blank line before the signatures");
    *body_len = (size_t)(p - note) - 1;
    return 0;
}

int sw_checkpoint_parse(const char *note, size_t len, sw_checkpoint *cp, sw_err *err) {
    size_t body;
    return parse_body(note, len, cp, &body, err);
}

int sw_checkpoint_verify(const char *note, size_t len, const uint8_t (*pubs)[32], size_t npub,
                         sw_checkpoint *cp, sw_err *err) {
    size_t body;
    if (parse_body(note, len, cp, &body, err) < 0) return -1;
    const char *p = note + body + 1, *end = note + len, *l;
    size_t n;
    int lines = 0;
    while ((l = next_line(&p, end, &n))) {
        lines++;
        size_t dash = strlen(EM_DASH);
        if (n < dash + 2 || memcmp(l, EM_DASH " ", dash + 1) != 0)
            return sw_err_set(err, "checkpoint signature line %d: must start with an em dash", lines);
        const char *name = l + dash + 1, *sp = memchr(name, ' ', n - dash - 1);
        if (!sp) return sw_err_set(err, "checkpoint signature line %d: no signature", lines);
        size_t name_len = (size_t)(sp - name);
        if (name_len != strlen(cp->origin) || memcmp(name, cp->origin, name_len) != 0) continue;
        uint8_t sig[4 + crypto_sign_BYTES];
        size_t got = 0;
        if (sodium_base642bin(sig, sizeof sig, sp + 1, (size_t)(l + n - sp - 1), NULL, &got, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 || got != sizeof sig)
            return sw_err_set(err, "checkpoint signature line %d: not base64 of a key hash and signature", lines);
        for (size_t k = 0; k < npub; k++) {
            uint8_t kh[4];
            sw_checkpoint_keyhash(cp->origin, pubs[k], kh);
            if (memcmp(kh, sig, 4) != 0) continue;
            if (crypto_sign_verify_detached(sig + 4, (const unsigned char *)note, body, pubs[k]) != 0)
                return sw_err_set(err, "checkpoint of size %" PRIu64 ": signature does not verify", cp->size);
            return 0;
        }
    }
    if (p != end) return sw_err_set(err, "checkpoint: trailing bytes after the signatures");
    return sw_err_set(err, "checkpoint of size %" PRIu64 ": no signature by a known key of '%s'",
                      cp->size, cp->origin);
}

/* ---------------------------------------------------------------- this log's checkpoints */

static int load_pubs(sw_audit *a, sw_err *err) {
    return sw_keys_public_all(a->home, AUDIT_KEY_NAME, a->pubs, SW_KEYS_MAX_OLD, &a->npubs, err);
}

int sw_audit_verify_note(sw_audit *a, const char *note, size_t len, sw_checkpoint *cp, sw_err *err) {
    pthread_mutex_lock(&a->cp_mu);
    int rc = sw_checkpoint_verify(note, len, (const uint8_t(*)[32])a->pubs, a->npubs, cp, err);
    pthread_mutex_unlock(&a->cp_mu);
    return rc;
}

int sw_audit_latest_checkpoint(sw_audit *a, sw_checkpoint *cp, sw_buf *note, sw_err *err) {
    char path[4300];
    snprintf(path, sizeof path, "%s/checkpoint", a->dir);
    sw_buf b = {0};
    int rc = sw_read_file(path, &b, err);
    if (rc == 0) rc = sw_audit_verify_note(a, b.data, b.len, cp, err);
    if (rc < 0) sw_err_prefix(err, "%s", path);
    if (rc == 0 && note && sw_buf_append(note, b.data, b.len) < 0) rc = sw_err_set(err, "out of memory");
    sw_buf_free(&b);
    return rc;
}

int audit_checkpoint_init(sw_audit *a, sw_err *err) {
    if (!a->read_only) {
        if (sw_keys_load_or_create(a->home, AUDIT_KEY_NAME, &a->key, err) < 0) return -1;
        a->have_key = 1;
    }
    if (load_pubs(a, err) < 0) return -1;
    char path[4300];
    snprintf(path, sizeof path, "%s/checkpoint", a->dir);
    sw_checkpoint cp;
    sw_err e;
    if (access(path, F_OK) != 0) { /* deleted or never written: the history still binds */
        if (a->read_only) return 0;
        uint64_t size;
        if (audit_checkpoint_history_max(a, &size, a->cp_root, err) < 0) return -1;
        a->cp_size = size;
        return 0;
    }
    if (sw_audit_latest_checkpoint(a, &cp, NULL, &e) < 0) {
        if (a->read_only) return 0; /* verify reports it */
        return sw_err_set(err, "%s", e.msg);
    }
    a->cp_size = cp.size;
    memcpy(a->cp_root, cp.root, SW_HASH_BYTES);
    return 0;
}

int audit_checkpoint_due(sw_audit *a, uint64_t durable) {
    pthread_mutex_lock(&a->cp_mu);
    uint64_t every = a->opts.checkpoint_every ? a->opts.checkpoint_every : CP_EVERY_DEFAULT;
    uint64_t ms = a->opts.checkpoint_ms ? a->opts.checkpoint_ms : CP_MS_DEFAULT;
    int due = durable > a->cp_size &&
              (durable - a->cp_size >= every || sw_now_ns() - a->cp_ns >= ms * 1000000ull);
    pthread_mutex_unlock(&a->cp_mu);
    return due;
}

static int write_file_synced(const char *path, const void *p, size_t n, int flags, sw_err *err) {
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0600);
    if (fd < 0) return sw_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    int ok = write(fd, p, n) == (ssize_t)n && fdatasync(fd) == 0;
    close(fd);
    if (!ok) return sw_err_set(err, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

/* Appends one entry to checkpoints.log and fdatasyncs it; on failure the file is cut back
 * to its old length, so a failed append leaves no partial entry for the next to follow. */
static int append_history(const char *path, const void *p, size_t n, sw_err *err) {
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return sw_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int ok = fstat(fd, &st) == 0;
    ok = ok && write(fd, p, n) == (ssize_t)n && fdatasync(fd) == 0;
    int e = errno;
    if (!ok && ftruncate(fd, st.st_size) != 0) { /* best effort; the next writer cuts it too */ }
    close(fd);
    if (!ok) return sw_err_set(err, "%s: cannot write: %s", path, strerror(e));
    return 0;
}

int audit_history_repair(sw_audit *a, sw_err *err) {
    char path[4300];
    snprintf(path, sizeof path, "%s/checkpoints.log", a->dir);
    if (access(path, F_OK) != 0) return 0;
    sw_buf b = {0};
    if (sw_read_file(path, &b, err) < 0) {
        sw_buf_free(&b);
        return -1;
    }
    size_t off = 0;
    while (b.len - off >= 4) {
        const uint8_t *p = (const uint8_t *)b.data + off;
        size_t len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
        if (len > b.len - off - 4) break;
        off += 4 + len;
    }
    size_t total = b.len;
    sw_buf_free(&b);
    if (off == total) return 0;
    if (truncate(path, (off_t)off) != 0) return sw_err_set(err, "%s: truncate: %s", path, strerror(errno));
    sw_log(SW_LOG_WARN, "audit: %s: cut an incomplete last entry of %zu bytes (a checkpoint being written "
           "when its writer died; never acknowledged)", path, total - off);
    return 0;
}

int audit_checkpoint_at(sw_audit *a, uint64_t size, const uint8_t root[SW_HASH_BYTES], sw_checkpoint *out,
                        sw_buf *note, sw_err *err) {
    if (!a->have_key) return sw_err_set(err, "audit log opened read-only: cannot sign a checkpoint");
    sw_checkpoint cp;
    memset(&cp, 0, sizeof cp);
    snprintf(cp.origin, sizeof cp.origin, "%s", a->origin);
    cp.size = size;
    memcpy(cp.root, root, SW_HASH_BYTES); /* the frontier's, never re-read from the tree files */
    pthread_mutex_lock(&a->cp_mu);
    sw_buf text = {0};
    int rc = sw_checkpoint_sign(&cp, a->key.sk, &text, err);
    char path[4300], tmp[4400];
    if (rc == 0) { /* history first, then the latest (atomically replaced) */
        uint8_t len[4] = {(uint8_t)text.len, (uint8_t)(text.len >> 8), (uint8_t)(text.len >> 16),
                          (uint8_t)(text.len >> 24)};
        sw_buf rec = {0};
        snprintf(path, sizeof path, "%s/checkpoints.log", a->dir);
        rc = sw_buf_append(&rec, len, 4) < 0 || sw_buf_append(&rec, text.data, text.len) < 0
                 ? sw_err_set(err, "out of memory")
                 : append_history(path, rec.data, rec.len, err);
        sw_buf_free(&rec);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/checkpoint", a->dir);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        rc = write_file_synced(tmp, text.data, text.len, O_TRUNC, err);
        if (rc == 0 && rename(tmp, path) != 0) rc = sw_err_set(err, "%s: rename: %s", path, strerror(errno));
    }
    if (rc == 0) {
        if (size > a->cp_size) a->cp_size = size;
        a->cp_ns = sw_now_ns();
        a->stats.checkpoints++;
        if (out) *out = cp;
        if (note && sw_buf_append(note, text.data, text.len) < 0) rc = sw_err_set(err, "out of memory");
    }
    pthread_mutex_unlock(&a->cp_mu);
    sw_buf_free(&text);
    return rc;
}

int sw_audit_checkpoint(sw_audit *a, sw_checkpoint *cp, sw_buf *note, sw_err *err) {
    if (a->read_only) return sw_err_set(err, "audit log opened read-only: cannot sign a checkpoint");
    uint64_t size;
    uint8_t root[SW_HASH_BYTES];
    audit_durable_root(a, &size, root);
    return audit_checkpoint_at(a, size, root, cp, note, err);
}

/* Reads checkpoints.log: u32 length + note, repeated. Each note is verified. */
static int read_history(sw_audit *a, sw_checkpoint **cps, size_t *ncps, uint64_t want, sw_buf *note,
                        sw_err *err) {
    *cps = NULL;
    *ncps = 0;
    char path[4300];
    snprintf(path, sizeof path, "%s/checkpoints.log", a->dir);
    if (access(path, F_OK) != 0) return 0;
    sw_buf b = {0};
    if (sw_read_file(path, &b, err) < 0) return -1;
    size_t off = 0, cap = 0;
    int rc = 0, k = 0;
    while (off < b.len && rc == 0) {
        k++;
        const uint8_t *p = (const uint8_t *)b.data + off;
        size_t len = b.len - off < 4 ? 0 : (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
        if (b.len - off < 4 || len > b.len - off - 4) { /* torn while appended: never a checkpoint */
            sw_log(SW_LOG_WARN, "audit: %s: an incomplete last entry at offset %zu (a checkpoint being "
                   "written when its writer died) is ignored; the next writer cuts it", path, off);
            break;
        }
        sw_checkpoint cp;
        if (sw_audit_verify_note(a, b.data + off + 4, len, &cp, err) < 0) {
            rc = sw_err_prefix(err, "%s: checkpoint %d at offset %zu", path, k, off);
            break;
        }
        if (want == UINT64_MAX || cp.size == want) {
            if (*ncps == cap) {
                cap = cap ? 2 * cap : 16;
                sw_checkpoint *q = realloc(*cps, cap * sizeof *q);
                if (!q) { rc = sw_err_set(err, "out of memory"); break; }
                *cps = q;
            }
            (*cps)[(*ncps)++] = cp;
            if (note) {
                sw_buf_reset(note);
                if (sw_buf_append(note, b.data + off + 4, len) < 0) rc = sw_err_set(err, "out of memory");
            }
        }
        off += 4 + len;
    }
    sw_buf_free(&b);
    if (rc < 0) {
        free(*cps);
        *cps = NULL;
        *ncps = 0;
    }
    return rc;
}

int audit_checkpoints_all(sw_audit *a, sw_checkpoint **cps, size_t *n, sw_err *err) {
    return read_history(a, cps, n, UINT64_MAX, NULL, err);
}

int audit_checkpoint_history_max(sw_audit *a, uint64_t *size, uint8_t root[SW_HASH_BYTES], sw_err *err) {
    sw_checkpoint *cps;
    size_t n;
    *size = 0;
    memset(root, 0, SW_HASH_BYTES);
    if (read_history(a, &cps, &n, UINT64_MAX, NULL, err) < 0) return -1;
    for (size_t i = 0; i < n; i++)
        if (cps[i].size > *size) {
            *size = cps[i].size;
            memcpy(root, cps[i].root, SW_HASH_BYTES);
        }
    free(cps);
    return 0;
}

int sw_audit_find_checkpoint(sw_audit *a, uint64_t size, sw_checkpoint *cp, sw_buf *note, sw_err *err) {
    sw_checkpoint *cps;
    size_t n;
    if (read_history(a, &cps, &n, size, note, err) < 0) return -1;
    if (n == 0) return sw_err_set(err, "no stored checkpoint of size %" PRIu64, size);
    *cp = cps[n - 1];
    free(cps);
    return 0;
}

/* ---------------------------------------------------------------- lineage */

static int hex64_ok(const char *s) {
    if (!s || strlen(s) != 64) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return 1;
}

static json_t *artifacts(const sw_audit_artifact *v, size_t n, const char *side, sw_err *err) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (!v[i].role || !v[i].name || !hex64_ok(v[i].sha256)) {
            json_decref(arr);
            sw_err_set(err, "lineage %s %zu: needs role, name and a 64-digit lower-case hex sha256", side, i);
            return NULL;
        }
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "role", v[i].role, "name", v[i].name,
                                             "sha256", v[i].sha256));
    }
    return arr;
}

int sw_audit_lineage(sw_audit *a, const char *event, const char *principal,
                     const sw_audit_artifact *inputs, size_t nin,
                     const sw_audit_artifact *outputs, size_t nout, const char *details_json,
                     uint64_t *index, sw_err *err) {
    if (!event || !event[0]) return sw_err_set(err, "lineage: event is empty");
    json_t *details = NULL;
    if (details_json) {
        json_error_t je;
        details = json_loads(details_json, 0, &je);
        if (!details || !json_is_object(details)) {
            json_decref(details);
            return sw_err_set(err, "lineage details: not a JSON object (%s at %d)", je.text, je.position);
        }
    }
    json_t *in = artifacts(inputs, nin, "input", err);
    json_t *out = in ? artifacts(outputs, nout, "output", err) : NULL;
    if (!in || !out) {
        json_decref(in);
        json_decref(details);
        return -1;
    }
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s?, s:o, s:o}", "type", "lineage", "event", event,
                            "time", ts, "principal", principal, "inputs", in, "outputs", out);
    if (rec && details) json_object_set_new(rec, "details", details);
    else json_decref(details);
    char *text = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(rec);
    if (!text) return sw_err_set(err, "lineage: cannot build the record");
    int rc = sw_audit_append(a, text, strlen(text), index, err);
    free(text);
    return rc;
}

int sw_audit_rotate_key(sw_audit *a, const char *principal, uint64_t *index, sw_err *err) {
    if (a->read_only) return sw_err_set(err, "audit log opened read-only");
    sw_keypair kp;
    uint8_t old[32];
    int had_old = 0;
    pthread_mutex_lock(&a->cp_mu);
    int rc = sw_keys_rotate(a->home, AUDIT_KEY_NAME, &kp, old, &had_old, err);
    if (rc == 0) {
        a->key = kp;
        rc = load_pubs(a, err);
    }
    pthread_mutex_unlock(&a->cp_mu);
    sw_keys_wipe(&kp);
    if (rc < 0) return -1;
    char oh[65], nh[65], oid[17] = "", nid[17];
    sw_sha256_hex(old, 32, oh);
    sw_sha256_hex(a->key.pk, 32, nh);
    if (had_old) sw_keys_id(old, oid);
    sw_keys_id(a->key.pk, nid);
    sw_audit_artifact in = {"public_key", oid, oh}, out = {"public_key", nid, nh};
    char details[160];
    snprintf(details, sizeof details, "{\"key\":\"%s\",\"purpose\":\"audit checkpoint signing\"}",
             AUDIT_KEY_NAME);
    if (sw_audit_lineage(a, "key", principal, &in, had_old ? 1 : 0, &out, 1, details, index, err) < 0)
        return -1;
    return sw_audit_checkpoint(a, NULL, NULL, err);
}
