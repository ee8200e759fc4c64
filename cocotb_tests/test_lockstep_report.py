"""The lockstep check itself: log parsing, the first difference and its report,
and ``chainrv cosim``'s exit statuses, including a real RTL/ISS disagreement
(a core built without Zknh running a sha256sum0 that the ISS executes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chainrv.cli import main
from chainrv.cosim import harness
from chainrv.cosim.lockstep import describe, first_difference, lockstep
from chainrv.cosim.retire_log import LINE_BYTES, LOG_DIGITS, parse_log
from isa.asm import assemble
from isa.elfwriter import make_elf
from simulator import RVFI_DTYPE

FIN = "lui t0, 0x100\nlui t1, 0x5\naddi t1, t1, 0x555\nsw t1, 0(t0)\n"


def _line(fields: list[int]) -> bytes:
    return (" ".join(f"{v:0{d}x}" for v, (_, d) in zip(fields, LOG_DIGITS, strict=True)) + "\n").encode()


def test_parse_log_reads_every_field() -> None:
    values = [2**40 + 3, 0x00B50023, 1, 0x80000010, 0x80000014, 31, 0xFFFFFFFF, 7, 0x1234, 5, 0xDEADBEEF,
              0x10000000, 1, 0, 0x60, 0, 2**33 + 9]
    data = _line(values) * 2
    assert len(data) == 2 * LINE_BYTES
    recs = parse_log(data)
    assert [int(recs[1][n]) for n in RVFI_DTYPE.names] == values


def test_parse_log_rejects_unknown_values() -> None:
    bad = _line([0] * 17).replace(b" 00000000 ", b" xxxxxxxx ", 1)   # the insn field
    with pytest.raises(ValueError, match="insn"):
        parse_log(bad)


def test_first_difference_and_report() -> None:
    a = np.zeros(5, RVFI_DTYPE)
    a["order"] = np.arange(5)
    a["cycle"] = np.arange(5) + 4
    a["insn"] = 0x00000013
    b = a.copy()
    assert first_difference(a, b) is None
    b["cycle"][3] += 1
    assert first_difference(a, b) == 3
    text = describe(a, b, 3)
    assert "record 3" in text and "cycle ISS 0x7 RTL 0x8" in text and "addi zero,zero,0" in text
    assert first_difference(a, b[:3]) == 3      # one side ended early
    assert "no record" in describe(a, b[:3], 3)


@pytest.fixture
def crypto_elf(tmp_path: Path) -> Path:
    code = assemble("li a0, 0x12345678\nsha256sum0 a1, a0\nadd a2, a1, a1\n" + FIN)
    elf = tmp_path / "zknh.elf"
    elf.write_bytes(make_elf([(0x80000000, code)], 0x80000000))
    return elf


@pytest.mark.skipif(not harness.have_sim("icarus"), reason="iverilog not installed")
@pytest.mark.xdist_group("lockstep-icarus-rv32im")
def test_a_core_without_the_extension_is_caught(crypto_elf: Path) -> None:
    out = lockstep(crypto_elf, "rv32im_zicsr_zk_zks", "icarus", rtl_isa="rv32im")
    assert not out.ok
    # li is two instructions; the third record is sha256sum0: a trap on the RTL only
    assert out.compared == 2
    assert "sha256sum0" in out.report and "trap ISS 0x0 RTL 0x1" in out.report


@pytest.mark.skipif(not harness.have_sim("icarus"), reason="iverilog not installed")
@pytest.mark.xdist_group("lockstep-icarus-rv32im_zicsr_zicntr_zbkb_zbkc_zbkx_zknd_zkne_zknh_zksed_zksh_zkt")
def test_cosim_cli(crypto_elf: Path, tmp_path: Path, capsys) -> None:
    waves = tmp_path / "w.fst"
    assert main(["cosim", str(crypto_elf), "--sim", "icarus", "--waves", str(waves)]) == 0
    err = capsys.readouterr().err
    assert "in lockstep: 8 records, 12 cycles" in err and "exit code 0" in err
    assert waves.exists() and waves.stat().st_size > 0
    assert main(["cosim", str(tmp_path / "missing.elf")]) == 2
    assert main(["cosim", str(crypto_elf), "--isa", "rv32qq"]) == 2
    assert main(["cosim", str(crypto_elf), "--input", str(tmp_path / "none.bin")]) == 2
    assert capsys.readouterr().err.count("\n") == 3        # one line each
