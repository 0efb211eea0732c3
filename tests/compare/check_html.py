#!/usr/bin/env python3
"""check_html.py PAGE.html CHARTS [MIN_Y_TICK]: a `trainmon compare --format html` page, strictly.

The HTML nests properly (every non-void element closed in order) and names no external resource
(no src, href, url(), @import; the only URL is the SVG namespace). It holds CHARTS inline <svg>
charts, each well-formed XML, each with a polyline for A and one for B of at most 2000 points
whose `data-points` says how many; prints "chart: points A, points B" per chart. With MIN_Y_TICK,
the first chart must have a y tick label at or above it (a spike survived the downsampling).
"""
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

path, charts = sys.argv[1], int(sys.argv[2])
min_tick = float(sys.argv[3]) if len(sys.argv) > 3 else None
page = open(path, encoding="utf-8").read()
VOID = {"meta", "link", "br", "img", "input", "hr", "rect", "line", "polyline", "path", "circle"}

class Strict(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") or (v and re.search(r"https?://", v) and v != "http://www.w3.org/2000/svg"):
                sys.exit("external reference: <%s %s=%r>" % (tag, k, v))
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()
    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            sys.exit("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
        self.stack.pop()

p = Strict()
p.feed(page)
p.close()
if p.stack:
    sys.exit("unclosed: %s" % p.stack)
if not page.startswith("<!DOCTYPE html>") or re.search(r"url\(|@import|<script", page):
    sys.exit("not a self-contained page")
svgs = re.findall(r"<svg .*?</svg>", page, re.S)
if len(svgs) != charts:
    sys.exit("%d charts, want %d" % (len(svgs), charts))
for i, s in enumerate(svgs):
    root = ET.fromstring(s)
    ns = "{http://www.w3.org/2000/svg}"
    lines = {pl.get("class"): pl for pl in root.iter(ns + "polyline")}
    if set(lines) != {"runa", "runb"}:
        sys.exit("chart %d: polylines %s" % (i, sorted(lines)))
    counts = []
    for k in ("runa", "runb"):
        pts = lines[k].get("points").split()
        if len(pts) != int(lines[k].get("data-points")) or len(pts) > 2000:
            sys.exit("chart %d %s: %d points, data-points %s" % (i, k, len(pts), lines[k].get("data-points")))
        counts.append(len(pts))
    print("%s: %d points A, %d points B" % (root.get("aria-label"), counts[0], counts[1]))
    if i == 0 and min_tick is not None:
        ticks = [t.text for t in root.iter(ns + "text") if t.get("text-anchor") == "end"]
        vals = [float(re.sub(r"[kMGTP]$", "", t)) for t in ticks]
        if max(vals) < min_tick:
            sys.exit("chart 0: y ticks %s, none at or above %g: the spike was lost" % (ticks, min_tick))
