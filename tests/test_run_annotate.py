"""``chainrv run --annotate FUNC``: each instruction of a function with its count,
cycles, stalls and source line. The counts are checked against the retirement
trace (another variant of the loop, counted here), the cycles against ``--profile``'s
row for the function, the text against the disassembler and ``addr2line``."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from chainrv.cli import main
from chainrv.toolchain import GCC, build_elf
from simulator import Machine

pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason="no RISC-V GCC")

SRC = r"""
#include <stdint.h>
#include <stdio.h>
__attribute__((noinline)) uint32_t mix(const uint32_t *a, int n) {
    uint32_t s = 0;
    for (int i = 0; i < n; i++)
        s = (s ^ a[i]) * 3u + (s >> 5);
    return s;
}
uint32_t buf[40];
int main(void) {
    for (int i = 0; i < 40; i++) buf[i] = (uint32_t)i * 2654435761u;
    printf("%u\n", (unsigned)mix(buf, 40));
    return 0;
}
"""
ROW = re.compile(r"^\s*([0-9a-f]{8})\s+(\d+)\s+(\d+)\s{2}(.*?)\s{2,}(\S.*?)(?:\s{2,}(\S+:\d+))?$")


@pytest.fixture(scope="module")
def elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("annotate")
    (d / "mix.c").write_text(SRC)
    return build_elf([d / "mix.c"], d / "mix.elf", isa="rv32im", debug=True)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["run", *args])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("uarch", ["ideal", "cached"])
def test_annotate_counts_cycles_and_text(elf: Path, capsys: pytest.CaptureFixture[str], uarch: str) -> None:
    status, err = _run(capsys, str(elf), "--annotate", "mix", "--profile", "--uarch", uarch)
    assert status == 0
    rows = [m.groups() for ln in err.splitlines() if (m := ROW.match(ln))]
    assert len(rows) > 8
    # counts: from the trace, retirements per pc
    m = Machine("rv32im", uarch=uarch)
    m.load_elf(elf)
    _, recs = m.trace()
    traced = Counter(int(pc) for pc in recs["pc_rdata"])
    assert [int(count) for _, count, *_ in rows] == [traced[int(a, 16)] for a, *_ in rows]
    # cycles: the rows add up to the function's --profile row
    prof = next(ln for ln in err.splitlines() if ln.startswith("mix "))
    assert sum(int(c) for _, _, c, *_ in rows) == int(prof.split()[1])
    # stalls: each row's causes add up to its cycles beyond one per retirement
    for _, count, cycles, stalls, *_ in rows:
        extra = sum(int(n) for n in re.findall(r"\d+", stalls))
        assert int(cycles) == int(count) + extra
    # source lines: those addr2line gives
    addrs = [a for a, *_ in rows]
    a2l = subprocess.run([shutil.which(GCC).replace("gcc", "addr2line"), "-e", str(elf), *addrs],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    where = [ln.split()[0] for ln in a2l]  # path:line (discriminator N)
    assert [w for *_, w in rows] == [f"{Path(x.split(':')[0]).name}:{x.split(':')[1]}" for x in where]


def test_annotate_range_and_errors(elf: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, err = _run(capsys, str(elf), "--annotate", "0x80000000:0x80000010")
    assert status == 0 and len([ln for ln in err.splitlines() if ROW.match(ln)]) == 4
    for args, message in ((["--annotate", "nosuch"], "no function 'nosuch'"),
                          (["--annotate", "0x10:0x8"], "empty range"),
                          (["--annotate", "mix", "--trace", "/dev/null"], "cannot be combined")):
        status, err = _run(capsys, str(elf), *args)
        assert status == 2 and message in err and len(err.splitlines()) == 1
