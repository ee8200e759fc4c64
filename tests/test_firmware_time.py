"""``clock()``, ``time()`` and ``gettimeofday()`` link and read the CLINT's mtime at the
nominal clock (firmware/runtime.c, docs/firmware.md): checked against the ISS's own
cycle count, and, after the program sets mtime, against Python's arithmetic."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chainrv.toolchain import GCC, build_elf
from isa.memmap import NOMINAL_CLOCK_HZ
from simulator import run_elf

pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason="no RISC-V GCC")

TICK = NOMINAL_CLOCK_HZ // 1_000_000  # cycles per clock() tick (CLOCKS_PER_SEC = 10**6)

SPIN = r"""
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
int main(void) {
    while (clock() < %(ticks)d)
        ;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    printf("%%ld %%ld %%ld %%ld\n", (long)CLOCKS_PER_SEC, (long)time(NULL), (long)tv.tv_sec,
           (long)tv.tv_usec);
    return 0;
}
"""

SET = r"""
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include "chainrv.h"
int main(void) {
    volatile uint32_t *mtime = (volatile uint32_t *)CRV_MTIME;
    mtime[0] = 0;  /* no carry into the high word between the two stores */
    mtime[1] = %(hi)uu;
    mtime[0] = %(lo)uu;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    time_t t = time(NULL);
    printf("%%ld %%ld %%ld\n", (long)tv.tv_sec, (long)tv.tv_usec, (long)t);
    return 0;
}
"""


def _build(tmp_path: Path, source: str, isa: str) -> Path:
    src = tmp_path / "prog.c"
    src.write_text(source)
    return build_elf([src], tmp_path / "prog.elf", isa=isa)


@pytest.mark.parametrize("isa", ["rv32im", "rv32im_zicsr_zk_zks"])
def test_clock_counts_the_machines_cycles(tmp_path: Path, isa: str) -> None:
    ticks = 3000  # 300,000 cycles at the nominal clock
    r = run_elf(_build(tmp_path, SPIN % {"ticks": ticks}, isa), isa=isa)
    assert r.exit_code == 0, r.trap
    per_sec, t, sec, usec = map(int, r.stdout.split())
    assert per_sec == NOMINAL_CLOCK_HZ // TICK
    # the spin ended at the first clock() read past the mark: the whole run is that
    # many cycles plus the start-up, the last poll and the printing after it
    assert ticks * TICK <= r.cycles <= ticks * TICK + 60_000
    assert t == sec == 0
    assert ticks * TICK // 100 <= usec <= r.cycles // 100  # microseconds = cycles / 100


@pytest.mark.parametrize("mtime", [5_000_000_123, 12_345_678_900_000, (1 << 32) - 50])
def test_time_of_a_large_mtime(tmp_path: Path, mtime: int) -> None:
    src = SET % {"hi": mtime >> 32, "lo": mtime & 0xFFFFFFFF}
    r = run_elf(_build(tmp_path, src, "rv32im"), isa="rv32im")
    assert r.exit_code == 0, r.trap
    sec, usec, t = map(int, r.stdout.split())
    # read a few hundred cycles after the store (the call, the divide loop)
    lo_sec, lo_rem = divmod(mtime, NOMINAL_CLOCK_HZ)
    hi_sec, hi_rem = divmod(mtime + 2_000, NOMINAL_CLOCK_HZ)
    assert (lo_sec, lo_rem // TICK) <= (sec, usec) <= (hi_sec, hi_rem // TICK)
    assert sec <= t <= hi_sec
