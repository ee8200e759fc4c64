"""Amaranth RTL of the chainrv RV32 core and its SoC.

``hdl.units`` holds one functional unit per file, ``hdl.core`` the five-stage
pipeline, ``hdl.soc`` the platform around it and ``hdl.verilog`` the Verilog
generator. Everything is derived from ``isa/``: the decoder from the
instruction table, the unit set from the ISA configuration.
"""
