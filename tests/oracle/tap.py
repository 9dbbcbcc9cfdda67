"""tap.py - TAP lines for the Python tests: report() prints "ok - NAME" or
"not ok - NAME # DETAIL" and counts the failures; exit_status() is what main returns."""
import sys

_failures = 0


def report(ok, name, detail=""):
    """Prints one TAP line (detail after " # " on the same line) and counts a failure."""
    global _failures
    if not ok:
        _failures += 1
    print("%s - %s%s" % ("ok" if ok else "not ok", name, (" # " + detail) if detail else ""))
    sys.stdout.flush()


def count_failure():
    """Counts a failure whose "not ok" line someone else (a helper program) printed."""
    global _failures
    _failures += 1


def exit_status():
    return 1 if _failures else 0
