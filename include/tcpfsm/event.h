/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one event layout shared by the BPF program (bpf/tcpfsm.bpf.c) and the
 * C++ userspace. Plain C with fixed-width types so both compilers agree; the
 * C++ side checks the sizes and offsets with static_assert
 * (src/kernel/decode.cpp).
 *
 * The event buffer (the BPF ring buffer, or a perf buffer per CPU) carries
 * four kinds of records: one tcpfsm_event per TCP state transition, or a
 * tcpfsm_close (the event, then the connection's life: bytes, segments,
 * retransmits, RTT) for a transition into CLOSE that ends a connection; one
 * tcpfsm_cause per TCP reset sent or received on a socket (the cause of an
 * abnormal end, which the kernel reports apart from the state change, before
 * or just after it); and, when stacks are asked for, one tcpfsm_origin per
 * connect(), listen() and accept(): the user stack of the thread that called
 * it, which names the code behind a socket. Every record begins with the same head (tcpfsm_head):
 * its time, its socket and its kind byte, by which the reader tells the
 * kinds apart (as Tetragon's msg_common), never by their size.
 */
#ifndef TCPFSM_EVENT_H
#define TCPFSM_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TCPFSM_COMM_LEN 16

/* tcpfsm_head.record: which record follows the head. */
enum tcpfsm_record_kind {
	TCPFSM_RECORD_TRANSITION = 1, /* struct tcpfsm_event */
	TCPFSM_RECORD_CAUSE = 2,      /* struct tcpfsm_cause */
	TCPFSM_RECORD_ORIGIN = 3,     /* struct tcpfsm_origin */
	TCPFSM_RECORD_CLOSE = 4,      /* struct tcpfsm_close */
};

/* tcpfsm_event.flags */
enum tcpfsm_event_flags {
	/* old_ns is valid: the socket was seen entering its old state. */
	TCPFSM_F_OLD_NS = 1 << 0,
	/* cookie is not a socket cookie but a per-socket key (tracepoint
	 * fallback: bpf_get_socket_cookie is not callable there): a keyed
	 * bijection of the socket's address, reused when the address is. It
	 * never leaves userspace, which numbers lifecycles itself. */
	TCPFSM_F_SOCKET_KEY = 1 << 1,
	/* The task on the CPU is a kernel thread (PF_KTHREAD): it holds no
	 * descriptor, so it owns nothing even where it called connect() or
	 * listen() (io_uring's workers before Linux 5.12). Set on transitions
	 * out of CLOSE only, where the task on the CPU can be the owner. */
	TCPFSM_F_KERNEL_TASK = 1 << 2,
};

/* Indices into the per-CPU counters map (bpf: counters). */
enum tcpfsm_counter {
	/* TCP transitions that passed the filters (delivered + lost). */
	TCPFSM_CNT_MATCHED = 0,
	/* Event buffer full (the ring buffer, or this CPU's perf buffer):
	 * event dropped. */
	TCPFSM_CNT_RINGBUF_FULL = 1,
	/* Per-socket storage could not be created: old_ns unknown next time. */
	TCPFSM_CNT_SKSTATE_FULL = 2,
	/* Resets on sockets that passed the filters (delivered + lost). */
	TCPFSM_CNT_CAUSES = 3,
	/* Event buffer full: a reset's record dropped. */
	TCPFSM_CNT_CAUSE_RINGBUF_FULL = 4,
	/* connect(), listen() and accept() calls whose stack was asked for
	 * (delivered + lost). */
	TCPFSM_CNT_ORIGINS = 5,
	/* Event buffer full: an origin record dropped. */
	TCPFSM_CNT_ORIGIN_RINGBUF_FULL = 6,
	/* The user stack could not be read (bpf_get_stack failed: no user
	 * context, a fault): the origin went out without frames. */
	TCPFSM_CNT_STACK_UNREAD = 7,
	TCPFSM_CNT_MAX = 8,
};

/* tcpfsm_cause.kind */
enum tcpfsm_cause_kind {
	TCPFSM_CAUSE_RST_RECEIVED = 1, /* tcp:tcp_receive_reset */
	TCPFSM_CAUSE_RST_SENT = 2,     /* tcp:tcp_send_reset */
};

/* tcpfsm_cause.rst_reason when the kernel gives none (before Linux 6.10). */
#define TCPFSM_RST_REASON_NONE 0xffffffffu

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

/* The leading bytes of every record, whatever its kind: each record struct
 * below begins with these members, spelled out (not nested, so that code
 * reads e.cookie, c.ktime_ns), at these offsets. A reader looks at `record`
 * first, then at the rest only if the record is as long as its kind's struct.
 * 17 bytes are the head's own; sizeof pads it to 24. */
struct tcpfsm_head {
	__u64 ktime_ns;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC at the record */
	__u64 cookie;     /* socket cookie (or key: TCPFSM_F_SOCKET_KEY) */
	__u8 record;      /* enum tcpfsm_record_kind */
};

/* A TCP state transition: 112 bytes, no hole. */
struct tcpfsm_event {
	__u64 ktime_ns;   /* head: bpf_ktime_get_ns(), CLOCK_MONOTONIC at the
	                   * transition */
	__u64 cookie;     /* head: socket cookie (or key: TCPFSM_F_SOCKET_KEY) */
	__u8 record;      /* head: TCPFSM_RECORD_TRANSITION */
	__u8 old_state;   /* kernel TCP state number (include/net/tcp_states.h) */
	__u8 new_state;
	__u8 flags;       /* enum tcpfsm_event_flags */
	__u8 error;       /* -> CLOSE only: the socket's error (sk_err, an errno)
	                   * as the kernel set it before ending the socket:
	                   * ECONNREFUSED, ETIMEDOUT, ECONNABORTED...; 0 none */
	__u8 _pad;        /* zero */
	__u16 family;     /* AF_INET (2) or AF_INET6 (10) */
	__u64 old_ns;     /* time spent in old_state; valid if TCPFSM_F_OLD_NS */
	__u64 cgroup_id;  /* cgroup v2 id of the socket's cgroup: recorded when
	                   * the socket was created, inherited by accepted
	                   * children; right in softirq context too */
	__u32 pid;        /* tgid of the task on the CPU (often not the owner) */
	__u32 tid;        /* thread id of that task */
	__u32 cpu;        /* CPU the transition ran on */
	__u32 ino;        /* socket inode (as in /proc/PID/fd, ss -e); 0 when the
	                   * socket has no file yet (unaccepted child) or no more
	                   * (orphan after close) */
	__u32 netns;      /* inode of the socket's network namespace, as
	                   * /proc/PID/ns/net and lsns show it */
	__u16 lport;      /* local port, host byte order (0 before bind/connect) */
	__u16 rport;      /* remote port, host byte order */
	__u8 laddr[16];   /* local address: AF_INET in the first 4 bytes */
	__u8 raddr[16];   /* remote address, network byte order */
	char comm[TCPFSM_COMM_LEN]; /* comm of the task on the CPU */
};

/* A reset on a socket: sent or received. When the socket is not in CLOSE it
 * comes before the transition it causes (tcp_reset(), tcp_abort(), timeouts);
 * in CLOSE it comes just after it (close() with unread data, SO_LINGER {1,0}:
 * the state is set first). Userspace joins it to that transition. 24 bytes,
 * no hole. */
struct tcpfsm_cause {
	__u64 ktime_ns;   /* head: bpf_ktime_get_ns() */
	__u64 cookie;     /* head: as tcpfsm_event.cookie (or its key) */
	__u8 record;      /* head: TCPFSM_RECORD_CAUSE */
	__u8 kind;        /* enum tcpfsm_cause_kind */
	__u8 state;       /* the socket's state at the reset */
	__u8 _pad;        /* zero */
	__u32 rst_reason; /* enum sk_rst_reason (RST_SENT, Linux 6.10+), named
	                   * from the kernel's BTF; TCPFSM_RST_REASON_NONE */
};

/* tcpfsm_life.role: how the connection began, as the kernel's per-socket
 * state saw it (kept only under a port or state filter); else userspace
 * tells it from the lifecycle it saw begin. */
enum tcpfsm_life_role {
	TCPFSM_ROLE_UNKNOWN = 0, /* its start was not seen */
	TCPFSM_ROLE_CLIENT = 1,  /* CLOSE -> SYN_SENT: connect() */
	TCPFSM_ROLE_SERVER = 2,  /* LISTEN -> SYN_RECV: a listener's child */
};

/* tcpfsm_life.fields: which of its counters this kernel's tcp_sock has (each
 * probed with CO-RE; all of them from Linux 4.19). A counter not read is 0
 * and its bit is clear: userspace says it is unknown, never 0. */
enum tcpfsm_life_fields {
	TCPFSM_LIFE_RX_BYTES = 1 << 0,  /* tcp_sock.bytes_received */
	TCPFSM_LIFE_TX_BYTES = 1 << 1,  /* tcp_sock.bytes_sent, bytes_retrans */
	TCPFSM_LIFE_SEGS_IN = 1 << 2,   /* tcp_sock.segs_in */
	TCPFSM_LIFE_SEGS_OUT = 1 << 3,  /* tcp_sock.segs_out */
	TCPFSM_LIFE_RETRANS = 1 << 4,   /* tcp_sock.total_retrans */
	TCPFSM_LIFE_RTT = 1 << 5,       /* tcp_sock.srtt_us and mdev_us */
};

/* What a connection did in its life, read from its tcp_sock as it ends (its
 * transition into CLOSE; the timewait takeover is one too: the full socket
 * ends there). 48 bytes, no hole. */
struct tcpfsm_life {
	__u64 born_ns;    /* bpf_ktime_get_ns() at its lifecycle's start, when
	                   * the kernel kept per-socket state and saw it; 0:
	                   * not known here (userspace may know it) */
	__u64 rx_bytes;   /* payload bytes received (bytes_received, less the
	                   * peer's FIN) */
	__u64 tx_bytes;   /* payload bytes sent, each once (bytes_sent less
	                   * bytes_retrans) */
	__u32 segs_in;    /* segments received, control segments included */
	__u32 segs_out;   /* segments sent, retransmissions included */
	__u32 retrans;    /* segments retransmitted (total_retrans) */
	__u32 srtt_us;    /* smoothed RTT (srtt_us >> 3); 0: no sample taken */
	__u32 rttvar_us;  /* its mean deviation (mdev_us >> 2), as tcp_info's
	                   * tcpi_rttvar */
	__u8 fields;      /* enum tcpfsm_life_fields */
	__u8 role;        /* enum tcpfsm_life_role */
	__u16 _pad;       /* zero */
};

/* A transition into CLOSE that ends a connection (not a listener's, nor a
 * repeated CLOSE): the transition, then what the connection did. Only these
 * records carry the life; every other transition stays a tcpfsm_event.
 * event.record is TCPFSM_RECORD_CLOSE. 160 bytes, no hole. */
struct tcpfsm_close {
	struct tcpfsm_event event;
	struct tcpfsm_life life;
};

/* tcpfsm_origin.kind: the call that gave the socket its file. */
enum tcpfsm_origin_kind {
	TCPFSM_ORIGIN_CONNECT = 1, /* CLOSE -> SYN_SENT, in connect() */
	TCPFSM_ORIGIN_LISTEN = 2,  /* CLOSE -> LISTEN, in listen() */
	TCPFSM_ORIGIN_ACCEPT = 3,  /* accept() or accept4() returned it */
};

/* Frames an origin carries: innermost first, as the kernel walks the frame
 * pointers (perf's user stacks are the same walk). */
#define TCPFSM_STACK_FRAMES 32
/* Stack words from the user stack pointer up: the syscall's libc wrapper
 * keeps no frame, so the kernel's walk skips the wrapper's caller, whose
 * return address is among these (userspace finds it with the wrapper's call
 * frame information: src/stacks/). */
#define TCPFSM_STACK_WORDS 8

/* tcpfsm_origin.flags */
enum tcpfsm_origin_flags {
	TCPFSM_ORIGIN_F_WORDS = 1 << 0, /* sp and words[] were read */
};

/* Where a socket's file came from: the user stack of the thread in
 * connect(), listen() or accept(). Written before the socket's transition
 * (connect, listen) or at accept()'s return; joined to the socket by its
 * inode, which every record of the socket carries. 368 bytes, no hole. */
struct tcpfsm_origin {
	__u64 ktime_ns;   /* head: bpf_ktime_get_ns() */
	__u64 cookie;     /* head: as tcpfsm_event.cookie; 0 for accepts (the
	                   * syscall's tracepoint cannot ask for it) */
	__u8 record;      /* head: TCPFSM_RECORD_ORIGIN */
	__u8 kind;        /* enum tcpfsm_origin_kind */
	__u8 frames;      /* ips[] filled, 0..TCPFSM_STACK_FRAMES */
	__u8 flags;       /* enum tcpfsm_origin_flags */
	__s32 stack_error; /* bpf_get_stack's error (a -errno) when frames is 0 */
	__u32 pid;        /* tgid of the calling thread */
	__u32 tid;        /* the calling thread */
	__u32 ino;        /* the socket's inode */
	__u32 netns;      /* inode of the socket's network namespace */
	__u64 sp;         /* the user stack pointer at the syscall */
	__u64 words[TCPFSM_STACK_WORDS]; /* the user stack from sp up */
	__u64 ips[TCPFSM_STACK_FRAMES];  /* return addresses; ips[0] the pc */
};

#endif /* TCPFSM_EVENT_H */
