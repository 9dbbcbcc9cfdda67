/* test_access_log.c - the server's buffered access log: every line from many threads is
 * written once, in each thread's order, by close; a line reaches the file within the flush
 * interval without a close; a burst past the buffer's cap loses nothing; a failed write
 * is reported with the lines lost; an unopenable path is an error naming it. */
#include "t.h"
#include "steward/server.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 4
#define LINES_PER_THREAD 5000
#define BURST_LINES 40000 /* of ~60 bytes: more than SW_ACCESS_LOG_MAX_BYTES at once */

static char dir[] = "/tmp/sw_test_access_XXXXXX";

static void path_of(const char *name, char *out, size_t n) { snprintf(out, n, "%s/%s", dir, name); }

static int read_all(const char *path, sw_buf *out) {
    sw_err err;
    sw_buf_reset(out);
    return sw_file_read_all(path, SW_FILE_MAX_TEXT, out, &err);
}

typedef struct {
    sw_access_log *log;
    int id;
} writer_arg;

static void *writer(void *ud) {
    writer_arg *a = ud;
    char line[64];
    for (int i = 0; i < LINES_PER_THREAD; i++) {
        int n = snprintf(line, sizeof line, "{\"t\":%d,\"i\":%d}", a->id, i);
        sw_access_log_line(a->log, line, (size_t)n);
    }
    return NULL;
}

/* Every line of every thread once, each thread's lines in order, all written by close. */
static void test_threads_complete_and_ordered(void) {
    char path[256];
    path_of("threads.log", path, sizeof path);
    sw_err err;
    sw_access_log *log = sw_access_log_open(path, &err);
    T_CHECK(log != NULL);
    if (!log) return;
    pthread_t th[THREADS];
    writer_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (writer_arg){log, i};
        pthread_create(&th[i], NULL, writer, &args[i]);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    T_CHECK(sw_access_log_close(log, &err) == 0);
    sw_buf b = {0};
    T_CHECK(read_all(path, &b) == 0);
    int next[THREADS] = {0}, bad = 0, lines = 0;
    size_t pos = 0;
    int line_no = 0;
    const char *l;
    size_t ll;
    while (sw_next_line(b.data, b.len, &pos, &line_no, &l, &ll)) {
        int t = -1, i = -1;
        lines++;
        if (sscanf(l, "{\"t\":%d,\"i\":%d}", &t, &i) != 2 || t < 0 || t >= THREADS || i != next[t]) bad++;
        else next[t]++;
    }
    T_CHECK_MSG(lines == THREADS * LINES_PER_THREAD && bad == 0, "%d lines, %d out of order or garbled", lines, bad);
    sw_buf_free(&b);
}

/* A line is in the file within the flush interval, with the log still open. */
static void test_flushed_by_time(void) {
    char path[256];
    path_of("time.log", path, sizeof path);
    sw_err err;
    sw_access_log *log = sw_access_log_open(path, &err);
    T_CHECK(log != NULL);
    if (!log) return;
    sw_access_log_line(log, "{\"a\":1}", 7);
    sw_buf b = {0};
    int seen = 0;
    for (int i = 0; i < 100 && !seen; i++) { /* 10 ms flush; allow a loaded machine 1 s */
        usleep(10000);
        seen = read_all(path, &b) == 0 && b.len == 8 && memcmp(b.data, "{\"a\":1}\n", 8) == 0;
    }
    T_CHECK_MSG(seen, "the line was not written within 1 s of being logged");
    T_CHECK(sw_access_log_close(log, &err) == 0);
    sw_buf_free(&b);
}

/* A burst larger than the buffer's cap: appends wait for the writer, nothing is lost. */
static void test_burst_past_cap(void) {
    char path[256], line[80];
    path_of("burst.log", path, sizeof path);
    sw_err err;
    sw_access_log *log = sw_access_log_open(path, &err);
    T_CHECK(log != NULL);
    if (!log) return;
    size_t total = 0;
    for (int i = 0; i < BURST_LINES; i++) {
        int n = snprintf(line, sizeof line, "{\"route\":\"moderations\",\"status\":200,\"n\":%08d}", i);
        sw_access_log_line(log, line, (size_t)n);
        total += (size_t)n + 1;
    }
    T_CHECK(total > SW_ACCESS_LOG_MAX_BYTES);
    T_CHECK(sw_access_log_close(log, &err) == 0);
    sw_buf b = {0};
    T_CHECK(read_all(path, &b) == 0);
    T_CHECK_MSG(b.len == total, "%zu bytes written of %zu", b.len, total);
    snprintf(line, sizeof line, "\"n\":%08d}\n", BURST_LINES - 1);
    T_CHECK(b.len > strlen(line) && strcmp(b.data + b.len - strlen(line), line) == 0);
    sw_buf_free(&b);
}

/* A write that fails (a full disk) is reported at close with the lines lost. */
static void test_write_failure_reported(void) {
    if (access("/dev/full", W_OK) != 0) {
        T_SKIP("no /dev/full");
        return;
    }
    sw_err err = {0};
    sw_access_log *log = sw_access_log_open("/dev/full", &err);
    T_CHECK(log != NULL);
    if (!log) return;
    sw_access_log_line(log, "{\"a\":1}", 7);
    sw_access_log_line(log, "{\"a\":2}", 7);
    T_CHECK(sw_access_log_close(log, &err) == -1);
    T_CHECK_MSG(strstr(err.msg, "/dev/full") && strstr(err.msg, "2 access log lines lost"), "%s", err.msg);
}

static void test_open_error_names_path(void) {
    sw_err err = {0};
    T_CHECK(sw_access_log_open("/nonexistent-dir/x/access.log", &err) == NULL);
    T_CHECK_MSG(strstr(err.msg, "/nonexistent-dir/x/access.log") != NULL, "%s", err.msg);
    T_CHECK(sw_access_log_close(NULL, &err) == 0);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    T_RUN(test_threads_complete_and_ordered);
    T_RUN(test_flushed_by_time);
    T_RUN(test_burst_past_cap);
    T_RUN(test_write_failure_reported);
    T_RUN(test_open_error_names_path);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
    return t_done();
}
