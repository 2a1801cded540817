// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Who accepted a socket: when accept() or accept4() returns a descriptor,
 * the calling process holds it, in its own descriptor table. One record per
 * accepted TCP socket (its inode is the one every later event of the socket
 * carries) into a ring buffer that userspace empties after each drain of
 * the events and every 50 ms (src/owners/holder_iter.cpp): the owner of an
 * accepted socket even when it is closed before anyone could look. Syscall
 * tracepoints: not io_uring's accepts (those are looked up by inode).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tcpfsm/holder.h"
#include "socket_file.h"

/* struct tcpfsm_holder records (ino, pid, fd, comm): 18724 of them with
 * their 8-byte headers; userspace takes them every 50 ms at least. No
 * wakeups: userspace looks when it wants them. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} accepted SEC(".maps");

static __always_inline int record(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct tcpfsm_holder h = {};
	struct file *file = fd_file(task, fd); /* in the caller's table */
	struct inode *inode;

	if (!file)
		return 0;
	inode = socket_inode(file);
	if (!inode || !tcp_sock_of(file))
		return 0;
	h.ino = BPF_CORE_READ(inode, i_ino);
	h.pid = BPF_CORE_READ(task, tgid);
	h.fd = fd;
	read_process_comm(task, h.comm, sizeof h.comm);
	/* Full: userspace is behind; the socket is looked up by inode then. */
	bpf_ringbuf_output(&accepted, &h, sizeof h, BPF_RB_NO_WAKEUP);
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
