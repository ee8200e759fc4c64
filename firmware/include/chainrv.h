/* chainrv platform header: memory map, counters, UART output, input block,
 * exit through the test finisher.  See docs/firmware.md. */
#ifndef CHAINRV_H
#define CHAINRV_H

#include <stdint.h>

/* Memory map and input block (CRV_UART_BASE, CRV_FINISHER, CRV_MTIME,
 * CRV_RAM_BASE, CRV_INPUT_ADDR, CRV_INPUT_MAX, ...), generated from
 * isa/memmap.py. */
#include "chainrv_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- counters (Zicsr/Zicntr; machine mode reads the m* CSRs) ---- */
static inline uint32_t crv_rdcycle(void)
{
	uint32_t v;
	__asm__ volatile ("csrr %0, mcycle" : "=r"(v));
	return v;
}

static inline uint32_t crv_rdinstret(void)
{
	uint32_t v;
	__asm__ volatile ("csrr %0, minstret" : "=r"(v));
	return v;
}

/* 64-bit reads: hi, lo, hi again until the high half did not change. */
#define CRV_READ_CSR64(lo, hi)                                              \
	__extension__({                                                     \
		uint32_t _h, _l, _h2;                                       \
		do {                                                        \
			__asm__ volatile ("csrr %0, " #hi : "=r"(_h));      \
			__asm__ volatile ("csrr %0, " #lo : "=r"(_l));      \
			__asm__ volatile ("csrr %0, " #hi : "=r"(_h2));     \
		} while (_h != _h2);                                        \
		((uint64_t)_h << 32) | _l;                                  \
	})

static inline uint64_t crv_rdcycle64(void) { return CRV_READ_CSR64(mcycle, mcycleh); }
static inline uint64_t crv_rdinstret64(void) { return CRV_READ_CSR64(minstret, minstreth); }
static inline uint64_t crv_rdtime64(void) { return CRV_READ_CSR64(time, timeh); }

/* ---- UART output (blocking, never fails) ---- */
void crv_putc(int c);
void crv_puts(const char *s);                     /* no newline added */
void crv_print_hex(const void *p, unsigned n);    /* lowercase, no newline */
void crv_print_u32(uint32_t v);                   /* decimal */

/* ---- input block ---- */
/* Data of the input block and its length in *len, or NULL (and *len = 0)
 * when no block is loaded (magic absent or length too large).  Data longer
 * than CRV_INPUT_MAX lies at CRV_INPUT_LARGE_ADDR (docs/platform.md). */
const uint8_t *crv_input(uint32_t *len);

/* ---- exit ---- */
/* Writes the finisher at once (no stdio flush; use exit() for that). */
_Noreturn void crv_exit(int code);

#ifdef __cplusplus
}
#endif

#endif /* CHAINRV_H */
