/* data_scan.c - the guard as data governance uses it: the harm and personal-data findings
 * of a training document, as sw_guard_scan finds them, without the rest of the scan. */
#include "guard_int.h"

#include <string.h>

int sw_guard_category_is_data(const char *category, const char *tc260) {
    return strcmp(category, "pii") == 0 || strcmp(category, "secret") == 0 || strcmp(category, "harmful") == 0 ||
           (tc260 && tc260[0]);
}

int gcategory_is_personal(const char *category) {
    return strcmp(category, "pii") == 0 || strcmp(category, "secret") == 0;
}

int sw_guard_finding_is_personal(const sw_guard_finding *f) { return gcategory_is_personal(f->category); }

int sw_guard_finding_is_harmful(const sw_guard_finding *f) {
    return (f->tc260[0] || strcmp(f->category, "harmful") == 0) && f->action >= SW_ACT_REVIEW;
}

/* Keeps, in order, only the findings of data governance (personal: personal data alone). */
static void keep_data_findings(sw_guard_verdict *v, int personal) {
    size_t out = 0;
    for (size_t i = 0; i < v->n_findings; i++) {
        const sw_guard_finding *f = &v->findings[i];
        if (personal ? gcategory_is_personal(f->category) : sw_guard_category_is_data(f->category, f->tc260))
            v->findings[out++] = *f;
    }
    v->n_findings = out;
}

/* sw_guard_scan_data (what GSCAN_DATA) or sw_guard_scan_pii (GSCAN_PII). */
static int scan_for(const sw_guard *g, sw_guard_dir dir, const char *text, size_t len, gscan_for what,
                    sw_guard_verdict *v, sw_err *err) {
    memset(v, 0, sizeof *v);
    v->text_source = SW_TEXT_USER;
    if (len > (1u << 30)) return sw_err_set(err, "guard: text of %zu bytes is over the 1 GiB limit", len);
    if (gscan_raw_for(g, text, len, SW_TEXT_USER, what, v) < 0)
        return sw_err_set(err, "guard: out of memory scanning a %zu-byte document", len);
    keep_data_findings(v, what == GSCAN_PII);
    gmerge_findings(v);
    sw_guard_policy_apply(gguard_policy(g), dir, v);
    if (v->truncated && v->action < SW_ACT_REVIEW) v->action = SW_ACT_REVIEW;
    return 0;
}

int sw_guard_scan_data(const sw_guard *g, sw_guard_dir dir, const char *text, size_t len, sw_guard_verdict *v,
                       sw_err *err) {
    return scan_for(g, dir, text, len, GSCAN_DATA, v, err);
}

int sw_guard_scan_pii(const sw_guard *g, sw_guard_dir dir, const char *text, size_t len, sw_guard_verdict *v,
                      sw_err *err) {
    return scan_for(g, dir, text, len, GSCAN_PII, v, err);
}
