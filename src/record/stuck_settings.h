// What counts as a stuck socket: one in any of these states for this long or
// more. The one default that tcpfsm stuck, top, trace --metrics and check
// start from (and their help texts say); their options change it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "model/states.h"

namespace tcpfsm {

struct StuckSettings {
  static constexpr std::chrono::seconds kDefaultAge{30};

  std::vector<State> states{State::CloseWait};
  std::chrono::nanoseconds age{kDefaultAge};

  // The defaults as the options take them: "CLOSE_WAIT", "30s".
  static std::string default_states_text() { return state_names(StuckSettings{}.states); }
  static std::string default_age_text() { return std::to_string(kDefaultAge.count()) + "s"; }
};

}  // namespace tcpfsm
