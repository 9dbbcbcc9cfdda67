/* outguard.h - the output stage of the pipeline: generated text goes through the
 * streaming output guard and reaches the client only once the guard has cleared it.
 * Not public. */
#ifndef STEWARD_OUTGUARD_H
#define STEWARD_OUTGUARD_H

#include "steward/guard.h"
#include "steward/pipeline.h"

/* Text is held back this many bytes behind the generation: longer than any keyword or
 * identifier the guard matches, so a finding is always known before its bytes leave. */
#define SW_OUTGUARD_HOLD 160

typedef struct sw_outguard {
    const sw_guard *guard;
    sw_guard_stream *stream; /* NULL when no guard is loaded */
    sw_text_fn emit;         /* may be NULL */
    void *ud;
    sw_buf raw;              /* everything generated */
    size_t emitted;          /* raw bytes already delivered */
    int holding;             /* a finding needs the whole text: deliver at the end */
    int stopped;             /* the guard stopped the generation */
    int halted;              /* emit answered SW_TEXT_HALT: nothing more is delivered */
} sw_outguard;

/* Starts the stage. guard may be NULL (text then passes straight through). With
 * hold_all, nothing is delivered before the end (used when the input was redacted, so
 * that values restored in the output never leave unrestored). -1 on OOM. */
int sw_outguard_begin(sw_outguard *o, const sw_guard *guard, int hold_all, sw_text_fn emit, void *ud,
                      sw_err *err);
/* Adds generated text; delivers what is cleared. *stop is set when the guard blocks or
 * sends to review (the caller stops generating) or when the client asked to stop. */
int sw_outguard_push(sw_outguard *o, const char *text, size_t len, int *stop, sw_err *err);
/* Ends the stream and fills delivered (what the client receives as the text, redacted
 * as the policy says, restored where the input had encrypted values) and the action.
 * Delivers the rest, unless the action is block or review or a halt stopped delivery
 * (then delivered is what the client had received before it). */
int sw_outguard_finish(sw_outguard *o, sw_buf *delivered, sw_guard_action *action, sw_err *err);
/* The output verdict (NULL without a guard). */
const sw_guard_verdict *sw_outguard_verdict(const sw_outguard *o);
void sw_outguard_free(sw_outguard *o);

#endif
