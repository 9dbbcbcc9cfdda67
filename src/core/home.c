/* home.c - the $STEWARD_HOME state directory. */
#include "steward/core.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sw_mkdirs(const char *path, int mode, sw_err *err) {
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) return sw_err_set(err, "directory path too long or empty");
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != 0) continue;
        char saved = tmp[i];
        tmp[i] = 0;
        if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
            return sw_err_set(err, "%s: cannot create directory: %s", tmp, strerror(errno));
        tmp[i] = saved;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return sw_err_set(err, "%s: not a directory", path);
    return 0;
}

int sw_home_resolve(const char *override, char *out, size_t outsz, sw_err *err) {
    const char *dir = override;
    if (!dir || !*dir) dir = getenv("STEWARD_HOME");
    int n;
    if (dir && *dir) {
        n = snprintf(out, outsz, "%s", dir);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home) return sw_err_set(err, "neither --home, $STEWARD_HOME nor $HOME is set");
        n = snprintf(out, outsz, "%s/.steward", home);
    }
    if (n < 0 || (size_t)n >= outsz) return sw_err_set(err, "state directory path too long");
    return sw_mkdirs(out, 0700, err);
}

int sw_home_scratch(char *out, size_t outsz, sw_err *err) {
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    if ((size_t)snprintf(out, outsz, "%s/steward-scratch-XXXXXX", tmp) >= outsz)
        return sw_err_set(err, "scratch home: $TMPDIR too long");
    if (!mkdtemp(out)) return sw_err_set(err, "%s: cannot create a scratch home: %s", out, strerror(errno));
    return 0;
}

/* nftw callback: removes one entry (files first, then their directories). */
static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

#define SCRATCH_FDS 16 /* directories nftw keeps open at once */

int sw_home_remove(const char *dir, sw_err *err) {
    if (nftw(dir, remove_entry, SCRATCH_FDS, FTW_DEPTH | FTW_PHYS) != 0)
        return sw_err_set(err, "%s: cannot remove: %s", dir, strerror(errno));
    return 0;
}
