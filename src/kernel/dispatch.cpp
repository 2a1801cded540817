#include "kernel/dispatch.h"

#include <cstddef>
#include <cstring>

namespace tcpfsm {
namespace {

// The struct a kind's records hold, and its size; 0: a kind not known here.
struct KindInfo {
  const char* name;  // with its article
  const char* type;
  std::size_t size;
};

KindInfo kind_info(int kind) {
  switch (kind) {
    case TCPFSM_RECORD_TRANSITION: return {"a transition", "tcpfsm_event", sizeof(tcpfsm_event)};
    case TCPFSM_RECORD_CLOSE: return {"a connection's end", "tcpfsm_close", sizeof(tcpfsm_close)};
    case TCPFSM_RECORD_CAUSE: return {"a reset", "tcpfsm_cause", sizeof(tcpfsm_cause)};
    case TCPFSM_RECORD_ORIGIN: return {"an origin", "tcpfsm_origin", sizeof(tcpfsm_origin)};
    default: return {"", "", 0};
  }
}

}  // namespace

std::string RecordHead::rejection() const {
  const std::string bytes = std::to_string(size) + (size == 1 ? " byte" : " bytes");
  switch (verdict) {
    case Verdict::Transition:
    case Verdict::Cause:
    case Verdict::Origin: return "";
    case Verdict::UnknownKind: return "a record of unknown kind " + std::to_string(kind) + ", " + bytes;
    case Verdict::Short: break;
  }
  if (kind < 0)
    return "a record of " + bytes + ": too short to hold its kind byte (offset " +
           std::to_string(offsetof(tcpfsm_head, record)) + ")";
  const KindInfo k = kind_info(kind);
  return std::string(k.name) + " record (kind " + std::to_string(kind) + ") of " + bytes +
         ": shorter than " + k.type + "'s " + std::to_string(k.size);
}

RecordHead read_head(const void* data, std::size_t size) {
  RecordHead h;
  h.size = size;
  if (size <= offsetof(tcpfsm_head, record)) return h;  // Short, kind -1
  const int kind = static_cast<const unsigned char*>(data)[offsetof(tcpfsm_head, record)];
  h.kind = kind;
  const std::size_t need = kind_info(kind).size;
  if (need == 0) h.verdict = RecordHead::Verdict::UnknownKind;
  else if (size < need) h.verdict = RecordHead::Verdict::Short;
  else if (kind == TCPFSM_RECORD_TRANSITION || kind == TCPFSM_RECORD_CLOSE) h.verdict = RecordHead::Verdict::Transition;
  else if (kind == TCPFSM_RECORD_CAUSE) h.verdict = RecordHead::Verdict::Cause;
  else h.verdict = RecordHead::Verdict::Origin;
  return h;
}

RecordHead dispatch_record(const void* data, std::size_t size, EventHandler& h) {
  const RecordHead head = read_head(data, size);
  if (head.verdict == RecordHead::Verdict::Transition && head.kind == TCPFSM_RECORD_CLOSE) {
    tcpfsm_close c;
    std::memcpy(&c, data, sizeof c);
    h.on_event(c.event, &c.life);
  } else if (head.verdict == RecordHead::Verdict::Transition) {
    tcpfsm_event e;
    std::memcpy(&e, data, sizeof e);
    h.on_event(e, nullptr);
  } else if (head.verdict == RecordHead::Verdict::Cause) {
    tcpfsm_cause c;
    std::memcpy(&c, data, sizeof c);
    h.on_cause(c);
  } else if (head.verdict == RecordHead::Verdict::Origin) {
    tcpfsm_origin o;
    std::memcpy(&o, data, sizeof o);
    h.on_origin(o);
  }
  return head;
}

}  // namespace tcpfsm
