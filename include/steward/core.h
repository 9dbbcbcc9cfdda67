/* core.h - errors, buffers, logging, UTF-8, hashing, time, energy and $STEWARD_HOME.
 *
 * Conventions used across libsteward:
 *  - A function that can fail returns 0 on success and -1 on failure, and fills the
 *    caller's sw_err (which may be NULL) with a message that names what was wrong and
 *    where (file, offset, field).  Library code never prints and never exits.
 *  - Whoever allocates with a *_new / *_open function frees with the matching
 *    *_free / *_close; those accept NULL.
 */
#ifndef STEWARD_CORE_H
#define STEWARD_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#define SW_VERSION "0.1.0"

/* ---- errors ---- */
#define SW_ERR_MAX 512
typedef struct sw_err {
    char msg[SW_ERR_MAX];
} sw_err;

/* Formats a message into err (if not NULL). Always returns -1, so that callers can
 * write `return sw_err_set(err, "...")`. */
int sw_err_set(sw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends "prefix: " to an existing message. Returns -1. */
int sw_err_prefix(sw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- logging: the library reports through a hook that a front end installs ---- */
typedef enum { SW_LOG_ERROR = 0, SW_LOG_WARN, SW_LOG_INFO, SW_LOG_DEBUG } sw_log_level;
typedef void (*sw_log_fn)(sw_log_level level, const char *msg, void *ud);
/* Installs the hook (NULL silences the library) and the most verbose level passed on. */
void sw_log_set(sw_log_fn fn, void *ud, sw_log_level max_level);
void sw_log(sw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- growable byte buffer; data is always NUL-terminated for convenience ---- */
typedef struct sw_buf {
    char *data;
    size_t len, cap;
} sw_buf;
/* Append functions return 0, or -1 when memory runs out (the buffer is unchanged). */
int sw_buf_append(sw_buf *b, const void *p, size_t n);
int sw_buf_puts(sw_buf *b, const char *s);
int sw_buf_printf(sw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sw_buf_reset(sw_buf *b); /* len = 0, keeps memory */
void sw_buf_free(sw_buf *b);  /* frees memory; b may be reused */

/* Iterates over the lines of data[0..len): on each call stores the next line (without its
 * '\n') in *line / *line_len, advances *pos and counts *line_no; returns 1, or 0 at the
 * end. Start with *pos = 0 and *line_no = 0. Never fails. */
int sw_next_line(const char *data, size_t len, size_t *pos, int *line_no, const char **line, size_t *line_len);

/* ---- files: every input the product reads goes through these (no FIFO, device or
 * directory is ever opened for reading, and no input grows without bound) ---- */
#define SW_FILE_MAX_TEXT ((size_t)1 << 30)    /* sw_read_file's cap: texts, corpora, stdin */
#define SW_FILE_MAX_SMALL ((size_t)16 << 20)  /* manifests, policies, JSON side files */
/* Opens path read-only without ever blocking (O_NONBLOCK, so a FIFO cannot stall it) and
 * returns its descriptor when it is a regular file of at most max_bytes (0: no cap),
 * with its size in *size (may be NULL). -1 with err naming the path and what it is (a
 * directory, a FIFO, a device, too large, missing). The caller closes the descriptor. */
int sw_file_open_regular(const char *path, size_t max_bytes, uint64_t *size, sw_err *err);
/* Appends a whole regular file, or stdin when path is "-", to out; -1 with err when the
 * file is not regular, holds more than max_bytes, or cannot be read (out may then hold
 * part of it; the caller frees it as always). */
int sw_file_read_all(const char *path, size_t max_bytes, sw_buf *out, sw_err *err);
/* sw_file_read_all with the SW_FILE_MAX_TEXT cap. */
int sw_read_file(const char *path, sw_buf *out, sw_err *err);
/* Writes all n bytes of p to fd, retrying short and interrupted writes. Returns 0, or
 * -1 with errno set (EIO when write(2) makes no progress); part may have been written. */
int sw_write_all(int fd, const void *p, size_t n);

/* ---- mapped files: a SIGBUS in one (the file shrank under us) is reported by name ---- */
/* Records that [addr, addr+len) maps path (mappers call it after mmap; never fails: past
 * 64 live mappings the newest are just not named). */
void sw_map_register(const void *addr, size_t len, const char *path);
void sw_map_unregister(const void *addr); /* before munmap */
/* The path mapped at addr, or NULL. Async-signal-safe. */
const char *sw_map_path_at(const void *addr);
/* For front ends, installed once at start: a SIGBUS inside a registered mapping writes
 * "steward: error: PATH: the file changed size while in use ..." to stderr and ends the
 * process with status 1 (the one place libsteward writes or exits, at the front end's
 * request: a read of a vanished page cannot return). Other SIGBUS keep the default
 * action. -1 with err when the handler cannot be installed. */
int sw_map_fault_handler_install(sw_err *err);

/* ---- UTF-8 ---- */
/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 if s[0..n) does not start
 * with one (overlong forms, surrogates and code points past U+10FFFF are ill-formed). */
int sw_utf8_seq_len(const unsigned char *s, size_t n);
/* Decodes the sequence at s; returns its length and stores the code point, or returns 0
 * for an ill-formed sequence. */
int sw_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Encodes cp (<= 0x10FFFF, not a surrogate) into out[4]; returns the length or 0. */
int sw_utf8_encode(uint32_t cp, unsigned char out[4]);
/* 1 when the whole buffer is well-formed UTF-8. */
int sw_utf8_valid(const unsigned char *s, size_t n);

/* ---- hashing: the program's one SHA-256 (OpenSSL libcrypto, src/core/sha256.c) ---- */
#define SW_SHA256_BYTES 32
/* SHA-256 of p[0..n). Never fails. Thread-safe. */
void sw_sha256(const void *p, size_t n, uint8_t out[SW_SHA256_BYTES]);
/* SHA-256 of the concatenation of count parts (parts[i], lens[i] bytes each), without
 * copying them together. Never fails. Thread-safe. */
void sw_sha256_parts(const void *const *parts, const size_t *lens, size_t count, uint8_t out[SW_SHA256_BYTES]);
/* SHA-256 of p[0..n) as lower-case hex into out (NUL-terminated). Never fails. */
void sw_sha256_hex(const void *p, size_t n, char out[2 * SW_SHA256_BYTES + 1]);
/* Lower-case hex of n bytes into out[2n+1]. */
void sw_hex(const uint8_t *p, size_t n, char *out);
/* SHA-256 of a regular file's contents as hex[65]. -1 on I/O error or when path is not
 * a regular file (sw_file_open_regular). */
int sw_sha256_file_hex(const char *path, char hex[2 * SW_SHA256_BYTES + 1], sw_err *err);
/* The same, remembered under home/cache/sha256 by the file's device, inode, size and
 * modification time, so an unchanged file (a model) is hashed once (hashcache.c). With
 * home NULL, or a file that is not regular, it simply hashes. -1 on I/O error. */
int sw_sha256_file_hex_cached(const char *home, const char *path, char hex[2 * SW_SHA256_BYTES + 1], sw_err *err);
/* Initialises libsodium once; -1 if it cannot. Safe to call repeatedly. */
int sw_crypto_init(sw_err *err);

/* ---- time ---- */
uint64_t sw_now_ns(void);          /* monotonic clock */
double sw_process_cpu_seconds(void); /* CPU time of the process, all threads */

/* ---- energy: RAPL where readable, else CPU-seconds x watts per core ---- */
#define SW_DEFAULT_WATTS_PER_CORE 10.0
typedef struct sw_energy {
    int use_rapl;
    uint64_t rapl_uj_start;
    uint64_t rapl_max_uj;
    double cpu_start;
    double watts_per_core;
} sw_energy;
/* Starts a measurement. watts_per_core <= 0 selects $STEWARD_WATTS_PER_CORE or the
 * default. Never fails. */
void sw_energy_begin(sw_energy *e, double watts_per_core);
/* Joules since begin, and the method used ("rapl" or "cpu-time-estimate"). */
double sw_energy_end(const sw_energy *e, const char **method);

/* ---- seeded pseudo-random numbers (xoshiro256**; reproducible across platforms) ---- */
typedef struct sw_rng {
    uint64_t s[4];
} sw_rng;
void sw_rng_seed(sw_rng *r, uint64_t seed); /* any seed, 0 included */
uint64_t sw_rng_next(sw_rng *r);
double sw_rng_uniform(sw_rng *r); /* [0, 1) with 53 random bits */
double sw_rng_normal(sw_rng *r);  /* standard normal (Box-Muller) */

/* ---- order statistics (sort xs in place; NaN when n is 0) ---- */
void sw_sort_doubles(double *xs, size_t n);             /* ascending */
double sw_median(double *xs, size_t n);                 /* mean of the middle two when n is even */
double sw_upper_quantile(double *xs, size_t n, double share); /* the value that at most share of xs exceed */

/* x rounded to `digits` significant decimal digits (scores in JSON output use 4); NaN,
 * infinities and 0 come back as they are. */
double sw_round_sig(double x, int digits);

/* ---- shipped files ---- */
/* Finds rel (e.g. "models/default.gguf"), or share/steward/rel, in the executable's
 * directory or up to three directories above it (./steward at the repository root, test
 * programs under build/, an installed bin/ beside share/steward/), then likewise beside
 * libsteward.so when the library was loaded by another program (Python). Writes the
 * path to out; -1 when not found. */
int sw_find_near_exe(const char *rel, char *out, size_t outsz);

/* ---- state directory ---- */
/* Resolves the state directory: override, else $STEWARD_HOME, else $HOME/.steward;
 * creates it (mode 0700) when missing. Writes the path to out. -1 on error. */
int sw_home_resolve(const char *override, char *out, size_t outsz, sw_err *err);
/* A fresh private state directory for work that must not touch the real one
 * (evaluations): $TMPDIR/steward-scratch-XXXXXX, mode 0700, written to out. -1 on error. */
int sw_home_scratch(char *out, size_t outsz, sw_err *err);
/* Removes a directory tree (a scratch home) without following links. -1 on error. */
int sw_home_remove(const char *dir, sw_err *err);
/* mkdir -p with the given mode for each created component. -1 on error. */
int sw_mkdirs(const char *path, int mode, sw_err *err);

#endif
