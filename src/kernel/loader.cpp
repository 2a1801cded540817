#include "kernel/loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "tcpfsm.skel.h"
#include "bpf_runtime/libbpf_log.h"
#include "bpf_runtime/refusal.h"
#include "bpf_runtime/ring.h"
#include "bpf_runtime/tracefs.h"
#include "common/errors.h"
#include "kernel/dispatch.h"
#include "kernel/features.h"
#include "kernel/kernel_btf.h"
#include "kernel/privileges.h"
#include "kernel/time_order.h"

namespace tcpfsm {
namespace {

constexpr const char* kKeysNote =
    "this kernel's tp_btf programs cannot use socket cookies (Linux 5.12+) or socket-local storage (5.11+): "
    "sockets are told apart by keys, as with the classic tracepoint, so `cookie` is a lifecycle number, "
    "not the kernel's socket cookie";

std::string errno_text(int err) { return std::strerror(err); }

void destroy(tcpfsm_bpf*& skel) {
  tcpfsm_bpf__destroy(skel);
  skel = nullptr;
}

std::uint64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

// The largest power of two not above n (n >= 1).
std::size_t floor_pow2(std::size_t n) {
  std::size_t p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

}  // namespace

struct Tracer::Impl {
  LoadOptions opts;
  // The kernel's features, as the Tracer was given them: every choice below
  // is made from them, never from the process-wide probe.
  Features feats;
  EventHandler* handler = nullptr;
  tcpfsm_bpf* skel = nullptr;
  bpf_program* prog = nullptr;
  bpf_link* link = nullptr;
  // The reset programs (causes): loaded and attached with the transitions'
  // flavour, so that their keys match; each one optional.
  std::vector<bpf_program*> cause_progs;
  std::vector<bpf_link*> cause_links;
  std::vector<std::string> causes_missing;
  // With stacks: accept()'s syscall tracepoints (classic only), attached
  // where tracefs can be had; else origins come from connect() and listen()
  // alone, and stacks_missing says why.
  std::vector<bpf_program*> accept_progs;
  std::vector<bpf_link*> accept_links;
  std::vector<std::string> stacks_missing;
  // Woken by the ring buffer's wakeups only (edge-triggered): with libbpf's
  // own level-triggered epoll set, any unread record, however few, ended
  // every wait at once and the reader drained in batches of a few hundred.
  RingReader rb;
  std::size_t drain_limit = SIZE_MAX, drained = 0;
  // The perf path (BufferMode::Perf): a buffer per CPU, opened before the
  // program is attached (the program finds a CPU's buffer in the events
  // map only once it is open: before, its records would be lost), and what
  // was read from them, put back in time order (kernel/time_order.h).
  BufferMode buffer = BufferMode::Ring;
  perf_buffer* pb = nullptr;
  TimeOrder order;
  std::uint64_t horizon = 0;  // records stamped before it may go
  std::uint64_t perf_lost_reported = 0;
  bool refusal_reported = false;  // a record of neither kind was named on stderr
  bool detached = false;
  AttachMode mode = AttachMode::Auto;
  // Events carry socket keys, not cookies: the tracepoint fallback, or a
  // tp_btf program the kernel does not let read cookies (before 5.12).
  bool socket_keys = false;
  std::string fallback_reason;
  // Why the tp_btf program identifies sockets by keys; empty: it does not.
  std::string keys_reason;

  ~Impl() {
    rb.close();
    perf_buffer__free(pb);
    detach_all();
    tcpfsm_bpf__destroy(skel);
  }

  void detach_all() {
    detached = true;
    bpf_link__destroy(link);
    link = nullptr;
    for (bpf_link* l : cause_links) bpf_link__destroy(l);
    cause_links.clear();
    for (bpf_link* l : accept_links) bpf_link__destroy(l);
    accept_links.clear();
  }

  // Maps the ring buffer at its first use rather than at load: loads that
  // follow (the owners' iterator parses the kernel's BTF, over 10 MB, and
  // frees it) then do not add to the ring buffer's pages at the peak of the
  // process's memory. Events wait in the kernel's pages meanwhile.
  RingReader& ring() {
    if (!rb.is_open()) rb.open(bpf_map__fd(skel->maps.events), on_sample, this, /*wakeups=*/true);
    return rb;
  }

  // What on_sample returns to stop the drain at its limit: libbpf has then
  // consumed the record just handled, and returns this from consume().
  static constexpr int kLimitReached = -ECANCELED;

  // Two kinds of records, told apart by their head's kind byte
  // (include/tcpfsm/event.h, kernel/dispatch.h).
  static int on_sample(void* ctx, void* data, std::size_t size) {
    auto* self = static_cast<Impl*>(ctx);
    self->refused(dispatch_record(data, size, *self->handler));
    return ++self->drained >= self->drain_limit ? kLimitReached : 0;
  }

  // A record neither kind's (an unknown kind byte, or too short for its
  // kind) is dropped, as one of neither kind's size was: named on stderr
  // the first time only, since a program and a reader that disagree on the
  // layout would disagree on every record.
  void refused(const RecordHead& head) {
    if (head.ok() || refusal_reported) return;
    refusal_reported = true;
    std::fprintf(stderr, "tcpfsm: warning: dropped %s from the event buffer (only the first such record is named)\n",
                 head.rejection().c_str());
  }

  // Perf: the bytes of each CPU's buffer (a power of two of pages), and the
  // unread bytes at which the kernel wakes the reader: a quarter, as the
  // ring buffer's wakeup_bytes; below it the reader drains on its timer.
  std::size_t perf_pages() const {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const int n = libbpf_num_possible_cpus();
    const std::size_t cpus = n > 0 ? static_cast<std::size_t>(n) : 1;
    return floor_pow2(std::max<std::size_t>(1, opts.ringbuf_bytes / cpus / page));
  }

  void open_perf() {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t pages = perf_pages();
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_BPF_OUTPUT;
    attr.sample_type = PERF_SAMPLE_RAW;
    attr.sample_period = 1;
    // A wakeup per record (libbpf's default, wakeup_events 1) is an IPI per
    // record; a watermark wakes the reader once a quarter is unread.
    attr.watermark = 1;
    attr.wakeup_watermark = static_cast<std::uint32_t>(std::max<std::size_t>(pages * page / 4, 1));
    pb = perf_buffer__new_raw(bpf_map__fd(skel->maps.events), pages, &attr, on_perf_record, this, nullptr);
    if (!pb) throw Error(ExitCode::Failure, "cannot open the perf buffers: " + errno_text(errno));
  }

  // Perf records: samples go to the time order; losses are counted.
  static bpf_perf_event_ret on_perf_record(void* ctx, int, perf_event_header* h) {
    auto* self = static_cast<Impl*>(ctx);
    if (h->type == PERF_RECORD_SAMPLE) {
      struct Raw {
        perf_event_header header;
        std::uint32_t size;
        char data[];
      };
      const auto* r = reinterpret_cast<const Raw*>(h);
      self->refused(self->order.push(r->data, r->size));
    } else if (h->type == PERF_RECORD_LOST) {
      struct Lost {
        perf_event_header header;
        std::uint64_t id, lost;
      };
      self->perf_lost_reported += reinterpret_cast<const Lost*>(h)->lost;
    }
    return LIBBPF_PERF_EVENT_CONT;
  }

  // Perf: hands on what was read in time order, at most limit records;
  // reads the buffers first when fewer than that are ready. True when it
  // stopped at the limit.
  bool drain_perf(std::size_t limit) {
    if (order.ready(horizon) < limit) {
      // Taken before the read begins: what was stamped before it, less the
      // slack, has been committed, and is read now.
      const std::uint64_t start = mono_ns();
      const int err = perf_buffer__consume(pb);
      if (err < 0 && err != -EINTR)
        throw Error(ExitCode::Failure, "reading the perf buffers failed: " + errno_text(-err));
      horizon = detached ? UINT64_MAX : start > TimeOrder::kSlackNs ? start - TimeOrder::kSlackNs : 0;
    }
    const std::size_t n = order.release(
        horizon, limit, [this](const tcpfsm_event& e, const tcpfsm_life* life) { handler->on_event(e, life); },
        [this](const tcpfsm_cause& c) { handler->on_cause(c); },
        [this](const tcpfsm_origin& o) { handler->on_origin(o); });
    return n >= limit;
  }

  // The reset programs of mode m this kernel has, by what it lacks otherwise.
  void choose_cause_programs(tcpfsm_bpf* s, AttachMode m) {
    const bool btf = m == AttachMode::TpBtf;
    cause_progs.clear();
    // The classic flavour's events are looked for now: tracefs is mounted by
    // now, perhaps by tcpfsm itself after the features were probed.
    const CauseSources c = cause_sources(m, btf ? feats : with_tracefs_now(feats));
    const bool received = c.received, sent = c.sent;
    causes_missing = c.missing;
    bpf_program* all[] = {s->progs.tcpfsm_rst_received_btf, s->progs.tcpfsm_rst_sent_btf,
                          s->progs.tcpfsm_rst_received_tp, s->progs.tcpfsm_rst_sent_tp};
    for (bpf_program* p : all) bpf_program__set_autoload(p, false);
    auto want = [&](bpf_program* p, bool have) {
      bpf_program__set_autoload(p, have);
      if (have) cause_progs.push_back(p);
    };
    want(btf ? s->progs.tcpfsm_rst_received_btf : s->progs.tcpfsm_rst_received_tp, received);
    want(btf ? s->progs.tcpfsm_rst_sent_btf : s->progs.tcpfsm_rst_sent_tp, sent);
  }

  void configure(tcpfsm_bpf* s, const LoadAttempt& a, bool causes) {
    const AttachMode m = a.mode;
    auto* ro = s->rodata;
    ro->target_family = opts.filters.family;
    ro->wakeup_bytes = opts.ringbuf_bytes / 4;
    ro->use_ringbuf = buffer == BufferMode::Ring;
    // rodata is const volatile for the verifier; userspace writes it before load.
    opts.filters.ports.fill(std::span<std::uint8_t, 65536>(const_cast<std::uint8_t*>(ro->port_match), 65536));
    ro->filter_ports = opts.filters.ports.active();
    ro->kernel_state = opts.kernel_state();
    ro->state_match = opts.filters.states;
    ro->netns_count = static_cast<std::uint32_t>(opts.filters.netns.size());
    for (std::size_t i = 0; i < opts.filters.netns.size(); ++i) ro->netns_match[i] = opts.filters.netns[i];
    ro->cgroup_count = static_cast<std::uint32_t>(opts.cgroups.size());
    ro->cgroup_ancestors_off = kernel_btf().cgroup_ancestors_offset;
    ro->cgroup_ancestor_ids = kernel_btf().cgroup_ancestor_ids;
    if (!opts.cgroups.empty() && ro->cgroup_ancestors_off < 0)
      throw Error(ExitCode::LoadFailed,
                  "--cgroup: this kernel's struct cgroup has neither ancestors nor ancestor_ids "
                  "(its BTF says so): the cgroup filter cannot run here");
    for (std::size_t i = 0; i < opts.cgroups.size(); ++i) {
      ro->cgroup_match_id[i] = opts.cgroups[i].id;
      ro->cgroup_match_level[i] = opts.cgroups[i].level;
    }
    // The fallback's event keys mix in a secret, so what reaches userspace is
    // not a kernel address (a KASLR leak if it were ever written out).
    std::uint64_t secret = 0;
    if (getrandom(&secret, sizeof secret, 0) != sizeof secret)
      secret = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) * 0x2545F4914F6CDD1DULL;
    ro->key_secret = secret;

    if (buffer == BufferMode::Perf) {
      // One map, two types (as libbpf-tools' compat.c): an array of perf
      // events, one per possible CPU (max_entries 0: libbpf counts them).
      bpf_map__set_type(s->maps.events, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
      bpf_map__set_key_size(s->maps.events, sizeof(int));
      bpf_map__set_value_size(s->maps.events, sizeof(int));
      bpf_map__set_max_entries(s->maps.events, 0);
    } else {
      // scratch stays: libbpf 1.1 cannot load a program that names a map
      // it did not create, even in code the verifier would prune.
      bpf_map__set_max_entries(s->maps.events, opts.ringbuf_bytes);
    }
    const bool btf = m == AttachMode::TpBtf;
    ro->socket_cookies = btf && a.cookies;
    // The tp_btf program refers to both per-socket maps (which one it uses
    // is a load-time setting): the unused hash is made as small as it gets.
    bpf_map__set_max_entries(s->maps.sk_state_hash, ro->socket_cookies ? 1 : opts.socket_map_entries);
    bpf_program__set_autoload(s->progs.tcpfsm_btf, btf);
    bpf_program__set_autoload(s->progs.tcpfsm_tp, !btf);
    bpf_map__set_autocreate(s->maps.sk_state, btf);
    ro->rst_reason_arg = feats.rst_reason_arg;
    ro->capture_stacks = opts.stacks;
    accept_progs.clear();
    for (bpf_program* p : {s->progs.tcpfsm_accept4_exit, s->progs.tcpfsm_accept_exit}) {
      bpf_program__set_autoload(p, opts.stacks);
      if (opts.stacks) accept_progs.push_back(p);
    }
    choose_cause_programs(s, m);
    if (!causes) {
      for (bpf_program* p : cause_progs) bpf_program__set_autoload(p, false);
      cause_progs.clear();
    }
  }

  // Opens, configures and loads one way; the error if it failed. With
  // attach, also attaches (a probe only loads: it needs no tracefs).
  std::optional<Error> try_load(const LoadAttempt& a, bool attach, bool causes = true) {
    LibbpfLog log;
    const std::string what = "the " + std::string(attach_mode_name(a.mode)) + "/inet_sock_set_state program";
    // The classic tracepoint's id is read from tracefs at attach: mounted
    // for that where it is not, and taken away again once attached.
    TracefsMount tracefs;
    if (a.mode == AttachMode::Tracepoint && attach) {
      if (std::string why = tracefs.ensure(); !why.empty()) return Error(ExitCode::NoTracepoint, why);
      if (!tracefs_has_event("sock/inet_sock_set_state")) return Error(ExitCode::NoTracepoint, kNoSetStateTracepoint);
    }
    skel = tcpfsm_bpf__open();
    if (!skel) return bpf_refusal(BpfStep::Open, errno, what, log);
    configure(skel, a, causes);
    if (int err = tcpfsm_bpf__load(skel)) {
      destroy(skel);
      // The reset programs are extras: a kernel that refuses them still
      // gets the transitions, and is told what it misses.
      if (causes && !refused_for_privilege(-err)) {
        const std::string why = errno_text(-err) + log.hint();
        auto e = try_load(a, attach, false);
        if (!e) causes_missing.push_back("the kernel refused the reset programs (" + why + "): no rst_received or rst_sent causes");
        return e;
      }
      return bpf_refusal(BpfStep::Load, -err, what, log);
    }
    prog = a.mode == AttachMode::TpBtf ? skel->progs.tcpfsm_btf : skel->progs.tcpfsm_tp;
    socket_keys = !skel->rodata->socket_cookies;
    if (!attach) return std::nullopt;
    if (buffer == BufferMode::Perf) {
      try {
        open_perf();
      } catch (const Error& e) {
        destroy(skel);
        return e;
      }
    }
    link = bpf_program__attach(prog);
    if (!link) {
      Error e = bpf_refusal(BpfStep::Attach, errno, what, log);
      perf_buffer__free(pb);
      pb = nullptr;
      destroy(skel);
      return e;
    }
    for (bpf_program* p : cause_progs) {
      if (bpf_link* l = bpf_program__attach(p)) cause_links.push_back(l);
      else causes_missing.push_back(std::string("cannot attach ") + bpf_program__section_name(p) + ": " +
                                    errno_text(errno) + ": its causes are not reported");
    }
    attach_accept_programs(tracefs);
    return std::nullopt;
  }

  // accept()'s origins: the syscall tracepoints' ids are read from tracefs.
  void attach_accept_programs(TracefsMount& tracefs) {
    if (accept_progs.empty()) return;
    if (std::string why = tracefs.ensure(); !why.empty()) {
      stacks_missing.push_back(why + ": accepted sockets have no stack");
      return;
    }
    for (bpf_program* p : accept_progs) {
      if (bpf_link* l = bpf_program__attach(p)) accept_links.push_back(l);
      else stacks_missing.push_back(std::string("cannot attach ") + bpf_program__section_name(p) + ": " +
                                    errno_text(errno) + ": sockets it accepts have no stack");
    }
  }

  // Loads (and with attach, attaches) as plan_load() plans it for a kernel
  // with features f: tp_btf with socket cookies; tp_btf with socket keys
  // where the kernel refuses that (tracing programs get
  // bpf_get_socket_cookie in 5.12 and socket-local storage in 5.11); the
  // classic tracepoint when tp_btf is missing or refused. A probe (attach
  // false) loads the same way.
  void load(const Features& f, bool attach) {
    feats = f;
    const LoadPlan plan = plan_load(opts.mode, opts.buffer, feats);
    buffer = plan.buffer;
    const LoadOutcome out = run_plan(plan, [&](const LoadAttempt& a) { return try_load(a, attach); });
    mode = out.loaded.mode;
    fallback_reason = out.fallback_reason;
    keys_reason = out.keys_reason;
  }
};

namespace {

// What every load needs first: this kernel's features, or Error for the user.
const Features& prepare_load(const LoadOptions& options) {
  set_libbpf_verbose(options.verbose);
  require_bpf_privileges();
  return features();
}

}  // namespace

Tracer::Tracer(const LoadOptions& options, EventHandler& handler) : impl_(std::make_unique<Impl>()) {
  impl_->opts = options;
  impl_->handler = &handler;
  impl_->load(prepare_load(options), /*attach=*/true);
}

LoadProbe Tracer::probe(const LoadOptions& options) {
  Impl impl;
  impl.opts = options;
  impl.load(prepare_load(options), /*attach=*/false);
  return {impl.mode, impl.socket_keys, impl.fallback_reason, impl.keys_reason};
}

Tracer::~Tracer() = default;

std::string describe(const LoadProbe& p) {
  std::string s(attach_mode_name(p.mode));
  s += p.socket_keys ? ", sockets by key" : ", sockets by cookie";
  if (!p.fallback_reason.empty()) s += " (tp_btf: " + p.fallback_reason + ")";
  if (!p.keys_reason.empty()) s += ", `cookie` a lifecycle number (" + p.keys_reason + ")";
  return s;
}

void report_load(const EventSource& t) {
  if (!t.fallback_reason().empty())
    std::fprintf(stderr, "tcpfsm: tp_btf unavailable, using the classic tracepoint: %s\n", t.fallback_reason().c_str());
  if (!t.keys_reason().empty())
    std::fprintf(stderr, "tcpfsm: %s: %s\n", kKeysNote, t.keys_reason().c_str());
}

AttachMode Tracer::mode() const { return impl_->mode; }
bool Tracer::socket_keys() const { return impl_->socket_keys; }
BufferMode Tracer::buffer() const { return impl_->buffer; }
const std::string& Tracer::fallback_reason() const { return impl_->fallback_reason; }
const std::string& Tracer::keys_reason() const { return impl_->keys_reason; }

void Tracer::wait(int timeout_ms) {
  // Only waits: the caller reads the loss counters before draining, so a
  // lost record precedes the events whose gaps the loss explains.
  epoll_event ev[8];
  if (impl_->pb) {
    // libbpf's epoll set of the CPUs' buffers: level-triggered, but a perf
    // event reports each wakeup once (perf_poll() takes it), so unread
    // records below the watermark do not end every wait.
    epoll_wait(perf_buffer__epoll_fd(impl_->pb), ev, 8, timeout_ms);
    return;
  }
  impl_->ring().wait(timeout_ms);
}

bool Tracer::poll(int timeout_ms) {
  wait(timeout_ms);
  drain();
  return true;
}

bool Tracer::drain(std::size_t limit) {
  if (impl_->pb) return impl_->drain_perf(limit);
  impl_->drain_limit = limit;
  impl_->drained = 0;
  const int n = impl_->ring().consume();
  if (n == Impl::kLimitReached) return true;
  if (n < 0 && n != -EINTR)
    throw Error(ExitCode::Failure, "reading the ring buffer failed: " + errno_text(-n));
  return false;
}

void Tracer::detach() { impl_->detach_all(); }

const std::vector<std::string>& Tracer::causes_missing() const { return impl_->causes_missing; }

const std::vector<std::string>& Tracer::stacks_missing() const { return impl_->stacks_missing; }

KernelCounters Tracer::counters() const {
  KernelCounters c;
  const int ncpus = libbpf_num_possible_cpus();
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpus > 0 ? ncpus : 1));
  const int fd = bpf_map__fd(impl_->skel->maps.counters);
  auto sum = [&](std::uint32_t key) {
    std::uint64_t total = 0;
    if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) == 0)
      for (auto v : per_cpu) total += v;
    return total;
  };
  c.matched = sum(TCPFSM_CNT_MATCHED);
  c.ringbuf_full = sum(TCPFSM_CNT_RINGBUF_FULL);
  c.perf_lost_reported = impl_->perf_lost_reported;
  c.skstate_full = sum(TCPFSM_CNT_SKSTATE_FULL);
  c.causes = sum(TCPFSM_CNT_CAUSES);
  c.causes_full = sum(TCPFSM_CNT_CAUSE_RINGBUF_FULL);
  c.causes_lost = c.causes_full;
  c.origins = sum(TCPFSM_CNT_ORIGINS);
  c.origins_full = sum(TCPFSM_CNT_ORIGIN_RINGBUF_FULL);
  c.stacks_unread = sum(TCPFSM_CNT_STACK_UNREAD);
  auto info_of = [](bpf_program* p) {
    bpf_prog_info info{};
    std::uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) != 0) info = {};
    return info;
  };
  const bpf_prog_info info = info_of(impl_->prog);
  c.recursion = info.recursion_misses;
  c.runs = info.run_cnt;
  c.run_ns = info.run_time_ns;
  for (bpf_program* p : impl_->cause_progs) c.causes_lost += info_of(p).recursion_misses;
  return c;
}

}  // namespace tcpfsm
