/* Reset entry of every chainrv program (see docs/firmware.md).
 *
 * Sets sp, gp and tp, copies .data when its load address differs from its
 * run address, clears .bss (including the TLS .tbss picolibc keeps errno in),
 * runs constructors, calls main(0, 0) and leaves through exit() so picolibc's
 * atexit handlers and stdio flush run before _exit() writes the finisher.
 * mtvec is left at 0: a program that wants traps installs its own vector
 * (crv_default_trap below is provided as one it may choose to install).
 */
	.section .text.init.enter, "ax"
	.globl _start
	.type _start, @function
_start:
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	la	sp, __stack

	/* copy .data/.tdata from LMA to VMA (skipped when they coincide) */
	la	a0, __data_start
	la	a1, __data_source
	la	a2, __data_end
	beq	a0, a1, 2f
1:	bgeu	a0, a2, 2f
	lw	t0, 0(a1)
	sw	t0, 0(a0)
	addi	a0, a0, 4
	addi	a1, a1, 4
	j	1b
2:
	/* clear .tbss and .bss (both word aligned by link.ld) */
	la	a0, __bss_start
	la	a1, __bss_end
3:	bgeu	a0, a1, 4f
	sw	zero, 0(a0)
	addi	a0, a0, 4
	j	3b
4:
	/* thread pointer: picolibc's TLS block (errno) lives at __tls_base */
	la	tp, __tls_base

	call	__libc_init_array
	li	a0, 0
	li	a1, 0
	call	main
	call	exit
5:	j	5b
	.size _start, . - _start

/* A default trap handler: reports mcause/mepc on the UART and exits with
 * status 3 through the finisher.  Not installed by crt0 (mtvec stays 0);
 * install it with  csrw mtvec, crv_default_trap  if wanted. */
	.text
	.globl crv_default_trap
	.type crv_default_trap, @function
	.p2align 2
crv_default_trap:
	la	sp, __stack
	csrr	a0, mcause
	csrr	a1, mepc
	csrr	a2, mtval
	call	crv_trap_report
6:	j	6b
	.size crv_default_trap, . - crv_default_trap
