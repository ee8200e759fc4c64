"""ISA strings given on the command line, parsed once with one-line errors."""

from __future__ import annotations

from isa.config import IsaConfig, IsaError

from .errors import CliError


def parse_isa(text: str | IsaConfig) -> IsaConfig:
    try:
        return IsaConfig.parse(text)
    except IsaError as e:
        raise CliError(str(e)) from None


def rtl_isa(text: str | IsaConfig) -> IsaConfig:
    """An ISA configuration the RTL can be built for (every instruction has a unit)."""
    from hdl.core import unimplemented

    isa = parse_isa(text)
    missing = unimplemented(isa)
    if missing:
        raise CliError(f"the RTL has no unit yet for {', '.join(missing)} (ISA {text})")
    return isa
