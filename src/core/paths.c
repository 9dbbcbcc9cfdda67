/* paths.c - finding the files steward ships (models, data) relative to the executable, or
 * to libsteward.so when a program such as Python loads the library. */
#include "steward/core.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEVELS_UP 4        /* the file's own directory and three above it */
#define INSTALLED "share/steward/" /* where `make install` puts models/ and data/ */

/* Looks for rel, then INSTALLED rel, in the directory of file and up to three above it.
 * 0 with the path in out, -1 when not found. */
static int find_above(const char *file, const char *rel, char *out, size_t outsz) {
    char dir[4096];
    if ((size_t)snprintf(dir, sizeof dir, "%s", file) >= sizeof dir) return -1;
    for (int up = 0; up < LEVELS_UP; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash) break;
        *slash = 0;
        struct stat st;
        for (int installed = 0; installed < 2; installed++) {
            int len = snprintf(out, outsz, "%s/%s%s", dir, installed ? INSTALLED : "", rel);
            if (len > 0 && (size_t)len < outsz && stat(out, &st) == 0) return 0;
        }
    }
    return -1;
}

int sw_find_near_exe(const char *rel, char *out, size_t outsz) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        if (find_above(exe, rel, out, outsz) == 0) return 0;
    }
    Dl_info info; /* the shared library this function lives in (libsteward.so), if any */
    if (dladdr((void *)sw_find_near_exe, &info) && info.dli_fname && strchr(info.dli_fname, '/'))
        return find_above(info.dli_fname, rel, out, outsz);
    return -1;
}
