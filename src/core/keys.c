/* keys.c - key files under $STEWARD_HOME/keys: Ed25519 signing keys and symmetric secret
 * keys; created on first use, rotated with the old ones kept, listed. */
#include "steward/keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void sw_keys_id_bytes(const uint8_t *key, size_t n, char out[17]) {
    uint8_t h[SW_SHA256_BYTES];
    sw_sha256(key, n, h);
    sw_hex(h, 8, out);
}

void sw_keys_id(const uint8_t pk[32], char out[17]) { sw_keys_id_bytes(pk, 32, out); }

void sw_keys_wipe(sw_keypair *kp) { sodium_memzero(kp, sizeof *kp); }

static int key_path(char *out, size_t sz, const char *home, const char *name, const char *ext,
                    sw_err *err) {
    if (!name[0] || strchr(name, '/') || name[0] == '.')
        return sw_err_set(err, "key name '%s' is not a plain file name", name);
    int n = snprintf(out, sz, "%s/keys/%s%s", home, name, ext);
    if (n < 0 || (size_t)n >= sz) return sw_err_set(err, "key path too long");
    return 0;
}

/* Reads exactly n bytes of a regular file. Returns 1 when read, 0 when the file is
 * missing, -1 with err when it is not a regular file, has another size, cannot be read,
 * or (secret) is accessible to others. */
static int read_exact(const char *path, uint8_t *out, size_t n, int secret, sw_err *err) {
    struct stat st;
    if (lstat(path, &st) != 0 && errno == ENOENT) return 0;
    int fd = sw_file_open_regular(path, 0, NULL, err);
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0 || st.st_size != (off_t)n) {
        close(fd);
        return sw_err_set(err, "%s: expected %zu bytes", path, n);
    }
    if (secret && (st.st_mode & 077)) {
        close(fd);
        return sw_err_set(err, "%s: secret key is accessible to others (mode %03o; want 0600)",
                          path, (unsigned)(st.st_mode & 0777));
    }
    ssize_t r = read(fd, out, n);
    close(fd);
    if (r != (ssize_t)n) return sw_err_set(err, "%s: short read", path);
    return 1;
}

/* Writes a file atomically (temporary name, fsync, rename) with the given mode. */
static int write_atomic(const char *path, const uint8_t *p, size_t n, int mode, sw_err *err) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return sw_err_set(err, "%s: cannot create: %s", tmp, strerror(errno));
    int ok = write(fd, p, n) == (ssize_t)n && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return sw_err_set(err, "%s: cannot write: %s", path, strerror(errno));
    }
    return 0;
}

static int ensure_dir(const char *home, sw_err *err) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/keys", home);
    return sw_mkdirs(dir, 0700, err);
}

static int generate(const char *home, const char *name, sw_keypair *kp, sw_err *err) {
    char skp[4096], pkp[4096];
    if (key_path(skp, sizeof skp, home, name, ".key", err) < 0 ||
        key_path(pkp, sizeof pkp, home, name, ".pub", err) < 0)
        return -1;
    crypto_sign_keypair(kp->pk, kp->sk);
    /* the public key first: a crash between the two leaves no secret without its public */
    if (write_atomic(pkp, kp->pk, 32, 0644, err) < 0) return -1;
    return write_atomic(skp, kp->sk, 64, 0600, err);
}

/* The command that starts a new key NAME, for messages. */
static const char *rotate_hint(const char *name) {
    if (strcmp(name, "signing") == 0) return "steward keygen --rotate --signing";
    if (strcmp(name, "audit") == 0) return "steward keygen --rotate --audit";
    if (strcmp(name, "watermark") == 0) return "steward keygen --rotate --watermark";
    return "steward keygen --rotate";
}

/* The error for a secret key that is gone while what it made still exists (its public
 * key, or retired keys): never replaced behind the operator's back. Returns -1. */
static int lost_key(const char *name, const char *evidence, sw_err *err) {
    return sw_err_set(err, "keys/%s.key is missing but %s exists: restore it from a backup, or run `%s` "
                           "to start a new key (the old one is archived, so what it signed or marked still "
                           "verifies)", name, evidence, rotate_hint(name));
}

/* A rotation archives the current public key as NAME.pub.<id>, then writes the new
 * public key, then the new secret key. Killed between the last two, it leaves the old
 * secret key beside the new public key, and the old public key in the archive: the
 * rotation did not happen, and the public key the secret key carries is put back.
 * 1 when pkp's archive of pk shows exactly that, else 0. */
static int rotation_interrupted(const char *pkp, const uint8_t pk[32]) {
    char id[17], arch[4200];
    uint8_t archived[32];
    sw_err e;
    sw_keys_id(pk, id);
    snprintf(arch, sizeof arch, "%s.%s", pkp, id);
    return read_exact(arch, archived, 32, 0, &e) == 1 && sodium_memcmp(archived, pk, 32) == 0;
}

int sw_keys_load_or_create(const char *home, const char *name, sw_keypair *kp, sw_err *err) {
    if (sw_crypto_init(err) < 0 || ensure_dir(home, err) < 0) return -1;
    char skp[4096], pkp[4096];
    if (key_path(skp, sizeof skp, home, name, ".key", err) < 0 ||
        key_path(pkp, sizeof pkp, home, name, ".pub", err) < 0)
        return -1;
    int r = read_exact(skp, kp->sk, 64, 1, err);
    if (r < 0) return -1;
    if (r == 0) {
        struct stat st;
        char evidence[300];
        snprintf(evidence, sizeof evidence, "keys/%s.pub", name);
        if (lstat(pkp, &st) == 0) return lost_key(name, evidence, err);
        return generate(home, name, kp, err); /* first use */
    }
    memcpy(kp->pk, kp->sk + 32, 32); /* libsodium's secret key is seed || public key */
    uint8_t pub[32];
    r = read_exact(pkp, pub, 32, 0, err);
    if (r < 0) return -1;
    if (r == 0) return write_atomic(pkp, kp->pk, 32, 0644, err);
    if (sodium_memcmp(pub, kp->pk, 32) != 0) {
        if (rotation_interrupted(pkp, kp->pk)) return write_atomic(pkp, kp->pk, 32, 0644, err);
        return sw_err_set(err, "%s: public key does not match %s", pkp, skp);
    }
    return 0;
}

int sw_keys_rotate(const char *home, const char *name, sw_keypair *kp, uint8_t old[32],
                   int *had_old, sw_err *err) {
    if (sw_crypto_init(err) < 0 || ensure_dir(home, err) < 0) return -1;
    char pkp[4096];
    if (key_path(pkp, sizeof pkp, home, name, ".pub", err) < 0) return -1;
    uint8_t prev[32];
    int r = read_exact(pkp, prev, 32, 0, err);
    if (r < 0) return -1;
    if (had_old) *had_old = r;
    if (r) {
        char id[17], arch[4200];
        sw_keys_id(prev, id);
        snprintf(arch, sizeof arch, "%s.%s", pkp, id);
        if (write_atomic(arch, prev, 32, 0644, err) < 0) return -1;
        if (old) memcpy(old, prev, 32);
    }
    return generate(home, name, kp, err);
}

int sw_keys_public_all(const char *home, const char *name, uint8_t (*pubs)[32], size_t max,
                       size_t *n, sw_err *err) {
    *n = 0;
    char pkp[4096];
    if (key_path(pkp, sizeof pkp, home, name, ".pub", err) < 0) return -1;
    if (max == 0) return 0;
    int r = read_exact(pkp, pubs[0], 32, 0, err);
    if (r < 0) return -1;
    if (r) (*n)++;
    char dir[4096], prefix[256];
    snprintf(dir, sizeof dir, "%s/keys", home);
    snprintf(prefix, sizeof prefix, "%s.pub.", name);
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)) && *n < max) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || strstr(e->d_name, ".tmp")) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (read_exact(p, pubs[*n], 32, 0, err) == 1) (*n)++;
    }
    closedir(d);
    return 0;
}

/* ---- symmetric secret keys ---- */

/* Creates path with n random bytes unless it exists: written to a unique temporary file,
 * then hard-linked into place, so two processes starting at once agree on one key.
 * Returns 0 (created or already there) or -1. */
static int create_secret_once(const char *path, size_t n, sw_err *err) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    uint8_t key[SW_KEYS_SECRET_MAX];
    randombytes_buf(key, n);
    int rc = write_atomic(tmp, key, n, 0600, err);
    sodium_memzero(key, sizeof key);
    if (rc < 0) return -1;
    if (link(tmp, path) != 0 && errno != EEXIST) {
        unlink(tmp);
        return sw_err_set(err, "%s: cannot create: %s", path, strerror(errno));
    }
    unlink(tmp);
    return 0;
}

/* 1 when a retired key keys/NAME.key.<id> exists (its name into out), 0 when none, -1
 * when the directory cannot be listed (errno set). */
static int has_retired(const char *home, const char *name, char *out, size_t outsz) {
    char dir[4096], prefix[256];
    snprintf(dir, sizeof dir, "%s/keys", home);
    snprintf(prefix, sizeof prefix, "%s.key.", name);
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && !strstr(e->d_name, ".tmp")) {
            snprintf(out, outsz, "the retired key keys/%s", e->d_name);
            found = 1;
        }
    closedir(d);
    return found;
}

int sw_keys_secret_load_or_create(const char *home, const char *name, uint8_t *key, size_t n,
                                  sw_err *err) {
    if (n == 0 || n > SW_KEYS_SECRET_MAX) return sw_err_set(err, "secret key size %zu unsupported", n);
    if (sw_crypto_init(err) < 0 || ensure_dir(home, err) < 0) return -1;
    char path[4096];
    if (key_path(path, sizeof path, home, name, ".key", err) < 0) return -1;
    int r = read_exact(path, key, n, 1, err);
    if (r != 0) return r < 0 ? -1 : 0;
    char retired[300];
    int had = has_retired(home, name, retired, sizeof retired);
    if (had < 0) return sw_err_set(err, "%s/keys: cannot list: %s", home, strerror(errno));
    if (had) return lost_key(name, retired, err);
    if (create_secret_once(path, n, err) < 0) return -1;
    return read_exact(path, key, n, 1, err) == 1 ? 0 : -1;
}

int sw_keys_secret_rotate(const char *home, const char *name, uint8_t *key, size_t n, sw_err *err) {
    if (n == 0 || n > SW_KEYS_SECRET_MAX) return sw_err_set(err, "secret key size %zu unsupported", n);
    if (sw_crypto_init(err) < 0 || ensure_dir(home, err) < 0) return -1;
    char path[4096];
    if (key_path(path, sizeof path, home, name, ".key", err) < 0) return -1;
    uint8_t cur[SW_KEYS_SECRET_MAX];
    int r = read_exact(path, cur, n, 1, err);
    if (r < 0) return -1;
    if (r == 1) {
        char id[17], arch[4200];
        sw_keys_id_bytes(cur, n, id);
        snprintf(arch, sizeof arch, "%s.%s", path, id);
        int rc = write_atomic(arch, cur, n, 0600, err);
        sodium_memzero(cur, sizeof cur);
        if (rc < 0 || unlink(path) != 0) return rc < 0 ? -1 : sw_err_set(err, "%s: cannot retire: %s", path, strerror(errno));
    }
    if (create_secret_once(path, n, err) < 0) return -1;
    return read_exact(path, key, n, 1, err) == 1 ? 0 : -1;
}

int sw_keys_secret_all(const char *home, const char *name, uint8_t *keys, size_t n, size_t max,
                       size_t *count, sw_err *err) {
    *count = 0;
    if (max == 0) return 0;
    if (sw_keys_secret_load_or_create(home, name, keys, n, err) < 0) return -1;
    *count = 1;
    char dir[4096], prefix[256];
    snprintf(dir, sizeof dir, "%s/keys", home);
    snprintf(prefix, sizeof prefix, "%s.key.", name);
    DIR *d = opendir(dir);
    if (!d) return sw_err_set(err, "%s: cannot list: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) && *count < max) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || strstr(e->d_name, ".tmp")) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (read_exact(p, keys + *count * n, n, 1, err) != 1) {
            rc = -1;
            break;
        }
        (*count)++;
    }
    closedir(d);
    return rc;
}
