#!/usr/bin/env python3
"""html_check.py - checks that an HTML page steward wrote is well-formed: every element
that is opened is closed in order (void elements aside), no script, one <h1>; with
--sections N, exactly N <section> elements. Exits 1 naming the first problem."""
import sys
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.counts = [], [], {}

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"line {self.getpos()[0]}: </{tag}> does not close "
                               f"{self.stack[-1][0] if self.stack else 'anything'}")
        else:
            self.stack.pop()


def main():
    path = sys.argv[1]
    text = open(path, encoding="utf-8").read()
    c = Checker()
    c.feed(text)
    c.close()
    if not text.startswith("<!DOCTYPE html>"):
        c.errors.append("no <!DOCTYPE html>")
    if c.stack:
        c.errors.append(f"unclosed: {[t for t, _ in c.stack]}")
    if c.counts.get("script"):
        c.errors.append("has a <script>")
    if c.counts.get("h1") != 1:
        c.errors.append(f"{c.counts.get('h1', 0)} <h1> elements")
    if "--sections" in sys.argv:
        want = int(sys.argv[sys.argv.index("--sections") + 1])
        if c.counts.get("section", 0) != want:
            c.errors.append(f"{c.counts.get('section', 0)} sections, want {want}")
    for e in c.errors:
        print(f"{path}: {e}", file=sys.stderr)
    sys.exit(1 if c.errors else 0)


main()
