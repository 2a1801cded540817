/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one event layout shared by the BPF program (bpf/tcpfsm.bpf.c) and the
 * C++ userspace. Plain C with fixed-width types so both compilers agree; the
 * C++ side checks the size and offsets with static_assert (src/decode.cpp).
 *
 * One record is written to the BPF ring buffer per TCP state transition.
 */
#ifndef TCPFSM_EVENT_H
#define TCPFSM_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TCPFSM_COMM_LEN 16

/* tcpfsm_event.flags */
enum tcpfsm_event_flags {
	/* old_ns is valid: the socket was seen entering its old state. */
	TCPFSM_F_OLD_NS = 1 << 0,
	/* cookie is not a socket cookie but a per-socket key (tracepoint
	 * fallback: bpf_get_socket_cookie is not callable there): a keyed
	 * bijection of the socket's address, reused when the address is. It
	 * never leaves userspace, which numbers lifecycles itself. */
	TCPFSM_F_SOCKET_KEY = 1 << 1,
};

/* Indices into the per-CPU counters map (bpf: counters). */
enum tcpfsm_counter {
	/* TCP transitions that passed the filters (delivered + lost). */
	TCPFSM_CNT_MATCHED = 0,
	/* Ring buffer full: event dropped. */
	TCPFSM_CNT_RINGBUF_FULL = 1,
	/* Per-socket storage could not be created: old_ns unknown next time. */
	TCPFSM_CNT_SKSTATE_FULL = 2,
	TCPFSM_CNT_MAX = 3,
};

/* Room for the namespace and cgroup filters (bpf: netns_match, cgroup_match). */
#define TCPFSM_MAX_NETNS_FILTERS 16
#define TCPFSM_MAX_CGROUP_FILTERS 16
/* cgroup levels a --cgroup filter may sit at (root is level 0). */
#define TCPFSM_MAX_CGROUP_LEVEL 32

/* Bits of the port filter table (bpf: port_match[65536]). */
enum tcpfsm_port_match {
	TCPFSM_PORT_LOCAL = 1 << 0,
	TCPFSM_PORT_REMOTE = 1 << 1,
};

struct tcpfsm_event {
	__u64 ktime_ns;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC at the transition */
	__u64 cookie;     /* socket cookie (or key: TCPFSM_F_SOCKET_KEY) */
	__u64 old_ns;     /* time spent in old_state; valid if TCPFSM_F_OLD_NS */
	__u32 pid;        /* tgid of the task on the CPU (often not the owner) */
	__u32 tid;        /* thread id of that task */
	__u32 cpu;        /* CPU the transition ran on */
	__u16 family;     /* AF_INET (2) or AF_INET6 (10) */
	__u16 lport;      /* local port, host byte order (0 before bind/connect) */
	__u16 rport;      /* remote port, host byte order */
	__u8 old_state;   /* kernel TCP state number (include/net/tcp_states.h) */
	__u8 new_state;
	__u8 flags;       /* enum tcpfsm_event_flags */
	__u8 _pad[3];
	__u32 ino;        /* socket inode (as in /proc/PID/fd, ss -e); 0 when the
	                   * socket has no file yet (unaccepted child) or no more
	                   * (orphan after close) */
	__u32 netns;      /* inode of the socket's network namespace, as
	                   * /proc/PID/ns/net and lsns show it */
	__u8 laddr[16];   /* local address: AF_INET in the first 4 bytes */
	__u8 raddr[16];   /* remote address, network byte order */
	char comm[TCPFSM_COMM_LEN]; /* comm of the task on the CPU */
	__u64 cgroup_id;  /* cgroup v2 id of the socket's cgroup: recorded when
	                   * the socket was created, inherited by accepted
	                   * children; right in softirq context too */
};

#endif /* TCPFSM_EVENT_H */
