/* test_keys.c - symmetric secret keys: created once (0600), reloaded, rotated with the
 * old ones kept, refused when readable by others. */
#include "steward/keys.h"
#include "t.h"

#include <stdlib.h>
#include <sys/stat.h>

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

int main(void) {
    snprintf(home, sizeof home, "/tmp/sw-keys-XXXXXX");
    if (!mkdtemp(home)) return 1;
    T_RUN(test_create_and_reload);
    T_RUN(test_rotate_keeps_old);
    T_RUN(test_refuses_loose_mode_and_bad_size);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    if (system(cmd) != 0) return 1;
    return t_done();
}
