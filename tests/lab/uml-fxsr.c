/*
 * Copyright (C) 2026 The strongswan-vti authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Start user-mode Linux so that it saves and restores its processes' FPU
 * state the legacy way (FXSAVE, PTRACE_GETFPREGS/SETFPREGS).
 *
 * UML 6.1 probes PTRACE_GETREGSET(NT_X86_XSTATE) and then uses XSAVE-sized
 * buffers that are smaller than what a host CPU with AMX needs; the host
 * kernel refuses the PTRACE_SETREGSET with EFAULT and UML panics at boot
 * ("ptrace set fp regs failed, errno = 14"). A seccomp filter that answers
 * EIO to both requests makes UML fall back to the FXSAVE area. The lab's
 * processes then must not use AVX (init.sh tells glibc and OpenSSL so),
 * since the upper halves of the vector registers are no longer switched
 * between the threads of one process.
 *
 * Usage: uml-fxsr UML [ARGS...]
 */

#include <errno.h>
#include <linux/audit.h>
#include <linux/elf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

/** Offset of the low 32 bits of a syscall argument */
#define ARG_LOW(n) (offsetof(struct seccomp_data, args) + 8 * (n))

int main(int argc, char *argv[])
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 7),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ptrace, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(0)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PTRACE_GETREGSET, 0, 3),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, PTRACE_SETREGSET, 2, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(2)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NT_X86_XSTATE, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EIO),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s UML [ARGS...]\n", argv[0]);
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
	{
		perror("uml-fxsr: seccomp");
		return 2;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
