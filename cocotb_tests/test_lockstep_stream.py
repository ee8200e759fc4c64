"""The Verilator lockstep's streaming comparison (``chainrv/cosim/verilated.py``,
``lockstep_main.cpp``): the driver compares each record as it retires and stops the
RTL at the first difference, so a core that goes wrong early costs no more than the
cycles up to it, and the report is as complete as the bulk comparison's.

The driver is fed hand-altered copies of the ISS's records (a changed field, a
record due far earlier, a stream cut short) and must stop exactly where the
alteration is; its full record dump must equal the ISS's trace.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chainrv.cosim import harness, verilated
from chainrv.cosim.lockstep import _machine, load_program, lockstep, lockstep_design
from chainrv.cosim.ram_image import ram_hex
from isa.asm import assemble
from isa.elfwriter import make_elf

ISA = "rv32im"
RAM = 2 << 20          # the model test_cosim_cli.py builds too
FIN = "li t0, 0x100000\nli t1, 0x5555\nsw t1, 0(t0)\n"
#: 20 000 iterations of a 3-instruction loop (about 100 000 cycles), then the finisher.
LOOP = "li a0, 20000\nloop: addi a1, a1, 3\naddi a0, a0, -1\nbne a0, zero, loop\n" + FIN

pytestmark = [pytest.mark.skipif(not harness.have_sim("verilator"), reason="verilator not installed"),
              pytest.mark.xdist_group("lockstep-verilator-rv32im-2M")]


def _elf(tmp_path: Path, src: str, name: str = "p.elf") -> Path:
    p = tmp_path / name
    p.write_bytes(make_elf([(0x8000_0000, assemble(src, 0x8000_0000))], 0x8000_0000))
    return p


@pytest.fixture
def loop_run(tmp_path: Path):
    """The loop program's RAM image, its ISS trace and the driver program."""
    m = _machine(ISA, RAM, load_program(_elf(tmp_path, LOOP), RAM), None)
    image = ram_hex(m, tmp_path / "ram.hex")
    _, records = _machine(ISA, RAM, load_program(tmp_path / "p.elf", RAM), None).trace()
    return image, records, verilated.build(lockstep_design(ISA, RAM))


def _drive(loop_run, stream: np.ndarray, tmp_path: Path) -> verilated.DriverRun:
    image, _, program = loop_run
    chunks = [stream[i:i + 1000] for i in range(0, len(stream), 1000)]
    return verilated.run(program, image, 10**7, tmp_path, iss=iter(chunks))


def test_every_record_dumped_equals_the_iss_trace(loop_run, tmp_path: Path) -> None:
    image, records, program = loop_run
    run = verilated.run(program, image, 10**7, tmp_path, record=True)
    assert run.exited and run.exit_code == 0 and run.stop == "done"
    # li is two instructions here (lui, addi): 2 + 3 * 20000 + 2 + 2 + 1
    assert run.records is not None and len(records) == 60_007
    assert np.array_equal(run.records, records)
    assert np.array_equal(run.tail, records[-64:])


def test_the_unaltered_stream_agrees_to_the_end(loop_run, tmp_path: Path) -> None:
    records = loop_run[1]
    run = _drive(loop_run, records, tmp_path)
    assert (run.stop, run.exited, run.count) == ("done", True, len(records))
    assert np.array_equal(run.tail, records[-64:])


def test_a_changed_field_stops_the_rtl_at_that_record(loop_run, tmp_path: Path) -> None:
    records = loop_run[1].copy()
    records["rd_wdata"][500] ^= 4
    run = _drive(loop_run, records, tmp_path)
    assert (run.stop, run.exited, run.count) == ("mismatch", False, 501)
    # the tail ends with the RTL's own record 500 (the unaltered one) and holds the 63 before it
    assert np.array_equal(run.tail, loop_run[1][501 - 64:501])
    assert run.sim_cycles < int(records["cycle"][502])


def test_a_record_not_retired_in_time_stops_the_rtl(loop_run, tmp_path: Path) -> None:
    records = loop_run[1].copy()
    records["cycle"][3000] -= verilated.LATE_CYCLES + 10     # the ISS "retires" it that much earlier
    run = _drive(loop_run, records, tmp_path)
    # stopped in the cycle record 2999 retired: record 3000 was overdue already
    assert (run.stop, run.count) == ("late", 3000)
    assert run.sim_cycles == int(records["cycle"][2999]) + 1


def test_the_rtl_stops_soon_after_the_iss_records_end(tmp_path: Path) -> None:
    # a wfi that sleeps for 2**62 cycles on both sides (the timer's reset compare value),
    # and only the record before it given: the RTL sleeps until the driver gives up on it
    program = load_program(_elf(tmp_path, "csrw mscratch, zero\nwfi\n" + FIN), RAM)
    _, records = _machine(ISA, RAM, program, None).trace()
    assert int(records["cycle"][1]) > 2**60
    image = ram_hex(_machine(ISA, RAM, program, None), tmp_path / "ram.hex")
    run = verilated.run(verilated.build(lockstep_design(ISA, RAM)), image, 10**7, tmp_path,
                        iss=iter([records[:1]]))
    assert (run.stop, run.count) == ("ended", 1)
    assert run.sim_cycles == int(records["cycle"][0]) + verilated.SLACK_CYCLES + 2   # the first cycle past it


#: sha256sum0 on a core without Zknh traps on the RTL only (record 2), then the loop.
NO_ZKNH = "li a0, 0x12345678\nsha256sum0 a1, a0\nadd a2, a1, a1\n" + LOOP


def test_a_core_without_the_extension_is_caught_at_once(tmp_path: Path) -> None:
    # the same check as test_lockstep_report's on Icarus; here the RTL stops at the
    # mismatch, long before the loop after it would end
    out = lockstep(_elf(tmp_path, NO_ZKNH), "rv32im_zicsr_zk_zks", "verilator", rtl_isa=ISA, ram_size=RAM)
    assert not out.ok and out.compared == 2
    assert "sha256sum0" in out.report and "trap ISS 0x0 RTL 0x1" in out.report
    assert "agreeing records before it" in out.report and "lui" in out.report
    assert out.rtl.sim_cycles < 100 and out.iss.cycles > 100_000
    assert len(out.rtl.records) == 3 and int(out.rtl.records["trap"][2]) == 1


@pytest.mark.slow     # a second build of the model, with tracing
def test_waveform_of_a_mismatch(tmp_path: Path) -> None:
    waves = tmp_path / "w.fst"
    out = lockstep(_elf(tmp_path, NO_ZKNH), "rv32im_zicsr_zk_zks", "verilator", rtl_isa=ISA, ram_size=RAM,
                   waves=waves)
    assert not out.ok and out.compared == 2
    assert waves.read_bytes()[:1] == b"\x00" and waves.stat().st_size > 1000   # an FST header block


def test_an_iss_that_fails_midway_stops_the_driver(loop_run, tmp_path: Path) -> None:
    records = loop_run[1]

    def failing():
        yield records[:100]
        raise RuntimeError("the ISS broke")

    with pytest.raises(RuntimeError, match="the ISS broke"):
        verilated.run(loop_run[2], loop_run[0], 10**7, tmp_path, iss=failing())
    assert not (tmp_path / "result.json").exists()      # killed while it waited for record 100
