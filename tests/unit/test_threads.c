/* test_threads.c - the default thread count leaves out cores that other work keeps busy,
 * stays within 1..cores, and the pre-initialiser asked OpenMP for passive waiting. */
#include "steward/threads.h"
#include "t.h"

#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

enum { SPINNERS = 2 };
static atomic_int stop_spinning;

static void *spin(void *arg) {
    (void)arg;
    volatile unsigned long x = 0;
    while (!atomic_load_explicit(&stop_spinning, memory_order_relaxed)) x++;
    return NULL;
}

static void test_default_within_bounds(void) {
    int cores = omp_get_num_procs(), n = sw_threads_default();
    T_CHECK_MSG(n >= 1 && n <= cores, "%d threads of %d cores", n, cores);
    T_CHECK(sw_threads_busy_elsewhere() >= 0);
}

/* Two threads that never sleep are always runnable: they count as busy, and the
 * default leaves their cores out (other load can only lower it further). */
static void test_busy_cores_left_out(void) {
    pthread_t th[SPINNERS];
    atomic_store(&stop_spinning, 0);
    for (int i = 0; i < SPINNERS; i++) pthread_create(&th[i], NULL, spin, NULL);
    double busy = sw_threads_busy_elsewhere();
    int n = sw_threads_default(), cores = omp_get_num_procs();
    atomic_store(&stop_spinning, 1);
    for (int i = 0; i < SPINNERS; i++) pthread_join(th[i], NULL);
    T_CHECK_MSG(busy >= SPINNERS - 0.5, "busy elsewhere %.2f with %d spinning threads", busy, SPINNERS);
    int most = cores - SPINNERS < 1 ? 1 : cores - SPINNERS;
    T_CHECK_MSG(n <= most, "%d threads with %d of %d cores spinning", n, SPINNERS, cores);
}

/* The .preinit_array function ran before libgomp read its settings: libgomp itself says
 * PASSIVE (omp_display_env writes them to stderr, caught in a temporary file). */
static void test_passive_waiting_requested(void) {
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) {
        T_SKIP("the caller set the OpenMP waiting itself");
        return;
    }
    T_CHECK(strcmp(sw_threads_wait_policy(), "PASSIVE") == 0);
    FILE *f = tmpfile();
    T_CHECK(f != NULL);
    if (!f) return;
    fflush(stderr);
    int saved = dup(2);
    dup2(fileno(f), 2);
    omp_display_env(0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char buf[8192];
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    T_CHECK_MSG(strstr(buf, "OMP_WAIT_POLICY = 'PASSIVE'") != NULL, "libgomp says: %.300s", buf);
}

int main(void) {
    T_RUN(test_default_within_bounds);
    T_RUN(test_busy_cores_left_out);
    T_RUN(test_passive_waiting_requested);
    return t_done();
}
