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

#endif /* TCPFSM_HOLDER_H */
