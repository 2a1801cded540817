/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Socket files, for the owner programs (owners_iter.bpf.c,
 * owners_accept.bpf.c) and accept()'s stacks (tcpfsm.bpf.c): a descriptor's
 * file, which files are sockets, and their TCP sock.
 * CO-RE reads, so they work from any program type.
 */
#ifndef TCPFSM_SOCKET_FILE_H
#define TCPFSM_SOCKET_FILE_H

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define SOCKFS_MAGIC 0x534F434B
#define IPPROTO_TCP 6
#define SOCK_STREAM 1

/* The file's sockfs inode, or NULL when it is not a socket. An O_PATH
 * descriptor of a socket file on disk is S_IFSOCK too, with that
 * filesystem's inode number: the superblock tells them apart. */
static __always_inline struct inode *socket_inode(struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	if (!inode || (BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFSOCK ||
	    BPF_CORE_READ(inode, i_sb, s_magic) != SOCKFS_MAGIC)
		return NULL;
	return inode;
}

/* The TCP sock behind a socket file, or NULL (another protocol; MPTCP's
 * own socket is not TCP either). */
static __always_inline struct sock *tcp_sock_of(struct file *file)
{
	/* private_data is a void *: the file's struct socket. */
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);

	if (!sk || BPF_CORE_READ(sk, sk_type) != SOCK_STREAM || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	return sk;
}

/* The file behind descriptor fd in task's table, or NULL. Whatever file it
 * names now (another thread may have closed and reused it since) is the
 * task's process's. */
static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt;
	struct file **fds;
	struct file *file = NULL;

	if (fd < 0)
		return NULL;
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof file, &fds[fd]);
	return file;
}

/* The name of the task's process: its main thread's, as /proc/PID/comm. */
static __always_inline void read_process_comm(struct task_struct *task, char *comm, __u32 size)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	bpf_core_read_str(comm, size, &leader->comm);
}

#endif /* TCPFSM_SOCKET_FILE_H */
