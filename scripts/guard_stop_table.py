#!/usr/bin/env python3
"""guard_stop_table.py - prints src/guard/decode.c's STOP_HASH_MUL and STOP_TABLE: the
cipher check's function words packed little-endian into 64-bit keys, each alone in its
slot (key * STOP_HASH_MUL) >> 57 of 128, so that a look-up is one compare. The multiplier
is the first odd random number (seed 1) that places every word in a slot of its own.
  python3 scripts/guard_stop_table.py   # paste its output over the table in decode.c
"""
import random

# The word numbers (idx - 1, a bit each in the check's distinct-word sets) follow this order.
WORDS = ("me of in on do to is it my and the are use can for was get not you how need make "
         "some have give with tell will from when into your this that what want could would "
         "guide there where write which steps about should please explain").split()
SLOTS, SHIFT, MASK64 = 128, 57, (1 << 64) - 1


def key(w):
    return sum(ord(c) << (8 * i) for i, c in enumerate(w))


def main():
    keys = [key(w) for w in WORDS]
    rng = random.Random(1)
    while True:
        mul = rng.getrandbits(64) | 1
        slots = {((k * mul) & MASK64) >> SHIFT: i for i, k in enumerate(keys)}
        if len(slots) == len(keys):
            break
    print(f"#define STOP_HASH_MUL 0x{mul:X}ull")
    for s in sorted(slots):
        i = slots[s]
        print(f"    [{s}] = {{0x{keys[i]:x}ull, {i + 1}}} /* {WORDS[i]} */,")


if __name__ == "__main__":
    main()
