/* names.c - the name lists of the personal-data recognisers (data/guard/names/):
 * a parser for their one-entry-a-line format and a hash table from entry to kinds. */
#include "guard_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define GNAMES_INIT_SLOTS 1024 /* power of two; the table doubles past half full */
#define GNAMES_MAX_ENTRIES (1u << 20)

typedef struct {
    uint32_t off, len; /* entry text in t->strings; len 0: an empty slot */
    uint32_t flags;
} gslot_name;

struct gnames {
    gslot_name *slots;
    size_t nslots, count;
    sw_buf strings;
};

static uint32_t hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

gnames *gnames_new(void) {
    gnames *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->nslots = GNAMES_INIT_SLOTS;
    t->slots = calloc(t->nslots, sizeof *t->slots);
    if (!t->slots) {
        free(t);
        return NULL;
    }
    return t;
}

void gnames_free(gnames *t) {
    if (!t) return;
    free(t->slots);
    sw_buf_free(&t->strings);
    free(t);
}

size_t gnames_count(const gnames *t) { return t ? t->count : 0; }


static gslot_name *find(gslot_name *slots, size_t nslots, const char *strings, const char *w, size_t n) {
    size_t i = hash(w, n) & (nslots - 1);
    while (slots[i].len && !(slots[i].len == n && memcmp(strings + slots[i].off, w, n) == 0)) i = (i + 1) & (nslots - 1);
    return &slots[i];
}

/* Doubles the table. -1 on OOM (the table is unchanged). */
static int grow(gnames *t) {
    size_t ns = t->nslots * 2;
    gslot_name *s = calloc(ns, sizeof *s);
    if (!s) return -1;
    for (size_t i = 0; i < t->nslots; i++)
        if (t->slots[i].len) *find(s, ns, t->strings.data, t->strings.data + t->slots[i].off, t->slots[i].len) = t->slots[i];
    free(t->slots);
    t->slots = s;
    t->nslots = ns;
    return 0;
}

/* Adds flag to entry w[0..n). -1 on OOM. */
static int put(gnames *t, const char *w, size_t n, uint32_t flag) {
    gslot_name *s = find(t->slots, t->nslots, t->strings.data ? t->strings.data : "", w, n);
    if (s->len) {
        s->flags |= flag;
        return 0;
    }
    if ((t->count + 1) * 2 > t->nslots) {
        if (grow(t) < 0) return -1;
        s = find(t->slots, t->nslots, t->strings.data, w, n);
    }
    uint32_t off = (uint32_t)t->strings.len;
    if (sw_buf_append(&t->strings, w, n) < 0) return -1;
    s->off = off;
    s->len = (uint32_t)n;
    s->flags = flag;
    t->count++;
    return 0;
}

uint32_t gnames_lookup(const gnames *t, const char *w, size_t n) {
    if (!t || !t->count || n == 0 || n > GNAMES_MAX_ENTRY) return 0;
    const gslot_name *s = find(t->slots, t->nslots, t->strings.data, w, n);
    return s->len ? s->flags : 0;
}

/* Why an entry is not a name, or NULL: names are letters (any script), with inner
 * apostrophes, hyphens and spaces; ASCII letters in lower case. */
static const char *bad_entry(const char *l, size_t n) {
    if (n > GNAMES_MAX_ENTRY) return "longer than 32 bytes";
    if (!sw_utf8_valid((const unsigned char *)l, n)) return "not UTF-8";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)l[i];
        if (c >= 'A' && c <= 'Z') return "upper-case letters (entries are lower case)";
        if (c < 0x80 && !(c >= 'a' && c <= 'z') && !((c == '\'' || c == '-' || c == ' ') && i > 0 && i + 1 < n))
            return "a character that is not a letter";
    }
    return NULL;
}

int gnames_add_words(gnames *t, const char *list, uint32_t flag) {
    for (const char *w = list; *w; w += strlen(w) + 1)
        if (put(t, w, strlen(w), flag) < 0) return -1;
    return 0;
}

int gnames_add_text(gnames *t, const char *text, size_t len, const char *name, uint32_t flag, sw_err *err) {
    size_t pos = 0;
    int line = 0;
    const char *l;
    size_t ll;
    while (sw_next_line(text, len, &pos, &line, &l, &ll)) {
        while (ll && (l[ll - 1] == ' ' || l[ll - 1] == '\r' || l[ll - 1] == '\t')) ll--;
        while (ll && (*l == ' ' || *l == '\t')) l++, ll--;
        if (ll == 0 || *l == '#') continue;
        const char *why = bad_entry(l, ll);
        if (why) return sw_err_set(err, "%s:%d: not a name entry: %s", name, line, why);
        if (t->count >= GNAMES_MAX_ENTRIES) return sw_err_set(err, "%s:%d: more than %u names", name, line, GNAMES_MAX_ENTRIES);
        if (put(t, l, ll, flag) < 0) return sw_err_set(err, "%s:%d: out of memory", name, line);
    }
    return 0;
}

gnames *gnames_load(const char *dir, sw_err *err) {
    static const struct { const char *file; uint32_t flag; } LISTS[] = {
        {"en-first.txt", GNAME_FIRST},
        {"en-surnames.txt", GNAME_LAST},
        {"en-ambiguous.txt", GNAME_AMBIG},
        {"zh-surnames.txt", GNAME_ZH_SURNAME},
    };
    gnames *t = gnames_new();
    if (!t) {
        sw_err_set(err, "guard names: out of memory");
        return NULL;
    }
    struct stat st;
    if (stat(dir, &st) != 0) return t; /* no lists: names are found from context only */
    for (size_t i = 0; i < sizeof LISTS / sizeof LISTS[0]; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, LISTS[i].file);
        if (stat(path, &st) != 0) continue;
        sw_buf b = {0};
        int rc = sw_file_read_all(path, SW_FILE_MAX_SMALL, &b, err);
        if (rc == 0) rc = gnames_add_text(t, b.data ? b.data : "", b.len, path, LISTS[i].flag, err);
        sw_buf_free(&b);
        if (rc < 0) {
            gnames_free(t);
            return NULL;
        }
    }
    return t;
}
