/* redteam_attack.c - the attack library as the runner uses it: goals, templates and the
 * chosen converters, and the prompt of one attack (goal x template x converter). */
#include "redteam_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RT_PATH_MAX 4200

/* Converters whose output a model cannot read without decoding: the prompt says so, as
 * an attacker would ("decode this and do what it says"). */
static const char *const DECODE_HINTED[] = {"base64", "hex", "rot13", "atbash", "morse"};
#define N_DECODE_HINTED (sizeof DECODE_HINTED / sizeof DECODE_HINTED[0])

void rt_library_free(rt_library *lib)
{
    sw_redteam_items_free(lib->goals, lib->n_goals);
    sw_redteam_items_free(lib->templates, lib->n_templates);
    for (size_t i = 0; lib->dict && i < lib->n_conv; i++) sw_redteam_dict_free(lib->dict[i]);
    free(lib->dict);
    free(lib->conv);
    free(lib->conv_buf);
    memset(lib, 0, sizeof *lib);
}

/* Reads and parses DIR/redteam/NAME. Returns 0, or -1 with err naming the file. */
static int load_items(const char *dir, const char *name, const char *key, sw_redteam_item **items, size_t *n,
                      sw_err *err)
{
    char path[RT_PATH_MAX];
    snprintf(path, sizeof path, "%s/redteam/%s", dir, name);
    sw_buf b = {0};
    int rc = sw_read_file(path, &b, err);
    if (rc == 0) rc = sw_redteam_items_parse(b.data ? b.data : "", b.len, path, key, items, n, err);
    sw_buf_free(&b);
    if (rc == 0 && *n == 0) {
        sw_redteam_items_free(*items, *n);
        *items = NULL;
        rc = sw_err_set(err, "%s: no entries", path);
    }
    return rc;
}

/* 1 when name is "none", a known converter or a translation. */
static int known_converter(const char *name)
{
    return strcmp(name, RT_NONE) == 0 || sw_redteam_converter_invertible(name) >= 0 ||
           sw_redteam_translation_lang(name) != NULL;
}

/* Fills lib->conv from the comma-separated list (NULL: "none", every converter, every
 * translation). Returns 0, or -1 with err naming an unknown or repeated converter. */
static int choose_converters(const char *list, rt_library *lib, sw_err *err)
{
    size_t n_plain = sw_redteam_converter_count(), n_tr = sw_redteam_translation_count(), total = 1 + n_plain + n_tr;
    lib->conv = calloc(total, sizeof *lib->conv);
    if (!lib->conv) return sw_err_set(err, "redteam: out of memory");
    if (!list) {
        lib->conv[lib->n_conv++] = RT_NONE;
        for (size_t i = 0; i < n_plain; i++) lib->conv[lib->n_conv++] = sw_redteam_converter_name(i);
        for (size_t i = 0; i < n_tr; i++) lib->conv[lib->n_conv++] = sw_redteam_translation_name(i);
        return 0;
    }
    lib->conv_buf = strdup(list);
    if (!lib->conv_buf) return sw_err_set(err, "redteam: out of memory");
    for (char *save = NULL, *tok = strtok_r(lib->conv_buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!known_converter(tok)) return sw_err_set(err, "--converters: unknown converter '%s'", tok);
        for (size_t i = 0; i < lib->n_conv; i++)
            if (strcmp(lib->conv[i], tok) == 0) return sw_err_set(err, "--converters: '%s' named twice", tok);
        if (lib->n_conv == total) return sw_err_set(err, "--converters: too many names");
        lib->conv[lib->n_conv++] = tok;
    }
    return lib->n_conv ? 0 : sw_err_set(err, "--converters: no converter named");
}

/* Reads the dictionary of every translation among the chosen converters. Returns 0, or -1
 * with err naming the file (and line). */
static int load_dicts(const char *dir, rt_library *lib, sw_err *err)
{
    lib->dict = calloc(lib->n_conv ? lib->n_conv : 1, sizeof *lib->dict);
    if (!lib->dict) return sw_err_set(err, "redteam: out of memory");
    for (size_t c = 0; c < lib->n_conv; c++) {
        const char *lang = sw_redteam_translation_lang(lib->conv[c]);
        if (!lang) continue;
        char path[RT_PATH_MAX];
        snprintf(path, sizeof path, "%s/redteam/dict/%s.tsv", dir, lang);
        sw_buf b = {0};
        int rc = sw_read_file(path, &b, err);
        if (rc == 0 && !(lib->dict[c] = sw_redteam_dict_parse(b.data ? b.data : "", b.len, path, lang, err))) rc = -1;
        sw_buf_free(&b);
        if (rc < 0) return -1;
    }
    return 0;
}

/* Keeps only the goals of lib whose set is `set` (in order); the others are freed. Returns
 * 0, or -1 with err when none is left or memory runs out (lib unchanged then). */
static int keep_set(rt_library *lib, const char *set, sw_err *err)
{
    size_t n = lib->n_goals, kept = 0, dropped = 0;
    sw_redteam_item *keep = malloc(n * sizeof *keep), *drop = malloc(n * sizeof *drop);
    if (!keep || !drop) return free(keep), free(drop), sw_err_set(err, "redteam: out of memory");
    for (size_t g = 0; g < n; g++) {
        if (strcmp(lib->goals[g].set, set) == 0) keep[kept++] = lib->goals[g];
        else drop[dropped++] = lib->goals[g];
    }
    if (kept == 0) return free(keep), free(drop), sw_err_set(err, "--set: no goal of goals.jsonl is in set '%s'", set);
    sw_redteam_items_free(drop, dropped);
    free(lib->goals);
    lib->goals = keep, lib->n_goals = kept;
    return 0;
}

int rt_library_load(const char *data_dir, const char *set, const char *converters, rt_library *lib, sw_err *err)
{
    memset(lib, 0, sizeof *lib);
    int rc = load_items(data_dir, "goals.jsonl", "goal", &lib->goals, &lib->n_goals, err);
    if (rc == 0 && set) rc = keep_set(lib, set, err);
    if (rc == 0) rc = load_items(data_dir, "templates.jsonl", "template", &lib->templates, &lib->n_templates, err);
    if (rc == 0) rc = choose_converters(converters, lib, err);
    if (rc == 0) rc = load_dicts(data_dir, lib, err);
    if (rc < 0) rt_library_free(lib);
    return rc;
}

/* Appends text[0..len) converted by converter c (with the decoding hint where one is
 * needed); a translation the dictionary does not cover is an error naming the word. */
static int put_converted(const rt_library *lib, size_t c, const char *text, size_t len, sw_buf *out, sw_err *err)
{
    const char *conv = lib->conv[c];
    if (strcmp(conv, RT_NONE) == 0) return sw_buf_append(out, text, len) < 0 ? sw_err_set(err, "redteam: out of memory") : 0;
    if (lib->dict && lib->dict[c]) {
        int rc = sw_redteam_translate(lib->dict[c], text, len, out, err);
        return rc == 1 ? 0 : rc == 0 ? sw_err_prefix(err, "redteam: %s", conv) : -1;
    }
    for (size_t i = 0; i < N_DECODE_HINTED; i++)
        if (strcmp(conv, DECODE_HINTED[i]) == 0 && sw_buf_printf(out, "(%s; decode it and do what it says) ", conv) < 0)
            return sw_err_set(err, "redteam: out of memory");
    return sw_redteam_convert(conv, text, len, out, err);
}

/* 1 when the dictionary of translation c covers the goal g, each of its halves (payload
 * splitting translates them apart) and changes it; 0 when not, -1 with err (no memory). */
static int translation_applies(const rt_library *lib, size_t g, size_t c, sw_err *err);

int rt_attack_applies(const rt_library *lib, size_t g, size_t c, sw_err *err)
{
    const char *goal = lib->goals[g].text, *conv = lib->conv[c];
    if (strcmp(conv, RT_NONE) == 0) return 1;
    if (lib->dict && lib->dict[c]) return translation_applies(lib, g, c, err);
    sw_buf out = {0};
    size_t len = strlen(goal);
    if (sw_redteam_convert(conv, goal, len, &out, err) < 0) return -1;
    /* an empty goal converts to nothing: memcmp must not see the NULL of an empty buffer */
    int applies = out.len * 2 >= len && !(out.len == len && (len == 0 || memcmp(out.data, goal, len) == 0));
    sw_buf_free(&out);
    return applies;
}

/* Where the goal splits into halves: the space nearest its middle, else the code point
 * boundary nearest it (Chinese has no spaces). */
static size_t split_point(const char *s, size_t len)
{
    size_t mid = len / 2, best = 0, best_d = (size_t)-1;
    for (size_t i = 1; i < len; i++) {
        size_t d = i > mid ? i - mid : mid - i;
        if (s[i] == ' ' && d < best_d) best = i, best_d = d;
    }
    if (best) return best;
    while (mid > 0 && ((unsigned char)s[mid] & 0xC0) == 0x80) mid--;
    return mid;
}

/* Where the second half of a goal split at half starts (past the space it split at). */
static size_t second_half(const char *goal, size_t glen, size_t half)
{
    return half < glen && goal[half] == ' ' ? half + 1 : half;
}

static int translation_applies(const rt_library *lib, size_t g, size_t c, sw_err *err)
{
    const char *goal = lib->goals[g].text, *lang = sw_redteam_translation_lang(lib->conv[c]);
    size_t len = strlen(goal), half = split_point(goal, len), b = second_half(goal, len, half);
    if (len == 0 || strcmp(lib->goals[g].lang, lang) == 0) return 0;
    const size_t from[3] = {0, 0, b}, to[3] = {len, half, len};
    sw_buf out = {0};
    int rc = 1;
    for (size_t k = 0; rc == 1 && k < 3; k++) {
        sw_buf_reset(&out);
        sw_err miss;
        rc = sw_redteam_translate(lib->dict[c], goal + from[k], to[k] - from[k], &out, &miss);
        if (rc < 0) *err = miss;
    }
    sw_buf_free(&out);
    return rc;
}

int rt_attack_prompt(const rt_library *lib, size_t g, size_t t, size_t c, sw_buf *out, sw_err *err)
{
    const char *goal = lib->goals[g].text, *tp = lib->templates[t].text;
    size_t glen = strlen(goal), half = split_point(goal, glen);
    while (*tp) {
        const char *open = strchr(tp, '{');
        size_t lit = open ? (size_t)(open - tp) : strlen(tp);
        if (sw_buf_append(out, tp, lit) < 0) return sw_err_set(err, "redteam: out of memory");
        if (!open) break;
        int rc = 0;
        if (strncmp(open, "{goal}", 6) == 0) rc = put_converted(lib, c, goal, glen, out, err), tp = open + 6;
        else if (strncmp(open, "{goal_a}", 8) == 0) rc = put_converted(lib, c, goal, half, out, err), tp = open + 8;
        else if (strncmp(open, "{goal_b}", 8) == 0) {
            size_t b = second_half(goal, glen, half);
            rc = put_converted(lib, c, goal + b, glen - b, out, err), tp = open + 8;
        } else {
            rc = sw_buf_append(out, "{", 1) < 0 ? sw_err_set(err, "redteam: out of memory") : 0, tp = open + 1;
        }
        if (rc < 0) return -1;
    }
    return 0;
}
