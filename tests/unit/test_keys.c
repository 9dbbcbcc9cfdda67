/* test_keys.c - symmetric secret keys: created once (0600), reloaded, rotated with the
 * old ones kept, refused when readable by others. */
#include "steward/keys.h"
#include "t.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char home[64];

static void test_create_and_reload(void) {
    uint8_t a[32], b[32];
    sw_err e;
    T_CHECK(sw_keys_secret_load_or_create(home, "wm", a, 32, &e) == 0);
    T_CHECK(sw_keys_secret_load_or_create(home, "wm", b, 32, &e) == 0);
    T_CHECK(memcmp(a, b, 32) == 0);
    char path[128];
    snprintf(path, sizeof path, "%s/keys/wm.key", home);
    struct stat st;
    T_CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 32);
}

static void test_rotate_keeps_old(void) {
    uint8_t cur[32], fresh[32], all[4][32];
    size_t n = 0;
    sw_err e;
    T_CHECK(sw_keys_secret_load_or_create(home, "wm", cur, 32, &e) == 0);
    T_CHECK(sw_keys_secret_rotate(home, "wm", fresh, 32, &e) == 0);
    T_CHECK(memcmp(cur, fresh, 32) != 0);
    T_CHECK(sw_keys_secret_all(home, "wm", &all[0][0], 32, 4, &n, &e) == 0);
    T_CHECK(n == 2);
    T_CHECK(memcmp(all[0], fresh, 32) == 0); /* current first */
    T_CHECK(memcmp(all[1], cur, 32) == 0);
}

static void test_refuses_loose_mode_and_bad_size(void) {
    uint8_t k[32];
    sw_err e;
    char path[128];
    snprintf(path, sizeof path, "%s/keys/loose.key", home);
    FILE *f = fopen(path, "wb");
    fwrite(k, 1, 32, f);
    fclose(f);
    chmod(path, 0644);
    T_CHECK(sw_keys_secret_load_or_create(home, "loose", k, 32, &e) == -1 && strstr(e.msg, "0600"));
    chmod(path, 0600);
    T_CHECK(sw_keys_secret_load_or_create(home, "loose", k, 16, &e) == -1 && strstr(e.msg, "16 bytes"));
    T_CHECK(sw_keys_secret_load_or_create(home, "../x", k, 32, &e) == -1);
}

/* A lost secret is never replaced behind the operator's back: with its public key still
 * there, loading fails and says how to recover; an explicit rotation archives the old
 * public key and starts a new one. Keys are created on first use in an empty home. */
static void test_lost_signing_key(void) {
    sw_keypair a, b;
    sw_err e;
    char path[160];
    T_CHECK(sw_keys_load_or_create(home, "sig", &a, &e) == 0); /* first use */
    snprintf(path, sizeof path, "%s/keys/sig.key", home);
    T_CHECK(unlink(path) == 0);
    T_CHECK(sw_keys_load_or_create(home, "sig", &b, &e) == -1);
    T_CHECK_MSG(strstr(e.msg, "keys/sig.key is missing but keys/sig.pub exists") && strstr(e.msg, "restore"),
                "%s", e.msg);
    struct stat st;
    T_CHECK(stat(path, &st) != 0); /* nothing was written */
    uint8_t old[32], pubs[4][32];
    int had = 0;
    size_t n = 0;
    T_CHECK(sw_keys_rotate(home, "sig", &b, old, &had, &e) == 0);
    T_CHECK(had == 1 && memcmp(old, a.pk, 32) == 0 && memcmp(b.pk, a.pk, 32) != 0);
    T_CHECK(sw_keys_public_all(home, "sig", pubs, 4, &n, &e) == 0 && n == 2);
    T_CHECK(n == 2 && memcmp(pubs[0], b.pk, 32) == 0 && memcmp(pubs[1], a.pk, 32) == 0);
    T_CHECK(sw_keys_load_or_create(home, "sig", &a, &e) == 0 && memcmp(a.pk, b.pk, 32) == 0);
}

/* The same for a secret key with retired ones beside it (it was rotated before). */
static void test_lost_secret_key(void) {
    uint8_t k[32];
    sw_err e;
    char path[160];
    T_CHECK(sw_keys_secret_load_or_create(home, "wm2", k, 32, &e) == 0);
    T_CHECK(sw_keys_secret_rotate(home, "wm2", k, 32, &e) == 0);
    snprintf(path, sizeof path, "%s/keys/wm2.key", home);
    T_CHECK(unlink(path) == 0);
    T_CHECK(sw_keys_secret_load_or_create(home, "wm2", k, 32, &e) == -1 && strstr(e.msg, "retired key"));
    T_CHECK(sw_keys_secret_rotate(home, "wm2", k, 32, &e) == 0);
    T_CHECK(sw_keys_secret_load_or_create(home, "wm2", k, 32, &e) == 0);
}

/* A key file that is a FIFO is refused at once, not waited on. */
static void test_key_not_regular(void) {
    uint8_t k[32];
    sw_err e;
    char path[160];
    snprintf(path, sizeof path, "%s/keys/fifo.key", home);
    T_CHECK(mkfifo(path, 0600) == 0);
    T_CHECK(sw_keys_secret_load_or_create(home, "fifo", k, 32, &e) == -1 && strstr(e.msg, "FIFO"));
}

/* A rotation killed between the new public key and the new secret key: the old secret
 * stays in force and its public key is put back from the archive's evidence; a public key
 * that does not match without that evidence is still an error. */
static void test_interrupted_rotation(void) {
    sw_keypair kp, again, other;
    sw_err e;
    T_CHECK(sw_keys_load_or_create(home, "rot", &kp, &e) == 0);
    char pub[160], arch[200];
    snprintf(pub, sizeof pub, "%s/keys/rot.pub", home);
    char id[17];
    sw_keys_id(kp.pk, id);
    snprintf(arch, sizeof arch, "%s.%s", pub, id);
    crypto_sign_keypair(other.pk, other.sk);
    FILE *f = fopen(pub, "wb"); /* the new public key, written; its secret never was */
    T_CHECK(f && fwrite(other.pk, 1, 32, f) == 32 && fclose(f) == 0);
    T_CHECK(sw_keys_load_or_create(home, "rot", &again, &e) < 0 && strstr(e.msg, "does not match"));
    f = fopen(arch, "wb"); /* the archive the rotation made first */
    T_CHECK(f && fwrite(kp.pk, 1, 32, f) == 32 && fclose(f) == 0);
    T_CHECK_MSG(sw_keys_load_or_create(home, "rot", &again, &e) == 0, "%s", e.msg);
    T_CHECK(memcmp(again.pk, kp.pk, 32) == 0 && memcmp(again.sk, kp.sk, 64) == 0);
    uint8_t now[32];
    f = fopen(pub, "rb");
    T_CHECK(f && fread(now, 1, 32, f) == 32 && fclose(f) == 0 && memcmp(now, kp.pk, 32) == 0);
}

int main(void) {
    snprintf(home, sizeof home, "/tmp/sw-keys-XXXXXX");
    if (!mkdtemp(home)) return 1;
    T_RUN(test_create_and_reload);
    T_RUN(test_rotate_keeps_old);
    T_RUN(test_refuses_loose_mode_and_bad_size);
    T_RUN(test_lost_signing_key);
    T_RUN(test_lost_secret_key);
    T_RUN(test_key_not_regular);
    T_RUN(test_interrupted_rotation);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    if (system(cmd) != 0) return 1;
    return t_done();
}
