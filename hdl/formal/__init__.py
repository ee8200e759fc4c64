"""Formal verification of the core with SymbiYosys (docs/verification.md).

``specs`` holds the instruction semantics written a second time, in Amaranth, from
the base and crypto specifications (not from ``hdl/units`` nor ``isa.semantics``);
``units`` proves every execution unit equal to them; ``core`` checks properties of
the whole pipeline over its retirement port; ``mutants`` builds deliberately broken
cores to show that the checks catch them; ``sby`` runs SymbiYosys.
"""
