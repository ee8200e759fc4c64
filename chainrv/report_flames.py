"""The report's flame graphs: one per kernel, of its main configuration.

A kernel's main configuration is the first microarchitecture of the report and the
last ISA the kernel runs on there (by default the fullest one: rv32im_zk_zks, or an
Xchain variant's own ISA). Its call tree comes from a second run of that configuration
in trace mode (simulator.callgraph); the report's numbers come from the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from isa.config import IsaConfig
from isa.uarch import Uarch
from simulator.callgraph import CallTree

from .kernels import Kernel


@dataclass
class Flame:
    kernel: str
    isa: IsaConfig
    uarch: Uarch
    tree: CallTree

    @property
    def title(self) -> str:
        where = self.isa.short_name() + ("" if self.uarch.is_ideal else f" @{self.uarch}")
        return f"{self.kernel} on {where}: {self.tree.total:,} cycles"

    @property
    def file_name(self) -> str:
        return "flame_" + re.sub(r"[^A-Za-z0-9_.-]", "_", self.kernel) + ".png"


def main_jobs(jobs: list[tuple[Kernel, IsaConfig, Uarch]]) -> list[tuple[Kernel, IsaConfig, Uarch]]:
    """Per kernel, the job of its main configuration, in the order of the report."""
    first = str(jobs[0][2]) if jobs else ""
    main: dict[str, tuple[Kernel, IsaConfig, Uarch]] = {}
    for job in jobs:
        if str(job[2]) == first:
            main[job[0].name] = job        # the last ISA wins
    return list(main.values())


def call_tree(kernel: Kernel, isa: IsaConfig, uarch: Uarch) -> CallTree:
    from simulator import Machine
    from simulator.callgraph import build_call_tree

    m = Machine(isa, uarch=uarch)
    m.load_elf(kernel.build(isa))
    return build_call_tree(m.iter_trace(stalls=True), m.functions)


def collect(jobs: list[tuple[Kernel, IsaConfig, Uarch]],
            checkpoint: Callable[[], None] = lambda: None) -> list[Flame]:
    """The call tree of every kernel's main configuration (with a progress bar)."""
    from .report import Progress

    main = main_jobs(jobs)
    progress = Progress(len(main))
    out = []
    try:
        for k, c, u in main:
            progress.step(f"call graph of {k.name} {c.short_name()}")
            out.append(Flame(k.name, c, u, call_tree(k, c, u)))
            checkpoint()
    except BaseException:
        progress.abandon()
        raise
    progress.close()
    return out


def plot(flames: list[Flame], out_dir: Path, checkpoint: Callable[[], None] = lambda: None) -> list[Path]:
    from .flamegraph import plot_flame

    paths = []
    for f in flames:
        paths.append(plot_flame(f.tree, out_dir / f.file_name, f.title))
        checkpoint()
    return paths
