"""test_oracle.py - steward's Merkle proofs against the independent RFC 6962 oracle
(rfc6962.py): every inclusion and consistency proof for every tree size 1..64, then random
pairs in a larger tree; roots, proofs and both verifiers must agree."""
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rfc6962 as o  # noqa: E402

BIN = os.environ.get("STEWARD_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "steward")
failures = 0


def check(name, cond, detail=""):
    global failures
    print(("ok - " if cond else "not ok - ") + name)
    if not cond:
        failures += 1
        print("  " + detail, file=sys.stderr)


def run(home, args, stdin=""):
    p = subprocess.run([BIN, "--home", home, "audit"] + args, input=stdin.encode(),
                       capture_output=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("steward audit %s failed: %s" % (args, p.stderr.decode()))
    return [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]


def hx(b):
    return b.hex()


# 1. The oracle against the well-known RFC 6962 test vectors (the eight leaves used by
#    Certificate Transparency's reference tests).
ct_leaves = [bytes.fromhex(x) for x in
             ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f"]]
ct_roots = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
check("oracle_known_roots",
      [hx(o.mth(ct_leaves[:n])) for n in range(1, 9)] == ct_roots)
check("oracle_empty_root",
      hx(o.mth([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
ok = all(o.verify_inclusion(o.leaf_hash(ct_leaves[m]), m, n, o.path(m, ct_leaves[:n]),
                            o.mth(ct_leaves[:n])) for n in range(1, 9) for m in range(n))
ok = ok and all(o.verify_consistency(m, n, o.mth(ct_leaves[:m]), o.mth(ct_leaves[:n]),
                                     o.proof(m, ct_leaves[:n]))
                for n in range(1, 9) for m in range(1, n + 1))
check("oracle_self_consistent", ok)

with tempfile.TemporaryDirectory() as home:
    rng = random.Random(6962)
    records = [json.dumps({"i": i, "pad": "x" * rng.randrange(0, 40)}, separators=(",", ":"))
               for i in range(64)]
    out = run(home, ["append", "--json"], "\n".join(records) + "\n")
    check("append_indices", [r["index"] for r in out] == list(range(64)))
    entries = [r.encode() for r in records]

    # 2. Every inclusion proof of every tree size 1..64.
    queries = [(m, n) for n in range(1, 65) for m in range(n)]
    got = run(home, ["prove", "--batch"], "".join("%d %d\n" % q for q in queries))
    bad = []
    for (m, n), g in zip(queries, got):
        want_root = o.mth(entries[:n])
        want_path = [hx(h) for h in o.path(m, entries[:n])]
        if (g["index"], g["size"]) != (m, n) or g["root"] != hx(want_root) or \
                g["proof"] != want_path or g["leaf_hash"] != hx(o.leaf_hash(entries[m])) or \
                not o.verify_inclusion(bytes.fromhex(g["leaf_hash"]), m, n,
                                       [bytes.fromhex(h) for h in g["proof"]], want_root):
            bad.append((m, n))
    check("inclusion_all_sizes_1_to_64", len(got) == len(queries) and not bad, "first bad: %s" % bad[:3])

    # 3. Every consistency proof between sizes 1..64 (and from the empty tree).
    queries = [(m, n) for n in range(1, 65) for m in range(0, n + 1)]
    got = run(home, ["consistency", "--batch"], "".join("%d %d\n" % q for q in queries))
    bad = []
    for (m, n), g in zip(queries, got):
        want = [hx(h) for h in (o.proof(m, entries[:n]) if m > 0 else [])]
        r1, r2 = o.mth(entries[:m]), o.mth(entries[:n])
        if g["proof"] != want or g["old_root"] != hx(r1) or g["new_root"] != hx(r2) or \
                (m > 0 and not o.verify_consistency(m, n, r1, r2, [bytes.fromhex(h) for h in g["proof"]])):
            bad.append((m, n))
    check("consistency_all_sizes_1_to_64", len(got) == len(queries) and not bad, "first bad: %s" % bad[:3])

    # 4. Random pairs in a larger tree.
    more = [json.dumps({"i": i, "r": rng.random()}) for i in range(64, 1500)]
    run(home, ["append", "--json"], "\n".join(more) + "\n")
    entries += [r.encode() for r in more]
    sizes = sorted(rng.sample(range(65, 1501), 12))
    pq = [(rng.randrange(n), n) for n in sizes for _ in range(4)]
    got = run(home, ["prove", "--batch"], "".join("%d %d\n" % q for q in pq))
    bad = [(m, n) for (m, n), g in zip(pq, got)
           if g["proof"] != [hx(h) for h in o.path(m, entries[:n])] or g["root"] != hx(o.mth(entries[:n]))]
    check("inclusion_random_large_sizes", len(got) == len(pq) and not bad, "first bad: %s" % bad[:3])
    cq = [(rng.randrange(1, n + 1), n) for n in sizes for _ in range(4)]
    got = run(home, ["consistency", "--batch"], "".join("%d %d\n" % q for q in cq))
    bad = [(m, n) for (m, n), g in zip(cq, got)
           if g["proof"] != [hx(h) for h in o.proof(m, entries[:n])] or g["new_root"] != hx(o.mth(entries[:n]))]
    check("consistency_random_large_sizes", len(got) == len(cq) and not bad, "first bad: %s" % bad[:3])

    # 5. The signed checkpoint's root is the oracle's root of the whole log.
    cp = run(home, ["checkpoint", "--json"])[0]
    import base64
    lines = cp["note"].split("\n")
    check("checkpoint_root_matches_oracle",
          cp["size"] == 1500 and base64.b64decode(lines[2]).hex() == hx(o.mth(entries)) and
          lines[3] == "" and lines[4].startswith("\u2014 steward-audit "))

sys.exit(1 if failures else 0)
