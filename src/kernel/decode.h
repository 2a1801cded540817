// The kernel's event (tcpfsm/event.h) decoded into the record the rest of
// tcpfsm passes on.
#pragma once

#include "common/clock.h"
#include "record/transition.h"
#include "tcpfsm/event.h"

namespace tcpfsm {

Transition decode(const tcpfsm_event& e, const ClockMap& clock);

}  // namespace tcpfsm
