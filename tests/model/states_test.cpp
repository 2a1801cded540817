#include <gtest/gtest.h>

#include "model/states.h"

using namespace tcpfsm;

TEST(States, TableFollowsKernelNumbering) {
  ASSERT_EQ(all_states().size(), 13u);
  int n = 1;
  for (const auto& s : all_states()) EXPECT_EQ(number(s.state), n++) << s.name;
}

TEST(States, NamesAreNetstatSpelling) {
  EXPECT_EQ(state_name(1), "ESTABLISHED");
  EXPECT_EQ(state_name(2), "SYN_SENT");
  EXPECT_EQ(state_name(3), "SYN_RECV");
  EXPECT_EQ(state_name(4), "FIN_WAIT1");
  EXPECT_EQ(state_name(5), "FIN_WAIT2");
  EXPECT_EQ(state_name(6), "TIME_WAIT");
  EXPECT_EQ(state_name(7), "CLOSE");
  EXPECT_EQ(state_name(8), "CLOSE_WAIT");
  EXPECT_EQ(state_name(9), "LAST_ACK");
  EXPECT_EQ(state_name(10), "LISTEN");
  EXPECT_EQ(state_name(11), "CLOSING");
  EXPECT_EQ(state_name(12), "NEW_SYN_RECV");
  EXPECT_EQ(state_name(13), "BOUND_INACTIVE");
}

TEST(States, UnknownNumberIsShownAsItsNumber) {
  EXPECT_EQ(state_name(0), "0");
  EXPECT_EQ(state_name(14), "14");
  EXPECT_EQ(state_name(255), "255");
  EXPECT_EQ(find_state(14), nullptr);
}

TEST(States, NameRoundTrip) {
  for (const auto& s : all_states()) EXPECT_EQ(state_from_name(s.name), s.state);
  EXPECT_FALSE(state_from_name("ESTABLISHED ").has_value());
  EXPECT_FALSE(state_from_name("established").has_value());
}

TEST(States, NamesInASentence) {
  EXPECT_EQ(state_names(std::vector<State>{}), "");
  EXPECT_EQ(state_names(std::vector<State>{State::CloseWait}), "CLOSE_WAIT");
  EXPECT_EQ(state_names(std::vector<State>{State::CloseWait, State::FinWait2}), "CLOSE_WAIT or FIN_WAIT2");
  EXPECT_EQ(state_names(std::vector<State>{State::LastAck, State::CloseWait, State::FinWait2}),
            "LAST_ACK, CLOSE_WAIT or FIN_WAIT2");
}
