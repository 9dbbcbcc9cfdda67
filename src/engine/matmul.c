/* matmul.c - sw_matmul: quantises the activations to the weight type's 8-bit form, then
 * runs the dot-product kernels over rows with OpenMP. Also the portable C kernels and
 * the run-time choice between them and the AVX2 ones (matmul_avx2.c). */
#include "engine/kernels.h"

#include <math.h>
#include <pthread.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <stdlib.h>
#include <string.h>

/* ---- portable kernels: exact integer sums per block, float across blocks ---- */

/* sum a[i]*b[i] in 8 interleaved partial sums (vectorisable, and independent chains) */
static float dot_plain(const float *a, const float *b, int64_t n) {
    float acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) acc[k] += a[i + k] * b[i + k];
    for (; i < n; i++) acc[0] += a[i] * b[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static void dot_f32(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    for (int j = 0; j < nx; j++) s[j] = dot_plain(w, (const float *)((const char *)x + j * xs), n);
}

static void dot_f16(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    const uint16_t *a = w;
    float wf[256];
    for (int j = 0; j < nx; j++) s[j] = 0;
    for (int64_t i0 = 0; i0 < n; i0 += 256) { /* convert a slice once for all nx rows */
        int m = n - i0 < 256 ? (int)(n - i0) : 256;
#pragma omp simd
        for (int i = 0; i < m; i++) wf[i] = sw_half_to_float(a[i0 + i]);
        for (int j = 0; j < nx; j++) s[j] += dot_plain(wf, (const float *)((const char *)x + j * xs) + i0, m);
    }
}

static void dot_bf16(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    const uint16_t *a = w;
    float wf[256];
    for (int j = 0; j < nx; j++) s[j] = 0;
    for (int64_t i0 = 0; i0 < n; i0 += 256) {
        int m = n - i0 < 256 ? (int)(n - i0) : 256;
#pragma omp simd
        for (int i = 0; i < m; i++) wf[i] = sw_bf16_to_float(a[i0 + i]);
        for (int j = 0; j < nx; j++) s[j] += dot_plain(wf, (const float *)((const char *)x + j * xs) + i0, m);
    }
}

static void dot_q8_0(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    const sw_block_q8_0 *a = w;
    for (int j = 0; j < nx; j++) {
        const sw_block_q8_0x *b = (const sw_block_q8_0x *)((const char *)x + j * xs);
        float acc = 0;
        for (int64_t i = 0; i < n / SW_QK8_0; i++) {
            int32_t sum = 0;
            for (int k = 0; k < SW_QK8_0; k++) sum += a[i].qs[k] * b[i].qs[k];
            acc += sw_half_to_float(a[i].d) * b[i].d * (float)sum;
        }
        s[j] = acc;
    }
}

static void dot_q4_0(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    const sw_block_q4_0 *a = w;
    for (int j = 0; j < nx; j++) {
        const sw_block_q8_0x *b = (const sw_block_q8_0x *)((const char *)x + j * xs);
        float acc = 0;
        for (int64_t i = 0; i < n / SW_QK4_0; i++) {
            int32_t sum = 0;
            for (int k = 0; k < SW_QK4_0 / 2; k++)
                sum += ((a[i].qs[k] & 0x0f) - 8) * b[i].qs[k] +
                       ((a[i].qs[k] >> 4) - 8) * b[i].qs[k + SW_QK4_0 / 2];
            acc += sw_half_to_float(a[i].d) * b[i].d * (float)sum;
        }
        s[j] = acc;
    }
}

static void dot_q5_0(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    const sw_block_q5_0 *a = w;
    for (int j = 0; j < nx; j++) s[j] = 0;
    for (int64_t i = 0; i < n / SW_QK5_0; i++) {
        int8_t q[SW_QK5_0]; /* unpacked once for all nx */
        sw_q5_0_unpack(&a[i], q);
        float d = sw_half_to_float(a[i].d);
        for (int j = 0; j < nx; j++) {
            const sw_block_q8_0x *b = (const sw_block_q8_0x *)((const char *)x + j * xs) + i;
            int32_t sum = 0;
            for (int e = 0; e < SW_QK5_0; e++) sum += q[e] * b->qs[e];
            s[j] += d * b->d * (float)sum;
        }
    }
}

static void dot_q4_K(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    const sw_block_q4_K *a = w;
    for (int j = 0; j < nx; j++) s[j] = 0;
    for (int64_t i = 0; i < n / SW_QK_K; i++) {
        uint8_t sc[8], mn[8];
        for (int k = 0; k < 8; k++) sw_q4_K_scale_min(a[i].scales, k, &sc[k], &mn[k]);
        float d = sw_half_to_float(a[i].d), dmin = sw_half_to_float(a[i].dmin);
        for (int j = 0; j < nx; j++) {
            const sw_block_q8_K *b = (const sw_block_q8_K *)((const char *)x + j * xs) + i;
            int32_t sumi = 0, summ = 0;
            for (int c = 0; c < 4; c++) {
                const uint8_t *q = a[i].qs + 32 * c;
                const int8_t *y = b->qs + 64 * c;
                int32_t lo = 0, hi = 0;
                for (int l = 0; l < 32; l++) {
                    lo += (q[l] & 0x0f) * y[l];
                    hi += (q[l] >> 4) * y[l + 32];
                }
                sumi += sc[2 * c] * lo + sc[2 * c + 1] * hi;
            }
            for (int k = 0; k < 8; k++) summ += mn[k] * (b->bsums[2 * k] + b->bsums[2 * k + 1]);
            s[j] += d * b->d * (float)sumi - dmin * b->d * (float)summ;
        }
    }
}

static void dot_q6_K(int64_t n, const void *w, const void *x, size_t xs, int nx, float *s) {
    const sw_block_q6_K *a = w;
    for (int j = 0; j < nx; j++) s[j] = 0;
    for (int64_t i = 0; i < n / SW_QK_K; i++) {
        uint8_t q[SW_QK_K]; /* 6-bit values 0..63, unpacked once for all nx */
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = a[i].ql + 64 * h, *qh = a[i].qh + 32 * h;
            uint8_t *o = q + 128 * h;
            for (int l = 0; l < 32; l++) {
                o[l] = (uint8_t)((ql[l] & 0x0f) | ((qh[l] & 3) << 4));
                o[l + 32] = (uint8_t)((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4));
                o[l + 64] = (uint8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
                o[l + 96] = (uint8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
            }
        }
        float d = sw_half_to_float(a[i].d);
        for (int j = 0; j < nx; j++) {
            const sw_block_q8_K *b = (const sw_block_q8_K *)((const char *)x + j * xs) + i;
            int32_t sumi = 0;
            for (int g = 0; g < 16; g++) {
                int32_t t = 0;
                for (int l = 0; l < 16; l++) t += q[16 * g + l] * b->qs[16 * g + l];
                sumi += a[i].scales[g] * (t - 32 * b->bsums[g]); /* (q-32)*y via the sums */
            }
            s[j] += d * b->d * (float)sumi;
        }
    }
}

static void to_q8_0(const float *x, void *yv, int64_t n) {
    sw_block_q8_0x *y = yv;
    for (int64_t i = 0; i < n / SW_QK8_0; i++) {
        sw_block_q8_0 q;
        sw_quantize_row(SW_TYPE_Q8_0, x + i * SW_QK8_0, &q, SW_QK8_0);
        y[i].d = sw_half_to_float(q.d);
        memcpy(y[i].qs, q.qs, sizeof q.qs);
    }
}
static void to_q8_K(const float *x, void *y, int64_t n) { sw_quantize_row_q8_K(x, y, n); }

static void swiglu(float *g, const float *u, int64_t n) {
    for (int64_t i = 0; i < n; i++) g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

const sw_kernel_table sw_kernels_portable = {
    "portable", dot_f32, dot_f16, dot_q4_0, dot_q8_0, dot_q4_K, dot_q6_K, dot_q5_0, to_q8_0,
    to_q8_K, dot_bf16, {NULL, NULL, NULL, NULL}, swiglu,
};

/* ---- run-time choice ---- */

static const sw_kernel_table *g_kernels;
static pthread_once_t g_kernels_once = PTHREAD_ONCE_INIT;

/* AVX2 and FMA through the compiler's CPU model (which also checks that the OS saves
 * the YMM registers); F16C from CPUID leaf 1 (ECX bit 29), which not every compiler's
 * __builtin_cpu_supports knows. */
static int cpu_has_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    return __get_cpuid(1, &a, &b, &c, &d) && (c >> 29 & 1);
#else
    return 0;
#endif
}

/* AVX-512 F/BW/VL/VNNI (the compiler's CPU model checks that the OS saves the ZMM
 * registers), on top of everything the AVX2 family needs. */
static int cpu_has_avx512(void) {
#if defined(__x86_64__) || defined(__i386__)
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

/* The AVX2 family with the AVX-512 tiles (filled in once, by kernels_init). */
static sw_kernel_table g_avx512;

/* The family called name if this CPU runs it, else NULL. */
static const sw_kernel_table *family(const char *name) {
    if (strcmp(name, "portable") == 0) return &sw_kernels_portable;
    if (strcmp(name, "avx2") == 0 && cpu_has_avx2()) return &sw_kernels_avx2;
    if (strcmp(name, "avx512") == 0 && cpu_has_avx512()) return &g_avx512;
    return NULL;
}

/* The best family the CPU has, or the one STEWARD_KERNELS names (when the CPU has it). */
static void kernels_init(void) {
    g_avx512 = sw_kernels_avx2;
    g_avx512.name = "avx512";
    g_avx512.tile = sw_tiles_avx512;
    const char *env = getenv("STEWARD_KERNELS");
    g_kernels = env ? family(env) : NULL;
    if (!g_kernels) g_kernels = family("avx512");
    if (!g_kernels) g_kernels = family("avx2");
    if (!g_kernels) g_kernels = &sw_kernels_portable;
}

const sw_kernel_table *sw_kernels(void) {
    pthread_once(&g_kernels_once, kernels_init);
    return g_kernels;
}

int sw_kernels_select(const char *name) {
    pthread_once(&g_kernels_once, kernels_init);
    const sw_kernel_table *k = family(name);
    if (!k) return -1;
    g_kernels = k;
    return 0;
}

const char *sw_kernels_name(void) { return sw_kernels()->name; }

/* ---- scratch for the quantised activations: one growable buffer per calling thread,
 * freed when that thread ends, so the hot path does not allocate ---- */

typedef struct {
    void *p;
    size_t cap;
} scratch_buf;

static _Thread_local scratch_buf t_scratch;
static pthread_key_t g_scratch_key;
static pthread_once_t g_scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p) { free(p); }
static void scratch_key_init(void) { pthread_key_create(&g_scratch_key, scratch_free); }

/* NULL when memory runs out (the caller then takes the sliced path). */
static void *scratch_get(size_t n) {
    if (t_scratch.cap >= n) return t_scratch.p;
    pthread_once(&g_scratch_once, scratch_key_init);
    void *p = aligned_alloc(64, (n + 63) & ~(size_t)63);
    if (!p) return NULL;
    free(t_scratch.p);
    t_scratch.p = p;
    t_scratch.cap = n;
    pthread_setspecific(g_scratch_key, p); /* frees it at thread exit */
    return p;
}

/* ---- sw_matmul ---- */

/* Activation form of each weight type, the kernel, and the bytes of one X row. */
typedef struct {
    sw_dot_fn dot;
    sw_quant_fn quant; /* NULL: X used as F32 */
    size_t xrow;
    sw_tile_fn tile;   /* NULL: rows one at a time through dot */
    int max_nx;        /* X rows per dot call (SW_DOT_MAX_NX; 1 where a row's sum must not
                          depend on how many rows share the call) */
} plan;

static int make_plan(sw_ggml_type t, int64_t cols, plan *p) {
    const sw_kernel_table *k = sw_kernels();
    size_t q8 = (size_t)cols / 32 * sizeof(sw_block_q8_0x), qK = (size_t)cols / 256 * sizeof(sw_block_q8_K);
    switch (t) {
    case SW_TYPE_F32: *p = (plan){k->f32, NULL, (size_t)cols * 4, k->tile.f32, SW_DOT_MAX_NX}; return 0;
    case SW_TYPE_F16: *p = (plan){k->f16, NULL, (size_t)cols * 4, NULL, SW_DOT_MAX_NX}; return 0;
    case SW_TYPE_BF16: *p = (plan){k->bf16, NULL, (size_t)cols * 4, NULL, SW_DOT_MAX_NX}; return 0;
    case SW_TYPE_Q4_0: *p = (plan){k->q4_0, k->to_q8_0, q8, k->tile.q4_0, SW_DOT_MAX_NX}; return 0;
    case SW_TYPE_Q5_0: *p = (plan){k->q5_0, k->to_q8_0, q8, k->tile.q5_0, SW_DOT_MAX_NX}; return 0;
    case SW_TYPE_Q8_0: *p = (plan){k->q8_0, k->to_q8_0, q8, k->tile.q8_0, SW_DOT_MAX_NX}; return 0;
    case SW_TYPE_Q4_K: *p = (plan){k->q4_K, k->to_q8_K, qK, NULL, SW_DOT_MAX_NX}; return 0;
    case SW_TYPE_Q6_K: *p = (plan){k->q6_K, k->to_q8_K, qK, NULL, SW_DOT_MAX_NX}; return 0;
    }
    return -1;
}

void sw_matmul_sliced(const void *W, sw_ggml_type wtype, int64_t rows, int64_t cols,
                      const float *X, int64_t nb, float *Y) {
    enum { SLICE = 2048 }; /* multiple of every block size */
    plan pl, *p = &pl;
    size_t wrow = sw_type_row_bytes(wtype, (uint64_t)cols);
    if (rows <= 0 || nb <= 0 || wrow == 0 || make_plan(wtype, cols, p) != 0) return;
    _Alignas(64) char xbuf[SLICE / 256 * sizeof(sw_block_q8_K) + SLICE / 32 * sizeof(sw_block_q8_0x)];
    for (int64_t i = 0; i < rows * nb; i++) Y[i] = 0;
    for (int64_t c0 = 0; c0 < cols; c0 += SLICE) {
        int64_t m = cols - c0 < SLICE ? cols - c0 : SLICE;
        size_t woff = sw_type_row_bytes(wtype, (uint64_t)c0);
        for (int64_t b = 0; b < nb; b++) {
            const float *xs = X + b * cols + c0;
            const void *xv = xs;
            if (p->quant) {
                p->quant(xs, xbuf, m);
                xv = xbuf;
            }
            for (int64_t r = 0; r < rows; r++) {
                float s;
                p->dot(m, (const char *)W + (size_t)r * wrow + woff, xv, 0, 1, &s);
                Y[b * rows + r] += s;
            }
        }
    }
}

/* Makes a plan's results row-wise exact (sw_matmul_multi_rowwise): no tiles, and the
 * float kernels, which keep more partial sums for a single row than for several, one X
 * row per call (the weight chunk then comes from cache for the next rows). */
static void rowwise(plan *p, sw_ggml_type t) {
    p->tile = NULL;
    if (t == SW_TYPE_F32 || t == SW_TYPE_F16 || t == SW_TYPE_BF16) p->max_nx = 1;
}

/* Rows per task: a chunk of weight rows small enough to stay in L1/L2 while every tile
 * of X rows passes over it, large enough to amortise the scheduling. */
#define ROW_CHUNK 16
/* X rows whose results are gathered per chunk before they are written to Y */
#define GROUP_NB 64

/* out[b*ld + r] = dot(W_r, X_b) for r < nw and b < nx, W_r = W + r*ws bytes, X_b = X + b*xs
 * bytes, n elements: through the family's tiles where it has them and there are several X
 * rows, else a weight row at a time against up to SW_DOT_MAX_NX X rows (for a single X
 * row, generation, the weights stream from memory, and the hardware prefetchers follow
 * one row at a time much better than the four rows of a tile). Serial. */
static void products(const plan *p, int64_t n, const char *W, size_t ws, int64_t nw, const char *X,
                     size_t xs, int64_t nx, float *out, size_t ld) {
    if (p->tile && nx > 1) {
        for (int64_t b0 = 0; b0 < nx; b0 += SW_TILE_N) {
            int tn = nx - b0 < SW_TILE_N ? (int)(nx - b0) : SW_TILE_N;
            for (int64_t r0 = 0; r0 < nw; r0 += SW_TILE_M) {
                int tm = nw - r0 < SW_TILE_M ? (int)(nw - r0) : SW_TILE_M;
                p->tile(n, W + (size_t)r0 * ws, ws, tm, X + (size_t)b0 * xs, xs, tn, out + (size_t)b0 * ld + r0, ld);
            }
        }
        return;
    }
    for (int64_t b0 = 0; b0 < nx; b0 += p->max_nx) {
        int tn = nx - b0 < p->max_nx ? (int)(nx - b0) : p->max_nx;
        for (int64_t r = 0; r < nw; r++) {
            float s[SW_DOT_MAX_NX];
            p->dot(n, W + (size_t)r * ws, X + (size_t)b0 * xs, xs, tn, s);
            for (int j = 0; j < tn; j++) out[(size_t)(b0 + j) * ld + r] = s[j];
        }
    }
}

void sw_dots_f32(const float *W, size_t ldw, int64_t rows, const float *X, size_t ldx, int64_t nb,
                 int64_t n, float *Y, size_t ldy) {
    plan p;
    if (rows <= 0 || nb <= 0 || n <= 0 || make_plan(SW_TYPE_F32, n, &p) != 0) return;
    products(&p, n, (const char *)W, ldw * sizeof(float), rows, (const char *)X, ldx * sizeof(float), nb,
             Y, ldy);
}

/* Rows r0..r0+ROW_CHUNK of Y for all nb X rows. */
static void matmul_chunk(const plan *p, const void *W, size_t wrow, int64_t rows, int64_t cols,
                         const char *xq, int64_t nb, float *Y, int64_t c) {
    int64_t r0 = c * ROW_CHUNK, r1 = r0 + ROW_CHUNK < rows ? r0 + ROW_CHUNK : rows;
    /* results of a group of X rows collect here and go out one Y row segment at a time:
     * Y's rows are `rows` floats apart (often a multiple of 4 KiB), and writing them a
     * float at a time thrashes the cache sets they share */
    float out[GROUP_NB][ROW_CHUNK];
    for (int64_t g0 = 0; g0 < nb; g0 += GROUP_NB) {
        int64_t g1 = g0 + GROUP_NB < nb ? g0 + GROUP_NB : nb;
        products(p, cols, (const char *)W + (size_t)r0 * wrow, wrow, r1 - r0, xq + (size_t)g0 * p->xrow,
                 p->xrow, g1 - g0, &out[0][0], ROW_CHUNK);
        for (int64_t b = g0; b < g1; b++)
            memcpy(Y + b * rows + r0, out[b - g0], (size_t)(r1 - r0) * sizeof(float));
    }
}

void sw_matmul(const void *W, sw_ggml_type wtype, int64_t rows, int64_t cols,
               const float *X, int64_t nb, float *Y) {
    sw_matmul_job job = {W, wtype, rows, Y};
    sw_matmul_multi(&job, 1, cols, X, nb);
}

static void matmul_multi(const sw_matmul_job *jobs, int njobs, int64_t cols, const float *X, int64_t nb,
                         int tiles);

void sw_matmul_multi(const sw_matmul_job *jobs, int njobs, int64_t cols, const float *X, int64_t nb) {
    matmul_multi(jobs, njobs, cols, X, nb, 1);
}

void sw_matmul_multi_rowwise(const sw_matmul_job *jobs, int njobs, int64_t cols, const float *X, int64_t nb) {
    matmul_multi(jobs, njobs, cols, X, nb, 0);
}

/* sw_matmul_multi; tiles = 0 keeps to the dot kernels (sw_matmul_multi_rowwise). */
static void matmul_multi(const sw_matmul_job *jobs, int njobs, int64_t cols, const float *X, int64_t nb,
                         int tiles) {
    enum { MAX_JOBS = 4 };
    const sw_matmul_job *job[MAX_JOBS]; /* the jobs with something to do, their plans, ... */
    plan p[MAX_JOBS];
    size_t wrow[MAX_JOBS];
    int64_t nchunks[MAX_JOBS];
    double work = 0;
    int n = 0, shared = njobs <= MAX_JOBS;
    for (int i = 0; shared && i < njobs; i++) {
        const sw_matmul_job *j = &jobs[i];
        wrow[n] = sw_type_row_bytes(j->type, (uint64_t)cols);
        if (j->rows <= 0 || nb <= 0 || wrow[n] == 0 || make_plan(j->type, cols, &p[n]) != 0) continue;
        if (!tiles) rowwise(&p[n], j->type);
        /* one activation form for all, or each job on its own */
        if (n > 0 && (p[n].quant != p[0].quant || p[n].xrow != p[0].xrow)) shared = 0;
        job[n] = j;
        nchunks[n] = (j->rows + ROW_CHUNK - 1) / ROW_CHUNK;
        work += (double)j->rows * (double)cols * (double)nb;
        n++;
    }
    if (!shared) {
        for (int i = 0; i < njobs; i++) matmul_multi(&jobs[i], 1, cols, X, nb, tiles);
        return;
    }
    if (n == 0) return;
    const char *xq = (const char *)X;
    char *buf = NULL;
    sw_quant_fn quant = p[0].quant;
    size_t xrow = p[0].xrow;
    if (quant) {
        buf = scratch_get(xrow * (size_t)nb);
        if (!buf) {
            for (int i = 0; i < n; i++)
                sw_matmul_sliced(job[i]->W, job[i]->type, job[i]->rows, cols, X, nb, job[i]->Y);
            return;
        }
        xq = buf;
    }
    /* small products are not worth waking the team for */
    int parallel = work >= 65536.0;
    (void)parallel; /* unused when built without OpenMP (the fuzz build) */
    /* a prompt's X rows are quantised by the team; one or two rows (generation) here,
     * which saves a barrier */
    int team_quant = buf && nb >= 4;
    if (buf && !team_quant)
        for (int64_t b = 0; b < nb; b++) quant(X + b * cols, buf + b * xrow, cols);
#pragma omp parallel if (parallel)
    {
        if (team_quant) {
#pragma omp for schedule(static)
            for (int64_t b = 0; b < nb; b++) quant(X + b * cols, buf + b * xrow, cols);
        }
        /* no barrier between the jobs: they write different Y; each chunk still goes to
         * one thread by a fixed rule, so results do not depend on the thread count */
        for (int i = 0; i < n; i++) {
#pragma omp for schedule(static) nowait
            for (int64_t c = 0; c < nchunks[i]; c++)
                matmul_chunk(&p[i], job[i]->W, wrow[i], job[i]->rows, cols, xq, nb, job[i]->Y, c);
        }
    }
}
