"""``report.html``: self-contained (every image a data URI of the folder's PNG, nothing
fetched), and rendered by a real headless Chromium: its images decoded, its summary table
sorted by the page's script, no console message."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chainrv import report_html
from isa import IsaConfig

#: Debian's chromium-headless-shell (Makefile APT_PACKAGES), or a full Chromium.
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")


def browser() -> str | None:
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


class Page(HTMLParser):
    """What the tests read of a page: image sources, every URL-bearing attribute, the
    summary table's cells, the configuration table and the body's attributes."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.images: list[str] = []
        self.urls: list[str] = []
        self.rows: list[list[str]] = []
        self.config: dict[str, str] = {}
        self.body: dict[str, str | None] = {}
        self.heads: dict[str, dict[str, str | None]] = {}
        self._table = ""
        self._cell: list[str] | None = None
        self._row: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href", "srcset", "action") and v]
        if tag == "img":
            self.images.append(a["src"] or "")
        elif tag == "body":
            self.body = a
        elif tag == "table":
            self._table = a.get("id") or ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
            if tag == "th" and a.get("data-key"):
                self.heads[a["data-key"] or ""] = a

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr":
            if self._table == "summary" and self._row and not self._row[0] == "kernel":
                self.rows.append(self._row)
            elif self._table == "configuration" and len(self._row) == 2:
                self.config[self._row[0]] = self._row[1]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report"
    r = subprocess.run([sys.executable, "-m", "chainrv.cli", "report", "--kernels", "sha256", "ripemd160",
                        "--isa", "rv32im", "rv32im_zicsr_zk_zks", "--out", str(out)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def test_self_contained(report: Path) -> None:
    page = Page((report / "report.html").read_text())
    pngs = {p.name: p.read_bytes() for p in report.glob("*.png")}
    # every plot of the folder, the two flame graphs among them, embedded byte for byte
    assert {"flame_sha256.png", "flame_ripemd160.png", "speedup.png", "stalls.png"} <= set(pngs)
    prefix = "data:image/png;base64,"
    assert all(src.startswith(prefix) for src in page.images)
    assert sorted(base64.b64decode(src[len(prefix):]) for src in page.images) == sorted(pngs.values())
    assert all(u.startswith("data:") for u in page.urls)
    rows = json.loads((report / "report.json").read_text())
    assert [(c[0], c[1], int(c[3].replace(",", ""))) for c in page.rows] == \
        [(r["kernel"], IsaConfig.parse(r["isa"]).short_name(), r["cycles"]) for r in rows]
    assert page.config["kernels"] == "sha256 ripemd160"
    assert page.config["ISAs"] == "rv32im rv32im_zk_zks"
    assert page.config["microarchitectures"] == "ideal"


def test_optional_plots_are_embedded_when_written(tmp_path: Path) -> None:
    names = [name for name, _ in report_html.PLOTS]
    for k, name in enumerate(names):
        (tmp_path / name).write_bytes(b"\x89PNG fake %d" % k)
    page = Page(report_html.page([], tmp_path, [], {"synthesis": "ecp5"}))
    assert [base64.b64decode(s.split(",", 1)[1]) for s in page.images] == \
        [b"\x89PNG fake %d" % k for k in range(len(names))]
    (tmp_path / "speedup_vs_area.png").unlink()
    assert len(Page(report_html.page([], tmp_path, [], {})).images) == len(names) - 1


def render(url: str, tmp_path: Path) -> tuple[str, list[str]]:
    """The DOM Chromium holds once the page has loaded, and its console messages."""
    exe = browser()
    if exe is None:
        pytest.skip(f"no headless Chromium ({', '.join(BROWSERS)})")
    r = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
                        "--virtual-time-budget=5000", "--dump-dom", url],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout, [line for line in r.stderr.splitlines() if ":CONSOLE" in line]


def test_renders_in_chromium(report: Path, tmp_path: Path) -> None:
    dom, console = render((report / "report.html").as_uri() + "#sort=-cycles", tmp_path)
    assert console == []
    page = Page(dom)
    n = len(list(report.glob("*.png")))
    assert page.body.get("data-images-loaded") == f"{n}/{n}"
    # sorted by the page's script: cycles, largest first (the JSON rows sorted here)
    rows = json.loads((report / "report.json").read_text())
    want = sorted(((r["cycles"], r["kernel"]) for r in rows), reverse=True)
    assert want != [(r["cycles"], r["kernel"]) for r in rows]     # the script had to move rows
    assert [(int(c[3].replace(",", "")), c[0]) for c in page.rows] == want
    assert page.heads["cycles"].get("aria-sort") == "descending"


def test_console_errors_are_seen(tmp_path: Path) -> None:
    # the check above would pass vacuously if this browser logged nothing
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>")
    _, console = render(bad.as_uri(), tmp_path)
    assert any("undefinedFunction" in line for line in console)
