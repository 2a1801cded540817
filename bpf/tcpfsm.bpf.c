// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcpfsm: one event per TCP state transition, from sock:inet_sock_set_state.
 *
 * Two entry points share one handler body:
 *   tp_btf/inet_sock_set_state       preferred: needs no tracefs, can call
 *                                    bpf_get_socket_cookie and keep per-socket
 *                                    state in socket-local storage;
 *   tracepoint/sock/inet_sock_set_state  fallback: per-socket state in a hash
 *                                    keyed by socket address; events carry a
 *                                    keyed bijection of that address, from
 *                                    which userspace numbers lifecycles.
 * Userspace loads exactly one of them (src/kernel/loader.cpp).
 *
 * The causes of abnormal ends come from two more tracepoints, each in the
 * same two flavours (the one that matches the transitions' identity):
 *   tcp:tcp_receive_reset  a reset received (tcp_reset());
 *   tcp:tcp_send_reset     a reset sent, with the kernel's reason (6.10+).
 * They run only when a reset is, so ordinary FIN closes cost nothing more.
 * The socket's error (sk_err), set before the kernel ends a socket with
 * one, is read by the transition itself.
 *
 * With capture_stacks, the code behind each socket: the user stack of the
 * thread in connect() and listen() (the transition out of CLOSE runs in that
 * call) and at accept()'s return (the syscall tracepoints, classic only:
 * there is no tp_btf flavour of a syscall's exit), one tcpfsm_origin each.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tcpfsm/event.h"
#include "sock_cgroup.h"
#include "socket_file.h"

#define AF_INET 2
#define AF_INET6 10
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_TIME_WAIT 6
#define TCP_CLOSE 7
#define TCP_LISTEN 10
#define TCP_NEW_SYN_RECV 12
#define PF_KTHREAD 0x00200000 /* include/linux/sched.h */

/* Load-time settings, written by userspace between open and load. */
const volatile __u16 target_family = 0;      /* 0: both */
const volatile bool filter_ports = false;
const volatile __u8 port_match[65536] = {};  /* enum tcpfsm_port_match bits */
/* Transitions into or out of these states only (bit 1 << state; 0: all). */
const volatile __u32 state_match = 0;
/* Sockets of these network namespaces only (inodes; none: all). */
const volatile __u32 netns_count = 0;
const volatile __u32 netns_match[TCPFSM_MAX_NETNS_FILTERS] = {};
/* Sockets of these cgroups or their descendants only: the cgroup's id and
 * level (its depth below the root). */
const volatile __u32 cgroup_count = 0;
const volatile __u64 cgroup_match_id[TCPFSM_MAX_CGROUP_FILTERS] = {};
const volatile __u32 cgroup_match_level[TCPFSM_MAX_CGROUP_FILTERS] = {};
/* Where struct cgroup keeps its ancestors (bytes; -1: unknown), and whether
 * as ids (ancestor_ids[], before 6.1) rather than pointers (ancestors[]). */
const volatile __s32 cgroup_ancestors_off = -1;
const volatile bool cgroup_ancestor_ids = false;
/* Per-socket time is kept in the kernel only when userspace cannot compute
 * it: under a port filter a socket's first events may be filtered out (lport
 * is 0 in SYN_SENT), under a state filter most of them are. (The namespace
 * and cgroup filters keep or drop a socket whole.) Unfiltered, userspace sees every event of a socket and
 * takes old_ns as the difference of consecutive ktime_ns, the same number;
 * that saves a socket-storage allocation per socket (40% of the program). */
const volatile bool kernel_state = true;
/* Fallback only: mixes socket addresses into event keys (random per run), so
 * no kernel address reaches userspace as it is. */
const volatile __u64 key_secret = 0;
/* Wake the reader only once this much data waits; below it the reader
 * polls on a short timer. One wakeup per event costs microseconds on a VM. */
const volatile __u64 wakeup_bytes = 0;
/* tp_btf/tcp_send_reset passes the reset's reason (Linux 6.10+). */
const volatile bool rst_reason_arg = false;
/* tp_btf only: identify sockets by their cookie and keep per-socket time in
 * socket-local storage. Tracing programs may call bpf_get_socket_cookie from
 * Linux 5.12 and bpf_sk_storage_get from 5.11; before that the tp_btf
 * program identifies sockets as the tracepoint fallback does (keys, a hash),
 * and keeps its typed reads. */
const volatile bool socket_cookies = true;
/* The transport: the BPF ring buffer (5.8+), or per-CPU perf buffers (the
 * events map's type is then set to PERF_EVENT_ARRAY before load). A constant
 * to the verifier, which prunes the other path: the ring buffer's helpers
 * are never checked against a perf map, nor the other way round. */
const volatile bool use_ringbuf = true;
/* One tcpfsm_origin per connect(), listen() and accept(): their stacks. */
const volatile bool capture_stacks = false;

struct sk_slot {
	__u64 entered_ns; /* when the socket entered its current state */
	__u64 born_ns;    /* when its lifecycle began; 0: not seen */
	__u8 role;        /* enum tcpfsm_life_role, from how it began */
};

/* RINGBUF, or PERF_EVENT_ARRAY (one perf buffer per CPU): set by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by userspace */
} events SEC(".maps");

/* Perf path: a record is built here, then copied out by
 * bpf_perf_event_output(). A slot per program that writes records, as a
 * reset's program can interrupt a transition's on the same CPU, and a
 * transition's an accept()'s (not the same program: the kernel skips a
 * program that would nest in itself). The transition program writes its
 * origin and then its event, one after the other, in its slot. */
union record_slot {
	struct tcpfsm_event event;
	struct tcpfsm_close close;
	struct tcpfsm_cause cause;
	struct tcpfsm_origin origin;
};

enum scratch_slot {
	SLOT_TRANSITION = 0,
	SLOT_CAUSE = 1,
	SLOT_ACCEPT = 2,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, union record_slot);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCPFSM_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* tp_btf: freed with the socket, so it cannot leak or fill up. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sk_slot);
} sk_state SEC(".maps");

/* A child socket's birth (LISTEN -> SYN_RECV), held back on its CPU until
 * the kernel has filled the child in. Up to Linux 6.12 at least (seen on
 * 5.10, 6.1 and 6.12; 6.18 fills the child in first) inet_csk_clone_lock()
 * sets the state first and only then the child's ports, addresses
 * (tcp_v4_syn_recv_sock, after it returns) and cookie (copied from the
 * request): reported at once, the birth shows the listener's endpoints and a
 * cookie the socket then loses. The child's next transition follows in the
 * same softirq (SYN_RECV -> ESTABLISHED, or -> CLOSE when the handshake
 * fails), where its identity and endpoints are final: the birth is delivered
 * first, with them. A TCP Fast Open child waits in SYN_RECV for the client's
 * ACK: its birth goes out as it was seen at the CPU's next transition. */
struct pending_birth {
	__u64 sk;    /* the child's address (never leaves the kernel); 0: none */
	bool wanted; /* it passed the filters as it looked at birth */
	struct tcpfsm_event e;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending_birth);
} births SEC(".maps");

/* Socket keys (tracepoint, and tp_btf without cookies): bounded; a full map
 * is counted. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized by userspace */
	__type(key, __u64);
	__type(value, struct sk_slot);
} sk_state_hash SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += 1;
}

/* port_match[] indexed by a port. The ports come out of a byte swap, whose
 * result older verifiers do not bound (5.10, 6.1 and 6.12 refused the lookup:
 * "math between map_value pointer and register with unbounded min value";
 * 6.18 takes it); the compiler drops a mask it knows to be redundant unless
 * barrier_var() hides the value from it first. */
static __always_inline __u8 port_bits(__u32 port)
{
	barrier_var(port);
	return port_match[port & 0xffff];
}

static __always_inline bool port_wanted(__u16 lport, __u16 rport)
{
	if (!filter_ports)
		return true;
	return (port_bits(lport) & TCPFSM_PORT_LOCAL) || (port_bits(rport) & TCPFSM_PORT_REMOTE);
}

/* Socket cookies and socket-local storage (tp_btf, when the kernel lets a
 * tracing program use them), else keys and the hash. */
static __always_inline bool by_cookie(const bool btf)
{
	return btf && socket_cookies;
}

/*
 * Per-socket slot, socket-local storage (tp_btf). NULL at CLOSE; *old gets
 * what it held before this event (zero: nothing).
 * At CLOSE the slot is cleared, not deleted: the kernel frees it with the
 * socket moments later anyway, and bpf_sk_storage_delete() frees through
 * RCU-tasks-trace, which cost the RCU kthreads ~1 us per connection of churn.
 * A cleared slot reads as "not seen", so a socket that starts over after
 * CLOSE (reconnect, listen again) gets old_ns null, as a deleted one did.
 */
static __always_inline struct sk_slot *slot_btf(const struct sock *sk, int newstate,
						struct sk_slot *old)
{
	struct sk_slot *s;

	s = bpf_sk_storage_get(&sk_state, (struct sock *)sk, 0,
			       newstate == TCP_CLOSE ? 0 : BPF_SK_STORAGE_GET_F_CREATE);
	if (s)
		*old = *s;
	if (newstate == TCP_CLOSE) {
		if (s)
			__builtin_memset(s, 0, sizeof(*s));
		return NULL;
	}
	if (!s)
		count(TCPFSM_CNT_SKSTATE_FULL);
	return s;
}

/* A lifecycle begins: from CLOSE (connect, listen), or a child socket cloned
 * from its listener. A new socket at a recycled address begins this way. */
static __always_inline bool lifecycle_start(int oldstate, int newstate)
{
	return oldstate == TCP_CLOSE || (oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV);
}

/* The socket's address as a number. The classic tracepoint passes one; a
 * typed (tp_btf) pointer may be compared and stored but not mixed (the
 * verifier refuses XOR and multiplication on pointers), so it is copied out
 * as bytes. It never leaves the kernel as it is. */
static __always_inline __u64 sk_addr(const struct sock *sk, const bool btf)
{
	__u64 addr = 0;

	if (!btf)
		return (__u64)sk;
	bpf_probe_read_kernel(&addr, sizeof(addr), &sk);
	return addr;
}

/* Per-socket slot, hash keyed by socket address (tracepoint fallback). An
 * entry left by a socket whose CLOSE this program missed (it was skipped)
 * is not taken for the new socket's: a lifecycle start ignores it. */
static __always_inline struct sk_slot *slot_hash(const struct sock *sk, int oldstate, int newstate,
						 struct sk_slot *old, const bool btf)
{
	__u64 key = sk_addr(sk, btf);
	struct sk_slot *s = bpf_map_lookup_elem(&sk_state_hash, &key);
	struct sk_slot fresh = {};

	if (s && !lifecycle_start(oldstate, newstate))
		*old = *s;
	if (newstate == TCP_CLOSE) {
		if (s)
			bpf_map_delete_elem(&sk_state_hash, &key);
		return NULL;
	}
	if (s)
		return s;
	if (bpf_map_update_elem(&sk_state_hash, &key, &fresh, BPF_NOEXIST)) {
		count(TCPFSM_CNT_SKSTATE_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&sk_state_hash, &key);
}

/* The socket keys' event key: (address ^ secret) times an odd constant, a
 * bijection, so distinct sockets alive together never share a key. */
static __always_inline __u64 socket_key(const struct sock *sk, const bool btf)
{
	return (sk_addr(sk, btf) ^ key_secret) * 0x9E3779B97F4A7C15ULL;
}

/*
 * Socket fields. tp_btf passes a typed (BTF) pointer: plain loads, which the
 * verifier makes fault-safe, about one instruction each. The classic
 * tracepoint passes a bare address: each read is a bpf_probe_read_kernel()
 * call, and ten of them were a third of the program's time on tp_btf too.
 * `btf` is a constant in each program, so only one branch is compiled in.
 */
#define SK_READ(btf, sk, field) ((btf) ? (sk)->field : BPF_CORE_READ(sk, field))

static __always_inline __u32 read_ino(const struct sock *sk, const bool btf)
{
	if (btf)
		return sk->sk_socket->file->f_inode->i_ino; /* NULL-safe: faults read 0 */
	return BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
}

/* The socket's network namespace, as /proc/PID/ns/net names it. */
static __always_inline __u32 read_netns(const struct sock *sk, const bool btf)
{
	if (btf)
		return sk->__sk_common.skc_net.net->ns.inum;
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* The id of cg's ancestor at `level` (cg itself at its own level), or 0.
 * struct cgroup keeps its ancestors in a last, flexible member: their ids
 * (ancestor_ids[], 5.10) or the ancestors themselves (ancestors[], 6.1+).
 * Userspace finds which, and where, in the kernel's BTF
 * (cgroup_ancestors_off): a CO-RE relocation against the member a kernel
 * lacks fails to load there even behind bpf_core_field_exists (libbpf 1.1
 * on 5.10: "failed to resolve CO-RE relocation ... struct cgroup.ancestors"),
 * and a function of its own to keep it apart would be a BPF-to-BPF call,
 * which 5.10.218 cannot take in a program whose typed loads fault. */
static __always_inline __u64 cgroup_ancestor_id(const struct cgroup *cg, __u32 level)
{
	__u64 at = 0, slot = 0;

	if (!cg || cgroup_ancestors_off < 0 || level >= TCPFSM_MAX_CGROUP_LEVEL ||
	    (__u32)BPF_CORE_READ(cg, level) < level)
		return 0;
	bpf_probe_read_kernel(&at, sizeof(at), &cg); /* the address as a number */
	at += cgroup_ancestors_off + (level & (TCPFSM_MAX_CGROUP_LEVEL - 1)) * sizeof(__u64);
	bpf_probe_read_kernel(&slot, sizeof(slot), (const void *)at);
	if (cgroup_ancestor_ids)
		return slot;
	return slot ? BPF_CORE_READ((const struct cgroup *)slot, kn, id) : 0;
}

/* The namespace and cgroup filters; the port filter runs first. */
static __always_inline bool socket_wanted(__u32 netns, const struct cgroup *cg)
{
	__u32 i;

	if (netns_count) {
		bool found = false;

		for (i = 0; i < TCPFSM_MAX_NETNS_FILTERS && i < netns_count; i++)
			found |= netns_match[i] == netns;
		if (!found)
			return false;
	}
	if (cgroup_count) {
		bool found = false;

		for (i = 0; i < TCPFSM_MAX_CGROUP_FILTERS && i < cgroup_count; i++)
			found |= cgroup_ancestor_id(cg, cgroup_match_level[i]) == cgroup_match_id[i];
		if (!found)
			return false;
	}
	return true;
}

/* inet_sport, as the tracepoint reports the local port. It lies beyond struct
 * sock, where a typed load needs the tcp_sock view (helper from 5.9). */
static __always_inline __u16 read_sport(const struct sock *sk, const bool btf)
{
	if (btf && bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_skc_to_tcp_sock)) {
		const struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);

		if (tp)
			return tp->inet_conn.icsk_inet.inet_sport;
	}
	return BPF_CORE_READ((const struct inet_sock *)sk, inet_sport);
}

/* comm of the task on the CPU: two typed loads (task from 5.11) instead of
 * bpf_get_current_comm()'s byte-by-byte copy. Bytes after the NUL may then
 * differ from the helper's zero padding; userspace stops at the NUL. */
static __always_inline void read_comm(char *comm, const bool btf)
{
	if (btf && bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		__builtin_memcpy(comm, bpf_get_current_task_btf()->comm, TCPFSM_COMM_LEN);
		return;
	}
	bpf_get_current_comm(comm, TCPFSM_COMM_LEN);
}

static __always_inline void read_addrs(const struct sock *sk, __u16 family,
				       struct tcpfsm_event *e, const bool btf)
{
	if (family == AF_INET6) {
		if (btf) {
			__builtin_memcpy(e->laddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
			__builtin_memcpy(e->raddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
		} else {
			BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
			BPF_CORE_READ_INTO(&e->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		}
		return;
	}
	__builtin_memset(e->laddr, 0, sizeof(e->laddr));
	__builtin_memset(e->raddr, 0, sizeof(e->raddr));
	*(__u32 *)e->laddr = SK_READ(btf, sk, __sk_common.skc_rcv_saddr);
	*(__u32 *)e->raddr = SK_READ(btf, sk, __sk_common.skc_daddr);
}

/* One tcp_sock counter into the life, if this kernel's tcp_sock has it. */
#define LIFE_READ(l, typed, tp, field, into, bit)                                 \
	do {                                                                      \
		if (bpf_core_field_exists(tp->field)) {                           \
			(l)->into = (typed) ? (tp)->field : BPF_CORE_READ(tp, field); \
			(l)->fields |= (bit);                                     \
		}                                                                 \
	} while (0)

/* What the connection did, from its tcp_sock as it ends. tp_btf reads it
 * through the tcp_sock view (helper from 5.9), whose loads are typed; else
 * each counter is a probe read (the CLOSE path only). born_ns and role come
 * from the per-socket slot, by the caller.
 * Payload bytes, exactly: the kernel's bytes_received counts the peer's FIN
 * (one sequence number) and bytes_acked our SYN (a client's) and FIN, as
 * `ss -i` and tcplife show them. Received: less the FIN when one came
 * (SOCK_DONE: set by tcp_fin() alone, cleared by tcp_disconnect()). Sent:
 * bytes_sent (payload only) less bytes_retrans, each byte once. */
static __always_inline void read_life(struct tcpfsm_life *l, const struct sock *sk, const bool btf)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	bool typed = false;
	__u64 sent, resent;

	__builtin_memset(l, 0, sizeof(*l));
	if (btf && bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_skc_to_tcp_sock)) {
		tp = bpf_skc_to_tcp_sock((void *)sk);
		if (!tp)
			return;
		typed = true;
	}
	LIFE_READ(l, typed, tp, bytes_received, rx_bytes, TCPFSM_LIFE_RX_BYTES);
	if (l->rx_bytes &&
	    (SK_READ(btf, sk, __sk_common.skc_flags) >> bpf_core_enum_value(enum sock_flags, SOCK_DONE)) & 1)
		l->rx_bytes -= 1;
	if (bpf_core_field_exists(tp->bytes_sent) && bpf_core_field_exists(tp->bytes_retrans)) {
		sent = typed ? tp->bytes_sent : BPF_CORE_READ(tp, bytes_sent);
		resent = typed ? tp->bytes_retrans : BPF_CORE_READ(tp, bytes_retrans);
		l->tx_bytes = sent > resent ? sent - resent : 0;
		l->fields |= TCPFSM_LIFE_TX_BYTES;
	}
	LIFE_READ(l, typed, tp, segs_in, segs_in, TCPFSM_LIFE_SEGS_IN);
	LIFE_READ(l, typed, tp, segs_out, segs_out, TCPFSM_LIFE_SEGS_OUT);
	LIFE_READ(l, typed, tp, total_retrans, retrans, TCPFSM_LIFE_RETRANS);
	if (bpf_core_field_exists(tp->srtt_us) && bpf_core_field_exists(tp->mdev_us)) {
		l->srtt_us = (typed ? tp->srtt_us : BPF_CORE_READ(tp, srtt_us)) >> 3;
		l->rttvar_us = (typed ? tp->mdev_us : BPF_CORE_READ(tp, mdev_us)) >> 2;
		l->fields |= TCPFSM_LIFE_RTT;
	}
}

/* A socket's events and resets pass the family, port, namespace and cgroup
 * filters, or not at all. */
static __always_inline bool socket_passes(const struct sock *sk, __u16 *family, __u16 *lport, __u16 *rport,
					  __u32 *netns, const struct cgroup **cg, const bool btf)
{
	*family = SK_READ(btf, sk, __sk_common.skc_family);
	if (target_family && *family != target_family)
		return false;
	*lport = bpf_ntohs(read_sport(sk, btf));
	*rport = bpf_ntohs(SK_READ(btf, sk, __sk_common.skc_dport));
	if (!port_wanted(*lport, *rport))
		return false;
	*netns = read_netns(sk, btf);
	*cg = sock_cgroup(sk, btf);
	return socket_wanted(*netns, *cg);
}

/* Ring: wakes the reader only when this record takes the unread data across
 * a multiple of wakeup_bytes: a reader that is already awake (or about to be)
 * needs no more wakeups, and each one is an IPI, an exit to the hypervisor
 * on a VM. Forcing one on every record past the line cost 6% of the
 * program under churn. Up to four per ring's worth, so a reader that missed
 * one (two CPUs reserving across a line at once may both see it crossed by
 * the other) is woken at the next; below the first, or in between, it
 * drains on its poll timer. `size` is the record's; the ring adds an 8-byte
 * header (and both record sizes are multiples of 8).
 * Perf: copies the record into this CPU's perf buffer, whose watermark
 * (set by userspace) wakes the reader likewise; a record that does not fit
 * (or finds no buffer) is counted lost, as a failed reserve is. */
static __always_inline void submit(void *ctx, void *record, __u64 size, __u32 lost)
{
	if (!use_ringbuf) {
		if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, record, size))
			count(lost);
		return;
	}
	__u64 unread = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA); /* this record included */
	__u64 line = wakeup_bytes ? wakeup_bytes : 1;
	__u64 before = unread > size + 8 ? unread - size - 8 : 0;

	bpf_ringbuf_submit(record, unread / line != before / line ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* A record that passed the filters: counted as wanted, then reserved in the
 * ring buffer (perf: this CPU's scratch slot for its kind); when the ring
 * buffer is full, counted as lost instead, and NULL. Every wanted record is
 * thus read or counted lost. */
static __always_inline void *reserve(__u64 size, __u32 slot, __u32 wanted, __u32 lost)
{
	void *record;

	count(wanted);
	if (!use_ringbuf) {
		record = bpf_map_lookup_elem(&scratch, &slot);
	} else {
		record = bpf_ringbuf_reserve(&events, size, 0);
	}
	if (!record)
		count(lost);
	return record;
}

static __always_inline __u64 socket_id(const struct sock *sk, const bool btf)
{
	return by_cookie(btf) ? bpf_get_socket_cookie((void *)sk) : socket_key(sk, btf);
}

/* What the socket tells of itself: identity, endpoints, inode, namespace
 * and cgroup (flags other than the identity's are left as they are). */
static __always_inline void fill_socket(struct tcpfsm_event *e, const struct sock *sk, __u16 family,
					__u16 lport, __u16 rport, __u32 netns, const struct cgroup *cg,
					const bool btf)
{
	e->flags = (e->flags & ~TCPFSM_F_SOCKET_KEY) | (by_cookie(btf) ? 0 : TCPFSM_F_SOCKET_KEY);
	e->cookie = socket_id(sk, btf);
	e->family = family;
	e->lport = lport;
	e->rport = rport;
	e->ino = read_ino(sk, btf);
	e->netns = netns;
	e->cgroup_id = cgroup_id(cg, btf);
	read_addrs(sk, family, e, btf);
}

/* A whole event: the transition, the task on the CPU, the socket. */
static __always_inline void fill_event(struct tcpfsm_event *e, const struct sock *sk, int oldstate,
				       int newstate, __u64 now, __u64 old_entered, __u16 family,
				       __u16 lport, __u16 rport, __u32 netns, const struct cgroup *cg,
				       const bool btf)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	e->ktime_ns = now;
	e->record = TCPFSM_RECORD_TRANSITION;
	e->flags = old_entered ? TCPFSM_F_OLD_NS : 0;
	e->old_ns = old_entered ? now - old_entered : 0;
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->cpu = bpf_get_smp_processor_id();
	e->old_state = oldstate;
	e->new_state = newstate;
	/* The kernel sets the error before it ends a socket with one (a reset,
	 * a timeout, an abort): the transition into CLOSE carries it. */
	e->error = newstate == TCP_CLOSE ? (__u8)SK_READ(btf, sk, sk_err) : 0;
	e->_pad = 0;
	fill_socket(e, sk, family, lport, rport, netns, cg, btf);
	read_comm(e->comm, btf);
	/* connect() and listen() run in their caller's context: is it a process? */
	if (oldstate == TCP_CLOSE &&
	    BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), flags) & PF_KTHREAD)
		e->flags |= TCPFSM_F_KERNEL_TASK;
}

/* Delivers this CPU's held-back birth before anything else happens here:
 * with the child as it is now when sk is that child. */
static __always_inline void deliver_birth(void *ctx, struct pending_birth *b, const struct sock *sk,
					  const bool btf)
{
	const struct cgroup *cg = NULL;
	__u16 family = 0, lport = 0, rport = 0;
	struct tcpfsm_event *e;
	bool wanted = b->wanted;
	__u32 netns = 0;

	if (b->sk == sk_addr(sk, btf)) {
		wanted = socket_passes(sk, &family, &lport, &rport, &netns, &cg, btf);
		if (wanted)
			fill_socket(&b->e, sk, family, lport, rport, netns, cg, btf);
	}
	b->sk = 0;
	if (!wanted)
		return;
	e = reserve(sizeof(*e), SLOT_TRANSITION, TCPFSM_CNT_MATCHED, TCPFSM_CNT_RINGBUF_FULL);
	if (!e)
		return;
	__builtin_memcpy(e, &b->e, sizeof(*e));
	submit(ctx, e, sizeof(*e), TCPFSM_CNT_RINGBUF_FULL);
}

/* Only the transition program delivers births: a reset's program may
 * interrupt it on its CPU, and would then write into the record it is
 * building (the perf path's scratch slot) or the birth it is holding back. A
 * reset on a child before its next transition thus comes before its birth;
 * userspace joins resets to the transition into CLOSE, which comes after. */
static __always_inline struct pending_birth *pending_birth(void *ctx, const struct sock *sk, const bool btf)
{
	__u32 zero = 0;
	struct pending_birth *b = bpf_map_lookup_elem(&births, &zero);

	if (b && b->sk)
		deliver_birth(ctx, b, sk, btf);
	return b;
}

/* The user registers of the current task, saved at its syscall's entry. */
static __always_inline struct pt_regs *user_regs(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	void *stack;

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs) &&
	    bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf))
		return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	/* Before 5.15: at the top of the task's kernel stack (x86-64: 16 KiB,
	 * no padding above them; task_pt_regs() in the kernel). */
	stack = BPF_CORE_READ(task, stack);
	return stack ? (struct pt_regs *)(stack + 16384 - sizeof(struct pt_regs)) : NULL;
}

/* The origin of the socket with inode ino, the calling thread's stack: the
 * frames the kernel walks (frame pointers), and the stack pointer with the
 * words above it, where the syscall wrapper's caller is (see event.h). */
static __always_inline void write_origin(void *ctx, __u32 slot, __u8 kind, __u64 cookie, __u32 ino, __u32 netns,
					 __u64 now)
{
	struct tcpfsm_origin *o;
	struct pt_regs *regs;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	long n;

	o = reserve(sizeof(*o), slot, TCPFSM_CNT_ORIGINS, TCPFSM_CNT_ORIGIN_RINGBUF_FULL);
	if (!o)
		return;
	o->ktime_ns = now;
	o->cookie = cookie;
	o->record = TCPFSM_RECORD_ORIGIN;
	o->kind = kind;
	o->flags = 0;
	o->pid = pid_tgid >> 32;
	o->tid = (__u32)pid_tgid;
	o->ino = ino;
	o->netns = netns;
	o->sp = 0;
	__builtin_memset(o->words, 0, sizeof(o->words));
	regs = user_regs();
	if (regs) {
		o->sp = BPF_CORE_READ(regs, sp);
		if (o->sp && bpf_probe_read_user(o->words, sizeof(o->words), (const void *)o->sp) == 0)
			o->flags |= TCPFSM_ORIGIN_F_WORDS;
	}
	/* Zeroes what it does not fill, all of it on an error. */
	n = bpf_get_stack(ctx, o->ips, sizeof(o->ips), BPF_F_USER_STACK);
	if (n < 0) {
		count(TCPFSM_CNT_STACK_UNREAD);
		o->stack_error = n;
		o->frames = 0;
	} else {
		o->stack_error = 0;
		o->frames = n / sizeof(__u64);
	}
	submit(ctx, o, sizeof(*o), TCPFSM_CNT_ORIGIN_RINGBUF_FULL);
}

static __always_inline int handle(void *ctx, const struct sock *sk, int oldstate, int newstate,
				  const bool btf)
{
	__u64 now = bpf_ktime_get_ns();
	struct sk_slot old = {};
	struct pending_birth *birth = pending_birth(ctx, sk, btf);
	struct tcpfsm_event *e;
	struct tcpfsm_close *c;
	struct sk_slot *slot;
	const struct cgroup *cg = NULL;
	__u16 family = 0, lport = 0, rport = 0;
	__u32 netns = 0;
	bool wanted;

	if (SK_READ(btf, sk, sk_protocol) != IPPROTO_TCP)
		return 0; /* MPTCP's connection-level socket (262) is not TCP */

	/* When kept, per-socket time runs for every socket, filtered or not. */
	if (!kernel_state)
		slot = NULL;
	else if (by_cookie(btf))
		slot = slot_btf(sk, newstate, &old);
	else
		slot = slot_hash(sk, oldstate, newstate, &old, btf);
	if (slot) {
		slot->entered_ns = now;
		if (lifecycle_start(oldstate, newstate)) {
			slot->born_ns = now;
			slot->role = oldstate == TCP_LISTEN ? TCPFSM_ROLE_SERVER
				   : newstate == TCP_SYN_SENT ? TCPFSM_ROLE_CLIENT : TCPFSM_ROLE_UNKNOWN;
		}
	}

	if (state_match && !(state_match & ((1U << (oldstate & 31)) | (1U << (newstate & 31)))))
		return 0;
	wanted = socket_passes(sk, &family, &lport, &rport, &netns, &cg, btf);

	/* A child not filled in yet (no peer port): held back, see births. */
	if (birth && oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV &&
	    !SK_READ(btf, sk, __sk_common.skc_dport)) {
		fill_event(&birth->e, sk, oldstate, newstate, now, old.entered_ns, family, lport, rport, netns,
			   cg, btf);
		birth->wanted = wanted;
		birth->sk = sk_addr(sk, btf);
		return 0;
	}
	if (!wanted)
		return 0;

	/* connect() and listen(): their caller's stack, before the socket's
	 * first transition, so a reader has it when the transition comes. */
	if (capture_stacks && oldstate == TCP_CLOSE && (newstate == TCP_SYN_SENT || newstate == TCP_LISTEN) &&
	    !(BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), flags) & PF_KTHREAD))
		write_origin(ctx, SLOT_TRANSITION,
			     newstate == TCP_LISTEN ? TCPFSM_ORIGIN_LISTEN : TCPFSM_ORIGIN_CONNECT,
			     socket_id(sk, btf), read_ino(sk, btf), netns, now);

	/* A connection's end (not a listener's, not CLOSE again): the record
	 * grows by what the connection did. */
	if (newstate == TCP_CLOSE && oldstate != TCP_LISTEN && oldstate != TCP_CLOSE) {
		c = reserve(sizeof(*c), SLOT_TRANSITION, TCPFSM_CNT_MATCHED, TCPFSM_CNT_RINGBUF_FULL);
		if (!c)
			return 0;
		fill_event(&c->event, sk, oldstate, newstate, now, old.entered_ns, family, lport, rport, netns, cg,
			   btf);
		c->event.record = TCPFSM_RECORD_CLOSE;
		read_life(&c->life, sk, btf);
		c->life.born_ns = old.born_ns;
		c->life.role = old.role;
		submit(ctx, c, sizeof(*c), TCPFSM_CNT_RINGBUF_FULL);
		return 0;
	}
	e = reserve(sizeof(*e), SLOT_TRANSITION, TCPFSM_CNT_MATCHED, TCPFSM_CNT_RINGBUF_FULL);
	if (!e)
		return 0;
	fill_event(e, sk, oldstate, newstate, now, old.entered_ns, family, lport, rport, netns, cg, btf);
	submit(ctx, e, sizeof(*e), TCPFSM_CNT_RINGBUF_FULL);
	return 0;
}

/* accept() and accept4() returned a descriptor: the stack of the thread that
 * called it, if the descriptor is a TCP socket that passes the filters. */
static __always_inline int handle_accept(void *ctx, long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const struct cgroup *cg = NULL;
	__u16 family = 0, lport = 0, rport = 0;
	__u32 netns = 0;
	struct file *file;
	struct inode *inode;
	struct sock *sk;

	if (!capture_stacks)
		return 0;
	file = fd_file(task, fd);
	if (!file)
		return 0;
	inode = socket_inode(file);
	sk = inode ? tcp_sock_of(file) : NULL;
	if (!sk || !socket_passes(sk, &family, &lport, &rport, &netns, &cg, false))
		return 0;
	write_origin(ctx, SLOT_ACCEPT, TCPFSM_ORIGIN_ACCEPT, 0, BPF_CORE_READ(inode, i_ino), netns, bpf_ktime_get_ns());
	return 0;
}

/* A reset on a full socket that may end it: not a listener's (it stays),
 * not a timewait or request mini-socket's (they have no transitions). */
static __always_inline int handle_reset(void *ctx, const struct sock *sk, __u8 kind, __u32 reason, const bool btf)
{
	struct tcpfsm_cause *c;
	const struct cgroup *cg;
	__u16 family, lport, rport;
	__u32 netns;
	__u8 state;

	if (!sk)
		return 0; /* a reset for a segment no socket wanted */
	state = SK_READ(btf, sk, __sk_common.skc_state);
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV || state == TCP_LISTEN)
		return 0;
	if (SK_READ(btf, sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (!socket_passes(sk, &family, &lport, &rport, &netns, &cg, btf))
		return 0;

	c = reserve(sizeof(*c), SLOT_CAUSE, TCPFSM_CNT_CAUSES, TCPFSM_CNT_CAUSE_RINGBUF_FULL);
	if (!c)
		return 0;
	c->ktime_ns = bpf_ktime_get_ns();
	c->cookie = socket_id(sk, btf);
	c->record = TCPFSM_RECORD_CAUSE;
	c->kind = kind;
	c->state = state;
	c->_pad = 0;
	c->rst_reason = reason;
	submit(ctx, c, sizeof(*c), TCPFSM_CNT_CAUSE_RINGBUF_FULL);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcpfsm_btf, const struct sock *sk, const int oldstate, const int newstate)
{
	return handle(ctx, sk, oldstate, newstate, true);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tcpfsm_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	return handle(ctx, (const struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate, false);
}

SEC("tp_btf/tcp_receive_reset")
int tcpfsm_rst_received_btf(__u64 *ctx)
{
	return handle_reset(ctx, (const struct sock *)ctx[0], TCPFSM_CAUSE_RST_RECEIVED, TCPFSM_RST_REASON_NONE, true);
}

/* Raw context: the reason is a third argument only on 6.10+, and the
 * verifier refuses a read past the last one even where it is not taken. */
SEC("tp_btf/tcp_send_reset")
int tcpfsm_rst_sent_btf(__u64 *ctx)
{
	__u32 reason = TCPFSM_RST_REASON_NONE;

	if (rst_reason_arg)
		reason = (__u32)ctx[2];
	return handle_reset(ctx, (const struct sock *)ctx[0], TCPFSM_CAUSE_RST_SENT, reason, true);
}

SEC("tracepoint/tcp/tcp_receive_reset")
int tcpfsm_rst_received_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	return handle_reset(ctx, (const struct sock *)ctx->skaddr, TCPFSM_CAUSE_RST_RECEIVED, TCPFSM_RST_REASON_NONE,
			    false);
}

/* The classic tcp:tcp_send_reset record as 6.10+ lays it out; older kernels
 * lay it out the same up to state (tcp_event_sk_skb), with no reason after.
 * Fixed offsets, as the tracepoint's format file gives them, and no CO-RE: a
 * relocation against a type this kernel lacks makes libbpf search module
 * BTF, which needs CAP_SYS_ADMIN. */
struct tcp_send_reset_record {
	__u64 common; /* struct trace_entry */
	const void *skbaddr;
	const void *skaddr;
	int state;
	__u32 reason; /* 6.10+ only */
};

SEC("tracepoint/tcp/tcp_send_reset")
int tcpfsm_rst_sent_tp(struct tcp_send_reset_record *ctx)
{
	return handle_reset(ctx, (const struct sock *)ctx->skaddr, TCPFSM_CAUSE_RST_SENT,
			    rst_reason_arg ? ctx->reason : TCPFSM_RST_REASON_NONE, false);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tcpfsm_accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return handle_accept(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tcpfsm_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return handle_accept(ctx, ctx->ret);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
