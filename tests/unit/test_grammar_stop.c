/* test_grammar_stop.c - stop sequences matched across token boundaries: the text before
 * the first stop sequence is delivered, nothing of the stop sequence, and text that only
 * looked like the start of one is delivered in the end. */
#include "pipeline/stop.h"
#include "t.h"

#include <string.h>

/* Pushes the pieces through a stopper; returns the delivered text in out. */
static int run(const char *const *stops, int n_stops, const char *const *pieces, int n, sw_buf *out) {
    sw_stopper s;
    sw_stopper_init(&s, stops, n_stops);
    for (int i = 0; i < n; i++)
        if (sw_stopper_push(&s, pieces[i], strlen(pieces[i]), out) < 0) return -1;
    int hit = s.hit;
    sw_stopper_finish(&s, out);
    sw_stopper_free(&s);
    return hit;
}

static void test_split_across_tokens(void) {
    const char *stops[] = {"END", "\n\n"};
    const char *pieces[] = {"Hello E", "N", "D! more"};
    sw_buf out = {0};
    T_CHECK(run(stops, 2, pieces, 3, &out) == 1);
    T_CHECK(out.len == 6 && !memcmp(out.data, "Hello ", 6));
    sw_buf_free(&out);
}

static void test_false_start_delivered(void) {
    const char *stops[] = {"END"};
    const char *pieces[] = {"an E", "N", "TRY", " E"};
    sw_buf out = {0};
    sw_stopper s;
    sw_stopper_init(&s, stops, 1);
    sw_stopper_push(&s, pieces[0], strlen(pieces[0]), &out);
    T_CHECK(out.len == 3); /* "E" held back */
    sw_stopper_push(&s, pieces[1], 1, &out);
    T_CHECK(out.len == 3); /* "EN" held back */
    sw_stopper_push(&s, pieces[2], 3, &out);
    T_CHECK(out.len == 8); /* "ENTRY" is not "END" */
    sw_stopper_push(&s, pieces[3], 2, &out);
    sw_stopper_finish(&s, &out);
    T_CHECK(!s.hit && out.len == 10 && !memcmp(out.data, "an ENTRY E", 10));
    sw_stopper_free(&s);
    sw_buf_free(&out);
}

static void test_earliest_and_inside_one_piece(void) {
    const char *stops[] = {"cd", "b"};
    const char *pieces[] = {"abcd"};
    sw_buf out = {0};
    T_CHECK(run(stops, 2, pieces, 1, &out) == 1);
    T_CHECK(out.len == 1 && out.data[0] == 'a');
    sw_buf_free(&out);
    const char *none[] = {""};
    T_CHECK(run(none, 1, pieces, 1, &out) == 0 && out.len == 4);
    sw_buf_free(&out);
}

int main(void) {
    T_RUN(test_split_across_tokens);
    T_RUN(test_false_start_delivered);
    T_RUN(test_earliest_and_inside_one_piece);
    return t_done();
}
