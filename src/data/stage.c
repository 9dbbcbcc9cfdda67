/* stage.c - the per-document stages of a build (licence and consent, harmful content,
 * personal data, language, quality, signatures), each decision recorded with its rule. */
#include "data_int.h"
#include "steward/guard.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends a decision {"stage", "rule", "action", "detail"?} to rec's "decisions". */
static void decide(json_t *rec, const char *stage, const char *rule, const char *action, json_t *detail) {
    json_t *d = json_pack("{s:s, s:s, s:s}", "stage", stage, "rule", rule, "action", action);
    if (d && detail) json_object_set_new(d, "detail", detail);
    else json_decref(detail);
    json_array_append_new(json_object_get(rec, "decisions"), d);
}

/* Typed placeholder of a guard finding type (EMAIL_ADDRESS -> <EMAIL>). */
static const char *placeholder(const sw_guard_finding *f) {
    static const struct {
        const char *type, *ph;
    } map[] = {{"EMAIL_ADDRESS", "<EMAIL>"}, {"PHONE_NUMBER", "<PHONE>"},    {"CREDIT_CARD", "<CREDIT_CARD>"},
               {"US_SSN", "<SSN>"},          {"CN_RESIDENT_ID", "<ID_NUMBER>"}, {"IBAN_CODE", "<IBAN>"},
               {"IP_ADDRESS", "<IP_ADDRESS>"}, {"MAC_ADDRESS", "<MAC_ADDRESS>"}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(f->type, map[i].type) == 0) return map[i].ph;
    return strcmp(f->category, "secret") == 0 ? "<SECRET>" : "<PII>";
}

/* Writes text with personal-data spans replaced by placeholders into out (findings are
 * in order of start; overlapping spans are merged into the first). -1 on OOM. */
static int replace_personal(const char *text, size_t len, const sw_guard_verdict *v, sw_buf *out,
                            json_t *counts) {
    size_t at = 0;
    for (size_t i = 0; i < v->n_findings; i++) {
        const sw_guard_finding *f = &v->findings[i];
        if (!sw_guard_finding_is_personal(f) || f->start < at || f->end > len) continue;
        const char *ph = placeholder(f);
        if (sw_buf_append(out, text + at, f->start - at) || sw_buf_puts(out, ph)) return -1;
        json_object_set_new(counts, ph, json_integer(json_integer_value(json_object_get(counts, ph)) + 1));
        at = f->end;
    }
    return sw_buf_append(out, text + at, len - at);
}

static int cmp_finding(const void *a, const void *b) {
    const sw_guard_finding *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->end > y->end ? -1 : x->end < y->end;
}

const char *sw_data_licence_rule(const sw_data_policy *p, const sw_data_doc *d) {
    if (!d->source) return "provenance.missing_source";
    if (!d->license) return "licence.missing";
    if (!sw_data_policy_allows(p, d->license)) return "licence.not_allowed";
    return NULL;
}

/* Licence, provenance and consent. Returns 1 when the document is dropped. */
static int stage_licence(const sw_data_stage_ctx *c, const sw_data_doc *d, json_t *rec) {
    const char *rule = sw_data_licence_rule(c->policy, d);
    if (rule)
        return decide(rec, "licence", rule, "drop", strcmp(rule, "licence.not_allowed") == 0 ? json_string(d->license) : NULL), 1;
    if (!d->consent_valid) decide(rec, "licence", "consent.missing_as_unknown", "assume", NULL);
    return 0;
}

/* Harmful content and personal data from one guard scan (sw_guard_scan_data: the harm and
 * personal-data findings of the full scan), or personal data alone (sw_guard_scan_pii) for
 * a document outside its source's harm sample (hash: its content hash). Returns 1 when
 * dropped, -1 on error; *text receives the text to go on with (redacted or not). */
static int stage_guard(const sw_data_stage_ctx *c, const sw_data_doc *d, uint64_t hash, json_t *rec, sw_buf *text,
                       sw_err *err) {
    sw_guard_verdict v = {0};
    int sampled = !c->sample || sw_data_sample_in(c->sample, d->source, hash);
    if ((sampled ? sw_guard_scan_data : sw_guard_scan_pii)(c->guard, SW_GUARD_OUTPUT, d->text, d->len, &v, err))
        return sw_guard_verdict_free(&v), -1;
    if (v.n_findings) qsort(v.findings, v.n_findings, sizeof *v.findings, cmp_finding);
    int harmful = 0, personal = 0, rc = 0;
    const char *harm_cat = NULL;
    for (size_t i = 0; i < v.n_findings; i++) {
        if (sw_guard_finding_is_harmful(&v.findings[i]) && !harmful) harmful = 1, harm_cat = v.findings[i].category;
        personal += sw_guard_finding_is_personal(&v.findings[i]);
    }
    if (sampled) json_object_set_new(rec, "harmful", json_boolean(harmful));
    else decide(rec, "harm", "harm.not_sampled", "keep", NULL);
    if (harmful) {
        decide(rec, "harm", "harm.document", "drop", json_string(harm_cat));
        rc = 1;
        goto out;
    }
    sw_pd_action act = c->policy->personal[d->consent];
    if (!personal || act == SW_PD_KEEP) {
        if (personal) decide(rec, "pii", "pii.kept_with_consent", "keep", json_integer(personal));
        rc = sw_buf_append(text, d->text, d->len) ? -1 : 0;
    } else if (act == SW_PD_DROP) {
        decide(rec, "pii", "pii.dropped_by_consent", "drop", json_integer(personal));
        rc = 1;
    } else {
        json_t *counts = json_object();
        rc = replace_personal(d->text, d->len, &v, text, counts) ? -1 : 0;
        decide(rec, "pii", "pii.redacted", "edit", counts);
    }
out:
    sw_guard_verdict_free(&v);
    if (rc < 0) sw_err_set(err, "out of memory");
    return rc;
}

/* Language and quality. Returns 1 when dropped, -1 on error; out receives the kept text. */
static int stage_lang_quality(const sw_data_stage_ctx *c, const char *text, size_t len, json_t *rec, sw_buf *out,
                              sw_err *err) {
    double score;
    const char *lang = sw_langid_classify(c->langid, text, len, &score);
    json_object_set_new(rec, "lang", json_string(lang));
    if (c->policy->n_langs) {
        int ok = 0;
        for (int i = 0; i < c->policy->n_langs; i++) ok |= strcmp(c->policy->langs[i], lang) == 0;
        if (!ok) return decide(rec, "lang", "lang.not_allowed", "drop", json_string(lang)), 1;
    }
    sw_quality_result q;
    if (sw_quality_check(text, len, lang, c->policy->gopher, c->policy->c4_lines, &q, out, err)) return -1;
    if (q.drop_rule) return decide(rec, "quality", q.drop_rule, "drop", json_real(q.value)), 1;
    for (int i = 0; i < sw_quality_line_rules(); i++)
        if (q.lines_removed[i])
            decide(rec, "quality", sw_quality_line_rule_name(i), "edit", json_pack("{s:i}", "lines", q.lines_removed[i]));
    if (out->len == 0) return decide(rec, "quality", "quality.empty", "drop", NULL), 1;
    return 0;
}

/* The kept document's dedup keys and identity-term counts. */
static void stage_keys(const sw_data_stage_ctx *c, const char *text, size_t len, json_t *rec) {
    char hex[2 * SW_MINHASH_K * 4 + 1];
    uint64_t key = sw_data_exact_key(text, len);
    uint8_t kb[8];
    for (int i = 0; i < 8; i++) kb[i] = (uint8_t)(key >> (56 - 8 * i));
    sw_hex(kb, sizeof kb, hex);
    json_object_set_new(rec, "exact", json_string(hex));
    uint32_t sig[SW_MINHASH_K];
    sw_minhash(text, len, sig);
    uint8_t sb[SW_MINHASH_K * 4];
    for (int i = 0; i < SW_MINHASH_K; i++)
        for (int j = 0; j < 4; j++) sb[4 * i + j] = (uint8_t)(sig[i] >> (24 - 8 * j));
    sw_hex(sb, sizeof sb, hex);
    json_object_set_new(rec, "sig", json_string(hex));
    if (!c->identity) return;
    int nt = sw_identity_terms(c->identity);
    uint64_t *counts = calloc((size_t)nt, sizeof *counts);
    if (!counts) return;
    sw_identity_count(c->identity, text, len, counts);
    json_t *ids = json_array();
    for (int i = 0; i < nt; i++)
        if (counts[i]) json_array_append_new(ids, json_pack("[i, I]", i, (json_int_t)counts[i]));
    json_object_set_new(rec, "identity", ids);
    free(counts);
}

/* Sets a string field when s is not NULL. */
static void set_opt(json_t *o, const char *k, const char *s) {
    if (s) json_object_set_new(o, k, json_string(s));
}

json_t *sw_data_stage_run(const sw_data_stage_ctx *c, const sw_data_doc *d, json_t *rec, sw_err *err) {
    char sha[2 * SW_SHA256_BYTES + 1];
    uint8_t digest[SW_SHA256_BYTES];
    sw_sha256(d->text, d->len, digest);
    sw_hex(digest, sizeof digest, sha);
    set_opt(rec, "source", d->source);
    set_opt(rec, "license", d->license);
    json_object_set_new(rec, "consent", json_string(sw_data_consent_name(d->consent)));
    set_opt(rec, "url", d->url);
    set_opt(rec, "date", d->date);
    json_object_set_new(rec, "sha256", json_string(sha));
    json_object_set_new(rec, "bytes", json_integer((json_int_t)d->len));
    sw_buf redacted = {0}, kept = {0};
    int rc = stage_licence(c, d, rec);
    if (rc == 0) rc = stage_guard(c, d, sw_data_content_hash(digest), rec, &redacted, err);
    if (rc == 0) rc = stage_lang_quality(c, redacted.data ? redacted.data : "", redacted.len, rec, &kept, err);
    if (rc == 0) {
        stage_keys(c, kept.data, kept.len, rec);
        json_object_set_new(rec, "text", json_stringn(kept.data, kept.len));
    }
    json_object_set_new(rec, "keep", json_boolean(rc == 0));
    sw_buf_free(&redacted);
    sw_buf_free(&kept);
    if (rc < 0) return NULL;
    return rec;
}
