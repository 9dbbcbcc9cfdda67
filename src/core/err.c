/* err.c - error messages and the library's logging hook. */
#include "steward/core.h"

#include <stdio.h>
#include <string.h>

int sw_err_set(sw_err *err, const char *fmt, ...) {
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int sw_err_prefix(sw_err *err, const char *fmt, ...) {
    if (!err) return -1;
    char joined[2 * SW_ERR_MAX + 2];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(joined, SW_ERR_MAX, fmt, ap);
    va_end(ap);
    if (n < 0) return -1;
    if (n >= SW_ERR_MAX) n = SW_ERR_MAX - 1;
    joined[n++] = ':';
    joined[n++] = ' ';
    memcpy(joined + n, err->msg, strnlen(err->msg, SW_ERR_MAX - 1) + 1);
    joined[SW_ERR_MAX - 1] = 0; /* truncate to the message size */
    memcpy(err->msg, joined, SW_ERR_MAX);
    return -1;
}

static sw_log_fn log_fn;
static void *log_ud;
static sw_log_level log_max = SW_LOG_INFO;

void sw_log_set(sw_log_fn fn, void *ud, sw_log_level max_level) {
    log_fn = fn;
    log_ud = ud;
    log_max = max_level;
}

void sw_log(sw_log_level level, const char *fmt, ...) {
    if (!log_fn || level > log_max) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_fn(level, msg, log_ud);
}
