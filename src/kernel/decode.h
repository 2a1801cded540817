// The kernel's event (tcpfsm/event.h) decoded into the record the rest of
// tcpfsm passes on.
#pragma once

#include "common/clock.h"
#include "record/transition.h"
#include "tcpfsm/event.h"

namespace tcpfsm {

// life: the connection's, when the record was a tcpfsm_close.
Transition decode(const tcpfsm_event& e, const tcpfsm_life* life, const ClockMap& clock);

}  // namespace tcpfsm
