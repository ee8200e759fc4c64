/* chainrv Xchain intrinsics: the custom extension for signatures and Keccak
 * (docs/xchain.md).  GCC does not know the extension, so each instruction is
 * emitted with the assembler's .insn directive in the custom-0 (0x0B) and
 * custom-1 (0x2B) opcode spaces:
 *
 *   R4:   .insn r4 CUSTOM_x, funct3, funct2, rd, rs1, rs2, rs3
 *   Rrot: the same layout with the 5-bit rotate amount in the rs3 field,
 *         written as register x<amount> (the field is a number either way).
 *
 * chainrv's build adds -DCHAINRV_XCHAIN=1 when the ISA configuration has
 * xchain; without it this header defines nothing, so it is harmless to
 * include in every variant.  Rotate amounts must be compile-time constants
 * 0..31, hence macros for those.
 */
#ifndef CHAINRV_XCHAIN_H
#define CHAINRV_XCHAIN_H

#include <stdint.h>

#ifdef CHAINRV_XCHAIN

/* Not volatile: the instructions are pure. */
#define CRV_XC_R4(op, f3, f2, a, b, c)                                          \
	__extension__({                                                         \
		uint32_t _rd;                                                   \
		__asm__ (".insn r4 " #op ", " #f3 ", " #f2 ", %0, %1, %2, %3"   \
			 : "=r"(_rd)                                            \
			 : "r"((uint32_t)(a)), "r"((uint32_t)(b)), "r"((uint32_t)(c))); \
		_rd;                                                            \
	})

/* ---- custom-0: multi-precision arithmetic (all operands unsigned) ---- */
/* lo32(a * b + c) */
static inline uint32_t crv_maddlu(uint32_t a, uint32_t b, uint32_t c) { return CRV_XC_R4(CUSTOM_0, 0, 0, a, b, c); }
/* hi32(a * b + c): a * b + c < 2^64 always, so the pair is exact */
static inline uint32_t crv_maddhu(uint32_t a, uint32_t b, uint32_t c) { return CRV_XC_R4(CUSTOM_0, 0, 1, a, b, c); }
/* c + carry(a + b): accumulates the carry of a column add */
static inline uint32_t crv_cadd(uint32_t a, uint32_t b, uint32_t c) { return CRV_XC_R4(CUSTOM_0, 0, 2, a, b, c); }
/* lo32(a + b + c) and its carry out (a + b + c) >> 32, in 0..2 */
static inline uint32_t crv_addc(uint32_t a, uint32_t b, uint32_t c) { return CRV_XC_R4(CUSTOM_0, 1, 0, a, b, c); }
static inline uint32_t crv_addco(uint32_t a, uint32_t b, uint32_t c) { return CRV_XC_R4(CUSTOM_0, 1, 1, a, b, c); }
/* lo32(a - b - c) and its borrow out, in 0..2: a - b - c = subc - 2^32 subco */
static inline uint32_t crv_subc(uint32_t a, uint32_t b, uint32_t c) { return CRV_XC_R4(CUSTOM_0, 2, 0, a, b, c); }
static inline uint32_t crv_subco(uint32_t a, uint32_t b, uint32_t c) { return CRV_XC_R4(CUSTOM_0, 2, 1, a, b, c); }

/* ---- custom-1: Keccak on bit-interleaved 32-bit lane halves ---- */
/* a ^ b ^ c (theta's column parity) */
static inline uint32_t crv_xor3(uint32_t a, uint32_t b, uint32_t c) { return CRV_XC_R4(CUSTOM_1, 0, 0, a, b, c); }
/* a ^ (~b & c) (chi) */
static inline uint32_t crv_andnxor(uint32_t a, uint32_t b, uint32_t c) { return CRV_XC_R4(CUSTOM_1, 0, 1, a, b, c); }

#define CRV_XC_ROT(f2, a, b, k)                                                 \
	__extension__({                                                         \
		uint32_t _rd;                                                   \
		__asm__ (".insn r4 CUSTOM_1, 1, " #f2 ", %0, %1, %2, x%3"       \
			 : "=r"(_rd) : "r"((uint32_t)(a)), "r"((uint32_t)(b)), "n"(k)); \
		_rd;                                                            \
	})
/* a ^ rol32(b, k) (theta's D) */
#define crv_rolxor(a, b, k) CRV_XC_ROT(0, a, b, k)
/* rol32(a ^ b, k) (theta applied, then rho) */
#define crv_xorrol(a, b, k) CRV_XC_ROT(1, a, b, k)

#endif /* CHAINRV_XCHAIN */

#endif /* CHAINRV_XCHAIN_H */
