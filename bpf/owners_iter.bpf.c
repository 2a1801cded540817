// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Who holds a socket, without /proc: task_file iterators (Linux 5.8+) visit
 * every open file of every process inside the kernel and write one record
 * (include/tcpfsm/holder.h) per descriptor of interest. Reading /proc
 * instead costs a readlink() per open file on the host, and needs
 * CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE for other users' processes.
 *
 *   socket_holders  the descriptors of the socket inodes in `wanted`,
 *                   which userspace fills before each read;
 *   tcp_listeners   the descriptors of every listening TCP socket, in every
 *                   network namespace, with its address;
 *   held_sockets    the descriptors of every TCP socket in the states of
 *                   `held_states`, in every network namespace, with what
 *                   sock_diag would say of it: the stuck-socket gauges of
 *                   namespaces tcpfsm cannot enter (setns needs
 *                   CAP_SYS_ADMIN; this needs CAP_BPF and CAP_PERFMON).
 *
 * Userspace reads them between drains of the event ring buffer
 * (src/owners/holder_iter.cpp).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tcpfsm/holder.h"
#include "socket_file.h"
#include "sock_cgroup.h"

#define AF_INET 2
#define AF_INET6 10
#define TCP_LISTEN 10

/* Socket inodes whose holders are wanted (value unused). Sized by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8);
} wanted SEC(".maps");

/* The socket's bound address into laddr and, unless raddr is NULL, its
 * peer's, in network byte order (AF_INET in the first 4 bytes); false for a
 * family that is neither AF_INET nor AF_INET6. */
static __always_inline bool read_addresses(struct sock *sk, __u16 family, __u8 *laddr, __u8 *raddr)
{
	if (family == AF_INET) {
		__u32 addr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);

		__builtin_memcpy(laddr, &addr, sizeof addr);
		if (raddr) {
			addr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
			__builtin_memcpy(raddr, &addr, sizeof addr);
		}
		return true;
	}
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO((struct in6_addr *)laddr, sk, __sk_common.skc_v6_rcv_saddr);
		if (raddr)
			BPF_CORE_READ_INTO((struct in6_addr *)raddr, sk, __sk_common.skc_v6_daddr);
		return true;
	}
	return false;
}

static __always_inline void write_holder(struct bpf_iter__task_file *ctx, struct task_struct *task,
					 struct tcpfsm_holder *h)
{
	h->pid = task->tgid;
	h->fd = ctx->fd;
	read_process_comm(task, h->comm, sizeof h->comm);
	bpf_seq_write(ctx->meta->seq, h, sizeof *h);
}

SEC("iter/task_file")
int socket_holders(struct bpf_iter__task_file *ctx)
{
	/* Each read of a ctx field may be NULL again: read them once. */
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct tcpfsm_holder h = {};
	struct inode *inode;

	if (!task || !file)
		return 0;
	inode = socket_inode(file);
	if (!inode)
		return 0;
	h.ino = BPF_CORE_READ(inode, i_ino);
	if (bpf_map_lookup_elem(&wanted, &h.ino))
		write_holder(ctx, task, &h);
	return 0;
}

SEC("iter/task_file")
int tcp_listeners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct tcpfsm_holder h = {};
	struct inode *inode;
	struct sock *sk;

	if (!task || !file)
		return 0;
	inode = socket_inode(file);
	if (!inode)
		return 0;
	sk = tcp_sock_of(file);
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_LISTEN)
		return 0;
	h.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!read_addresses(sk, h.family, h.laddr, NULL))
		return 0;
	h.ino = BPF_CORE_READ(inode, i_ino);
	h.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	h.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	write_holder(ctx, task, &h);
	return 0;
}

/* The states held_sockets reports (bit 1 << state), set by userspace before
 * each read: a global, not a rodata setting, so one loaded program serves
 * every query. */
__u32 held_states = 0;

SEC("iter/task_file")
int held_sockets(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct tcpfsm_held_socket h = {};
	struct tcp_sock *tp;
	struct inode *inode;
	struct sock *sk;

	if (!task || !file)
		return 0;
	inode = socket_inode(file);
	if (!inode)
		return 0;
	sk = tcp_sock_of(file);
	if (!sk)
		return 0;
	h.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (h.state >= 32 || !((held_states >> h.state) & 1))
		return 0;
	h.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!read_addresses(sk, h.family, h.laddr, h.raddr))
		return 0;
	h.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	h.rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	h.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	h.cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	h.cgroup_id = cgroup_id(sock_cgroup(sk, false), false);
	h.uid = BPF_CORE_READ(sk, sk_uid.val);
	/* As tcp_diag_get_info() counts the queues of a socket not listening. */
	tp = (struct tcp_sock *)sk;
	if (h.state != TCP_LISTEN) {
		__s32 unread = (__s32)(BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq));

		h.rqueue = unread > 0 ? unread : 0;
		h.wqueue = BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
	}
	h.mstamp_us = BPF_CORE_READ(tp, tcp_mstamp);
	h.ino = BPF_CORE_READ(inode, i_ino);
	h.pid = task->tgid;
	h.fd = ctx->fd;
	read_process_comm(task, h.comm, sizeof h.comm);
	bpf_seq_write(ctx->meta->seq, &h, sizeof h);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
