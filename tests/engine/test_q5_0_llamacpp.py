"""test_q5_0_llamacpp.py - steward's Q5_0 against files written by llama.cpp.

llama.cpp's `llama-quantize Q4_K_M` stores matrices whose rows are not a multiple of 256
as Q5_0 (SmolLM2-135M: width 576). With the F32 original beside it, steward's reference
quantiser must give those tensors byte for byte (no importance matrix: llama.cpp then
uses its reference rounding), and its dequantisation must stay within Q5_0's error bound
of the F32 values. The files are large and not in the repository: the directory comes
from $STEWARD_SMOLLM_DIR (default /work/ext/models/smollm-pre); without it the test
skips. Checks a few tensors (first, middle and last layers) to stay fast.
"""
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "oracle"))
import gguf_io as G          # noqa: E402
import test_quant_ref as Q   # noqa: E402  (builds quant_tool against libsteward.a)

DIR = os.environ.get("STEWARD_SMOLLM_DIR", "/work/ext/models/smollm-pre")
F32_FILE = os.path.join(DIR, "smollm-shape-f32.gguf")
QKM_FILE = os.path.join(DIR, "smollm-shape-Q4_K_M.gguf")


def main():
    if not (os.path.exists(F32_FILE) and os.path.exists(QKM_FILE)):
        print("ok - # SKIP llama.cpp SmolLM files not found in %s" % DIR)
        return 0
    ref = G.read(F32_FILE)["tensors"]
    got = G.read(QKM_FILE)["tensors"]
    names = sorted(n for n, t in got.items() if t["type"] == G.TYPE_Q5_0)
    print(("ok" if names else "not ok") + " - llama.cpp's Q4_K_M file holds %d Q5_0 tensors" % len(names))
    if not names:
        return 1
    pick = [names[0], names[len(names) // 2], names[-1]]
    ok_all = True
    with tempfile.TemporaryDirectory() as tmp:
        exe = Q.build_tool(tmp)
        for n in pick:
            x = np.frombuffer(bytes(ref[n]["data"]), dtype="<f4")
            want = bytes(got[n]["data"])
            mine = Q.run_tool(exe, "q", G.TYPE_Q5_0, x.tobytes())
            same = mine == want
            ok_all &= same
            print(("ok" if same else "not ok") + " - quantise %s to Q5_0: bytes equal llama.cpp's" % n)
            y = np.frombuffer(Q.run_tool(exe, "d", G.TYPE_Q5_0, want), dtype="<f4")
            blk = x.reshape(-1, 32)
            # a step (amax/16: the +amax end clips to 15) plus the f16 rounding of d,
            # relative 2^-11 or, for subnormal halves, 2^-25 absolute, times |q-16| <= 16
            amax = np.abs(blk).max(axis=1, keepdims=True)
            bound = amax / 16 + 16 * np.maximum(amax / 16 * 2 ** -11, 2 ** -25)
            err_ok = y.shape == x.shape and bool((np.abs(y.reshape(-1, 32) - blk) <= bound).all())
            ok_all &= err_ok
            print(("ok" if err_ok else "not ok") +
                  " - dequantise llama.cpp's %s: every element within a step (+ f16 rounding of d) of F32" % n)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
