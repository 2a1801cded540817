#include "kernel/load_plan.h"

#include "bpf_runtime/tracefs.h"

namespace tcpfsm {

std::string_view attach_mode_name(AttachMode m) {
  switch (m) {
    case AttachMode::Auto: return "auto";
    case AttachMode::TpBtf: return "tp_btf";
    case AttachMode::Tracepoint: return "tracepoint";
  }
  return "?";
}

std::string_view buffer_mode_name(BufferMode m) {
  switch (m) {
    case BufferMode::Auto: return "auto";
    case BufferMode::Ring: return "ring";
    case BufferMode::Perf: return "perf";
  }
  return "?";
}

BufferMode auto_buffer_mode(const Features& f) { return f.ringbuf ? BufferMode::Ring : BufferMode::Perf; }

std::string describe(const LoadAttempt& a) {
  if (a.mode != AttachMode::TpBtf) return std::string(attach_mode_name(a.mode));
  return a.cookies ? "tp_btf with cookies" : "tp_btf with keys";
}

namespace {

// Why the classic tracepoint cannot be attached, as the features tell;
// empty: it may be.
std::string tracepoint_missing(const Features& f) {
  if (f.tracefs) return f.tracepoint ? "" : kNoSetStateTracepoint;
  // Mounted, but not to be read by this process: mounting it again would
  // not help (and needs more privilege still).
  if (f.tracefs_denied) return tracefs_unreadable();
  return f.tracefs_mountable ? "" : tracefs_not_mountable();
}

}  // namespace

LoadPlan plan_load(AttachMode wanted, BufferMode buffer, const Features& f) {
  LoadPlan p;
  p.wanted = wanted;
  p.buffer = buffer == BufferMode::Auto ? auto_buffer_mode(f) : buffer;
  p.tp_btf_missing = f.tp_btf ? "" : kNoTpBtf;
  p.tracepoint_missing = tracepoint_missing(f);
  if (!f.btf) {
    p.refused = Error(ExitCode::NoBtf, kNoBtf);
    return p;
  }
  if (p.buffer == BufferMode::Ring && !f.ringbuf) {
    p.refused = Error(ExitCode::NoRingbuf, kNoRingbuf);
    return p;
  }
  const bool btf = wanted != AttachMode::Tracepoint && p.tp_btf_missing.empty();
  const bool tracepoint = wanted != AttachMode::TpBtf && p.tracepoint_missing.empty();
  if (btf) {
    p.attempts.push_back({AttachMode::TpBtf, true});
    p.attempts.push_back({AttachMode::TpBtf, false});
  }
  if (tracepoint) {
    p.attempts.push_back({AttachMode::Tracepoint, false});
    p.mount_tracefs = !f.tracefs;
  }
  if (p.attempts.empty()) {
    switch (wanted) {
      case AttachMode::TpBtf: p.refused = Error(ExitCode::NoTracepoint, p.tp_btf_missing); break;
      case AttachMode::Tracepoint: p.refused = Error(ExitCode::NoTracepoint, p.tracepoint_missing); break;
      case AttachMode::Auto:
        p.refused = Error(ExitCode::NoTracepoint, "tp_btf: " + p.tp_btf_missing + "\ntracepoint: " + p.tracepoint_missing);
        break;
    }
  }
  return p;
}

LoadOutcome run_plan(const LoadPlan& plan, const LoadFn& load) {
  if (plan.refused) throw *plan.refused;
  LoadOutcome out;
  std::optional<Error> btf_error;  // the last tp_btf load's
  for (const LoadAttempt& a : plan.attempts) {
    if (a.mode == AttachMode::TpBtf) {
      // Keys are worth a try only where the kernel refused the program that
      // reads cookies; not after a refusal for privilege, or an attach.
      std::string cookies_refused;
      if (!a.cookies && btf_error) {
        if (btf_error->code() != ExitCode::LoadFailed) continue;
        cookies_refused = btf_error->what();
      }
      btf_error = load(a);
      if (btf_error) continue;
      out.loaded = a;
      out.keys_reason = cookies_refused;
      return out;
    }
    if (btf_error) {
      if (plan.wanted == AttachMode::TpBtf || btf_error->code() == ExitCode::NoPrivilege) throw *btf_error;
      out.fallback_reason = btf_error->what();
    } else if (plan.wanted == AttachMode::Auto) {
      out.fallback_reason = plan.tp_btf_missing;
    }
    if (std::optional<Error> e = load(a)) {
      if (out.fallback_reason.empty()) throw *e;
      throw Error(e->code(), "tp_btf: " + out.fallback_reason + "\ntracepoint: " + e->what());
    }
    out.loaded = a;
    return out;
  }
  // tp_btf was refused, and there is no tracepoint to fall back to.
  if (!btf_error) throw Error(ExitCode::NoTracepoint, "no way of loading the program was planned");
  if (plan.wanted == AttachMode::Auto && btf_error->code() != ExitCode::NoPrivilege)
    throw Error(ExitCode::NoTracepoint,
                std::string("tp_btf: ") + btf_error->what() + "\ntracepoint: " + plan.tracepoint_missing);
  throw *btf_error;
}

CauseSources cause_sources(AttachMode mode, const Features& f) {
  CauseSources c;
  const bool btf = mode == AttachMode::TpBtf;
  c.received = btf ? f.rst_received_btf : f.rst_received_tp;
  c.sent = btf ? f.rst_sent_btf : f.rst_sent_tp;
  c.missing = missing_cause_sources(c.received, c.sent, f.rst_reason_arg);
  return c;
}

}  // namespace tcpfsm
