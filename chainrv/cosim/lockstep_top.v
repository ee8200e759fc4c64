// Lockstep wrapper around chainrv_soc: resets the SoC, writes one fixed-width
// hex line per retirement (RVFI record + retirement cycle) to the file named
// by +rvfi=FILE and one line per UART byte to +uart=FILE, and raises `done`
// once the store to the finisher has retired or +max_cycles=N have passed.
// The simulator does all per-cycle work; the testbench only waits for `done`.
// On Verilator the record and the UART byte are output ports as well, which
// the C++ driver (lockstep_main.cpp) reads before every rising edge: the
// values the logging block below sees at that edge.
// The RVFI wires, their connections, the log line and the packed record are
// macros made from the record layout of isa/retire.py (chainrv/cosim/retire_log.py
// defines them).
module lockstep_top (
  input wire clk,
  output reg done = 1'b0,
  output reg exited = 1'b0,
  output reg [15:0] exit_code = 16'd0,
`ifdef VERILATOR
  output wire record_valid,
  output wire [`CHAINRV_RECORD_BITS-1:0] record,
  output wire uart_out_valid,
  output wire [7:0] uart_out,
`endif
  output wire [63:0] cycle
);
  reg [1:0] rst_count = 2'd0;
  wire rst = rst_count != 2'd3;
  always @(posedge clk) if (rst) rst_count <= rst_count + 2'd1;

  `CHAINRV_RVFI_WIRES
  wire uart_valid, finish_valid;
  wire [7:0] uart_data;
  wire [15:0] finish_code;

  chainrv_soc soc (
    .clk(clk), .rst(rst), .cycle(cycle),
    `CHAINRV_RVFI_PORTS,
    .uart_valid(uart_valid), .uart_data(uart_data),
    .finish_valid(finish_valid), .finish_code(finish_code)
  );

`ifdef VERILATOR
  assign record_valid = !rst && !done && rvfi_valid;
  assign record = `CHAINRV_RECORD_PACKED;
  assign uart_out_valid = !rst && !done && uart_valid;
  assign uart_out = uart_data;
`endif

  integer rvfi_fd = 0;
  integer uart_fd = 0;
  reg [63:0] max_cycles = 64'hFFFF_FFFF_FFFF_FFFF;
  reg [1023*8:0] path;
  initial begin
    if ($value$plusargs("rvfi=%s", path)) rvfi_fd = $fopen(path, "w");
    if ($value$plusargs("uart=%s", path)) uart_fd = $fopen(path, "w");
    if (!$value$plusargs("max_cycles=%d", max_cycles)) max_cycles = 64'hFFFF_FFFF_FFFF_FFFF;
  end

  reg finishing = 1'b0;      // the finisher store is past MEM: its retirement ends the run
  always @(posedge clk) begin
    if (!rst && !done) begin
      if (rvfi_valid && rvfi_fd != 0)
        $fwrite(rvfi_fd, `CHAINRV_RECORD_FORMAT, `CHAINRV_RECORD_ARGS);
      if (uart_valid && uart_fd != 0) $fwrite(uart_fd, "%h\n", uart_data);
      if (finish_valid) begin
        finishing <= 1'b1;
        exit_code <= finish_code;
      end
      if ((finishing && rvfi_valid) || cycle + 64'd1 >= max_cycles) begin
        done <= 1'b1;
        exited <= finishing && rvfi_valid;
        if (rvfi_fd != 0) $fclose(rvfi_fd);
        if (uart_fd != 0) $fclose(uart_fd);
      end
    end
  end
endmodule
