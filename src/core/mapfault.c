/* mapfault.c - names the file behind a SIGBUS: mapped files register their ranges, and a
 * front end may install a handler that reports a file that shrank while mapped (a model
 * truncated during a generation) instead of dying of an unexplained signal. */
#include "steward/core.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAP_SLOTS 64        /* mappings named at once; more are mapped, just not named */
#define MAP_PATH_MAX 512    /* bytes of a path kept for the message */
#define FAULT_EXIT_STATUS 1 /* CLI.md's "failed" */

typedef struct {
    const char *volatile addr; /* NULL: free slot */
    size_t len;
    char path[MAP_PATH_MAX];
} map_slot;

static map_slot slots[MAP_SLOTS];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;

void sw_map_register(const void *addr, size_t len, const char *path) {
    pthread_mutex_lock(&slots_mu);
    for (int i = 0; i < MAP_SLOTS; i++) {
        if (slots[i].addr) continue;
        slots[i].len = len;
        snprintf(slots[i].path, sizeof slots[i].path, "%s", path);
        __atomic_store_n(&slots[i].addr, (const char *)addr, __ATOMIC_RELEASE);
        break;
    }
    pthread_mutex_unlock(&slots_mu);
}

void sw_map_unregister(const void *addr) {
    pthread_mutex_lock(&slots_mu);
    for (int i = 0; i < MAP_SLOTS; i++)
        if (slots[i].addr == addr) __atomic_store_n(&slots[i].addr, NULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&slots_mu);
}

const char *sw_map_path_at(const void *addr) {
    const char *p = addr;
    for (int i = 0; i < MAP_SLOTS; i++) {
        const char *a = __atomic_load_n(&slots[i].addr, __ATOMIC_ACQUIRE);
        if (a && p >= a && p < a + slots[i].len) return slots[i].path;
    }
    return NULL;
}

/* write(2) of a NUL-terminated string: async-signal-safe. */
static void say(const char *s) {
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(2, s, n);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void on_sigbus(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    const char *path = sw_map_path_at(si->si_addr);
    if (path) {
        say("steward: error: ");
        say(path);
        say(": the file changed size while in use (truncated or replaced in place?); stopping\n");
        _exit(FAULT_EXIT_STATUS);
    }
    signal(sig, SIG_DFL); /* not ours: the default action, as if no handler were installed */
    raise(sig);
}

int sw_map_fault_handler_install(sw_err *err) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, NULL) != 0) return sw_err_set(err, "sigaction(SIGBUS) failed");
    return 0;
}
