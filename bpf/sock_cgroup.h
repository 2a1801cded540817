/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A socket's cgroup, for the tracer (tcpfsm.bpf.c) and the held-socket
 * iterator (owners_iter.bpf.c): one reading of a layout that changed in 5.15.
 */
#ifndef TCPFSM_SOCK_CGROUP_H
#define TCPFSM_SOCK_CGROUP_H

/* The socket's cgroup (sk_cgrp_data: the cgroup v2 the socket was created
 * in; a child accepted from a listener inherits the listener's); NULL when
 * the kernel does not know it.
 * Before Linux 5.15 (and in 5.10 stable until 5.10.2xx: 5.10.218 still, not
 * 5.10.262) sock_cgroup_data was a union: the cgroup pointer as a u64 `val`,
 * or, once a v1 net_prio or net_cls controller had written into it, their
 * ids with bit 0 set (the kernel then counts the socket to the root cgroup).
 * Either way its first 8 bytes hold the pointer when it is one, so the old
 * layout is read as those bytes: no relocation against a field this kernel
 * lacks, and no BPF-to-BPF call, which 5.10.218 cannot take in a program
 * whose typed loads fault (it oopsed searching the subprogram's exception
 * table). */
static __always_inline struct cgroup *sock_cgroup(const struct sock *sk, const bool btf)
{
	__u64 v = 0;

	if (bpf_core_field_exists(struct sock_cgroup_data, cgroup)) {
		if (btf)
			return sk->sk_cgrp_data.cgroup;
		return BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	}
	bpf_probe_read_kernel(&v, sizeof(v), &sk->sk_cgrp_data);
	return v & 3 ? NULL : (struct cgroup *)v;
}

static __always_inline __u64 cgroup_id(const struct cgroup *cg, const bool btf)
{
	if (!cg)
		return 0;
	/* Typed only where sock_cgroup() returned a typed pointer. */
	if (btf && bpf_core_field_exists(struct sock_cgroup_data, cgroup))
		return cg->kn->id;
	return BPF_CORE_READ(cg, kn, id);
}

#endif /* TCPFSM_SOCK_CGROUP_H */
