"""Every kernel variant of the catalogue gives its known answer, identically on
the ISS and on QEMU (custom-extension variants run on the ISS only)."""

import pytest
from qemu import have_qemu, run_qemu

import simulator
from chainrv.kernels import all_kernels
from isa import IsaConfig

VARIANTS = [(k.name, isa) for k in all_kernels().values() for isa in k.isas]


@pytest.mark.parametrize("name,isa", VARIANTS, ids=[f"{k}-{i}" for k, i in VARIANTS])
def test_variant_known_answer_on_iss_and_qemu(kernel_elf, name, isa):
    kernel = all_kernels()[name]
    elf = kernel_elf(name, isa)
    iss = simulator.run_elf(elf, isa=isa)
    assert iss.exit_code == 0, iss.trap
    assert iss.stdout.decode() == kernel.expected_stdout
    if "xchain" in IsaConfig.parse(isa) or not have_qemu():
        return
    ref = run_qemu(elf, isa)
    assert (ref.status, ref.stdout) == (iss.exit_code, iss.stdout)
