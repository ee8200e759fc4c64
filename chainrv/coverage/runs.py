"""Programs run on the ISS in trace mode and sampled into a coverage model."""

from __future__ import annotations

from pathlib import Path

from isa.config import IsaConfig
from isa.memmap import RAM_BASE, RAM_SIZE
from isa.randprog import random_program
from isa.uarch import Uarch
from simulator import Machine
from simulator.elfload import LoadedElf, parse_elf

from .model import Model
from .sampler import Sampler


class Coverage:
    """A model and its sampler; ``run`` adds one program's trace."""

    def __init__(self, config: IsaConfig, uarch: Uarch) -> None:
        self.config = config
        self.uarch = uarch
        self.model = Model(config, uarch)
        self.sampler = Sampler(self.model)
        self.programs = 0
        self.failed: list[str] = []

    def run(self, elf: str | Path | LoadedElf, name: str, input_bytes: bytes | None = None,
            max_instructions: int | None = None, chunk: int = 65536, unhandled: bool = False) -> None:
        """Run ``elf`` to its end and sample every record; a run that does not exit
        with status 0 (with ``unhandled``: that does not end at a trap with no handler) is
        listed in ``failed`` (its records still count). ``chunk``: records per piece of the
        trace (the counts do not depend on it)."""
        m = Machine(self.config, uarch=self.uarch)
        m.load_elf(elf)
        if input_bytes is not None:
            m.set_input(input_bytes)
        for recs, stalls in m.iter_trace(max_instructions, chunk=chunk, stalls=True):
            self.sampler.sample(recs, stalls)
        res = m.result
        self.sampler.end_run(res.counters, m.mcause if res.stop == "trap" else None)
        self.programs += 1
        if unhandled and res.stop != "trap":
            self.failed.append(f"{name}: ended ({res.stop}) without the trap it is written for")
        elif not unhandled and (res.stop != "exit" or res.exit_code != 0):
            self.failed.append(f"{name}: {res.trap or f'exit status {res.exit_code}'}")

    def run_random(self, seed: int, blocks: int = 20, length: int = 60) -> None:
        """A random program of ``isa/randprog.py``; as in the lockstep, without stores into
        code under caches (they need fence.i there, docs/timing.md)."""
        cached = self.uarch.icache is not None or self.uarch.dcache is not None
        prog = random_program(seed, self.config, blocks=blocks, length=length, selfmod=not cached)
        name = f"random program {seed}"
        self.run(parse_elf(prog.elf(), RAM_BASE, RAM_SIZE, name), name)
