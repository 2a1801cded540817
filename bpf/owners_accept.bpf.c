// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Who accepted a socket: when accept() or accept4() returns a descriptor,
 * the calling process holds it, in its own descriptor table. One record per
 * accepted TCP socket, by inode (the one every later event of the socket
 * carries), in an LRU hash that userspace takes out when such an inode
 * comes up (src/owners/holder_iter.cpp): the owner of an accepted socket
 * even when it is closed before anyone could look. Syscall tracepoints: not
 * io_uring's accepts (those are looked up by inode).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tcpfsm/holder.h"
#include "socket_file.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);                  /* socket inode */
	__type(value, struct tcpfsm_holder); /* ino, pid, fd, comm */
} accepted SEC(".maps");

static __always_inline int record(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct tcpfsm_holder h = {};
	struct fdtable *fdt;
	struct file **fds;
	struct file *file = NULL;
	struct inode *inode;

	if (fd < 0)
		return 0;
	/* The descriptor is in the caller's table: whatever file it names now
	 * (another thread may have closed and reused it since) is the
	 * caller's process's. */
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof file, &fds[fd]);
	if (!file)
		return 0;
	inode = socket_inode(file);
	if (!inode || !tcp_sock_of(file))
		return 0;
	h.ino = BPF_CORE_READ(inode, i_ino);
	h.pid = BPF_CORE_READ(task, tgid);
	h.fd = fd;
	read_process_comm(task, h.comm, sizeof h.comm);
	bpf_map_update_elem(&accepted, &h.ino, &h, BPF_ANY);
	return 0;
}

/* The syscall tracepoints' records: the common fields, the syscall number,
 * the return value (the layout of raw_syscalls:sys_exit too). */
SEC("tracepoint/syscalls/sys_exit_accept4")
int accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return record(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return record(ctx->ret);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
