/* file.c - the one way libsteward opens its inputs: regular files only, opened without
 * blocking, read whole under a named size cap. */
#include "steward/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK 65536

/* What a non-regular file is, for messages. */
static const char *kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

int sw_file_open_regular(const char *path, size_t max_bytes, uint64_t *size, sw_err *err) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return sw_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sw_err_set(err, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return sw_err_set(err, "%s: is %s, not a regular file", path, kind_of(st.st_mode));
    }
    if (max_bytes && (uint64_t)st.st_size > (uint64_t)max_bytes) {
        close(fd);
        return sw_err_set(err, "%s: %lld bytes, more than the %zu this input may have", path,
                          (long long)st.st_size, max_bytes);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if (size) *size = (uint64_t)st.st_size;
    return fd;
}

/* Appends everything fd holds, up to max_bytes (0: no cap). -1 with err naming `name`. */
static int read_fd(int fd, const char *name, size_t max_bytes, sw_buf *out, sw_err *err) {
    char chunk[READ_CHUNK];
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sw_err_set(err, "%s: read error: %s", name, strerror(errno));
        if (n == 0) return 0;
        got += (size_t)n;
        if (max_bytes && got > max_bytes)
            return sw_err_set(err, "%s: more than the %zu bytes this input may have", name, max_bytes);
        if (sw_buf_append(out, chunk, (size_t)n) < 0)
            return sw_err_set(err, "%s: out of memory after %zu bytes", name, out->len);
    }
}

int sw_file_read_all(const char *path, size_t max_bytes, sw_buf *out, sw_err *err) {
    if (strcmp(path, "-") == 0) return read_fd(0, "stdin", max_bytes, out, err);
    int fd = sw_file_open_regular(path, max_bytes, NULL, err);
    if (fd < 0) return -1;
    int rc = read_fd(fd, path, max_bytes, out, err);
    close(fd);
    return rc;
}

int sw_read_file(const char *path, sw_buf *out, sw_err *err) {
    return sw_file_read_all(path, SW_FILE_MAX_TEXT, out, err);
}

int sw_write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        if (w == 0) return errno = EIO, -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}
