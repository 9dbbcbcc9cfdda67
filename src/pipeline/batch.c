/* batch.c - the runtime's decoder: one thread runs the model for every request; at each
 * step it evaluates the next token of every running sequence in one pass
 * (sw_ctx_eval_multi), so N streams cost far less than N times one. Requests join and
 * leave between steps (continuous batching). */
#include "batch.h"

#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef enum { JOB_SEQ, JOB_CALL } job_kind;

/* A request to the decoder: a sequence to decode, or a function to run with a context.
 * Lives on the requesting thread's stack until done is set. */
typedef struct job {
    struct job *next;
    job_kind kind;
    /* JOB_SEQ */
    const int32_t *prompt;
    int n_prompt;
    const sw_seq_ops *ops;
    sw_seq_stats *stats;
    int slot;
    int n_past;          /* positions in the slot's KV cache */
    int32_t next_tok;    /* chosen by the last step, to be evaluated */
    const float *logits; /* what the next step reads */
    uint64_t t_decode;   /* when the prompt was evaluated */
    /* JOB_CALL */
    int (*fn)(void *ud, sw_ctx *ctx, sw_err *err);
    void *ud;
    /* outcome */
    int done, rc;
    sw_err err;
} job;

struct sw_batch {
    const sw_model *m;
    int parallel, n_ctx, threads, n_vocab;
    sw_ctx **ctx;       /* [parallel + 1]: one per slot, the last for sw_batch_call */
    int *slot_busy;     /* [parallel] */
    float *slot_logits; /* [parallel][n_vocab]: a slot's logits after its prompt or a shift */
    float *step_logits; /* [parallel][n_vocab]: the rows of the last batched pass */
    struct job **active; /* [parallel]: the decoder's running sequences */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t work;      /* the decoder waits for jobs */
    pthread_cond_t done;      /* requesters wait for their job */
    pthread_cond_t slot_free; /* requesters wait for a slot */
    job *pending, **pending_tail;
    int stopping, running, waiting;
};

static void *decoder_main(void *arg);

sw_batch *sw_batch_new(const sw_model *m, int parallel, int n_ctx, int threads, sw_err *err) {
    sw_batch *b = calloc(1, sizeof *b);
    if (!b) goto oom;
    b->m = m;
    b->parallel = parallel > 0 ? parallel : 1;
    b->n_ctx = n_ctx;
    b->threads = threads > 0 ? threads : 1;
    b->n_vocab = sw_model_hparams(m)->n_vocab;
    b->ctx = calloc((size_t)b->parallel + 1, sizeof *b->ctx);
    b->slot_busy = calloc((size_t)b->parallel, sizeof *b->slot_busy);
    b->slot_logits = malloc((size_t)b->parallel * (size_t)b->n_vocab * sizeof(float));
    b->step_logits = malloc((size_t)b->parallel * (size_t)b->n_vocab * sizeof(float));
    b->active = calloc((size_t)b->parallel, sizeof *b->active);
    if (!b->ctx || !b->slot_busy || !b->slot_logits || !b->step_logits || !b->active) goto oom;
    b->pending_tail = &b->pending;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->work, NULL);
    pthread_cond_init(&b->done, NULL);
    pthread_cond_init(&b->slot_free, NULL);
    if (pthread_create(&b->thread, NULL, decoder_main, b) != 0) {
        sw_err_set(err, "cannot start the decoder thread");
        sw_batch_free(b);
        return NULL;
    }
    b->thread_started = 1;
    return b;
oom:
    sw_err_set(err, "out of memory for a decoder of %d sequences", parallel);
    sw_batch_free(b);
    return NULL;
}

void sw_batch_free(sw_batch *b) {
    if (!b) return;
    if (b->thread_started) {
        pthread_mutex_lock(&b->mu);
        b->stopping = 1;
        pthread_cond_signal(&b->work);
        pthread_mutex_unlock(&b->mu);
        pthread_join(b->thread, NULL);
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->work);
        pthread_cond_destroy(&b->done);
        pthread_cond_destroy(&b->slot_free);
    }
    for (int i = 0; b->ctx && i <= b->parallel; i++) sw_ctx_free(b->ctx[i]);
    free(b->ctx);
    free(b->slot_busy);
    free(b->slot_logits);
    free(b->step_logits);
    free(b->active);
    free(b);
}

int sw_batch_n_ctx(const sw_batch *b) { return b->n_ctx; }

void sw_batch_load(sw_batch *b, int *running, int *waiting) {
    pthread_mutex_lock(&b->mu);
    *running = b->running;
    *waiting = b->waiting;
    pthread_mutex_unlock(&b->mu);
}

/* ---- the requesting side ---- */

/* Hands a job to the decoder and waits until it is done. */
static int submit_and_wait(sw_batch *b, job *j, sw_err *err) {
    pthread_mutex_lock(&b->mu);
    *b->pending_tail = j;
    b->pending_tail = &j->next;
    pthread_cond_signal(&b->work);
    while (!j->done) pthread_cond_wait(&b->done, &b->mu);
    pthread_mutex_unlock(&b->mu);
    if (j->rc < 0 && err) *err = j->err;
    return j->rc;
}

int sw_batch_run(sw_batch *b, const int32_t *prompt, int n_prompt, const sw_seq_ops *ops, sw_seq_stats *stats,
                 sw_err *err) {
    if (n_prompt <= 0 || n_prompt >= b->n_ctx)
        return sw_err_set(err, "the prompt has %d tokens; the context holds %d", n_prompt, b->n_ctx);
    job j = {.kind = JOB_SEQ, .prompt = prompt, .n_prompt = n_prompt, .ops = ops, .stats = stats};
    memset(stats, 0, sizeof *stats);
    pthread_mutex_lock(&b->mu);
    b->waiting++;
    for (;;) {
        for (j.slot = 0; j.slot < b->parallel && b->slot_busy[j.slot]; j.slot++) {
        }
        if (j.slot < b->parallel) break;
        pthread_cond_wait(&b->slot_free, &b->mu);
    }
    b->waiting--;
    b->slot_busy[j.slot] = 1;
    b->running++;
    pthread_mutex_unlock(&b->mu);
    int rc = submit_and_wait(b, &j, err);
    pthread_mutex_lock(&b->mu);
    b->slot_busy[j.slot] = 0;
    b->running--;
    pthread_cond_signal(&b->slot_free);
    pthread_mutex_unlock(&b->mu);
    return rc;
}

int sw_batch_call(sw_batch *b, int (*fn)(void *ud, sw_ctx *ctx, sw_err *err), void *ud, sw_err *err) {
    job j = {.kind = JOB_CALL, .fn = fn, .ud = ud, .slot = b->parallel};
    return submit_and_wait(b, &j, err);
}

/* ---- the decoder's side ---- */

static void finish(sw_batch *b, job *j, int rc) {
    if (j->kind == JOB_SEQ) j->stats->decode_ns = sw_now_ns() - j->t_decode;
    pthread_mutex_lock(&b->mu);
    j->rc = rc;
    j->done = 1;
    pthread_cond_broadcast(&b->done);
    pthread_mutex_unlock(&b->mu);
}

/* The context of a slot, made when first used. NULL with err when out of memory. */
static sw_ctx *slot_ctx(sw_batch *b, int slot, sw_err *err) {
    if (!b->ctx[slot]) b->ctx[slot] = sw_ctx_new(b->m, b->n_ctx, err);
    return b->ctx[slot];
}

/* Evaluates tokens from position 0 of the job's slot (its prompt, or the window of a
 * context shift); the logits go to the slot's row. */
static int eval_from_start(sw_batch *b, job *j, const int32_t *tokens, int n) {
    sw_ctx *c = slot_ctx(b, j->slot, &j->err);
    float *row = b->slot_logits + (size_t)j->slot * (size_t)b->n_vocab;
    if (!c || sw_ctx_eval(c, tokens, n, 0, row, NULL, &j->err) < 0) return -1;
    j->n_past = n;
    j->logits = row;
    return 0;
}

/* Starts the jobs taken from the queue: runs the calls, evaluates the prompts. Returns
 * the new number of active sequences. */
static int start_jobs(sw_batch *b, job *list, job **active, int n_active) {
    while (list) {
        job *j = list;
        list = j->next;
        if (j->kind == JOB_CALL) {
            sw_ctx *c = slot_ctx(b, j->slot, &j->err);
            finish(b, j, c ? j->fn(j->ud, c, &j->err) : -1);
            continue;
        }
        uint64_t t0 = sw_now_ns();
        if (eval_from_start(b, j, j->prompt, j->n_prompt) < 0) {
            j->t_decode = sw_now_ns();
            finish(b, j, -1);
            continue;
        }
        j->t_decode = sw_now_ns();
        j->stats->prompt_ns = j->t_decode - t0;
        active[n_active++] = j;
    }
    return n_active;
}

/* One step of every active sequence: each chooses its next token from its logits (the
 * sequences' steps are independent, so they run on the team's threads); those with a
 * full context shift it; the rest are evaluated together in one pass. Ended sequences
 * leave. Returns the new number of active sequences. */
static int step_all(sw_batch *b, job **active, int n_active) {
    sw_ctx *ctxs[n_active];
    int32_t toks[n_active];
    int pos[n_active], r[n_active];
    job *in_pass[n_active];
    int n_pass = 0, kept = 0;
#pragma omp parallel for schedule(dynamic) if (n_active > 1)
    for (int i = 0; i < n_active; i++)
        r[i] = active[i]->ops->step(active[i]->ops->ud, active[i]->logits, &active[i]->next_tok, &active[i]->err);
    for (int i = 0; i < n_active; i++) {
        job *j = active[i];
        if (r[i] <= 0) {
            finish(b, j, r[i]);
            continue;
        }
        active[kept++] = j;
        if (j->n_past == b->n_ctx) {
            const int32_t *win;
            int n;
            if (j->ops->shift(j->ops->ud, j->next_tok, &win, &n, &j->err) < 0 || eval_from_start(b, j, win, n) < 0) {
                kept--;
                finish(b, j, -1);
                continue;
            }
            j->stats->shifts++;
            continue;
        }
        ctxs[n_pass] = b->ctx[j->slot];
        toks[n_pass] = j->next_tok;
        pos[n_pass] = j->n_past;
        in_pass[n_pass++] = j;
    }
    if (n_pass == 0) return kept;
    sw_err err;
    if (sw_ctx_eval_multi(ctxs, toks, pos, n_pass, b->step_logits, &err) < 0) {
        /* the pass's sequences end with its error; those that shifted go on (they are
         * dropped from the list before they are finished: a finished job is gone) */
        int k = 0;
        for (int i = 0; i < kept; i++) {
            int in = 0;
            for (int p = 0; p < n_pass; p++) in |= active[i] == in_pass[p];
            if (!in) active[k++] = active[i];
        }
        for (int i = 0; i < n_pass; i++) {
            in_pass[i]->err = err;
            finish(b, in_pass[i], -1);
        }
        return k;
    }
    for (int i = 0; i < n_pass; i++) {
        in_pass[i]->logits = b->step_logits + (size_t)i * (size_t)b->n_vocab;
        in_pass[i]->n_past++;
    }
    return kept;
}

static void *decoder_main(void *arg) {
    sw_batch *b = arg;
    omp_set_num_threads(b->threads);
    job **active = b->active;
    int n_active = 0;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->pending && n_active == 0 && !b->stopping) pthread_cond_wait(&b->work, &b->mu);
        if (!b->pending && n_active == 0 && b->stopping) break;
        job *list = b->pending;
        b->pending = NULL;
        b->pending_tail = &b->pending;
        pthread_mutex_unlock(&b->mu);
        n_active = start_jobs(b, list, active, n_active);
        if (n_active) n_active = step_all(b, active, n_active);
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}
