/* test_train_export.c - the exported GGUF computes what the training forward computes:
 * sw_model_load on the file gives the same logits; the trainer's BPE vocabulary,
 * loaded by the engine's tokenizer, encodes text exactly as the trainer's encoder. */
#include "steward/model.h"
#include "steward/tokenizer.h"
#include "steward/train.h"
#include "t.h"

#include <stdlib.h>
#include <unistd.h>

static const char text[] =
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\nAll:\nResolved. resolved.\n\n"
    "First Citizen:\nFirst, you know Caius Marcius is chief enemy to the people.\n";

static void export_file(sw_tmodel *m, const sw_bpe *b, const char *path) {
    sw_err err = {{0}};
    sw_gguf_writer *w = sw_gguf_writer_new();
    T_CHECK(sw_bpe_put_gguf(w, b, &err) == 0);
    T_CHECK_MSG(sw_tmodel_put_gguf(w, m, &err) == 0, "%s", err.msg);
    T_CHECK_MSG(sw_gguf_write(w, path, &err) == 0, "%s", err.msg);
    sw_gguf_writer_free(w);
}

static void check_logits(int tied, int n_head_kv) {
    sw_err err = {{0}};
    sw_bpe b;
    T_CHECK(sw_bpe_train(text, sizeof text - 1, 300, &b, &err) == 0);
    sw_tconfig cfg = {.n_vocab = b.n_vocab, .n_ctx = 24, .n_embd = 32, .n_layer = 2, .n_head = 4,
                      .n_head_kv = n_head_kv, .n_ff = 48, .tied = tied};
    int T = 20;
    sw_tmodel *m = sw_tmodel_new(&cfg, 1, T, &err);
    T_CHECK_MSG(m != NULL, "%s", err.msg);
    sw_tmodel_init(m, 5);
    /* spread the weights so that the logits differ visibly between positions */
    size_t np;
    float *p = sw_tmodel_params(m, &np);
    sw_rng r;
    sw_rng_seed(&r, 3);
    for (size_t i = 0; i < np; i++) p[i] += (float)(sw_rng_normal(&r) * 0.1);
    int32_t *ids = NULL;
    size_t n = 0;
    T_CHECK(sw_bpe_encode(&b, text, sizeof text - 1, &ids, &n, &err) == 0 && n >= (size_t)T);
    sw_tmodel_forward(m, ids, NULL);
    const float *lt = sw_tmodel_logits(m);

    char path[] = "/tmp/steward-export-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    export_file(m, &b, path);
    sw_model *em = NULL;
    T_CHECK_MSG(sw_model_load(path, &em, &err) == 0, "%s", err.msg);
    if (em) {
        const sw_hparams *hp = sw_model_hparams(em);
        T_CHECK(hp->n_vocab == b.n_vocab && hp->n_layer == 2 && hp->n_head_kv == n_head_kv && hp->tied_output == tied);
        sw_ctx *c = sw_ctx_new(em, 24, &err);
        float *le = malloc((size_t)T * b.n_vocab * sizeof(float));
        T_CHECK(sw_ctx_eval(c, ids, T, 0, NULL, le, &err) == 0);
        double worst = 0, scale = 0;
        for (size_t i = 0; i < (size_t)T * b.n_vocab; i++) {
            worst = fmax(worst, fabs(le[i] - lt[i]));
            scale = fmax(scale, fabs(lt[i]));
        }
        T_CHECK_MSG(worst <= 1e-4 * fmax(scale, 1), "max |engine - training| logit %g (scale %g)", worst, scale);
        /* the engine's tokenizer encodes as the trainer's encoder does */
        const sw_tokenizer *tk = sw_model_tokenizer(em);
        int32_t *eids = NULL;
        size_t en = 0;
        T_CHECK(sw_tokenize(tk, text, sizeof text - 1, 0, &eids, &en, &err) == 0);
        T_CHECK_MSG(en == n && memcmp(eids, ids, n * sizeof *ids) == 0, "engine %zu tokens, trainer %zu", en, n);
        T_CHECK(sw_tokenizer_eos(tk) == b.eos_id);
        free(eids);
        free(le);
        sw_ctx_free(c);
        sw_model_free(em);
    }
    /* the vocabulary reads back from the file */
    sw_gguf *g = NULL;
    T_CHECK(sw_gguf_open(path, &g, &err) == 0);
    sw_bpe b2;
    T_CHECK_MSG(sw_bpe_from_gguf(g, &b2, &err) == 0, "%s", err.msg);
    int32_t *ids2 = NULL;
    size_t n2 = 0;
    T_CHECK(sw_bpe_encode(&b2, text, sizeof text - 1, &ids2, &n2, &err) == 0);
    T_CHECK(n2 == n && memcmp(ids, ids2, n * sizeof *ids) == 0);
    free(ids2);
    sw_bpe_free(&b2);
    sw_gguf_close(g);
    unlink(path);
    free(ids);
    sw_tmodel_free(m);
    sw_bpe_free(&b);
}

static void test_export_tied_gqa(void) { check_logits(1, 2); }
static void test_export_untied_mha(void) { check_logits(0, 4); }

/* On real text: the engine tokenizer and the trainer's encoder agree on a larger corpus. */
static void test_tokenizer_parity_shakespeare(void) {
    const char *root = getenv("STEWARD_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/corpus/tinyshakespeare/train.txt", root ? root : ".");
    sw_buf buf = {0};
    sw_err err = {{0}};
    if (sw_read_file(path, &buf, &err)) {
        T_CHECK_MSG(0, "%s", err.msg);
        return;
    }
    size_t len = buf.len > 200000 ? 200000 : buf.len;
    sw_bpe b;
    T_CHECK(sw_bpe_train(buf.data, len, 1024, &b, &err) == 0);
    sw_gguf_writer *w = sw_gguf_writer_new();
    sw_bpe_put_gguf(w, &b, &err);
    char out[] = "/tmp/steward-tok-XXXXXX";
    close(mkstemp(out));
    T_CHECK(sw_gguf_write(w, out, &err) == 0);
    sw_gguf_writer_free(w);
    sw_gguf *g = NULL;
    sw_tokenizer *tk = NULL;
    T_CHECK(sw_gguf_open(out, &g, &err) == 0);
    T_CHECK_MSG(sw_tokenizer_from_gguf(g, &tk, &err) == 0, "%s", err.msg);
    int32_t *a = NULL, *e = NULL;
    size_t na = 0, ne = 0;
    sw_bpe_encode(&b, buf.data, buf.len, &a, &na, &err);
    sw_tokenize(tk, buf.data, buf.len, 0, &e, &ne, &err);
    size_t first = 0;
    while (first < na && first < ne && a[first] == e[first]) first++;
    T_CHECK_MSG(na == ne && first == na, "trainer %zu tokens, engine %zu, first difference at %zu", na, ne, first);
    free(a);
    free(e);
    sw_tokenizer_free(tk);
    sw_gguf_close(g);
    unlink(out);
    sw_bpe_free(&b);
    sw_buf_free(&buf);
}

int main(void) {
    T_RUN(test_export_tied_gqa);
    T_RUN(test_export_untied_mha);
    T_RUN(test_tokenizer_parity_shakespeare);
    return t_done();
}
