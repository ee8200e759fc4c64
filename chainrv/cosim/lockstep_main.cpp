// The Verilator lockstep driver (docs/lockstep.md): runs lockstep_top's clock and,
// before every rising edge, reads the retirement record and the UART byte from the
// wrapper's ports. With --compare it compares each record, as it retires, with the
// ISS's record of the same index, read from stdin (rows of simulator.RVFI_DTYPE:
// CHAINRV_FIELDS int64 columns, the cycle last), and stops at the first record that
// differs, that the ISS does not have, or that is more than --late cycles late.
//
//   lockstep_sim --out DIR [--compare] [--records] [--late N] [--slack N]
//                [--trace-file F] +ram=FILE [+max_cycles=N]
//
// DIR receives result.json (how the run ended), tail.bin (the last records the RTL
// retired, up to CONTEXT of them, the differing one last), uart.bin (the UART bytes)
// and with --records every record (records.bin). Every record before the tail
// agreed with the ISS's. Exit status 0 unless the arguments or a file are unusable.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "Vtop.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif

namespace {

constexpr int FIELDS = CHAINRV_FIELDS;
constexpr int CYCLE = FIELDS - 1;          // the retirement cycle is the last column
constexpr size_t RECORD = FIELDS * sizeof(int64_t);
constexpr size_t CONTEXT = 64;             // records kept for the report
constexpr uint64_t HALF_PERIOD_PS = 5000;  // a 10 ns clock, as the cocotb testbench's

// The ISS's records, read from a file descriptor as they are needed (the ISS
// writes them while this process runs).
class IssStream {
  public:
    explicit IssStream(int fd) : fd_(fd), buf_(RECORD * 8192) {}

    // Record `pos_`, reading more when needed; nullptr once the stream has ended.
    const int64_t* current() {
        if (pos_ + RECORD > len_ && !fill()) return nullptr;
        return reinterpret_cast<const int64_t*>(buf_.data() + pos_);
    }
    void next() { pos_ += RECORD; }

  private:
    bool fill() {
        std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
        len_ -= pos_;
        pos_ = 0;
        while (len_ < RECORD && !eof_) {
            ssize_t n = read(fd_, buf_.data() + len_, buf_.size() - len_);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) eof_ = true;
            else len_ += static_cast<size_t>(n);
        }
        return len_ >= RECORD;
    }
    int fd_;
    std::vector<char> buf_;  // aligned enough for int64 rows: RECORD is a multiple of 8
    size_t pos_ = 0, len_ = 0;
    bool eof_ = false;
};

struct Options {
    std::string out, trace;
    bool compare = false, records = false;
    uint64_t late = 1000, slack = 200;
};

bool parse(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto value = [&](const char* name) -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "lockstep_sim: %s needs a value\n", name);
                return nullptr;
            }
            return argv[++i];
        };
        const char* v = nullptr;
        if (a == "--compare") o.compare = true;
        else if (a == "--records") o.records = true;
        else if (a == "--out") { if (!(v = value("--out"))) return false; o.out = v; }
        else if (a == "--trace-file") { if (!(v = value("--trace-file"))) return false; o.trace = v; }
        else if (a == "--late") { if (!(v = value("--late"))) return false; o.late = std::strtoull(v, nullptr, 0); }
        else if (a == "--slack") { if (!(v = value("--slack"))) return false; o.slack = std::strtoull(v, nullptr, 0); }
        else if (a.rfind("+", 0) != 0) {
            std::fprintf(stderr, "lockstep_sim: unknown argument %s\n", a.c_str());
            return false;
        }
    }
    if (o.out.empty()) std::fprintf(stderr, "lockstep_sim: --out DIR is required\n");
    return !o.out.empty();
}

bool write_file(const std::string& path, const void* data, size_t n) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return false;
    bool ok = (n == 0 || std::fwrite(data, 1, n, f) == n);
    return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    if (!parse(argc, argv, opt)) return 2;
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto top = std::make_unique<Vtop>(ctx.get());
    if (sizeof(top->record) != RECORD) {
        std::fprintf(stderr, "lockstep_sim: the record port has %zu bytes, expected %zu\n",
                     sizeof(top->record), RECORD);
        return 2;
    }
#if VM_TRACE
    std::unique_ptr<VerilatedFstC> tfp;
    if (!opt.trace.empty()) {
        ctx->traceEverOn(true);
        tfp = std::make_unique<VerilatedFstC>();
        top->trace(tfp.get(), 99);
        tfp->open(opt.trace.c_str());
    }
#define DUMP(t) do { if (tfp) tfp->dump(t); } while (0)
#else
    if (!opt.trace.empty()) {
        std::fprintf(stderr, "lockstep_sim: --trace-file needs a build with --trace-fst\n");
        return 2;
    }
#define DUMP(t) do { } while (0)
#endif
    FILE* all = nullptr;
    if (opt.records && !(all = std::fopen((opt.out + "/records.bin").c_str(), "wb"))) {
        std::perror("lockstep_sim: records.bin");
        return 2;
    }

    IssStream iss(0);
    std::vector<int64_t> ring(CONTEXT * FIELDS);
    std::string uart;
    uint64_t count = 0, t = 0;
    int64_t last_cycle = 0;                // the ISS's last retirement cycle seen so far
    const char* stop = "done";
    const int64_t* want = opt.compare ? iss.current() : nullptr;

    auto start = std::chrono::steady_clock::now();
    top->clk = 0;
    top->eval();
    DUMP(t);
    while (!top->done && !ctx->gotFinish()) {
        // the values the wrapper's always block sees at this rising edge
        if (top->record_valid) {
            int64_t* rec = &ring[(count % CONTEXT) * FIELDS];
            std::memcpy(rec, top->record.data(), RECORD);
            if (all) std::fwrite(rec, RECORD, 1, all);
            count++;
            if (opt.compare) {
                if (!want) { stop = "extra"; break; }        // past the ISS's last record
                if (std::memcmp(rec, want, RECORD) != 0) { stop = "mismatch"; break; }
                last_cycle = want[CYCLE];
                iss.next();
                want = iss.current();
            }
        }
        if (top->uart_out_valid) uart.push_back(static_cast<char>(top->uart_out));
        if (opt.compare) {
            uint64_t due = want ? static_cast<uint64_t>(want[CYCLE]) + opt.late
                                : static_cast<uint64_t>(last_cycle) + opt.slack;
            if (top->cycle > due) { stop = want ? "late" : "ended"; break; }
        }
        top->clk = 1;
        top->eval();
        DUMP(t += HALF_PERIOD_PS);
        top->clk = 0;
        top->eval();
        DUMP(t += HALF_PERIOD_PS);
    }
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    top->final();
#if VM_TRACE
    if (tfp) tfp->close();
#endif
    if (all && std::fclose(all) != 0) {
        std::perror("lockstep_sim: records.bin");
        return 2;
    }

    // the ring in retirement order, oldest first
    size_t kept = count < CONTEXT ? count : CONTEXT;
    std::vector<int64_t> tail(kept * FIELDS);
    for (size_t k = 0; k < kept; k++) {
        size_t index = (count - kept + k) % CONTEXT;
        std::memcpy(&tail[k * FIELDS], &ring[index * FIELDS], RECORD);
    }
    char json[512];
    int n = std::snprintf(json, sizeof json,
                          "{\"stop\": \"%s\", \"exited\": %s, \"exit_code\": %u, \"sim_cycles\": %llu, "
                          "\"records\": %llu, \"wall_seconds\": %.6f}\n",
                          stop, top->exited ? "true" : "false", static_cast<unsigned>(top->exit_code),
                          static_cast<unsigned long long>(top->cycle + 1),
                          static_cast<unsigned long long>(count), wall);
    if (!write_file(opt.out + "/tail.bin", tail.data(), tail.size() * sizeof(int64_t)) ||
        !write_file(opt.out + "/uart.bin", uart.data(), uart.size()) ||
        !write_file(opt.out + "/result.json", json, static_cast<size_t>(n))) {
        std::perror("lockstep_sim: writing the result");
        return 2;
    }
    return 0;
}
