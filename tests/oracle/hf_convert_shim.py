"""hf_convert_shim.py - runs llama.cpp's convert_hf_to_gguf.py under Debian's torch 1.13.

    /usr/bin/python3 hf_convert_shim.py LLAMA_CPP_DIR/convert_hf_to_gguf.py ARGS...

The converter is written for torch >= 2.1: its class body names torch.float8_e4m3fn and
torch.float8_e5m2 (only used for safetensors files holding FP8 tensors) and it loads
pytorch_model.bin with torch.load(..., mmap=True). Under torch 1.13 this gives the two
names a placeholder dtype and drops the mmap argument, then runs the script unchanged.
Without the tqdm module (gguf-py imports it only to draw a progress bar) a stand-in that
draws nothing is installed. llama.cpp's gguf-py must be on PYTHONPATH.
"""
import os
import runpy
import sys
import types

import torch

for _name in ("float8_e4m3fn", "float8_e5m2"):
    if not hasattr(torch, _name):
        setattr(torch, _name, torch.uint8)  # never used: our checkpoints hold no FP8 tensors

_torch_load = torch.load


def _load(*args, mmap=None, **kwargs):
    return _torch_load(*args, **kwargs)


torch.load = _load

try:
    import tqdm  # noqa: F401
except ImportError:
    class _Bar:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def reset(self, *args, **kwargs):
            pass

        def update(self, n=1):
            pass

        def set_description(self, *args, **kwargs):
            pass

        def close(self):
            pass

    sys.modules["tqdm"] = types.SimpleNamespace(tqdm=_Bar)

if __name__ == "__main__":
    script = os.path.abspath(sys.argv[1])
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(script))
    runpy.run_path(script, run_name="__main__")
