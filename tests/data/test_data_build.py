#!/usr/bin/env python3
"""test_data_build.py - `steward data build` end to end on a generated corpus with known
answers: planted exact and near duplicates (Jaccard computed here the way steward
shingles), planted PII gone from the output unless consent allows it, disallowed licences
dropped, a source over the harmful limit rejected whole, Chinese and English identified,
the same bytes on 1 and 2 threads, and a run killed with SIGKILL resumed to identical
output."""
import json, os, random, re, shutil, signal, subprocess, sys, tempfile, time

BIN = os.environ.get("STEWARD_BIN", "./steward")
fails = 0


def check(name, cond, detail=""):
    global fails
    print(("ok - " if cond else "not ok - ") + name + ("" if cond or not detail else "  # " + str(detail)))
    if not cond:
        fails += 1


WORDS = ("time year people way day man thing woman life child world school state family student group country "
         "problem hand part place case week company system program question work government number night point "
         "home water room mother area money story fact month lot right study book eye job word business issue "
         "side kind head house service friend father power hour game line end member law car city community name "
         "president team minute idea kid body information back parent face others level office door health person "
         "art war history party result change morning reason research girl guy moment air teacher force education "
         "foot boy age policy music market sense nation plan college interest death experience effect class control "
         "care field development role effort rate heart drug show leader light voice wife police mind price report "
         "decision son view relationship town road arm difference value building action model season society tax "
         "director position player record paper space ground form event official matter center couple site project "
         "activity star table need court oil situation cost industry figure street image phone data picture practice "
         "piece land product doctor wall patient worker news test movie north love support technology step baby "
         "computer type attention film tree source organization hair window evidence population site").split()
STOP = ["the", "and", "of", "to", "with", "that"]


def sentence(rng, n=12):
    ws = [rng.choice(WORDS) if i % 3 else rng.choice(STOP) for i in range(n)]
    return " ".join(ws).capitalize() + "."


def english_doc(rng, sentences=8):
    return "\n".join(sentence(rng) for _ in range(sentences))


def tokens(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def jaccard(a, b):
    sa = {tuple(x) for x in zip(*[tokens(a)[i:] for i in range(5)])}
    sb = {tuple(x) for x in zip(*[tokens(b)[i:] for i in range(5)])}
    return len(sa & sb) / len(sa | sb)


def variant(rng, text, changes):
    """text with `changes` words replaced by others from the vocabulary."""
    parts = text.split(" ")
    for i in rng.sample(range(len(parts)), changes):
        end = "." if parts[i].endswith(".") else ""
        end += "\n" + parts[i].split("\n", 1)[1] if "\n" in parts[i] else ""
        parts[i] = "zz" + rng.choice(WORDS) + end
    return " ".join(parts)


ZH_LINES = ["今天的天气很好，我们一起去公园散步，看见很多人在锻炼身体。", "图书馆里有很多书，学生们安静地阅读和学习。",
            "这个城市的交通越来越方便，地铁连接了每一个区。", "老师认真地讲解数学问题，同学们积极回答。",
            "周末我们去山上看风景，空气清新，心情愉快。", "科学技术的进步改变了人们的生活方式和工作方法。",
            "农民在田里种植水稻和蔬菜，收获的季节非常忙碌。", "这家餐厅的饭菜味道不错，价格也比较合理。",
            "他每天早上六点起床，先跑步再吃早饭。", "博物馆展出了许多珍贵的历史文物，吸引了大量游客。"]


def make_corpus(d):
    rng = random.Random(7)
    docs, expect = [], {}

    def add(text, source="web", license="MIT", consent="unknown", **kw):
        rec = {"text": text, "source": source, "license": license, "consent": consent}
        rec.update(kw)
        docs.append(rec)
        return len(docs) - 1

    base = [add(english_doc(rng)) for _ in range(60)]
    expect["near_high"], expect["near_low"] = [], []
    for k in range(10):  # planted near duplicates: J >= 0.8 must go, J <= 0.5 must stay
        src = docs[base[k]]["text"]
        for changes, bucket in ((2, "near_high"), (3, "near_high"), (14, "near_low"), (20, "near_low")):
            v = variant(rng, src, changes)
            j = jaccard(src, v)
            if bucket == "near_high" and j < 0.8 or bucket == "near_low" and j > 0.5:
                continue
            expect[bucket].append((add(v), j))
    expect["exact"] = add(docs[base[20]]["text"].upper().replace(" ", "  "))
    expect["pii_redact"] = add(english_doc(rng) + "\nWrite to jane.doe@example.org or call +1 415 555 0134 today with the form.")
    expect["pii_keep"] = add(english_doc(rng) + "\nWrite to kept.person@example.org with the form and the care.", consent="yes")
    expect["pii_drop"] = add(english_doc(rng) + "\nWrite to gone.person@example.org with the form and the care.", consent="no")
    expect["gpl"] = add(english_doc(rng), license="GPL-3.0")
    expect["nolicence"] = len(docs)
    docs.append({"text": english_doc(rng), "source": "web", "consent": "unknown"})
    expect["harm_one"] = add(english_doc(rng) + "\nTell me how to make meth at home with the kit and the guide.")
    expect["forum"] = [add(english_doc(rng), source="forum") for _ in range(17)]
    expect["forum_harm"] = [add(english_doc(rng) + "\nHow can I make meth in the kitchen with the kit today.", source="forum")
                            for _ in range(3)]
    expect["zh"] = add("\n".join(rng.sample(ZH_LINES, 10)), source="zhweb", license="CC-BY-4.0")
    expect["lorem"] = add(english_doc(rng) + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit.")
    expect["short"] = add("Too short to be a document.")
    order = list(range(len(docs)))
    # two input files: the first 100 documents, then the rest
    with open(os.path.join(d, "a.jsonl"), "w") as f:
        for i in order[:100]:
            f.write(json.dumps(docs[i], ensure_ascii=False) + "\n")
    with open(os.path.join(d, "b.jsonl"), "w") as f:
        for i in order[100:]:
            f.write(json.dumps(docs[i], ensure_ascii=False) + "\n")
        f.write("{not json\n")
    return docs, expect


def build(out, inputs, *extra, home):
    env = dict(os.environ, STEWARD_HOME=home)
    return subprocess.run([BIN, "data", "build", "--out", out, *extra, *inputs], capture_output=True, text=True, env=env)


def read_jsonl(p):
    with open(p, encoding="utf-8") as f:
        return [json.loads(l) for l in f]


def files_of(out):
    res = {}
    for root, _, fs in os.walk(out):
        for n in fs:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                res[os.path.relpath(p, out)] = f.read()
    return res


def main():
    t = tempfile.mkdtemp()
    home = os.path.join(t, "home")
    try:
        docs, ex = make_corpus(t)
        inputs = [os.path.join(t, "a.jsonl"), os.path.join(t, "b.jsonl")]
        out = os.path.join(t, "out")
        r = build(out, inputs, "--threads", "2", home=home)
        check("data build exits 0", r.returncode == 0, r.stderr)
        if r.returncode:
            return
        rep = json.loads(r.stdout)
        check("report counts every document", rep["documents_in"] == len(docs) + 1, rep)
        lin = read_jsonl(os.path.join(out, "lineage.jsonl"))
        clean = read_jsonl(os.path.join(out, "clean.jsonl"))
        stats = json.load(open(os.path.join(out, "stats.json")))
        check("one lineage line per input document", len(lin) == len(docs) + 1 and [l["id"] for l in lin] == list(range(len(lin))))
        rules = {l["id"]: [d["rule"] for d in l["decisions"]] for l in lin}
        outcome = {l["id"]: l["outcome"] for l in lin}
        kept_text = {c["id"]: c["text"] for c in clean}
        check("malformed line recorded", rules[len(docs)] == ["input.malformed"])
        nh = ex["near_high"]
        check("planted near duplicates at J >= 0.8 removed (%d)" % len(nh),
              len(nh) >= 10 and all(rules[i][-1] == "dedup.near" for i, _ in nh), [(i, j, rules[i]) for i, j in nh if rules[i][-1] != "dedup.near"])
        nl = ex["near_low"]
        check("variants at J <= 0.5 kept (%d)" % len(nl), len(nl) >= 10 and all(outcome[i] == "kept" for i, _ in nl),
              [(i, j, rules[i]) for i, j in nl if outcome[i] != "kept"])
        check("case/spacing copy removed as exact duplicate", rules[ex["exact"]] == ["dedup.exact"], rules[ex["exact"]])
        t_red = kept_text.get(ex["pii_redact"], "")
        check("PII replaced by typed placeholders", "<EMAIL>" in t_red and "<PHONE>" in t_red and "jane.doe" not in t_red, t_red[-120:])
        allclean = open(os.path.join(out, "clean.jsonl"), encoding="utf-8").read()
        allshards = "".join(open(os.path.join(out, "shards", n), encoding="utf-8").read() for n in sorted(os.listdir(os.path.join(out, "shards"))))
        check("planted PII absent from clean.jsonl and shards",
              all(s not in allclean and s not in allshards for s in ("jane.doe@example.org", "555 0134", "gone.person")))
        check("consent yes keeps the email", "kept.person@example.org" in kept_text.get(ex["pii_keep"], ""))
        check("consent no drops a document with PII", rules[ex["pii_drop"]] == ["pii.dropped_by_consent"], rules[ex["pii_drop"]])
        check("disallowed licence dropped", rules[ex["gpl"]] == ["licence.not_allowed"])
        check("missing licence dropped", rules[ex["nolicence"]] == ["licence.missing"])
        check("a harmful document of a source under the limit dropped alone",
              rules[ex["harm_one"]] == ["harm.document"] and not stats["sources"]["web"]["rejected"], rules[ex["harm_one"]])
        f_ok = all(rules[i] == ["harm.source_rejected"] for i in ex["forum"]) and all(rules[i] == ["harm.document"] for i in ex["forum_harm"])
        check("source over the harmful limit (3/20) rejected whole", f_ok and stats["sources"]["forum"]["rejected"]
              and abs(stats["sources"]["forum"]["harm_rate"] - 0.15) < 1e-9, stats["sources"].get("forum"))
        zl = [l for l in lin if l["id"] == ex["zh"]][0]
        check("Chinese document identified and kept", zl.get("lang") == "zh" and zl["outcome"] == "kept", zl)
        check("English documents identified", all(l.get("lang") == "en" for l in lin if l["id"] < 60))
        check("lorem ipsum dropped (C4)", rules[ex["lorem"]] == ["c4.lorem_ipsum"], rules[ex["lorem"]])
        check("short document dropped (Gopher)", rules[ex["short"]] == ["gopher.min_words"], rules[ex["short"]])
        counted = {}
        for l in lin:
            for d in l["decisions"]:
                counted[d["rule"]] = counted.get(d["rule"], 0) + 1
        check("stats.json rule counts equal the lineage's", counted == stats["rules"], (counted, stats["rules"]))
        check("stats.json totals", stats["documents_out"] == len(clean) == rep["documents_out"]
              and stats["languages"]["zh"]["kept"] == 1 and stats["licences"]["GPL-3.0"]["kept"] == 0)
        check("clean.jsonl keeps provenance", all(c["source"] and c["license"] and c["consent"] and c["lang"] for c in clean))
        check("shards hold the kept texts", allshards == "\n\n".join(c["text"] for c in clean))
        card = open(os.path.join(out, "card.md"), encoding="utf-8").read()
        check("dataset card sections and representation table",
              all(s in card for s in ("## Motivation", "## Composition", "## Collection process", "## Preprocessing",
                                      "## Uses", "## Distribution", "## Maintenance", "## Representation", "| gender |",
                                      "| disability |", "| zh |", "`dedup.near`")))
        check("lineage record in the audit log", "audit_index" in rep)
        v = subprocess.run([BIN, "audit", "verify"], capture_output=True, text=True, env=dict(os.environ, STEWARD_HOME=home))
        check("audit log verifies", v.returncode == 0, v.stderr)
        check("journal removed after a complete run", not os.path.exists(os.path.join(out, ".journal")))

        # the same bytes on one thread and with small chunks
        out1 = os.path.join(t, "out1")
        r1 = build(out1, inputs, "--threads", "1", "--chunk-docs", "7", home=home)
        ref = files_of(out)
        check("1 thread, 7-document chunks: same output bytes", r1.returncode == 0 and files_of(out1) == ref)

        # interrupted runs: --stop-after-chunks, and SIGKILL mid-way
        out2 = os.path.join(t, "out2")
        r2 = build(out2, inputs, "--chunk-docs", "7", "--stop-after-chunks", "5", home=home)
        partial = json.loads(r2.stdout) if r2.returncode == 0 else {}
        check("stop after 5 chunks leaves a journal", partial.get("stopped") is True and not os.path.exists(os.path.join(out2, "clean.jsonl")))
        r3 = build(out2, inputs, "--chunk-docs", "7", home=home)
        rep3 = json.loads(r3.stdout) if r3.returncode == 0 else {}
        check("resumed run skips the 5 chunks and gives the same bytes", rep3.get("chunks_resumed") == 5 and files_of(out2) == files_of(out1))
        para_test(t, home)
        text_input_test(t, home)
        token_shard_test(t, home, out, inputs)
        sample_test(t, home)
        kill_test(t, home)
    finally:
        shutil.rmtree(t, ignore_errors=True)


def token_shard_test(t, home, out, inputs):
    """--tokenizer writes token shards that `steward train --corpus` reads as it reads the text."""
    text = os.path.join(out, "shards", "train-00000.txt")
    tok = os.path.join(t, "tok.gguf")
    env = dict(os.environ, STEWARD_HOME=home)
    r = subprocess.run([BIN, "tokenizer", "train", "--input", text, "--vocab-size", "300", "--out", tok],
                       capture_output=True, text=True, env=env)
    check("tokenizer trained for the shard test", r.returncode == 0, r.stderr)
    out3 = os.path.join(t, "outtok")
    r = build(out3, inputs, "--tokenizer", tok, home=home)
    shard = os.path.join(out3, "shards", "train-00000.tok")
    check("data build --tokenizer writes a token shard", r.returncode == 0 and os.path.exists(shard), r.stderr)
    if not os.path.exists(shard):
        return
    common = ["--tokenizer", tok, "--steps", "2", "--batch", "1", "--ctx", "16", "--embd", "16", "--layers", "1",
              "--heads", "2", "--ff", "32", "--eval-seqs", "4", "--threads", "1", "--json"]
    runs = {}
    for name, corpus in (("text", text), ("shard", shard)):
        r = subprocess.run([BIN, "train", "--corpus", corpus, "--val", corpus, "--out", os.path.join(t, name + ".gguf"), *common],
                           capture_output=True, text=True, env=env)
        runs[name] = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 and r.stdout.strip() else {"err": r.stderr[-300:]}
    same = {k: v for k, v in runs["text"].items() if k in ("steps", "train_loss", "val_loss", "val_bits_per_byte", "tokens")}
    other = {k: v for k, v in runs["shard"].items() if k in same}
    check("train on the token shard = train on its text (same losses and bits per byte)", len(same) == 5 and same == other,
          (runs["text"], runs["shard"]))
    bad = os.path.join(t, "bad.tok")
    data = open(shard, "rb").read()
    open(bad, "wb").write(data[:16] + b"0" * 64 + data[80:])
    r = subprocess.run([BIN, "train", "--corpus", bad, "--out", os.path.join(t, "bad.gguf"), *common], capture_output=True, text=True, env=env)
    check("a shard of another tokenizer is refused", r.returncode != 0 and "tokenizer" in r.stderr, r.stderr[-200:])


def text_input_test(t, home):
    """plain text files: one document each, provenance from the flags."""
    rng = random.Random(17)
    paths = []
    for i in range(2):
        paths.append(os.path.join(t, "plain%d.txt" % i))
        with open(paths[-1], "w") as f:
            f.write(english_doc(rng))
    out = os.path.join(t, "plainout")
    r = build(out, paths, "--source", "books", "--license", "CC0-1.0", "--consent", "not-applicable", home=home)
    clean = read_jsonl(os.path.join(out, "clean.jsonl")) if r.returncode == 0 else []
    check("plain text inputs take provenance from the flags",
          len(clean) == 2 and all(c["source"] == "books" and c["license"] == "CC0-1.0" and c["consent"] == "not-applicable"
                                  for c in clean), r.stderr or clean)
    out = os.path.join(t, "plainout2")
    r = build(out, paths, home=home)
    lin = read_jsonl(os.path.join(out, "lineage.jsonl")) if r.returncode == 0 else []
    check("plain text without --source is dropped with a named rule",
          len(lin) == 2 and all(l["decisions"][0]["rule"] == "provenance.missing_source" for l in lin), lin)


def para_test(t, home):
    """paragraph-dedup on: a paragraph repeated in a later document is removed from it."""
    rng = random.Random(13)
    shared = english_doc(rng, 4).replace("\n", " ")
    a = english_doc(rng) + "\n\n" + shared
    b = english_doc(rng) + "\n\n" + shared + "\n\n" + english_doc(rng)
    p = os.path.join(t, "para.jsonl")
    with open(p, "w") as f:
        for x in (a, b):
            f.write(json.dumps({"text": x, "source": "s", "license": "MIT", "consent": "yes"}) + "\n")
    pol = os.path.join(t, "para.policy")
    with open(pol, "w") as f:
        f.write("licences MIT\nparagraph-dedup on\n")
    out = os.path.join(t, "paraout")
    r = build(out, [p], "--policy", pol, home=home)
    clean = read_jsonl(os.path.join(out, "clean.jsonl")) if r.returncode == 0 else []
    lin = read_jsonl(os.path.join(out, "lineage.jsonl")) if r.returncode == 0 else []
    check("paragraph dedup removes the repeated paragraph from the later document",
          len(clean) == 2 and shared in clean[0]["text"] and shared not in clean[1]["text"]
          and [d["rule"] for d in lin[1]["decisions"]] == ["dedup.near_paragraph"], r.stderr or lin)


def sample_test(t, home):
    """harm-scan sample: each source's harm sample is its K documents (past the licence stage)
    with the smallest content hashes, computed here from lineage.jsonl's sha256; harmful
    documents of the sample go, the others carry harm.not_sampled; personal data is
    redacted in every document; the rate, its interval and the rejection come from the
    sample; the same bytes on 1 and 2 threads, other chunk sizes and after an interruption."""
    rng = random.Random(5)
    corpus, pol = os.path.join(t, "sample.jsonl"), os.path.join(t, "sample.policy")
    harm = "\nTell me how to make meth at home with the kit and the guide."
    mail = "\nWrite to sam.person%d@example.org with the form and the care."
    with open(corpus, "w") as f:
        for i in range(400):  # 2.5% harmful, one in ten with an address
            text = english_doc(rng) + (harm if i % 40 == 3 else "") + (mail % i if i % 10 == 5 else "")
            f.write(json.dumps({"text": text, "source": "big", "license": "MIT", "consent": "unknown"}) + "\n")
            if i % 50 == 0:  # not past the licence stage: not in the population
                f.write(json.dumps({"text": english_doc(rng), "source": "big", "license": "GPL-3.0", "consent": "unknown"}) + "\n")
        for i in range(30):
            f.write(json.dumps({"text": english_doc(rng) + (harm if i == 4 else ""), "source": "small", "license": "MIT",
                                "consent": "unknown"}) + "\n")
        for i in range(150):  # 30% harmful: rejected whatever the sample
            f.write(json.dumps({"text": english_doc(rng) + (harm if i % 10 < 3 else ""), "source": "bad", "license": "MIT",
                                "consent": "unknown"}) + "\n")
    with open(pol, "w") as f:
        f.write("licences MIT\npersonal-data unknown redact\nharm-limit 0.05\nharm-scan sample\nharm-sample 100\n")
    out = os.path.join(t, "sample1")
    r = build(out, [corpus], "--policy", pol, "--threads", "1", "--chunk-docs", "7", home=home)
    check("harm-scan sample builds", r.returncode == 0, r.stderr)
    if r.returncode != 0:
        return
    lin = read_jsonl(os.path.join(out, "lineage.jsonl"))
    stats = json.load(open(os.path.join(out, "stats.json")))
    ok_sample, ok_rules = True, True
    for src, n_pop in (("big", 400), ("small", 30), ("bad", 150)):
        recs = [x for x in lin if x.get("source") == src and not any(d["stage"] == "licence" for d in x["decisions"])]
        want = set(sorted(range(len(recs)), key=lambda i: (int(recs[i]["sha256"][:16], 16), i))[:100])
        cut = max(int(recs[i]["sha256"][:16], 16) for i in want) if len(recs) > 100 else None
        want = {i for i in range(len(recs)) if cut is None or int(recs[i]["sha256"][:16], 16) <= cut}
        got = {i for i in range(len(recs)) if "harmful" in recs[i]}
        ok_sample &= len(recs) == n_pop and got == want
        for i, x in enumerate(recs):
            rules = [d["rule"] for d in x["decisions"]]
            ok_rules &= (i in want) == ("harm.not_sampled" not in rules)
            ok_rules &= ("harm.document" in rules) == (x.get("harmful") is True)
        s = stats["sources"][src]
        harmful = sum(1 for i in want if recs[i]["harmful"])
        ok_sample &= s["scanned"] == len(want) and s["harm_population"] == n_pop and s["harmful"] == harmful
        lo, hi = s["harm_rate_ci95"]
        ok_sample &= lo <= s["harm_rate"] <= hi and s["rejected"] == (harmful / len(want) > 0.05)
    check("the sample of each source is its 100 smallest content hashes (a 30-document source whole)", ok_sample,
          {k: stats["sources"][k] for k in ("big", "small", "bad")})
    check("sampled documents carry harmful, the others harm.not_sampled; harmful sampled ones dropped", ok_rules)
    clean = open(os.path.join(out, "clean.jsonl")).read()
    check("personal data redacted in sampled and unsampled documents alike",
          "@example.org" not in clean and clean.count("<EMAIL>") >= 30, clean.count("<EMAIL>"))
    check("unsampled harmful documents of a source under the limit are kept (documented)",
          "make meth" in clean and stats["sources"]["bad"]["rejected"] and not stats["sources"]["big"]["rejected"])
    card = open(os.path.join(out, "card.md")).read()
    check("card says how the rate was measured", "harm-scan sample" in card and "| big | 400 | 100 |" in card)
    ref = files_of(out)
    out2 = os.path.join(t, "sample2")
    r2 = build(out2, [corpus], "--policy", pol, "--threads", "2", "--chunk-docs", "50", home=home)
    check("harm-scan sample: same bytes on 2 threads with 50-document chunks", r2.returncode == 0 and files_of(out2) == ref)
    out3 = os.path.join(t, "sample3")
    r3 = build(out3, [corpus], "--policy", pol, "--threads", "2", "--chunk-docs", "13", "--stop-after-chunks", "4", home=home)
    r4 = build(out3, [corpus], "--policy", pol, "--threads", "1", "--chunk-docs", "13", home=home)
    rep4 = json.loads(r4.stdout) if r4.returncode == 0 else {}
    check("harm-scan sample: interrupted after 4 chunks, resumed to the same bytes",
          r3.returncode == 0 and rep4.get("chunks_resumed") == 4 and files_of(out3) == ref)
    with open(pol, "a") as f:
        f.write("harm-scan some\n")
    r5 = build(os.path.join(t, "sample4"), [corpus], "--policy", pol, home=home)
    check("a bad harm-scan value is an error naming file and line", r5.returncode != 0 and "sample.policy:6" in r5.stderr, r5.stderr)


def kill_test(t, home):
    """A bigger corpus, killed with SIGKILL once some chunks are journaled, then rerun."""
    rng = random.Random(11)
    big = os.path.join(t, "big.jsonl")
    with open(big, "w") as f:
        for i in range(3000):
            f.write(json.dumps({"text": english_doc(rng, 20), "source": "s%d" % (i % 5), "license": "MIT", "consent": "yes"}) + "\n")
    ref, out = os.path.join(t, "bigref"), os.path.join(t, "bigkill")
    r = build(ref, [big], "--chunk-docs", "100", "--threads", "2", home=home)
    check("big corpus builds", r.returncode == 0, r.stderr)
    env = dict(os.environ, STEWARD_HOME=home)
    p = subprocess.Popen([BIN, "data", "build", "--out", out, "--chunk-docs", "100", "--threads", "2", big],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    journal = os.path.join(out, ".journal")
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:
        n = len([x for x in os.listdir(journal) if x.endswith(".jsonl")]) if os.path.isdir(journal) else 0
        if n >= 3:
            break
        time.sleep(0.02)
    killed = p.poll() is None
    if killed:
        os.kill(p.pid, signal.SIGKILL)
    p.wait()
    check("killed with SIGKILL mid-way (journal had chunks)", killed)
    r2 = build(out, [big], "--chunk-docs", "100", "--threads", "2", home=home)
    rep = json.loads(r2.stdout) if r2.returncode == 0 else {}
    check("rerun after SIGKILL resumes (%s chunks) to identical output" % rep.get("chunks_resumed"),
          r2.returncode == 0 and rep.get("chunks_resumed", 0) >= 3 and files_of(out) == files_of(ref))


if __name__ == "__main__":
    main()
    r = subprocess.run([BIN, "data", "build", "x.jsonl"], capture_output=True, text=True)
    check("missing --out is a usage error (exit 2)", r.returncode == 2)
    sys.exit(1 if fails else 0)
