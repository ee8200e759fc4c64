/* chainrv runtime: UART console for picolibc stdio, finisher exit, input
 * block access and small print helpers.  See docs/firmware.md. */
#include <stdint.h>
#include <stdio.h>

#include "chainrv.h"

#define REG8(a)  (*(volatile uint8_t *)(uintptr_t)(a))
#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))

void crv_putc(int c)
{
	while (!(REG8(CRV_UART_BASE + CRV_UART_LSR) & CRV_UART_LSR_THRE))
		;
	REG8(CRV_UART_BASE + CRV_UART_THR) = (uint8_t)c;
}

void crv_puts(const char *s)
{
	while (*s)
		crv_putc(*s++);
}

void crv_print_hex(const void *p, unsigned n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = p;
	for (unsigned i = 0; i < n; i++) {
		crv_putc(digits[b[i] >> 4]);
		crv_putc(digits[b[i] & 15]);
	}
}

void crv_print_u32(uint32_t v)
{
	char buf[10];
	int i = 0;
	do {
		buf[i++] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v);
	while (i)
		crv_putc(buf[--i]);
}

const uint8_t *crv_input(uint32_t *len)
{
	const volatile uint32_t *hdr = (const volatile uint32_t *)(uintptr_t)CRV_INPUT_ADDR;
	/* The paths of no block and of a block in the region come first and as
	 * before: a kernel's cycle count does not depend on the larger case. */
	if (hdr[0] != CRV_INPUT_MAGIC)
		goto none;
	if (hdr[1] > CRV_INPUT_MAX) {
		if (hdr[1] > CRV_INPUT_LARGE_MAX)
			goto none;
		if (len)
			*len = hdr[1];
		return (const uint8_t *)(uintptr_t)CRV_INPUT_LARGE_ADDR;
	}
	if (len)
		*len = hdr[1];
	return (const uint8_t *)(uintptr_t)(CRV_INPUT_ADDR + CRV_INPUT_HEADER);
none:
	if (len)
		*len = 0;
	return NULL;
}

_Noreturn void crv_exit(int code)
{
	uint32_t v = code == 0 ? CRV_FINISHER_PASS
			   : (((uint32_t)code << CRV_FINISHER_CODE_SHIFT) | CRV_FINISHER_FAIL);
	for (;;)
		REG32(CRV_FINISHER) = v;
}

/* picolibc's exit() ends here after running atexit handlers. */
_Noreturn void _exit(int code)
{
	crv_exit(code);
}

static void print_hex32(uint32_t v)
{
	const uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	crv_print_hex(b, 4);
}

/* Called by crv_default_trap (crt0.S): report and exit with status 3. */
_Noreturn void crv_trap_report(uint32_t mcause, uint32_t mepc, uint32_t mtval)
{
	crv_puts("\ntrap: mcause=0x");
	print_hex32(mcause);
	crv_puts(" mepc=0x");
	print_hex32(mepc);
	crv_puts(" mtval=0x");
	print_hex32(mtval);
	crv_putc('\n');
	crv_exit(3);
}

/* ---- time: picolibc's clock() and time() end in times() and gettimeofday() ----
 * The CLINT's mtime counts the core's cycles since reset (docs/platform.md); read
 * at the nominal clock CRV_CLOCK_HZ they are time.  mtime is read as two words
 * (high, low, high again until stable), so this works without Zicsr. */
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

static uint64_t mtime_now(void)
{
	uint32_t h, l, h2;
	do {
		h = REG32(CRV_MTIME + 4);
		l = REG32(CRV_MTIME);
		h2 = REG32(CRV_MTIME + 4);
	} while (h != h2);
	return ((uint64_t)h << 32) | l;
}

/* n / d with 32-bit divides only (a 64-bit '/' would pull libgcc's __udivdi3 into
 * every program that links the runtime); *rem gets the remainder. */
static uint64_t div_u64(uint64_t n, uint32_t d, uint32_t *rem)
{
	uint32_t hi = (uint32_t)(n >> 32), r = hi % d;
	uint64_t q = (uint64_t)(hi / d) << 32;
	for (int bit = 31; bit >= 0; bit--) {
		/* r < d: shifting in one bit of the low word keeps r < 2d (33 bits) */
		uint64_t t = ((uint64_t)r << 1) | (((uint32_t)n >> bit) & 1u);
		if (t >= d) {
			t -= d;
			q |= 1ull << bit;
		}
		r = (uint32_t)t;
	}
	if (rem)
		*rem = r;
	return q;
}

clock_t times(struct tms *t)
{
	clock_t ticks = (clock_t)div_u64(mtime_now(), CRV_CLOCK_HZ / CLOCKS_PER_SEC, NULL);
	if (t) {
		t->tms_utime = ticks;  /* one program, always running: all of it is its time */
		t->tms_stime = t->tms_cutime = t->tms_cstime = 0;
	}
	return ticks;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	uint32_t cycles;
	uint64_t sec = div_u64(mtime_now(), CRV_CLOCK_HZ, &cycles);
	if (tv) {
		tv->tv_sec = (time_t)sec;  /* seconds since reset: the platform has no calendar */
		tv->tv_usec = (suseconds_t)(cycles / (CRV_CLOCK_HZ / 1000000u));
	}
	return 0;
}

/* ---- picolibc stdio on the UART ---- */
static int uart_put(char c, FILE *f)
{
	(void)f;
	crv_putc((unsigned char)c);
	return (unsigned char)c;
}

static int uart_get(FILE *f)
{
	(void)f;
	/* The platform UART has no receiver model: report end of file at
	 * once instead of blocking forever. */
	if (!(REG8(CRV_UART_BASE + CRV_UART_LSR) & CRV_UART_LSR_DR))
		return _FDEV_EOF;
	return REG8(CRV_UART_BASE + CRV_UART_RBR);
}

static FILE crv_stdio = FDEV_SETUP_STREAM(uart_put, uart_get, NULL, _FDEV_SETUP_RW);

FILE *const stdin = &crv_stdio;
FILE *const stdout = &crv_stdio;
FILE *const stderr = &crv_stdio;
