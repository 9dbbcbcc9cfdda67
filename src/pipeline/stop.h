/* stop.h - stop sequences matched across token boundaries: text is held back while it
 * could still be the start of a stop sequence, and the stop sequence is never delivered. */
#ifndef STEWARD_PIPELINE_STOP_H
#define STEWARD_PIPELINE_STOP_H

#include "steward/core.h"

typedef struct sw_stopper {
    const char *const *stops; /* borrowed; empty strings are ignored */
    int n_stops;
    sw_buf pending; /* generated text not yet delivered */
    int hit;        /* a stop sequence was found */
} sw_stopper;

/* Starts matching the n stop sequences (borrowed: they must outlive the stopper). */
void sw_stopper_init(sw_stopper *s, const char *const *stops, int n);
void sw_stopper_free(sw_stopper *s);
/* Adds generated text; appends to out what can be delivered now (all of it, less a tail
 * that may begin a stop sequence; with a stop sequence found, the text before it, and
 * s->hit is set). -1 when out of memory. */
int sw_stopper_push(sw_stopper *s, const char *text, size_t len, sw_buf *out);
/* At the end: appends what is still held back (nothing after a hit). -1: no memory. */
int sw_stopper_finish(sw_stopper *s, sw_buf *out);

#endif
