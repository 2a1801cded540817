// What `tcpfsm states` prints: the state table and a model's transitions.
#pragma once

#include <string>

#include "model/model.h"

namespace tcpfsm {

// Every state with its meaning, then the model's transitions with their labels,
// then the ones only the other model has.
std::string states_text(Model m);

// The model's state diagram as Graphviz.
std::string model_dot(Model m);

}  // namespace tcpfsm
