/* proof.c - the inclusion proof an answer carries on request ("steward": {"proof": true}):
 * a checkpoint signed now (so that it covers the answer's record), the record's leaf hash
 * and the audit path from it to the checkpoint's root, checked before it is sent. */
#include "server_int.h"

#include "steward/audit.h"

static json_t *hex_hash(const uint8_t h[SW_HASH_BYTES]) {
    char x[2 * SW_HASH_BYTES + 1];
    sw_hex(h, SW_HASH_BYTES, x);
    return json_string(x);
}

json_t *srv_audit_proof(sw_server *s, long long index, sw_err *err) {
    sw_audit *log = sw_pipeline_audit(s->p);
    if (index < 0) {
        sw_err_set(err, "proof: the answer has no audit record");
        return NULL;
    }
    sw_checkpoint cp;
    sw_buf note = {0}, rec = {0};
    uint8_t leaf[SW_HASH_BYTES], path[SW_MERKLE_MAX_PROOF][SW_HASH_BYTES];
    size_t n = 0;
    json_t *out = NULL;
    if (sw_audit_checkpoint(log, &cp, &note, err) < 0 || sw_audit_read(log, (uint64_t)index, &rec, err) < 0)
        goto done;
    sw_merkle_leaf_hash(rec.data, rec.len, leaf);
    if (sw_audit_prove(log, (uint64_t)index, cp.size, path, &n, err) < 0 ||
        sw_merkle_verify_inclusion(leaf, (uint64_t)index, cp.size, (const uint8_t(*)[SW_HASH_BYTES])path, n, cp.root,
                                   err) < 0)
        goto done;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, hex_hash(path[i]));
    out = json_pack("{s:I, s:I, s:o, s:o, s:o, s:s%}", "index", (json_int_t)index, "size", (json_int_t)cp.size,
                    "leaf_hash", hex_hash(leaf), "root", hex_hash(cp.root), "path", arr, "checkpoint",
                    note.data ? note.data : "", note.len);
done:
    sw_buf_free(&note);
    sw_buf_free(&rec);
    return out;
}
