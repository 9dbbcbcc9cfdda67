/* paths.c - finding the files steward ships (models, data) relative to the executable. */
#include "steward/core.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sw_find_near_exe(const char *rel, char *out, size_t outsz) {
    char dir[4096];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n <= 0) return -1;
    dir[n] = 0;
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash) break;
        *slash = 0;
        struct stat st;
        int len = snprintf(out, outsz, "%s/%s", dir, rel);
        if (len > 0 && (size_t)len < outsz && stat(out, &st) == 0) return 0;
    }
    return -1;
}
