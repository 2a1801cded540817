// The event buffer's records told apart by the kind byte of their head
// (tcpfsm/event.h: tcpfsm_head.record), as the ring buffer's reader, the
// perf buffers' time order and the test replay read them: one reading of
// the head, so that every source hands on and refuses the same records.
#pragma once

#include <cstddef>
#include <string>

#include "kernel/event_source.h"
#include "tcpfsm/event.h"

namespace tcpfsm {

// What a record's head says, read without reading past the record's size.
struct RecordHead {
  enum class Verdict {
    Transition,   // TCPFSM_RECORD_TRANSITION, as long as tcpfsm_event at least,
                  // or TCPFSM_RECORD_CLOSE, as long as tcpfsm_close
    Cause,        // TCPFSM_RECORD_CAUSE, as long as tcpfsm_cause at least
    Origin,       // TCPFSM_RECORD_ORIGIN, as long as tcpfsm_origin at least
    Short,        // shorter than its kind's struct, or than the kind byte itself
    UnknownKind,  // a kind byte this reader does not know
  };
  Verdict verdict = Verdict::Short;
  int kind = -1;  // the head's record byte; -1: the record ends before it
  std::size_t size = 0;

  // A record handed on (Transition, Cause or Origin).
  bool ok() const { return verdict == Verdict::Transition || verdict == Verdict::Cause || verdict == Verdict::Origin; }
  // Why the record is refused, naming its kind and size, e.g. "a record of
  // unknown kind 7, 40 bytes"; empty when ok().
  std::string rejection() const;
};

// Reads the head of the size bytes at data (any alignment: a perf sample's
// record is 4 bytes past an 8-byte boundary). A record may be longer than
// its kind's struct (a perf sample pads it to 8 bytes past its size field):
// the bytes past the struct are not read.
RecordHead read_head(const void* data, std::size_t size);

// Hands the record at data to h by its kind byte: a transition (with its
// connection's life, when it is a tcpfsm_close) to on_event,
// a reset to on_cause, an origin to on_origin, each copied out of the
// buffer first. A record of an
// unknown kind, or too short for its kind, goes to neither (as a record of
// a size neither kind had was, when sizes told them apart); the head says
// which, and why.
RecordHead dispatch_record(const void* data, std::size_t size, EventHandler& h);

}  // namespace tcpfsm
