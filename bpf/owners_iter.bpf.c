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
 *                   network namespace, with its address.
 *
 * Userspace reads them between drains of the event ring buffer
 * (src/owners/holder_iter.cpp).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tcpfsm/holder.h"
#include "socket_file.h"

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
	if (h.family == AF_INET) {
		__u32 addr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);

		__builtin_memcpy(h.laddr, &addr, sizeof addr);
	} else if (h.family == AF_INET6) {
		BPF_CORE_READ_INTO(&h.laddr, sk, __sk_common.skc_v6_rcv_saddr);
	} else {
		return 0;
	}
	h.ino = BPF_CORE_READ(inode, i_ino);
	h.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	h.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	write_holder(ctx, task, &h);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
