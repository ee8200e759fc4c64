"""Every kernel variant of the catalogue gives its known answer, identically on
the ISS and on QEMU (custom-extension variants run on the ISS only); the
README, docs/firmware.md and docs/xchain.md name the catalogue as it is."""

import re

import pytest
from qemu import have_qemu, run_qemu

import simulator
from chainrv import ROOT
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


# ---------------------------------------------------------------- the catalogue in the docs

def _table(doc: str, heading: str, first_col: str) -> list[dict[str, str]]:
    """The Markdown table after ``heading`` whose first column is ``first_col``,
    as rows keyed by column title."""
    lines = (ROOT / doc).read_text().split(heading, 1)[1].splitlines()
    top = next(i for i, ln in enumerate(lines) if ln.startswith(f"| {first_col} |"))
    rows = lines[top:]
    rows = rows[:next((i for i, ln in enumerate(rows) if not ln.startswith("|")), len(rows))]
    head = [c.strip() for c in rows[0].strip("|").split("|")]
    return [dict(zip(head, (c.strip() for c in r.strip("|").split("|")), strict=True)) for r in rows[2:]]


def test_readme_counts_the_catalogue_pairs():
    """README's count of kernel/ISA pairs is what the manifests list and what
    `make demo` (a report with no --kernels or --isa) runs."""
    from chainrv.report import plan

    said = re.findall(r"(\d+) kernel/ISA pairs", (ROOT / "README.md").read_text())
    assert said, "README.md no longer states the number of kernel/ISA pairs"
    assert len(plan(None, None)) == len(VARIANTS)
    assert {int(n) for n in said} == {len(VARIANTS)}


def test_firmware_doc_lists_every_kernel_with_its_unit():
    catalogue = all_kernels()
    listed: dict[str, str] = {}
    for row in _table("docs/firmware.md", "## Kernels", "kernel"):
        for name in re.findall(r"`([a-z0-9_]+)`", row["kernel"]):
            assert name not in listed, f"{name} listed twice"
            listed[name] = row["unit"].split()[0]
    assert sorted(listed) == sorted(catalogue)
    assert {n: catalogue[n].unit for n in catalogue} == listed


def test_xchain_doc_lists_every_variant_and_its_speedup():
    variants = sorted(n for n in all_kernels() if n.endswith("_xchain"))
    assert variants
    kernels = _table("docs/xchain.md", "## Kernels", "variant")
    assert sorted(r["variant"].strip("`") for r in kernels) == variants
    for r in kernels:
        assert r["baseline"].strip("`") == all_kernels()[r["variant"].strip("`")].extra["baseline"]
    measured = _table("docs/xchain.md", "## Measurements", "variant")
    assert sorted(r["variant"].strip("`") for r in measured) == variants
