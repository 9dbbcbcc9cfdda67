/* fault_shim.c - fault injection for the test build of the CLI (build/fault/steward, linked
 * with -Wl,--wrap=... for each call below): the n-th call of one operation fails or kills
 * the process, as the environment says:
 *   STEWARD_FAULT="OP:N:ACTION"  OP one of write pwrite fsync fdatasync rename mmap open
 *                                ftruncate; N counts that OP's calls from 1; ACTION EIO or
 *                                ENOSPC (the call fails with that errno, nothing done), KILL
 *                                (SIGKILL before the call) or TORN (write/pwrite: half the
 *                                bytes are written, then SIGKILL).
 *   STEWARD_FAULT_COUNT=FILE     at exit, appends "OP COUNT" lines: the fault points a run
 *                                passes through (what a sweep iterates over).
 * Only calls made by steward's own objects are counted (libc's internal ones are not). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

enum { OP_WRITE, OP_PWRITE, OP_FSYNC, OP_FDATASYNC, OP_RENAME, OP_MMAP, OP_OPEN, OP_FTRUNCATE, NOPS };
static const char *const op_names[NOPS] = {"write", "pwrite", "fsync", "fdatasync",
                                           "rename", "mmap", "open", "ftruncate"};
enum { ACT_NONE, ACT_ERRNO, ACT_KILL, ACT_TORN };

static unsigned long counts[NOPS];
static int fault_op = -1, fault_act = ACT_NONE, fault_errno;
static unsigned long fault_n;
static int parsed;

static void report(void) {
    const char *path = getenv("STEWARD_FAULT_COUNT");
    if (!path) return;
    FILE *f = fopen(path, "a");
    if (!f) return;
    for (int i = 0; i < NOPS; i++) fprintf(f, "%s %lu\n", op_names[i], counts[i]);
    fclose(f);
}

static void parse(void) {
    parsed = 1;
    atexit(report);
    const char *spec = getenv("STEWARD_FAULT");
    if (!spec) return;
    char op[32], act[32];
    unsigned long n;
    if (sscanf(spec, "%31[^:]:%lu:%31s", op, &n, act) != 3) return;
    for (int i = 0; i < NOPS; i++)
        if (!strcmp(op, op_names[i])) fault_op = i;
    fault_n = n;
    if (!strcmp(act, "EIO")) fault_act = ACT_ERRNO, fault_errno = EIO;
    else if (!strcmp(act, "ENOSPC")) fault_act = ACT_ERRNO, fault_errno = ENOSPC;
    else if (!strcmp(act, "KILL")) fault_act = ACT_KILL;
    else if (!strcmp(act, "TORN")) fault_act = ACT_TORN;
}

/* The action for this call of op: ACT_NONE to go ahead. */
static int hit(int op) {
    if (!parsed) parse();
    counts[op]++;
    if (op != fault_op || counts[op] != fault_n) return ACT_NONE;
    if (fault_act == ACT_KILL) raise(SIGKILL);
    if (fault_act == ACT_ERRNO) errno = fault_errno;
    return fault_act;
}

ssize_t __real_write(int fd, const void *p, size_t n);
ssize_t __real_pwrite(int fd, const void *p, size_t n, off_t off);
int __real_fsync(int fd);
int __real_fdatasync(int fd);
int __real_rename(const char *from, const char *to);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_open(const char *path, int flags, ...);
int __real_ftruncate(int fd, off_t len);

ssize_t __wrap_write(int fd, const void *p, size_t n) {
    int a = hit(OP_WRITE);
    if (a == ACT_TORN) {
        __real_write(fd, p, n / 2);
        raise(SIGKILL);
    }
    return a == ACT_ERRNO ? -1 : __real_write(fd, p, n);
}

ssize_t __wrap_pwrite(int fd, const void *p, size_t n, off_t off) {
    int a = hit(OP_PWRITE);
    if (a == ACT_TORN) {
        __real_pwrite(fd, p, n / 2, off);
        raise(SIGKILL);
    }
    return a == ACT_ERRNO ? -1 : __real_pwrite(fd, p, n, off);
}

int __wrap_fsync(int fd) { return hit(OP_FSYNC) == ACT_ERRNO ? -1 : __real_fsync(fd); }
int __wrap_fdatasync(int fd) { return hit(OP_FDATASYNC) == ACT_ERRNO ? -1 : __real_fdatasync(fd); }
int __wrap_rename(const char *from, const char *to) {
    return hit(OP_RENAME) == ACT_ERRNO ? -1 : __real_rename(from, to);
}
int __wrap_ftruncate(int fd, off_t len) { return hit(OP_FTRUNCATE) == ACT_ERRNO ? -1 : __real_ftruncate(fd, len); }

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    return hit(OP_MMAP) == ACT_ERRNO ? MAP_FAILED : __real_mmap(addr, len, prot, flags, fd, off);
}

int __wrap_open(const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return hit(OP_OPEN) == ACT_ERRNO ? -1 : __real_open(path, flags, mode);
}
