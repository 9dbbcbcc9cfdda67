/* t.h - a minimal unit-test harness: each test function prints one TAP line.
 *
 *   static void test_something(void) { T_CHECK(1 + 1 == 2); }
 *   int main(void) { T_RUN(test_something); return t_done(); }
 *
 * tests/run.sh counts the "ok" and "not ok" lines of every test program. */
#ifndef STEWARD_T_H
#define STEWARD_T_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int t_failures_in_test, t_total_failed, t_total;
static char t_skip_reason[256]; /* set by T_SKIP: the test did not run (its data is missing) */

/* Marks the running test as skipped (TAP "# SKIP reason"); the test returns after it. */
#define T_SKIP(...) snprintf(t_skip_reason, sizeof t_skip_reason, __VA_ARGS__)

#define T_CHECK(cond)                                                              \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            t_failures_in_test++;                                                  \
        }                                                                          \
    } while (0)

#define T_CHECK_MSG(cond, ...)                                                     \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                          \
            fputc('\n', stderr);                                                   \
            t_failures_in_test++;                                                  \
        }                                                                          \
    } while (0)

#define T_NEAR(a, b, tol) T_CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%g vs %g", (double)(a), (double)(b))

#define T_RUN(fn)                                                                  \
    do {                                                                           \
        t_failures_in_test = 0;                                                    \
        t_skip_reason[0] = 0;                                                      \
        fn();                                                                      \
        t_total++;                                                                 \
        if (t_failures_in_test) t_total_failed++;                                  \
        printf("%s - %s%s%s\n", t_failures_in_test ? "not ok" : "ok", #fn,         \
               t_skip_reason[0] ? " # SKIP " : "", t_skip_reason);                 \
        fflush(stdout);                                                            \
    } while (0)

static inline int t_done(void) { return t_total_failed ? 1 : 0; }

#endif
