/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the socket-holder iterators (bpf/owners_iter.bpf.c) write, one record
 * per file descriptor that refers to a socket they were asked about, and the
 * C++ side reads back (src/owners/holder_iter.cpp). Plain C with fixed-width
 * types so both compilers agree.
 */
#ifndef TCPFSM_HOLDER_H
#define TCPFSM_HOLDER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TCPFSM_HOLDER_COMM_LEN 16

struct tcpfsm_holder {
	__u32 ino;      /* socket inode, as in /proc/PID/fd ("socket:[ino]") */
	__u32 pid;      /* tgid of the process holding it (init pid namespace) */
	__u32 fd;       /* the descriptor in that process */
	/* Listeners only (tcp_listeners); 0 in socket_holders' records. */
	__u32 netns;    /* inode of the socket's network namespace */
	__u16 family;   /* AF_INET or AF_INET6 */
	__u16 lport;    /* local port, host byte order */
	__u8 laddr[16]; /* bound address, network byte order; AF_INET in the first 4 bytes */
	char comm[TCPFSM_HOLDER_COMM_LEN]; /* the process's name: its main
	                                    * thread's comm, as /proc/PID/comm */
};

/*
 * One TCP socket a process holds, with what `tcpfsm stuck` and the socket
 * gauges need to know of it, written by the held_sockets iterator for every
 * descriptor of a TCP socket in the states asked for, in every network
 * namespace: what sock_diag says of a socket, without entering its namespace.
 */
struct tcpfsm_held_socket {
	__u64 cookie;     /* the socket's cookie if it was given one (by the tracer, sock_diag), else 0 */
	__u64 cgroup_id;  /* cgroup v2 id of the socket's cgroup (as the events' cgroup_id), 0 if unknown */
	__u64 mstamp_us;  /* tcp_sock.tcp_mstamp: CLOCK_MONOTONIC us of its last segment in or out */
	__u32 ino;        /* socket inode */
	__u32 pid;        /* tgid of the process holding it (init pid namespace) */
	__u32 fd;         /* the descriptor in that process */
	__u32 netns;      /* inode of the socket's network namespace */
	__u32 uid;        /* the socket's owner uid (sk_uid) */
	__u32 rqueue;     /* received, not yet read (rcv_nxt - copied_seq), as sock_diag's */
	__u32 wqueue;     /* sent, not yet acknowledged (write_seq - snd_una) */
	__u16 family;     /* AF_INET or AF_INET6 */
	__u8 state;       /* the kernel's TCP state number */
	__u8 pad;
	__u16 lport, rport;  /* host byte order */
	__u8 laddr[16], raddr[16];  /* network byte order; AF_INET in the first 4 bytes */
	char comm[TCPFSM_HOLDER_COMM_LEN];  /* the holding process's name */
};

#endif /* TCPFSM_HOLDER_H */
