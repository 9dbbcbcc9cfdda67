"""grammar_check.py - a small JSON Schema validator for the keywords steward's grammar
compiler supports (the grammar tests' oracle), and a recogniser for the test GBNF files'
languages as regular expressions. Written for the tests; not a full validator."""
import datetime
import json
import re
import uuid

FORMATS = {
    "email": re.compile(r"^[A-Za-z0-9_+.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"),
    "time": re.compile(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"),
}


def check_format(fmt, s):
    if fmt == "date":
        datetime.date.fromisoformat(s)
        return len(s) == 10
    if fmt == "date-time":
        d, t = s.split("T", 1)
        return check_format("date", d) and check_format("time", t)
    if fmt == "uuid":
        return str(uuid.UUID(s)) == s
    if fmt in FORMATS:
        return FORMATS[fmt].match(s) is not None
    return True


def resolve(root, ref):
    node = root
    for part in ref.lstrip("#").split("/")[1:]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def type_ok(t, v):
    return {
        "object": isinstance(v, dict),
        "array": isinstance(v, list),
        "string": isinstance(v, str),
        "integer": isinstance(v, int) and not isinstance(v, bool),
        "number": isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": isinstance(v, bool),
        "null": v is None,
    }[t]


def validate(s, v, root=None, path="$"):
    """Returns a list of error strings (empty when v is valid against s)."""
    root = root if root is not None else s
    if s is True or s == {}:
        return []
    errs = []
    if "$ref" in s:
        return validate(resolve(root, s["$ref"]), v, root, path)
    if "const" in s and v != s["const"]:
        errs.append(f"{path}: {v!r} is not the const")
    if "enum" in s and not any(v == e and type(v) is type(e) for e in s["enum"]):
        errs.append(f"{path}: {v!r} not in enum")
    for kw in ("anyOf", "oneOf"):
        if kw in s:
            ok = [not validate(sub, v, root, path) for sub in s[kw]]
            if (kw == "anyOf" and not any(ok)) or (kw == "oneOf" and sum(ok) != 1):
                errs.append(f"{path}: {kw} fails")
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(type_ok(t, v) for t in ts):
            errs.append(f"{path}: {v!r} is not {ts}")
    if isinstance(v, str):
        n = len(v)
        if n < s.get("minLength", 0) or n > s.get("maxLength", n):
            errs.append(f"{path}: length {n}")
        if "pattern" in s and not re.search(s["pattern"], v):
            errs.append(f"{path}: {v!r} does not match {s['pattern']}")
        if "format" in s:
            try:
                if not check_format(s["format"], v):
                    errs.append(f"{path}: {v!r} is not a {s['format']}")
            except ValueError:
                errs.append(f"{path}: {v!r} is not a {s['format']}")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in s and v < s["minimum"]:
            errs.append(f"{path}: {v} < minimum")
        if "maximum" in s and v > s["maximum"]:
            errs.append(f"{path}: {v} > maximum")
        if "exclusiveMinimum" in s and v <= s["exclusiveMinimum"]:
            errs.append(f"{path}: {v} <= exclusiveMinimum")
        if "exclusiveMaximum" in s and v >= s["exclusiveMaximum"]:
            errs.append(f"{path}: {v} >= exclusiveMaximum")
    if isinstance(v, list):
        if len(v) < s.get("minItems", 0) or len(v) > s.get("maxItems", len(v)):
            errs.append(f"{path}: {len(v)} items")
        if "items" in s:
            for i, x in enumerate(v):
                errs += validate(s["items"], x, root, f"{path}[{i}]")
    if isinstance(v, dict):
        props = s.get("properties", {})
        for k in s.get("required", []):
            if k not in v:
                errs.append(f"{path}: missing {k}")
        for k, x in v.items():
            if k in props:
                errs += validate(props[k], x, root, f"{path}.{k}")
            elif s.get("additionalProperties") is False:
                errs.append(f"{path}: extra property {k}")
            elif isinstance(s.get("additionalProperties"), dict):
                errs += validate(s["additionalProperties"], x, root, f"{path}.{k}")
    return errs


def check_schema_doc(schema, text):
    """Parses text as JSON and validates it; returns a list of errors."""
    try:
        v = json.loads(text)
    except ValueError as e:
        return [f"not JSON: {e}"]
    return validate(schema, v)


# The languages of the test GBNF files, as regular expressions (the oracle for --grammar).
GBNF_LANGUAGES = {
    "list.gbnf": re.compile(r"List:(\n- ([1-9][0-9]?|a dozen) [a-z]+(-[a-z]+)?){1,4}\n?\Z"),
}


def check_gbnf_doc(name, text):
    if name == "json.gbnf":
        try:
            json.loads(text)
            return []
        except ValueError as e:
            return [f"not JSON: {e}"]
    return [] if GBNF_LANGUAGES[name].match(text) else [f"{text!r} is not in the language of {name}"]


if __name__ == "__main__":  # validates a dump: "schema-file<TAB>document" lines
    import sys

    base = sys.argv[2] if len(sys.argv) > 2 else "tests/cli/grammar"
    bad = 0
    for line in open(sys.argv[1], encoding="utf-8"):
        name, doc = line.rstrip("\n").split("\t", 1)
        schema = json.load(open(f"{base}/{name}", encoding="utf-8"))
        errs = check_schema_doc(schema, doc)
        if errs:
            bad += 1
            print(name, doc, errs)
    print("invalid:", bad)
