#!/usr/bin/env python3
"""check_html.py: a strict reading of a trainmon HTML report (or of the DOM Chromium dumped).

    check_html.py strict FILE [--max-points N]   parse strictly, refuse external references,
                                                  print the charts and their point counts (JSON)
    check_html.py rows FILE TEXT                 every row of the text report (TEXT: `trainmon
                                                  analyze` output of the same runs) is in the
                                                  HTML summary tables, word for word
    check_html.py netlog NETLOG                  the page (a file:// document) asked for nothing
                                                  over the network (Chromium --log-net-log)

Strict: every tag is closed, in order (void elements excepted; SVG elements may close
themselves), no end tag without its start, one <html>, no <script>, <link>, <iframe>, <object>,
<embed>, no on* attributes, no URL with a scheme other than data: in any attribute or style,
no @import; well-formed UTF-8. Exit 1 with the reasons on stderr.
"""
import html
import html.parser
import json
import re
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
FORBIDDEN = {"script", "link", "iframe", "object", "embed", "frame", "base", "img", "audio", "video"}
URL_RE = re.compile(r"(?i)\b(?:https?|ftp|wss?|file)://|//[a-z0-9.-]+\.[a-z]{2,}/|url\(\s*['\"]?(?!#)[^)]*\)|@import")


class Strict(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors = [], []
        self.charts, self.paths, self.sections = [], [], []
        self.svg_depth = 0
        self.in_style = False
        self.rows, self.cur_row, self.in_summary = [], None, 0
        self.cell = None

    def err(self, msg):
        line, col = self.getpos()
        self.errors.append(f"{line}:{col}: {msg}")

    def check_attrs(self, tag, attrs):
        for k, v in attrs:
            if k.startswith("on"):
                self.err(f"<{tag}> has an event handler attribute {k}")
            if v and URL_RE.search(v):
                self.err(f"<{tag} {k}=...> names a URL: {v[:80]!r}")
            if k in ("href",) and v and not v.startswith("#"):
                self.err(f"<{tag} href={v!r}> leaves the page")

    def handle_starttag(self, tag, attrs):
        self.check_attrs(tag, attrs)
        a = dict(attrs)
        if tag in FORBIDDEN:
            self.err(f"<{tag}> is not allowed in a self-contained report")
        if tag == "svg":
            self.svg_depth += 1
        if tag == "figure" and "chart" in (a.get("class") or "").split():
            self.charts.append({"id": a.get("id"), "paths": []})
        if tag == "path" and "s" in (a.get("class") or "").split():
            p = {"points": int(a.get("data-points", -1)), "of": int(a.get("data-of", -1)),
                 "d_points": len(re.findall(r"[MLH]", a.get("d", "")))}
            self.paths.append(p)
            if self.charts:
                self.charts[-1]["paths"].append(p)
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "table" and "summary" in (a.get("class") or "").split():
            self.in_summary = len(self.stack) + 1
        if self.in_summary and tag == "tr":
            self.cur_row = ["", ""]
        if self.in_summary and tag in ("th", "td"):
            self.cell = 0 if tag == "th" else 1
        if self.in_summary and tag == "br" and self.cur_row is not None:
            self.cur_row[1] += "\n"
        if tag == "style":
            self.in_style = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if self.svg_depth == 0 and tag not in VOID:
            self.err(f"<{tag}/> closes itself outside SVG")
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            self.err(f"</{tag}>: a void element has no end tag")
            return
        if not self.stack or self.stack[-1] != tag:
            self.err(f"</{tag}> does not close the open <{self.stack[-1] if self.stack else 'nothing'}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "svg":
            self.svg_depth -= 1
        if tag == "style":
            self.in_style = False
        if tag in ("th", "td"):
            self.cell = None
        if tag == "tr" and self.cur_row is not None:
            self.rows.append(tuple(self.cur_row))
            self.cur_row = None
        if tag == "table" and self.in_summary and len(self.stack) + 1 == self.in_summary:
            self.in_summary = 0

    def handle_data(self, data):
        if self.in_style and URL_RE.search(data):
            self.err("the style sheet names a URL or @import")
        if self.cur_row is not None and self.cell is not None:
            self.cur_row[self.cell] += data

    def handle_decl(self, decl):
        if decl.lower() != "doctype html":
            self.err(f"unexpected declaration {decl!r}")


def strict(path, max_points):
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        print(f"{path}: not UTF-8: {e}", file=sys.stderr)
        return 1, None
    p = Strict()
    p.feed(text)
    p.close()
    if p.stack:
        p.err(f"unclosed at the end: {' > '.join(p.stack)}")
    if text.lower().count("<html") != 1:
        p.err("not exactly one <html>")
    for c in p.charts:
        for q in c["paths"]:
            if q["points"] < 0 or q["points"] > q["of"] or (max_points and q["points"] > max_points):
                p.err(f"chart {c['id']}: {q['points']} points of {q['of']} (max {max_points})")
            if q["d_points"] != q["points"]:
                p.err(f"chart {c['id']}: the path draws {q['d_points']} points, data-points says {q['points']}")
    for e in p.errors:
        print(f"{path}:{e}", file=sys.stderr)
    return (1 if p.errors else 0), p


def rows(path, text_path):
    rc, p = strict(path, 0)
    if rc:
        return rc
    have = set()
    for k, v in p.rows:
        for i, part in enumerate(v.split("\n")):
            have.add((k.strip() if i == 0 else "", part.strip()))
    bad = 0
    n = 0
    for line in open(text_path, encoding="utf-8", errors="replace"):
        m = re.match(r"^  (\S.{12}|\s{13}) (\S.*)$", line.rstrip("\n"))
        if not m or line.startswith("    "):
            continue
        key, val = m.group(1).strip(), m.group(2).strip()
        if key in ("events", "regimes", "anomalies"):
            continue            # sections of their own in the page
        n += 1
        if (key, val) not in have:
            print(f"{path}: text row {key!r}: {val!r} is not in the HTML summary", file=sys.stderr)
            bad += 1
    if n == 0:
        print(f"{text_path}: no rows read", file=sys.stderr)
        return 1
    print(f"{n} text rows found in the HTML summary tables")
    return 1 if bad else 0


def netlog(path):
    d = json.load(open(path))
    bad = []
    for e in d.get("events", []):
        p = e.get("params") or {}
        url, nik = p.get("url"), p.get("network_isolation_key", "")
        # requests made for the page carry its file:// isolation key; Chromium's own background
        # requests (updates, time) carry none
        if url and "file://" in str(nik) and not url.startswith(("file:", "data:")):
            bad.append(url)
    for u in sorted(set(bad)):
        print(f"{path}: the page requested {u}", file=sys.stderr)
    return 1 if bad else 0


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "strict":
        mp = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--max-points" else 0
        rc, p = strict(path, mp)
        if p is not None:
            print(json.dumps({"sections": p.sections, "charts": [{"id": c["id"], "points": [q["points"] for q in c["paths"]],
                              "of": [q["of"] for q in c["paths"]]} for c in p.charts]}))
        return rc
    if mode == "rows":
        return rows(path, sys.argv[3])
    if mode == "netlog":
        return netlog(path)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
