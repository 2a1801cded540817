// The edge table against the facts in docs/linux-tcp-transitions.md
// and RFC 9293 Figure 5, written out here independently of src/model.cpp.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "model/model.h"

using namespace tcpfsm;

namespace {

using S = State;
using EdgeSet = std::set<std::pair<S, S>>;

const EdgeSet kLinux = {
    {S::Close, S::Listen},         {S::Listen, S::Close},          {S::Close, S::SynSent},
    {S::SynSent, S::Established},  {S::SynSent, S::SynRecv},       {S::SynSent, S::Close},
    {S::Listen, S::SynRecv},       {S::SynRecv, S::Established},   {S::SynRecv, S::FinWait1},
    {S::SynRecv, S::Close},        {S::SynRecv, S::CloseWait},     {S::Established, S::FinWait1},
    {S::Established, S::CloseWait}, {S::Established, S::Close},    {S::FinWait1, S::FinWait2},
    {S::FinWait1, S::Closing},     {S::FinWait1, S::Close},        {S::FinWait2, S::Close},
    {S::CloseWait, S::LastAck},    {S::CloseWait, S::Close},       {S::LastAck, S::Close},
    {S::Closing, S::Close},        {S::FinWait1, S::FinWait1},     {S::FinWait2, S::FinWait2},
    {S::LastAck, S::LastAck},      {S::Closing, S::Closing},       {S::Close, S::Close},
};

const EdgeSet kRfc = {
    {S::Close, S::Listen},        {S::Close, S::SynSent},       {S::Listen, S::Close},
    {S::Listen, S::SynRecv},      {S::Listen, S::SynSent},      {S::SynSent, S::SynRecv},
    {S::SynSent, S::Established}, {S::SynSent, S::Close},       {S::SynRecv, S::Established},
    {S::SynRecv, S::FinWait1},    {S::SynRecv, S::Listen},      {S::Established, S::FinWait1},
    {S::Established, S::CloseWait}, {S::FinWait1, S::FinWait2}, {S::FinWait1, S::Closing},
    {S::FinWait2, S::TimeWait},   {S::Closing, S::TimeWait},    {S::CloseWait, S::LastAck},
    {S::LastAck, S::Close},       {S::TimeWait, S::Close},
};

EdgeSet allowed_by(Model m) {
  EdgeSet out;
  for (int from = 0; from < 16; ++from)
    for (int to = 0; to < 16; ++to)
      if (allowed(m, from, to)) out.insert({static_cast<S>(from), static_cast<S>(to)});
  return out;
}

}  // namespace

TEST(Model, LinuxAllowsExactlyWhatLinuxEmits) { EXPECT_EQ(allowed_by(Model::Linux), kLinux); }

TEST(Model, RfcAllowsExactlyFigure5) { EXPECT_EQ(allowed_by(Model::Rfc), kRfc); }

TEST(Model, EveryRowIsInAModelOnceWithALabel) {
  std::set<std::pair<S, S>> seen;
  for (const auto& e : all_edges()) {
    EXPECT_TRUE(e.rfc || e.linux) << state_name(number(e.from)) << " -> " << state_name(number(e.to));
    EXPECT_FALSE(e.label.empty());
    EXPECT_TRUE(seen.insert({e.from, e.to}).second) << "duplicate row";
    EXPECT_EQ(find_edge(number(e.from), number(e.to)), &e);
  }
}

TEST(Model, LinuxNeverReportsTheMiniSocketStates) {
  for (const auto& e : all_edges()) {
    if (!e.linux) continue;
    for (S s : {S::TimeWait, S::NewSynRecv, S::BoundInactive}) {
      EXPECT_NE(e.from, s);
      EXPECT_NE(e.to, s);
    }
  }
}

TEST(Model, OutOfRangeStatesHaveNoEdge) {
  EXPECT_EQ(find_edge(-1, 7), nullptr);
  EXPECT_EQ(find_edge(7, 16), nullptr);
  EXPECT_EQ(find_edge(1000, 1000), nullptr);
  EXPECT_FALSE(allowed(Model::Linux, 42, 7));
}

TEST(Model, LabelsSayWhatTheEdgeMeans) {
  EXPECT_EQ(find_edge(number(S::Close), number(S::SynSent))->label, "active open (connect)");
  EXPECT_EQ(find_edge(number(S::Listen), number(S::SynRecv))->label, "passive open: child created");
  EXPECT_EQ(find_edge(number(S::FinWait2), number(S::Close))->label, "timewait takeover (RFC: -> TIME_WAIT)");
  EXPECT_EQ(find_edge(number(S::FinWait1), number(S::FinWait1))->label, "close after shutdown");
  EXPECT_EQ(model_name(Model::Linux), "linux");
  EXPECT_EQ(model_name(Model::Rfc), "rfc");
}

// A --state filter on these can match nothing: each says why.
TEST(Model, NeverReportedAreTheStatesOfNoLinuxEdge) {
  for (const auto& info : all_states()) {
    const bool reported = info.state != S::TimeWait && info.state != S::NewSynRecv && info.state != S::BoundInactive;
    EXPECT_EQ(never_reported(info.state).empty(), reported) << info.name;
  }
  EXPECT_EQ(never_reported(S::TimeWait),
            "a timewait mini-socket takes over, and the RFC's -> TIME_WAIT is reported as FIN_WAIT2 -> CLOSE or "
            "CLOSING -> CLOSE (cause time_wait)");
  EXPECT_EQ(never_reported(S::NewSynRecv),
            "a connection request is a mini-socket that sets it without the tracepoint; the child is reported as "
            "LISTEN -> SYN_RECV");
  EXPECT_EQ(never_reported(S::BoundInactive), "the kernel (6.5+) sets it on a bound socket without the tracepoint");
}
