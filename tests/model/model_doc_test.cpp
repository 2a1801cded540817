#include <gtest/gtest.h>

#include <string>

#include "model/model_doc.h"

using namespace tcpfsm;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(StatesText, ListsEveryStateWithItsMeaning) {
  const std::string text = states_text(Model::Linux);
  for (const auto& s : all_states()) {
    EXPECT_TRUE(has(text, std::string(s.name))) << s.name;
    EXPECT_TRUE(has(text, std::string(s.meaning))) << s.name;
  }
  EXPECT_TRUE(has(text, "   6  TIME_WAIT       The socket is waiting after close to handle packets still in the "
                        "network. [not in the linux model]\n"));
  EXPECT_FALSE(has(states_text(Model::Rfc), "TIME_WAIT       The socket is waiting after close to handle packets "
                                            "still in the network. [not"));
}

TEST(StatesText, ListsTheModelsEdgesThenTheOthers) {
  const std::string text = states_text(Model::Linux);
  EXPECT_TRUE(has(text, "\nTransitions of the linux model, exactly what Linux reports at "
                        "sock:inet_sock_set_state (27)\n  CLOSE          -> LISTEN          passive open (listen)\n"));
  EXPECT_TRUE(has(text, "\nOnly in the rfc model (5)\n  LISTEN         -> SYN_SENT        send on a listener (RFC only)\n"));
  const std::string rfc = states_text(Model::Rfc);
  EXPECT_TRUE(has(rfc, "\nTransitions of the rfc model, strict RFC 9293 Figure 5 (20)\n"));
  EXPECT_TRUE(has(rfc, "\nOnly in the linux model (12)\n"));
  EXPECT_TRUE(has(rfc, "  FIN_WAIT2      -> CLOSE           timewait takeover (RFC: -> TIME_WAIT)\n"));
}

TEST(ModelDot, IsAGraphOfTheModelsEdges) {
  const std::string dot = model_dot(Model::Rfc);
  EXPECT_EQ(dot.rfind("digraph tcpfsm {\n  label=\"tcpfsm rfc model: strict RFC 9293 Figure 5\";\n", 0), 0u);
  EXPECT_TRUE(has(dot, "  \"FIN_WAIT2\" -> \"TIME_WAIT\" [label=\"peer's FIN received (RFC; Linux reports -> CLOSE)\"];\n"));
  EXPECT_FALSE(has(dot, "\"FIN_WAIT2\" -> \"CLOSE\""));
  EXPECT_FALSE(has(dot, "NEW_SYN_RECV"));
  EXPECT_TRUE(has(dot, "  \"TIME_WAIT\";\n"));
  EXPECT_FALSE(has(model_dot(Model::Linux), "  \"TIME_WAIT\";\n"));
  EXPECT_TRUE(dot.ends_with("}\n"));
}
