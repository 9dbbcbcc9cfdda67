/* wmkey.c - watermark keys: created on first use (0600), rotated with the old ones kept. */
#include "steward/wmkey.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WMKEY_NAME "watermark.key"

static int key_dir(const char *home, char *out, size_t n, sw_err *err) {
    if ((size_t)snprintf(out, n, "%s/keys", home) >= n) return sw_err_set(err, "keys: path too long");
    return sw_mkdirs(out, 0700, err);
}

/* Reads exactly one key from path; -1 on a short file or loose permissions. */
static int read_key(const char *path, uint8_t key[SW_WM_KEY_BYTES], sw_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sw_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || (st.st_mode & 077))
        rc = sw_err_set(err, "%s: secret key file must be mode 0600 (chmod 600 it)", path);
    else if (st.st_size != SW_WM_KEY_BYTES || read(fd, key, SW_WM_KEY_BYTES) != SW_WM_KEY_BYTES)
        rc = sw_err_set(err, "%s: not a %d-byte key", path, SW_WM_KEY_BYTES);
    close(fd);
    return rc;
}

/* Creates path with a fresh random key; fails if it exists (O_EXCL), so two processes
 * starting at once cannot both create one. */
static int create_key(const char *path, uint8_t key[SW_WM_KEY_BYTES], sw_err *err) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return errno == EEXIST ? 1 : sw_err_set(err, "%s: cannot create: %s", path, strerror(errno));
    randombytes_buf(key, SW_WM_KEY_BYTES);
    int ok = write(fd, key, SW_WM_KEY_BYTES) == SW_WM_KEY_BYTES && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        unlink(path);
        return sw_err_set(err, "%s: cannot write: %s", path, strerror(errno));
    }
    return 0;
}

int sw_wmkey_load_or_create(const char *home, uint8_t key[SW_WM_KEY_BYTES], sw_err *err) {
    char dir[PATH_MAX], path[PATH_MAX + 32];
    if (key_dir(home, dir, sizeof dir, err) < 0) return -1;
    snprintf(path, sizeof path, "%s/" WMKEY_NAME, dir);
    if (access(path, F_OK) != 0) {
        int rc = create_key(path, key, err);
        if (rc <= 0) return rc; /* created, or failed */
    }
    return read_key(path, key, err);
}

int sw_wmkey_rotate(const char *home, uint8_t key[SW_WM_KEY_BYTES], sw_err *err) {
    char dir[PATH_MAX], path[PATH_MAX + 32], old[PATH_MAX + 64];
    if (key_dir(home, dir, sizeof dir, err) < 0) return -1;
    snprintf(path, sizeof path, "%s/" WMKEY_NAME, dir);
    uint8_t cur[SW_WM_KEY_BYTES];
    if (access(path, F_OK) == 0) {
        if (read_key(path, cur, err) < 0) return -1;
        char id[17];
        sw_wm_key_id(cur, id);
        sodium_memzero(cur, sizeof cur);
        snprintf(old, sizeof old, "%s/" WMKEY_NAME ".%s", dir, id);
        if (rename(path, old) != 0) return sw_err_set(err, "%s: cannot archive: %s", path, strerror(errno));
    }
    int rc = create_key(path, key, err);
    return rc == 1 ? sw_err_set(err, "%s: created concurrently by another process", path) : rc;
}

int sw_wmkey_all(const char *home, uint8_t (*keys)[SW_WM_KEY_BYTES], size_t max, size_t *n, sw_err *err) {
    *n = 0;
    if (max == 0) return 0;
    if (sw_wmkey_load_or_create(home, keys[0], err) < 0) return -1;
    *n = 1;
    char dir[PATH_MAX];
    if (key_dir(home, dir, sizeof dir, err) < 0) return -1;
    DIR *d = opendir(dir);
    if (!d) return sw_err_set(err, "%s: cannot list: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) && *n < max) {
        if (strncmp(e->d_name, WMKEY_NAME ".", sizeof WMKEY_NAME) != 0) continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if ((rc = read_key(path, keys[*n], err)) < 0) break;
        (*n)++;
    }
    closedir(d);
    return rc;
}
