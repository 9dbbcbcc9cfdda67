/* frame.c - the audit log's on-disk record frame and its CRC-32C checksum. */
#include "steward/audit.h"

#include <pthread.h>
#include <string.h>

/* ---- CRC-32C (Castagnoli): SSE4.2 instruction when present, else a table ---- */

static uint32_t crc_table[8][256];
static int crc_hw;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
    __builtin_cpu_init();
    crc_hw = __builtin_cpu_supports("sse4.2");
}

static uint32_t crc_sw(uint32_t c, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        v ^= c;
        c = crc_table[7][v & 0xff] ^ crc_table[6][(v >> 8) & 0xff] ^
            crc_table[5][(v >> 16) & 0xff] ^ crc_table[4][(v >> 24) & 0xff] ^
            crc_table[3][(v >> 32) & 0xff] ^ crc_table[2][(v >> 40) & 0xff] ^
            crc_table[1][(v >> 48) & 0xff] ^ crc_table[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return c;
}

__attribute__((target("sse4.2"))) static uint32_t crc_hw_run(uint32_t c, const uint8_t *p,
                                                             size_t n) {
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = __builtin_ia32_crc32di(c64, v);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--) c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}

uint32_t sw_crc32c(uint32_t crc, const void *p, size_t n) {
    pthread_once(&crc_once, crc_init);
    uint32_t c = ~crc;
    c = crc_hw ? crc_hw_run(c, p, n) : crc_sw(c, p, n);
    return ~c;
}

/* ---- frames: magic u32 | length u32 | number u64 | crc32c u32 | record ----
 * The checksum covers the record, then the length and number fields, so that the
 * record's part can be computed before its number is known. */

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

/* CRC of the header fields continued from the record's CRC. */
static uint32_t frame_crc(uint32_t rec_crc, uint32_t len, uint64_t number) {
    uint8_t f[12];
    put32(f, len);
    put64(f + 4, number);
    return sw_crc32c(rec_crc, f, sizeof f);
}

int sw_audit_frame_encode(sw_buf *out, uint64_t number, const void *rec, size_t len, sw_err *err) {
    if (len == 0 || len > SW_AUDIT_MAX_RECORD)
        return sw_err_set(err, "audit record of %zu bytes (must be 1..%u)", len, SW_AUDIT_MAX_RECORD);
    uint8_t h[SW_AUDIT_FRAME_HEADER];
    put32(h, SW_AUDIT_FRAME_MAGIC);
    put32(h + 4, (uint32_t)len);
    put64(h + 8, number);
    put32(h + 16, frame_crc(sw_crc32c(0, rec, len), (uint32_t)len, number));
    if (sw_buf_append(out, h, sizeof h) < 0 || sw_buf_append(out, rec, len) < 0)
        return sw_err_set(err, "audit: out of memory");
    return 0;
}

int sw_audit_frame_parse(const uint8_t *p, size_t avail, sw_audit_frame *fr, sw_err *err) {
    if (avail < SW_AUDIT_FRAME_HEADER) return 0;
    uint32_t magic = get32(p), len = get32(p + 4);
    if (magic != SW_AUDIT_FRAME_MAGIC)
        return sw_err_set(err, "bad frame magic 0x%08x at offset 0", magic);
    if (len == 0 || len > SW_AUDIT_MAX_RECORD)
        return sw_err_set(err, "frame length %u at offset 4 out of range 1..%u", len,
                          SW_AUDIT_MAX_RECORD);
    if (avail - SW_AUDIT_FRAME_HEADER < len) return 0;
    uint64_t number = get64(p + 8);
    uint32_t want = get32(p + 16);
    uint32_t got = frame_crc(sw_crc32c(0, p + SW_AUDIT_FRAME_HEADER, len), len, number);
    if (got != want)
        return sw_err_set(err, "frame checksum mismatch (stored %08x, computed %08x)", want, got);
    fr->number = number;
    fr->rec = p + SW_AUDIT_FRAME_HEADER;
    fr->len = len;
    fr->frame_len = SW_AUDIT_FRAME_HEADER + (size_t)len;
    return 1;
}
