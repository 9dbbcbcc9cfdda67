/* guard_fixture.h - opens the shipped guard ($STEWARD_ROOT/data, with or without the
 * shipped classifier) for the guard unit tests, so that each test does not repeat it.
 *
 *   static sw_guard *g;
 *   int main(void) {
 *       if (!(g = test_guard_open(TG_RULES_ONLY))) return 1;   (prints the "not ok" line)
 *       ...
 *   }
 *
 * Tests that need their own policy or key start from tg_opts() and set those fields. */
#ifndef STEWARD_GUARD_FIXTURE_H
#define STEWARD_GUARD_FIXTURE_H

#include "steward/guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

enum { TG_RULES_ONLY = 0, TG_WITH_CLASSIFIER = 1 };

#define TG_PATH_MAX 4096

/* The project root: $STEWARD_ROOT, else the current directory. */
static inline const char *tg_root(void) {
    const char *root = getenv("STEWARD_ROOT");
    return root && *root ? root : ".";
}

/* The shipped data directory (rules, policy), in a static buffer. */
static inline const char *tg_data_dir(void) {
    static char path[TG_PATH_MAX];
    snprintf(path, sizeof path, "%s/data", tg_root());
    return path;
}

/* The shipped classifier's path, in a static buffer. */
static inline const char *tg_classifier_path(void) {
    static char path[TG_PATH_MAX];
    snprintf(path, sizeof path, "%s/models/guard-classifier.bin", tg_root());
    return path;
}

/* 1 when the shipped classifier's file exists, else 0. */
static inline int tg_classifier_shipped(void) {
    struct stat st;
    return stat(tg_classifier_path(), &st) == 0;
}

/* Options for the shipped rules and policy; with_classifier names the shipped classifier
 * (whose absence then makes sw_guard_open fail), else none ("" rather than NULL, which
 * would load it silently when present). */
static inline sw_guard_opts tg_opts(int with_classifier) {
    sw_guard_opts o = {.data_dir = tg_data_dir(), .model_path = with_classifier ? tg_classifier_path() : ""};
    return o;
}

/* Opens the shipped guard, with the shipped classifier when with_classifier. Returns the
 * guard (the caller frees it with sw_guard_free), or NULL after printing a "not ok" line
 * that names what failed to open and why; main then returns 1. */
static inline sw_guard *test_guard_open(int with_classifier) {
    sw_err err;
    sw_guard_opts o = tg_opts(with_classifier);
    sw_guard *g = sw_guard_open(&o, &err);
    const char *what = with_classifier ? "the shipped guard with its classifier" : "the shipped guard (rules only)";
    if (!g) {
        printf("not ok - open %s from %s: %s\n", what, o.data_dir, err.msg);
        return NULL;
    }
    if (with_classifier && !sw_guard_has_classifier(g)) {
        printf("not ok - open %s: %s loaded no classifier\n", what, tg_classifier_path());
        sw_guard_free(g);
        return NULL;
    }
    return g;
}

#endif
