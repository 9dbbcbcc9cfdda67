"""steward.py - scan, detect and verify from Python through libsteward.so (ctypes, the
standard library only; no build step). Each function returns the same JSON object as the
CLI's --json output, as a dict; a failure raises StewardError with the library's message.

    import steward
    v = steward.scan("Mail me at bob@example.com")       # steward scan --json
    text[v["findings"][0]["char_start"]:v["findings"][0]["char_end"]]
    steward.detect(text)                                  # steward detect --json
    steward.verify(text, manifest)                        # steward verify --json

The library is found at $STEWARD_LIB, else beside this file's directory (a checkout's
./libsteward.so, or PREFIX/lib/libsteward.so for an installed PREFIX/share/steward/python).
"""
import ctypes
import json
import os

__all__ = ["scan", "detect", "verify", "StewardError"]


class StewardError(Exception):
    """The library refused the request (its message says what was wrong and where)."""


def _find_library():
    env = os.environ.get("STEWARD_LIB")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "..", "libsteward.so"),
                 os.path.join(here, "..", "..", "..", "lib", "libsteward.so")):
        if os.path.exists(cand):
            return os.path.normpath(cand)
    return "libsteward.so"  # the dynamic loader's own search path


_lib = ctypes.CDLL(_find_library())
for _name in ("sw_api_scan_json", "sw_api_detect_json", "sw_api_verify_json"):
    _fn = getattr(_lib, _name)
    _fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p]
    _fn.restype = ctypes.c_void_p  # freed with sw_api_free, so not c_char_p
_lib.sw_api_free.argtypes = [ctypes.c_void_p]
_lib.sw_api_free.restype = None


def _call(fn, text, opts):
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    options = json.dumps({k: v for k, v in opts.items() if v is not None}).encode("utf-8")
    ptr = fn(data, len(data), options)
    if not ptr:
        raise MemoryError("libsteward: out of memory")
    try:
        result = json.loads(ctypes.string_at(ptr).decode("utf-8"))
    finally:
        _lib.sw_api_free(ptr)
    if "error" in result and len(result) == 1:
        raise StewardError(result["error"])
    return result


def scan(text, direction="input", policy=None, home=None):
    """The guard's verdict on text (as `steward scan --json`): action, findings with byte
    and character offsets, redacted text, policy hash."""
    return _call(_lib.sw_api_scan_json, text, {"direction": direction, "policy": policy, "home": home})


def detect(text, model=None, scheme=None, window=None, home=None, tokens=None):
    """Whether text (or, with tokens=[ids], those token ids) carries this instance's
    watermark (as `steward detect --json`)."""
    if tokens is not None:
        return _call(_lib.sw_api_detect_json, json.dumps(list(tokens)),
                     {"model": model, "scheme": scheme, "window": window, "home": home, "tokens": True})
    return _call(_lib.sw_api_detect_json, text, {"model": model, "scheme": scheme, "window": window, "home": home})


def verify(text, manifest=None, home=None):
    """Checks delivered text against its signed manifest (a dict, or None for a text
    with manifest front matter), as `steward verify --json`: {"valid", "reason", "checked"}."""
    return _call(_lib.sw_api_verify_json, text, {"manifest": manifest, "home": home})
