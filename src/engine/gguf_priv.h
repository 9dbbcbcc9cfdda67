/* gguf_priv.h - shared between the GGUF reader and writer: tensor sizes (the type
 * table itself is quant.c's). Not part of the public API. */
#ifndef STEWARD_GGUF_PRIV_H
#define STEWARD_GGUF_PRIV_H

#include "steward/gguf.h"

/* Elements and bytes of a tensor of this type and shape. Returns -1 with a message
 * (naming the tensor `name`) when the type is unsupported, a dimension is 0 or above
 * INT64_MAX, ne[0] is not a multiple of the block size, or a product overflows. */
int sw_gguf_tensor_size(const char *name, uint32_t type, uint32_t n_dims, const uint64_t *ne,
                        uint64_t *n_elems, uint64_t *nbytes, sw_err *err);

#endif
