/* test_core.c - core helpers: UTF-8, buffers, hashing, errors, state directory, regular-file
 * reads with caps, strict JSON. */
#include "steward/core.h"
#include "steward/json.h"
#include "steward/train.h"
#include "t.h"

#include <math.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_utf8_decode(void) {
    uint32_t cp;
    T_CHECK(sw_utf8_decode((const unsigned char *)"A", 1, &cp) == 1 && cp == 'A');
    T_CHECK(sw_utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp) == 2 && cp == 0xE9);
    T_CHECK(sw_utf8_decode((const unsigned char *)"\xe4\xb8\xad", 3, &cp) == 3 && cp == 0x4E2D);
    T_CHECK(sw_utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp) == 4 && cp == 0x1F600);
    /* overlong, surrogate, too large, truncated, stray continuation */
    T_CHECK(sw_utf8_decode((const unsigned char *)"\xc0\xaf", 2, &cp) == 0);
    T_CHECK(sw_utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp) == 0);
    T_CHECK(sw_utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp) == 0);
    T_CHECK(sw_utf8_decode((const unsigned char *)"\xe4\xb8", 2, &cp) == 0);
    T_CHECK(sw_utf8_decode((const unsigned char *)"\x80", 1, &cp) == 0);
}

static void test_utf8_roundtrip(void) {
    unsigned char b[4];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp += (cp < 0x3000 ? 1 : 97)) {
        int n = sw_utf8_encode(cp, b);
        if (cp >= 0xD800 && cp <= 0xDFFF) { T_CHECK(n == 0); continue; }
        uint32_t back = 0;
        T_CHECK(n > 0 && sw_utf8_decode(b, (size_t)n, &back) == n && back == cp);
    }
    T_CHECK(sw_utf8_encode(0x110000, b) == 0);
}

static void test_buf(void) {
    sw_buf b = {0};
    for (int i = 0; i < 1000; i++) T_CHECK(sw_buf_printf(&b, "%d,", i) == 0);
    T_CHECK(b.len == strlen(b.data));
    T_CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
    sw_buf_reset(&b);
    T_CHECK(b.len == 0 && b.data[0] == 0);
    sw_buf_free(&b);
}

static void test_sha256(void) {
    uint8_t h[SW_SHA256_BYTES];
    char hex[65];
    sw_sha256("abc", 3, h);
    sw_hex(h, sizeof h, hex);
    T_CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
}

static void test_err(void) {
    sw_err e;
    T_CHECK(sw_err_set(&e, "field %s at offset %d", "x", 7) == -1);
    T_CHECK(strcmp(e.msg, "field x at offset 7") == 0);
    sw_err_prefix(&e, "file.gguf");
    T_CHECK(strcmp(e.msg, "file.gguf: field x at offset 7") == 0);
    T_CHECK(sw_err_set(NULL, "ignored") == -1);
}

static void test_home(void) {
    char tmpl[] = "/tmp/sw-home-XXXXXX";
    T_CHECK(mkdtemp(tmpl) != NULL);
    char want[256], got[256];
    snprintf(want, sizeof want, "%s/a/b", tmpl);
    sw_err e;
    T_CHECK(sw_home_resolve(want, got, sizeof got, &e) == 0);
    struct stat st;
    T_CHECK(stat(want, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
    T_CHECK(strcmp(want, got) == 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpl);
    T_CHECK(system(cmd) == 0);
}

/* Inputs that are not regular files are refused at once (a FIFO with no writer would
 * block open() forever, /dev/zero would be read until memory runs out), and caps hold. */
static void test_file_regular(void) {
    char dir[] = "/tmp/sw-file-XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    char fifo[300], reg[300];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(reg, sizeof reg, "%s/reg", dir);
    T_CHECK(mkfifo(fifo, 0600) == 0);
    FILE *f = fopen(reg, "wb");
    T_CHECK(f && fwrite("0123456789", 1, 10, f) == 10);
    if (f) fclose(f);
    sw_buf b = {0};
    sw_err e;
    T_CHECK(sw_file_read_all(fifo, 100, &b, &e) == -1 && strstr(e.msg, "a FIFO"));
    T_CHECK(sw_file_read_all("/dev/zero", 100, &b, &e) == -1 && strstr(e.msg, "character device"));
    T_CHECK(sw_read_file(dir, &b, &e) == -1 && strstr(e.msg, "a directory"));
    char hex[65];
    T_CHECK(sw_sha256_file_hex(fifo, hex, &e) == -1 && strstr(e.msg, "a FIFO"));
    T_CHECK(sw_sha256_file_hex("/dev/zero", hex, &e) == -1);
    T_CHECK(sw_sha256_file_hex(dir, hex, &e) == -1 && strstr(e.msg, "a directory"));
    int step;
    T_CHECK(sw_checkpoint_peek(fifo, NULL, NULL, &step, &e) == -1 && strstr(e.msg, "a FIFO"));
    T_CHECK(sw_file_read_all(reg, 9, &b, &e) == -1 && strstr(e.msg, "more than the 9"));
    T_CHECK(sw_file_read_all(reg, 10, &b, &e) == 0 && b.len == 10);
    T_CHECK(sw_sha256_file_hex(reg, hex, &e) == 0 &&
            strcmp(hex, "84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882") == 0);
    uint64_t size = 0;
    int fd = sw_file_open_regular(reg, 0, &size, &e);
    T_CHECK(fd >= 0 && size == 10);
    if (fd >= 0) close(fd);
    sw_buf_free(&b);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    T_CHECK(system(cmd) == 0);
}

/* A duplicated key is an error (what a signature covers must be what a reader sees), and
 * jansson's flag names stay out of messages. */
static void test_json_strict(void) {
    sw_err e;
    const char *dup = "{\"a\":1,\"b\":2,\"a\":3}";
    json_t *v = sw_json_parse(dup, strlen(dup), "m.json", 0, &e);
    T_CHECK(v == NULL && strstr(e.msg, "m.json: line 1") && strstr(e.msg, "twice"));
    json_decref(v);
    const char *nul = "{\"text\":\"a\\u0000b\"}";
    v = sw_json_parse(nul, strlen(nul), "stdin line 2", 0, &e);
    T_CHECK_MSG(v == NULL && strstr(e.msg, "NUL") && !strstr(e.msg, "JSON_ALLOW_NUL"), "%s", e.msg);
    json_decref(v);
    const char *ok = "{\"a\":{\"a\":1}}";
    v = sw_json_parse(ok, strlen(ok), "x", 0, &e);
    T_CHECK(json_is_object(v));
    json_decref(v);
    v = sw_json_load_file("/dev/zero", SW_FILE_MAX_SMALL, 0, &e);
    T_CHECK(v == NULL && strstr(e.msg, "/dev/zero"));
}

static void test_energy(void) {
    sw_energy e;
    sw_energy_begin(&e, 5.0);
    volatile double x = 0;
    for (int i = 0; i < 2000000; i++) x += i * 0.5;
    const char *method = NULL;
    double j = sw_energy_end(&e, &method);
    T_CHECK(j >= 0);
    T_CHECK(method && (strcmp(method, "rapl") == 0 || strcmp(method, "cpu-time-estimate") == 0));
}

static void test_next_line(void) {
    const char *d = "a\n\nbc\r\nlast";
    size_t pos = 0, n;
    int line = 0;
    const char *l;
    const char *want[] = {"a", "", "bc\r", "last"};
    for (int k = 0; k < 4; k++) {
        T_CHECK(sw_next_line(d, strlen(d), &pos, &line, &l, &n) == 1);
        T_CHECK(n == strlen(want[k]) && memcmp(l, want[k], n) == 0 && line == k + 1);
    }
    T_CHECK(sw_next_line(d, strlen(d), &pos, &line, &l, &n) == 0);
    pos = 0;
    T_CHECK(sw_next_line("x\n", 2, &pos, &line, &l, &n) == 1 && n == 1);
    T_CHECK(sw_next_line("x\n", 2, &pos, &line, &l, &n) == 0); /* no empty line after the last \n */
}

static void test_stats(void) {
    double a[] = {5, 1, 4, 2, 3};
    T_CHECK(sw_median(a, 5) == 3 && a[0] == 1 && a[4] == 5);
    double b[] = {4, 1, 3, 2};
    T_CHECK(sw_median(b, 4) == 2.5);
    T_CHECK(isnan(sw_median(b, 0)));
    double c[100];
    for (int i = 0; i < 100; i++) c[i] = 99 - i;
    T_CHECK(sw_upper_quantile(c, 100, 0.05) == 94); /* 5 values (95..99) exceed it */
    T_CHECK(sw_upper_quantile(c, 100, 0) == 99);
    T_CHECK(sw_upper_quantile(c, 100, 1) == 0);
}

int main(void) {
    T_RUN(test_stats);
    T_RUN(test_next_line);
    T_RUN(test_utf8_decode);
    T_RUN(test_utf8_roundtrip);
    T_RUN(test_buf);
    T_RUN(test_sha256);
    T_RUN(test_err);
    T_RUN(test_home);
    T_RUN(test_file_regular);
    T_RUN(test_json_strict);
    T_RUN(test_energy);
    return t_done();
}
