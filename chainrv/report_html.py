"""``report.html``: the whole report as one self-contained page (docs/profiling.md).

The plots are embedded as data URIs, the page loads nothing from anywhere, and a few
lines of inline script sort the summary table by the column clicked (or by
``#sort=KEY`` / ``#sort=-KEY`` in the address, e.g. ``report.html#sort=-speedup``).
Once the page has loaded, ``<body data-images-loaded="N/M">`` says how many of its M
images the browser decoded.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

from .report import Row, speedups
from .report_flames import Flame

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1250px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { padding: 0.2em 0.6em; border-bottom: 1px solid #e4e4e4; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; background: #f3f3f3; user-select: none; }
th[aria-sort=ascending]::after { content: " \\25B2"; } th[aria-sort=descending]::after { content: " \\25BC"; }
td.bad { color: #b00; font-weight: bold; }
img { max-width: 100%; border: 1px solid #eee; }
figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; }
"""

# Sorting: numbers by data-v (a missing value sorts last), text by its content.
_SCRIPT = """
(function () {
  function key(cell, num) {
    if (!num) return cell.textContent;
    var v = parseFloat(cell.dataset.v);
    return isNaN(v) ? -Infinity : v;
  }
  function sortBy(table, col, desc) {
    var heads = table.tHead.rows[0].cells, num = heads[col].dataset.type === "num";
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col], num), y = key(b.cells[col], num);
      var c = num ? (x < y ? -1 : x > y ? 1 : 0) : x.localeCompare(y);
      return desc ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    heads[col].setAttribute("aria-sort", desc ? "descending" : "ascending");
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.addEventListener("click", function () {
        sortBy(table, col, th.getAttribute("aria-sort") === "ascending");
      });
    });
  });
  var m = /^#sort=(-?)([\\w-]+)$/.exec(location.hash);
  var th = m && document.querySelector("table.sortable th[data-key='" + m[2] + "']");
  if (th) sortBy(th.closest("table"), th.cellIndex, m[1] === "-");
  window.addEventListener("load", function () {
    var ok = 0;
    for (var i = 0; i < document.images.length; i++) {
      if (document.images[i].complete && document.images[i].naturalWidth > 0) ok++;
    }
    document.body.dataset.imagesLoaded = ok + "/" + document.images.length;
  });
})();
"""

#: The report's plots, in the page's order, with their captions.
PLOTS = (
    ("speedup.png", "Speedup over rv32im (cycles), per kernel and configuration"),
    ("stalls.png", "Stall cycles by cause, as a share of each run's cycles"),
    ("cycles_per_byte.png", "Cycles per unit of work"),
    ("uarch.png", "Each microarchitecture against the first"),
    ("speedup_vs_area.png", "Speedup against area (chainrv report --synth)"),
)

#: Summary columns: (key, heading, numeric).
COLUMNS = (("kernel", "kernel", False), ("isa", "ISA", False), ("uarch", "uarch", False),
           ("cycles", "cycles", True), ("instret", "instructions", True), ("cpi", "CPI", True),
           ("per-unit", "cycles/unit", True), ("unit", "unit", False), ("stalls", "stall cycles", True),
           ("speedup", "speedup", True), ("verified", "verified", False))


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _num(value: float | None, text: str) -> str:
    v = "" if value is None else repr(value)
    return f'<td class="n" data-v="{v}">{_e(text)}</td>'


def summary_table(rows: Sequence[Row]) -> str:
    sp = speedups(list(rows))
    head = "".join(f'<th data-key="{k}"' + (' data-type="num"' if num else "") + f">{_e(h)}</th>"
                   for k, h, num in COLUMNS)
    body = []
    for r in rows:
        s = sp.get(r.key)
        stalls = sum(r.stalls.values())
        body.append("<tr>" + "".join([
            f"<td>{_e(r.kernel)}</td>", f"<td>{_e(r.isa_name)}</td>", f"<td>{_e(r.uarch)}</td>",
            _num(r.cycles, f"{r.cycles:,}"), _num(r.instret, f"{r.instret:,}"), _num(r.cpi, f"{r.cpi:.3f}"),
            _num(r.cycles_per_unit, f"{r.cycles_per_unit:,.1f}"), f"<td>{_e(r.unit)}</td>",
            _num(stalls, f"{stalls:,}"), _num(s, "—" if s is None else f"{s:.2f}x"),
            "<td>yes</td>" if r.verified else '<td class="bad">NO</td>']) + "</tr>")
    return (f'<table class="sortable" id="summary"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def page(rows: Sequence[Row], out_dir: Path, flames: Sequence[Flame], config: Mapping[str, str]) -> str:
    """The page, from ``rows`` and the plots already written into ``out_dir``."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>chainrv kernel report</title>", f"<style>{_STYLE}</style></head><body>",
             "<h1>chainrv kernel report</h1>",
             f"<p>{len(rows)} runs of {len({r.kernel for r in rows})} kernels on the ISS. "
             "Click a column heading to sort; speedup is over rv32im of the same kernel "
             "(an Xchain variant's over its base kernel).</p>",
             "<h2>Summary</h2>", summary_table(rows), "<h2>Plots</h2>"]
    for name, caption in PLOTS:
        if (out_dir / name).is_file():
            parts.append(f"<figure>{_image(out_dir / name, caption)}"
                         f"<figcaption>{_e(caption)}</figcaption></figure>")
    if flames:
        parts.append("<h2>Flame graphs</h2><p>Cycles by call stack of each kernel's main configuration "
                     "(<code>chainrv run --profile-speedscope</code> writes the same for speedscope; "
                     "docs/profiling.md).</p>")
        for f in flames:
            parts.append(f'<figure id="flame-{_e(f.kernel)}">{_image(out_dir / f.file_name, f.title)}'
                         f"<figcaption>{_e(f.title)}</figcaption></figure>")
    parts.append('<h2>Configuration</h2><table id="configuration">')
    parts += [f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in config.items()]
    parts.append(f"</table><script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def write(rows: Sequence[Row], out_dir: Path, flames: Sequence[Flame], config: Mapping[str, str]) -> Path:
    path = out_dir / "report.html"
    path.write_text(page(rows, out_dir, flames, config), encoding="utf-8")
    return path
