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

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define SOCKFS_MAGIC 0x534F434B
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define SOCK_STREAM 1
#define TCP_LISTEN 10

/* Socket inodes whose holders are wanted (value unused). Sized by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8);
} wanted SEC(".maps");

/* The file's sockfs inode, or NULL when it is not a socket. An O_PATH
 * descriptor of a socket file on disk is S_IFSOCK too, with that
 * filesystem's inode number: the superblock tells them apart. */
static __always_inline struct inode *socket_inode(struct file *file)
{
	struct inode *inode = file->f_inode;

	if (!inode || (inode->i_mode & S_IFMT) != S_IFSOCK || inode->i_sb->s_magic != SOCKFS_MAGIC)
		return NULL;
	return inode;
}

static __always_inline void write_holder(struct bpf_iter__task_file *ctx, struct task_struct *task,
					 struct tcpfsm_holder *h)
{
	h->pid = task->tgid;
	h->fd = ctx->fd;
	bpf_probe_read_kernel_str(h->comm, sizeof h->comm, task->group_leader->comm);
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
	h.ino = inode->i_ino;
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
	struct socket *sock;
	struct sock *sk;

	if (!task || !file)
		return 0;
	inode = socket_inode(file);
	if (!inode)
		return 0;
	/* private_data is a void *: read through the socket with CO-RE. */
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_LISTEN ||
	    BPF_CORE_READ(sk, sk_type) != SOCK_STREAM || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
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
	h.ino = inode->i_ino;
	h.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	h.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	write_holder(ctx, task, &h);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
