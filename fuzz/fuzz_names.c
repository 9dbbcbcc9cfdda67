/* fuzz_names.c - libFuzzer target: the name-list parser (data/guard/names/) and the
 * personal-data recognisers on arbitrary bytes, with the table the bytes built: every
 * finding must lie inside the text. */
#include "steward/guard.h"
#include "guard/guard_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sw_err err;
    gnames *t = gnames_new();
    if (!t) return 0;
    const char *s = (const char *)data;
    if (gnames_add_text(t, s, size, "fuzz.txt", GNAME_FIRST, &err) < 0 && !strstr(err.msg, "fuzz.txt:")) abort();
    static const char *lists[] = {"john\nsmith\nmay\n", "张\n欧阳\n"};
    static const uint32_t flags[] = {GNAME_FIRST | GNAME_LAST, GNAME_ZH_SURNAME};
    for (int i = 0; i < 2; i++)
        if (gnames_add_text(t, lists[i], strlen(lists[i]), "l.txt", flags[i], &err) < 0) abort();
    if (gpersonal_words(t) < 0) abort();
    (void)gnames_lookup(t, s, size);
    sw_guard_verdict v = {0};
    if (gpersonal_scan(t, s, size, &v) == 0)
        for (size_t i = 0; i < v.n_findings; i++)
            if (v.findings[i].start >= v.findings[i].end || v.findings[i].end > size) abort();
    sw_guard_verdict_free(&v);
    gnames_free(t);
    return 0;
}
