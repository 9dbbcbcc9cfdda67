/* hashcache.c - SHA-256 of large files (models) computed once and remembered under
 * $STEWARD_HOME/cache/sha256/, keyed by device, inode, size and modification time, so
 * that neither a restart nor the next command hashes an unchanged file again. */
#include "steward/core.h"

#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEX_CHARS (2 * SW_SHA256_BYTES)

/* The cache entry's path for a file in state st. */
static int entry_path(const char *home, const struct stat *st, char *out, size_t sz) {
    int n = snprintf(out, sz, "%s/cache/sha256/%llx-%llx-%llx-%lld.%09ld", home, (unsigned long long)st->st_dev,
                     (unsigned long long)st->st_ino, (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
                     (long)st->st_mtim.tv_nsec);
    return n > 0 && (size_t)n < sz ? 0 : -1;
}

/* Reads a remembered hash: 1 when found and well-formed, else 0. */
static int entry_read(const char *path, char hex[HEX_CHARS + 1]) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(hex, 1, HEX_CHARS, f);
    fclose(f);
    hex[n == HEX_CHARS ? HEX_CHARS : 0] = 0;
    if (n != HEX_CHARS) return 0;
    for (int i = 0; i < HEX_CHARS; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'))) return 0;
    return 1;
}

/* Remembers a hash (atomically: a temporary file renamed); failures only cost a rehash
 * next time, so they are ignored. */
static void entry_write(const char *home, const char *path, const char *hex) {
    char dir[PATH_MAX], tmp[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/cache", home);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/cache/sha256", home);
    mkdir(dir, 0700);
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    int ok = fwrite(hex, 1, HEX_CHARS, f) == HEX_CHARS;
    if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) unlink(tmp);
}

static int same_file_state(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int sw_sha256_file_hex_cached(const char *home, const char *path, char hex[2 * SW_SHA256_BYTES + 1], sw_err *err) {
    struct stat before, after;
    char entry[PATH_MAX];
    if (!home || stat(path, &before) != 0 || !S_ISREG(before.st_mode) ||
        entry_path(home, &before, entry, sizeof entry) < 0)
        return sw_sha256_file_hex(path, hex, err);
    if (entry_read(entry, hex)) return 0;
    if (sw_sha256_file_hex(path, hex, err) < 0) return -1;
    /* a file that changed while it was read is not remembered */
    if (stat(path, &after) == 0 && same_file_state(&before, &after)) entry_write(home, entry, hex);
    return 0;
}
