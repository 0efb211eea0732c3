/* svg_style.c: the CSS of svg.c's charts, light and dark (prefers-color-scheme). Colours are the
 * Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"; black left out), told apart with
 * the common colour vision deficiencies; in the dark the blue and the sky blue swap, so the first
 * series keeps its contrast. Series, swatches and reference lines take their colour from class
 * cN (--c), markers from mk-SEVERITY (--mk). Static text only.
 */
#include "trainmon/svg.h"
#include "banned.h"

void tm_svg_style(FILE *f)
{
	fputs(":root{--c0:#0072b2;--c1:#d55e00;--c2:#009e73;--c3:#e69f00;--c4:#cc79a7;--c5:#56b4e9;--c6:#b8a800;"
	      "--fg:#1f2328;--fg2:#59636e;--grid:#e3e7eb;--bg:#ffffff;--panel:#f6f8fa;--line:#d1d9e0}\n"
	      "@media (prefers-color-scheme:dark){:root{--c0:#56b4e9;--c5:#3d8fd1;--c6:#f0e442;--c2:#2bbf8e;"
	      "--fg:#e6edf3;--fg2:#9198a1;--grid:#262c33;--bg:#0d1117;--panel:#151b23;--line:#3d444d}}\n"
	      ".c0{--c:var(--c0)}.c1{--c:var(--c1)}.c2{--c:var(--c2)}.c3{--c:var(--c3)}.c4{--c:var(--c4)}"
	      ".c5{--c:var(--c5)}.c6{--c:var(--c6)}\n"
	      "figure.chart{margin:0 0 18px;padding:12px 14px 6px;background:var(--panel);border:1px solid var(--line);"
	      "border-radius:8px}\n"
	      "figure.chart figcaption{font-weight:600;margin-bottom:4px}\n"
	      "figure.chart .note{font-weight:400;color:var(--fg2);font-size:.9em}\n"
	      "figure.chart svg{display:block;width:100%;height:auto;font-family:inherit}\n"
	      ".legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:.85em;color:var(--fg2);margin:2px 0 4px}\n"
	      ".legend .key{white-space:nowrap}\n"
	      ".sw{display:inline-block;width:18px;height:0;border-top:2.5px solid var(--c);vertical-align:middle;"
	      "margin-right:6px}.sw.dash{border-top-style:dashed}\n"
	      ".mkey{display:inline-block;width:0;height:0;border-left:5px solid transparent;border-right:5px solid "
	      "transparent;border-top:8px solid var(--mk);vertical-align:middle;margin-right:6px}\n"
	      "path.s{fill:none;stroke:var(--c);stroke-width:1.5;stroke-linejoin:round;stroke-linecap:round}\n"
	      "path.s.dash{stroke-dasharray:7 4;stroke-width:1.8}\n"
	      ".pts circle{fill:var(--c)}\n"
	      ".grid line{stroke:var(--grid);stroke-width:1}\n"
	      ".axis line{stroke:var(--fg2);stroke-width:1}\n"
	      ".axis text{fill:var(--fg2);font-size:11px}.axis .yl{text-anchor:end}\n"
	      ".axis .xl,.axis .xt,.axis .yt{text-anchor:middle}.axis .xt,.axis .yt{fill:var(--fg);font-size:12px}\n"
	      ".hl line{stroke:var(--c);stroke-width:1.3}.hl.dash line{stroke-dasharray:6 4}\n"
	      ".hl text{fill:var(--c);font-size:11px;text-anchor:end;paint-order:stroke;stroke:var(--panel);"
	      "stroke-width:3px}\n"
	      ".rg rect{fill:var(--fg2);opacity:.10}.rg text{fill:var(--fg2);font-size:10.5px}\n"
	      ".rg1 rect{fill:var(--c0);opacity:.09}.rg2 rect{fill:var(--c1);opacity:.09}"
	      ".rg3 rect{fill:var(--c2);opacity:.09}.rg4 rect{fill:var(--c3);opacity:.11}"
	      ".rg5 rect{fill:var(--c4);opacity:.10}.rg6 rect{fill:var(--c5);opacity:.10}"
	      ".rg7 rect{fill:var(--c6);opacity:.12}\n"
	      ".mk-critical{--mk:var(--c1)}.mk-error{--mk:var(--c3)}.mk-warning{--mk:var(--c6)}.mk-info{--mk:var(--fg2)}"
	      ".mk-anomaly{--mk:var(--c4)}\n"
	      ".mk line{stroke:var(--mk);stroke-width:1;stroke-dasharray:3 3}"
	      ".mk line.hit{stroke:transparent;stroke-width:10;stroke-dasharray:none}\n"
	      ".mk path,.mk circle{fill:var(--mk)}.mk circle{stroke:var(--panel);stroke-width:1.5}"
	      ".mk:hover line{stroke-width:2}.mk:hover line.hit{stroke-width:10}\n"
	      ".bar{display:flex;height:26px;border-radius:5px;overflow:hidden;border:1px solid var(--line);margin:6px 0}\n"
	      ".bar span{background:var(--c);min-width:2px}\n"
	      ".barkeys{display:flex;flex-wrap:wrap;gap:4px 18px;font-size:.85em;color:var(--fg2)}\n"
	      ".barkeys .box{display:inline-block;width:10px;height:10px;background:var(--c);margin-right:6px;"
	      "border-radius:2px}\n"
	      ".empty{color:var(--fg2);font-style:italic}\n", f);
}
