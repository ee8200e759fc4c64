/* chainrv scalar-crypto intrinsics: one wrapper per Zbk*, Zkn* and Zks*
 * instruction (RV32).  GCC 12 has no __builtin_riscv_* crypto intrinsics, so
 * each wraps inline assembly.  Every group is guarded by the macro GCC defines
 * for its extension (-march=..._zbkb defines __riscv_zbkb, etc.), so this
 * header is harmless in an rv32im build; kernels select variants with
 * #ifdef __riscv_zknh and the like.  Byte-select (bs) and rotate amounts
 * must be compile-time constants, hence macros for those.  See docs/firmware.md.
 */
#ifndef CHAINRV_CRYPTO_H
#define CHAINRV_CRYPTO_H

#include <stdint.h>

/* Not volatile: the instructions are pure, so the compiler may combine or
 * drop repeated calls like ordinary arithmetic. */
#define CRV_INSN_R(name, a, b)                                                  \
	__extension__({                                                         \
		uint32_t _rd;                                                   \
		__asm__ (#name " %0, %1, %2" : "=r"(_rd) : "r"((uint32_t)(a)), "r"((uint32_t)(b))); \
		_rd;                                                            \
	})
#define CRV_INSN_U(name, a)                                                     \
	__extension__({                                                         \
		uint32_t _rd;                                                   \
		__asm__ (#name " %0, %1" : "=r"(_rd) : "r"((uint32_t)(a)));     \
		_rd;                                                            \
	})
#define CRV_INSN_BS(name, a, b, bs)                                             \
	__extension__({                                                         \
		uint32_t _rd;                                                   \
		__asm__ (#name " %0, %1, %2, %3" : "=r"(_rd)                   \
			 : "r"((uint32_t)(a)), "r"((uint32_t)(b)), "i"(bs));    \
		_rd;                                                            \
	})

/* ---- Zbkb: bit manipulation for cryptography ---- */
#ifdef __riscv_zbkb
static inline uint32_t crv_ror(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(ror, rs1, rs2); }
static inline uint32_t crv_rol(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(rol, rs1, rs2); }
/* rotate right by a constant 0..31 (rori) */
#define crv_rori(x, imm)                                                        \
	__extension__({                                                         \
		uint32_t _rd;                                                   \
		__asm__ ("rori %0, %1, %2" : "=r"(_rd) : "r"((uint32_t)(x)), "i"(imm)); \
		_rd;                                                            \
	})
static inline uint32_t crv_andn(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(andn, rs1, rs2); }
static inline uint32_t crv_orn(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(orn, rs1, rs2); }
static inline uint32_t crv_xnor(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(xnor, rs1, rs2); }
static inline uint32_t crv_pack(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(pack, rs1, rs2); }
static inline uint32_t crv_packh(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(packh, rs1, rs2); }
static inline uint32_t crv_brev8(uint32_t rs1) { return CRV_INSN_U(brev8, rs1); }
static inline uint32_t crv_rev8(uint32_t rs1) { return CRV_INSN_U(rev8, rs1); }
static inline uint32_t crv_zip(uint32_t rs1) { return CRV_INSN_U(zip, rs1); }
static inline uint32_t crv_unzip(uint32_t rs1) { return CRV_INSN_U(unzip, rs1); }
#endif /* __riscv_zbkb */

/* ---- Zbkc: carry-less multiply ---- */
#ifdef __riscv_zbkc
static inline uint32_t crv_clmul(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(clmul, rs1, rs2); }
static inline uint32_t crv_clmulh(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(clmulh, rs1, rs2); }
#endif /* __riscv_zbkc */

/* ---- Zbkx: crossbar permutations ---- */
#ifdef __riscv_zbkx
static inline uint32_t crv_xperm4(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(xperm4, rs1, rs2); }
static inline uint32_t crv_xperm8(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(xperm8, rs1, rs2); }
#endif /* __riscv_zbkx */

/* ---- Zknh: SHA-256 and (RV32 half-word forms) SHA-512 functions ---- */
#ifdef __riscv_zknh
static inline uint32_t crv_sha256sum0(uint32_t rs1) { return CRV_INSN_U(sha256sum0, rs1); }
static inline uint32_t crv_sha256sum1(uint32_t rs1) { return CRV_INSN_U(sha256sum1, rs1); }
static inline uint32_t crv_sha256sig0(uint32_t rs1) { return CRV_INSN_U(sha256sig0, rs1); }
static inline uint32_t crv_sha256sig1(uint32_t rs1) { return CRV_INSN_U(sha256sig1, rs1); }
static inline uint32_t crv_sha512sum0r(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(sha512sum0r, rs1, rs2); }
static inline uint32_t crv_sha512sum1r(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(sha512sum1r, rs1, rs2); }
static inline uint32_t crv_sha512sig0l(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(sha512sig0l, rs1, rs2); }
static inline uint32_t crv_sha512sig0h(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(sha512sig0h, rs1, rs2); }
static inline uint32_t crv_sha512sig1l(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(sha512sig1l, rs1, rs2); }
static inline uint32_t crv_sha512sig1h(uint32_t rs1, uint32_t rs2) { return CRV_INSN_R(sha512sig1h, rs1, rs2); }
#endif /* __riscv_zknh */

/* ---- Zksh: SM3 permutations ---- */
#ifdef __riscv_zksh
static inline uint32_t crv_sm3p0(uint32_t rs1) { return CRV_INSN_U(sm3p0, rs1); }
static inline uint32_t crv_sm3p1(uint32_t rs1) { return CRV_INSN_U(sm3p1, rs1); }
#endif /* __riscv_zksh */

/* ---- Zkne: AES encryption round (RV32); bs in 0..3 selects the byte of rs2 ---- */
#ifdef __riscv_zkne
#define crv_aes32esi(rs1, rs2, bs) CRV_INSN_BS(aes32esi, rs1, rs2, bs)
#define crv_aes32esmi(rs1, rs2, bs) CRV_INSN_BS(aes32esmi, rs1, rs2, bs)
#endif /* __riscv_zkne */

/* ---- Zknd: AES decryption round (RV32); bs in 0..3 selects the byte of rs2 ---- */
#ifdef __riscv_zknd
#define crv_aes32dsi(rs1, rs2, bs) CRV_INSN_BS(aes32dsi, rs1, rs2, bs)
#define crv_aes32dsmi(rs1, rs2, bs) CRV_INSN_BS(aes32dsmi, rs1, rs2, bs)
#endif /* __riscv_zknd */

/* ---- Zksed: SM4 round and key schedule; bs in 0..3 selects the byte of rs2 ---- */
#ifdef __riscv_zksed
#define crv_sm4ed(rs1, rs2, bs) CRV_INSN_BS(sm4ed, rs1, rs2, bs)
#define crv_sm4ks(rs1, rs2, bs) CRV_INSN_BS(sm4ks, rs1, rs2, bs)
#endif /* __riscv_zksed */

#endif /* CHAINRV_CRYPTO_H */
