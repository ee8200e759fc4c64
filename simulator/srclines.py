"""Source lines of a program: pc -> ``file:line`` from its DWARF line programs
(``.debug_line``, written by ``chainrv build -g``), for traces and line profiles."""

from __future__ import annotations

import bisect
import io
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from elftools.dwarf.dwarfinfo import DWARFInfo


class LineTable:
    """The rows of every line program: from each row's address up to the next row's
    (or the end of its sequence), the instructions come from that file and line."""

    def __init__(self, rows: list[tuple[int, str | None]]) -> None:
        # a sequence's end and the next one's start can share an address: the start wins
        rows.sort(key=lambda r: (r[0], r[1] is not None))
        self._addrs = [r[0] for r in rows]
        self._rows = rows
        self._cache: dict[int, str | None] = {}

    @classmethod
    def from_elf(cls, data: bytes) -> LineTable | None:
        """The table of an ELF file's bytes; None when it has no line information (or
        information pyelftools cannot read: a trace or profile without lines is still
        right, so that is not an error)."""
        from elftools.common.exceptions import ELFError  # (only runs that print lines pay for it)
        from elftools.elf.elffile import ELFFile

        try:
            elf = ELFFile(io.BytesIO(data))
            if not elf.has_dwarf_info():
                return None
            rows = _rows(elf.get_dwarf_info())
        except (ELFError, ValueError, KeyError, IndexError, TypeError, AttributeError, AssertionError):
            return None
        return cls(rows) if rows else None

    def find(self, pc: int) -> str | None:
        """``file:line`` of the instruction at ``pc``, or None when no line program covers it."""
        if pc in self._cache:
            return self._cache[pc]
        k = bisect.bisect_right(self._addrs, pc) - 1
        got = None
        if k >= 0:
            got = self._rows[k][1]
        self._cache[pc] = got
        return got


def _rows(dwarf: DWARFInfo) -> list[tuple[int, str | None]]:
    """(address, "file:line") per row; the end of a sequence maps to None."""
    out: list[tuple[int, str | None]] = []
    for cu in dwarf.iter_CUs():
        program = dwarf.line_program_for_CU(cu)
        if program is None:
            continue
        files = program["file_entry"]
        first = 0 if program.header["version"] >= 5 else 1  # DWARF 5 numbers files from 0
        for entry in program.get_entries():
            state = entry.state
            if state is None:
                continue
            if state.end_sequence:
                out.append((state.address, None))
                continue
            k = state.file - first
            name = files[k].name.decode(errors="replace") if 0 <= k < len(files) else "?"
            out.append((state.address, f"{PurePosixPath(name).name}:{state.line}"))
    return out
