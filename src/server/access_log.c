/* access_log.c - the server's access log with one writer thread: a request's thread only
 * copies its line into a buffer; the writer writes what has gathered in one write, a few
 * milliseconds after its first line (or at once past a size), and all of it at close. */
#include "steward/server.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000L
#define NS_PER_S 1000000000L

struct sw_access_log {
    int fd, own_fd;         /* own_fd: opened here, closed at close */
    char path[256];         /* for messages */
    pthread_t writer;
    pthread_mutex_t mu;
    pthread_cond_t has_data;  /* lines waiting, or closing */
    pthread_cond_t has_space; /* the writer took the waiting lines */
    sw_buf waiting;           /* lines not yet taken by the writer (under mu) */
    struct timespec first;    /* when the first waiting line came (CLOCK_MONOTONIC) */
    int closing;
    int write_errno;          /* the first failed write's errno (writer only until joined) */
    unsigned long long lost;  /* lines lost to a failed write or to no memory (under mu) */
};

static size_t count_lines(const sw_buf *b) {
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++) n += b->data[i] == '\n';
    return n;
}

/* Waits (mu held) until the first waiting line is SW_ACCESS_LOG_FLUSH_MS old, the buffer
 * holds SW_ACCESS_LOG_FLUSH_BYTES, or the log is closing. */
static void wait_batch(sw_access_log *l) {
    struct timespec until = l->first;
    until.tv_nsec += SW_ACCESS_LOG_FLUSH_MS * NS_PER_MS;
    while (until.tv_nsec >= NS_PER_S) {
        until.tv_sec++;
        until.tv_nsec -= NS_PER_S;
    }
    while (!l->closing && l->waiting.len < SW_ACCESS_LOG_FLUSH_BYTES)
        if (pthread_cond_timedwait(&l->has_data, &l->mu, &until) == ETIMEDOUT) break;
}

/* The writer: takes the waiting lines (swapping buffers, so appends go on meanwhile) and
 * writes them outside the lock, until closed with nothing left. */
static void *writer_main(void *arg) {
    sw_access_log *l = arg;
    sw_buf out = {0};
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->waiting.len && !l->closing) pthread_cond_wait(&l->has_data, &l->mu);
        if (!l->waiting.len) break; /* closing, all written */
        wait_batch(l);
        sw_buf t = out;
        out = l->waiting;
        l->waiting = t;
        pthread_cond_broadcast(&l->has_space);
        pthread_mutex_unlock(&l->mu);
        int e = sw_write_all(l->fd, out.data, out.len) < 0 ? errno : 0;
        pthread_mutex_lock(&l->mu);
        if (e) {
            if (!l->write_errno) l->write_errno = e;
            l->lost += count_lines(&out);
        }
        sw_buf_reset(&out);
    }
    pthread_mutex_unlock(&l->mu);
    sw_buf_free(&out);
    return NULL;
}

sw_access_log *sw_access_log_open(const char *path, sw_err *err) {
    sw_access_log *l = calloc(1, sizeof *l);
    if (!l) {
        sw_err_set(err, "access log: out of memory");
        return NULL;
    }
    l->fd = STDERR_FILENO;
    snprintf(l->path, sizeof l->path, "%s", path ? path : "standard error");
    if (path && (l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) < 0) {
        sw_err_set(err, "%s: cannot open the access log (%s)", path, strerror(errno));
        free(l);
        return NULL;
    }
    l->own_fd = path != NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->has_data, &ca);
    pthread_cond_init(&l->has_space, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&l->writer, NULL, writer_main, l) != 0) {
        sw_err_set(err, "%s: cannot start the access log's writer thread", l->path);
        pthread_cond_destroy(&l->has_data);
        pthread_cond_destroy(&l->has_space);
        pthread_mutex_destroy(&l->mu);
        if (l->own_fd) close(l->fd);
        free(l);
        return NULL;
    }
    return l;
}

void sw_access_log_line(void *ud, const char *line, size_t len) {
    sw_access_log *l = ud;
    pthread_mutex_lock(&l->mu);
    while (l->waiting.len && l->waiting.len + len + 1 > SW_ACCESS_LOG_MAX_BYTES && !l->closing) {
        pthread_cond_signal(&l->has_data); /* the writer is behind: wait for it, lose nothing */
        pthread_cond_wait(&l->has_space, &l->mu);
    }
    int was_empty = l->waiting.len == 0;
    if (sw_buf_append(&l->waiting, line, len) < 0 || sw_buf_append(&l->waiting, "\n", 1) < 0) {
        l->lost++;
    } else if (was_empty) {
        clock_gettime(CLOCK_MONOTONIC, &l->first);
        pthread_cond_signal(&l->has_data);
    } else if (l->waiting.len >= SW_ACCESS_LOG_FLUSH_BYTES) {
        pthread_cond_signal(&l->has_data);
    }
    pthread_mutex_unlock(&l->mu);
}

int sw_access_log_close(sw_access_log *l, sw_err *err) {
    if (!l) return 0;
    pthread_mutex_lock(&l->mu);
    l->closing = 1;
    pthread_cond_broadcast(&l->has_data);
    pthread_cond_broadcast(&l->has_space);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->writer, NULL);
    int rc = 0;
    if (l->write_errno || l->lost)
        rc = sw_err_set(err, "%s: %llu access log line%s lost (%s)", l->path, l->lost, l->lost == 1 ? "" : "s",
                        l->write_errno ? strerror(l->write_errno) : "out of memory");
    if (l->own_fd && close(l->fd) < 0 && rc == 0)
        rc = sw_err_set(err, "%s: closing the access log failed (%s)", l->path, strerror(errno));
    sw_buf_free(&l->waiting);
    pthread_cond_destroy(&l->has_data);
    pthread_cond_destroy(&l->has_space);
    pthread_mutex_destroy(&l->mu);
    free(l);
    return rc;
}
