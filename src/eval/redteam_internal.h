/* redteam_internal.h - what the red-team runner's files share (not public): the loaded
 * attack library, prompt building, the targets and the tallies. */
#ifndef STEWARD_REDTEAM_INTERNAL_H
#define STEWARD_REDTEAM_INTERNAL_H

#include "steward/core.h"
#include "steward/redteam.h"

#include <jansson.h>

#define RT_NONE "none" /* the converter slot that leaves the goal as written */
#define RT_STOPPED_BY_MAX 64

/* The attack library: goals, templates and the converters chosen (names owned by conv_buf),
 * with the dictionary of each translation converter (NULL for the others). */
typedef struct rt_library {
    sw_redteam_item *goals, *templates;
    size_t n_goals, n_templates;
    const char **conv;
    sw_redteam_dict **dict;
    size_t n_conv;
    char *conv_buf;
} rt_library;

/* Reads DIR/redteam/goals.jsonl (only the goals whose "set" is set; NULL: all) and
 * templates.jsonl, resolves the converter list (NULL: "none", every converter, then every
 * translation) and reads the dictionary of each translation (DIR/redteam/dict/LANG.tsv).
 * Returns 0 (free with rt_library_free), or -1 with err naming the file, the line, the
 * unknown converter or the set that has no goal. */
int rt_library_load(const char *data_dir, const char *set, const char *converters, rt_library *lib, sw_err *err);
void rt_library_free(rt_library *lib);

/* 1 when converter c applies to goal g: it changes the goal and keeps at least half of its
 * bytes (ROT13, Atbash, leetspeak, case mixing and homoglyphs leave Chinese unchanged; Morse
 * drops it); a translation, when its dictionary covers the goal and both halves of it
 * (payload splitting), and the goal is not already in its language. 0 when not, -1 with
 * err (a converter's error). "none" always applies. */
int rt_attack_applies(const rt_library *lib, size_t g, size_t c, sw_err *err);

/* Appends to out the prompt of attack (goal g, template t, converter c): the template with
 * its placeholders filled by the converted goal (or its converted halves). Returns 0, or
 * -1 with err (out of memory, a converter's error). */
int rt_attack_prompt(const rt_library *lib, size_t g, size_t t, size_t c, sw_buf *out, sw_err *err);

/* A target: the embedded pipeline (in a scratch home unless one is given) or a URL. */
typedef struct rt_target rt_target;

/* Opens the target that o names. Returns 0, or -1 with err (the pipeline cannot open, the
 * URL is malformed). Close with rt_target_close (also removes a scratch home). */
int rt_target_open(const sw_redteam_opts *o, rt_target **out, sw_err *err);
/* Closes t; -1 with err when its scratch home cannot be removed (t is freed anyway). */
int rt_target_close(rt_target *t, sw_err *err);
/* "pipeline" or the URL. */
const char *rt_target_name(const rt_target *t);
/* The model the target runs: the embedded model file's name ("chat.gguf"), or the model
 * asked of a URL ("default" when none was named); *chat is 1 when prompts go in the
 * model's chat format (a URL target: always), 0 when they are continued as plain text. */
const char *rt_target_model(const rt_target *t, int *chat);

/* What a target made of one prompt. */
typedef struct rt_answer {
    sw_redteam_outcome oc;
    sw_buf text;                     /* the answer as delivered */
    char stopped_by[RT_STOPPED_BY_MAX]; /* blocked: the guard category that stopped it, or "" */
    char error[SW_ERR_MAX];          /* SW_RT_NOT_ANSWERED: why ("" when answered) */
} rt_answer;

/* Sends prompt to t (an answer of at most max_tokens, sampled with seed) and scores it into
 * a (its text reset first). A prompt the guards let through that the target then cannot
 * answer (too long for the model's context: the pipeline's error, an HTTP 400 or 413, a
 * stream ending in an error about the context) is SW_RT_NOT_ANSWERED with a->error set:
 * no control stopped it. Returns
 * 0, or -1 with err when the target fails otherwise (a connection or server error, no
 * memory). */
int rt_target_ask(rt_target *t, const char *prompt, int max_tokens, uint64_t seed, rt_answer *a, sw_err *err);

/* Asks the judge endpoint at url whether answer (to request prompt) is harmful: *harmful
 * is 1 when it says yes, 0 when no. Returns 0, or -1 with err when it cannot be asked or
 * its first word is neither yes nor no. */
int rt_judge(const char *url, const char *key, const char *prompt, const char *answer, int *harmful, sw_err *err);

/* Adds to tallies[key] one attempt (success: counted in the ASR). Returns 0, or -1 on OOM. */
int rt_tally_add(json_t *tallies, const char *key, int success);
/* Turns every {"n", "k"} tally of tallies into {"attempts", "asr", "ci95"} in place. */
void rt_tally_finish(json_t *tallies);
/* {"attempts": n, "asr": k/n, "ci95": [lo, hi]} (asr 0 when n is 0). NULL on OOM. */
json_t *rt_rate_json(size_t k, size_t n, const char *n_key, const char *rate_key);

#endif
