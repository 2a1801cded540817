// One screen of `tcpfsm top` as text: sparklines, exact rows of every pane,
// room shared on a short terminal, widths, escaping, ASCII without UTF-8,
// and the keys.
#include <gtest/gtest.h>

#include <string>

#include "common/text.h"
#include "top/frame.h"

using namespace tcpfsm;
using namespace tcpfsm::top;
using namespace std::chrono_literals;

namespace {

void feed(TopModel& m, State from, State to, int times) {
  Transition t;
  t.old_state = number(from);
  t.new_state = number(to);
  for (int i = 0; i < times; ++i) m.transition(t, Verdict{});
}

StuckSocket held(std::int32_t pid, const std::string& comm, std::chrono::nanoseconds age, std::uint32_t ino,
                 std::optional<ContainerRef> container = std::nullopt) {
  StuckSocket s;
  s.sock.state = number(State::CloseWait);
  s.sock.ino = ino;
  s.age = {age, AgeKind::Measured};
  s.holders = {Holder{pid, 3, comm, comm}};
  s.owner = Ownership::Process;
  s.place.container = std::move(container);
  return s;
}

// A model after two refreshes: a listener, 2 then 4 established, 3 edges,
// one holder of 2 CLOSE_WAIT sockets.
TopModel sample_model(const std::string& comm = "leaky") {
  TopModel m(60);
  StartInfo start;
  start.attach = "tp_btf";
  start.model = "linux";
  PortFilter ports;
  ports.either = {8080};
  start.filters.ports = ports;
  m.start(start);
  SocketsNow now;
  now.by_state[number(State::Listen)] = 1;
  now.by_state[number(State::Established)] = 2;
  m.close_interval(1s);
  m.sockets(now);
  feed(m, State::SynSent, State::Established, 4);
  feed(m, State::Established, State::CloseWait, 2);
  feed(m, State::Close, State::SynSent, 4);
  now.by_state[number(State::Established)] = 4;
  now.by_state[number(State::CloseWait)] = 2;
  now.stuck = {held(4242, comm, 45s, 1), held(4242, comm, 12s, 2)};
  m.close_interval(2s);
  m.sockets(now);
  return m;
}

FrameSettings settings(int rows, int cols) {
  FrameSettings s;
  s.rows = rows;
  s.cols = cols;
  s.wall_ns = 1'795'246'951'000'000'000ULL;
  return s;
}

std::vector<std::string> texts(const std::vector<Line>& lines) {
  std::vector<std::string> t;
  for (const auto& l : lines) t.push_back(l.text);
  return t;
}

}  // namespace

TEST(TopSparkline, ScalesToTheWindowsMaximum) {
  const std::vector<std::uint64_t> samples{0, 1, 7, 14};
  EXPECT_EQ(sparkline(samples, 6, true), "  \u2581\u2582\u2585\u2588");
  EXPECT_EQ(sparkline(samples, 6, false), "  _.+#");
  // Only the last samples fit: the scale is theirs.
  EXPECT_EQ(sparkline(samples, 2, false), "+#");
  EXPECT_EQ(sparkline(std::vector<std::uint64_t>{3, 3, 3}, 3, false), "###");
  EXPECT_EQ(sparkline(std::vector<std::uint64_t>{0, 0}, 2, true), "\u2581\u2581");
  // Anything above nothing shows above nothing, however small.
  EXPECT_EQ(sparkline(std::vector<std::uint64_t>{1, 1000, 0}, 3, false), ".#_");
  EXPECT_EQ(sparkline(std::vector<std::uint64_t>{}, 3, false), "   ");
  EXPECT_EQ(sparkline(samples, 0, true), "");
}

TEST(TopFrame, ShowsEveryPaneExactly) {
  const TopModel m = sample_model();
  const auto lines = frame(m, settings(40, 120));
  const auto t = texts(lines);
  // Title, heading + 10 states, heading + 3 edges, heading + 1 holder,
  // losses; empty rows, and the keys on the last.
  ASSERT_EQ(lines.size(), 40U);

  EXPECT_EQ(t[0], "tcpfsm top  " + clock_text(1'795'246'951'000'000'000ULL) +
                      "  every 1.0s  tp_btf, linux model  filters: -p 8080");
  EXPECT_EQ(lines[0].style, Style::Title);
  EXPECT_EQ(t[1], "STATE             NOW     PEAK  LAST MINUTE   sockets in every traced network namespace");
  EXPECT_EQ(lines[1].style, Style::Heading);
  EXPECT_EQ(t[2], "ESTABLISHED         4        4  \u2585\u2588");
  EXPECT_EQ(t[3], "SYN_SENT            0        0  \u2581\u2581");
  EXPECT_EQ(t[8], "CLOSE_WAIT          2        2  \u2581\u2588");
  EXPECT_EQ(t[10], "LISTEN              1        1  \u2588\u2588");
  EXPECT_EQ(t[11], "CLOSING             0        0  \u2581\u2581");

  EXPECT_EQ(t[12], "OLD         -> NEW                /s      TOTAL  all: 5.0/s, 10 since start");
  // Equal rates and totals: by edge.
  EXPECT_EQ(t[13], "SYN_SENT    -> ESTABLISHED       2.0          4");
  EXPECT_EQ(t[14], "CLOSE       -> SYN_SENT          2.0          4");
  EXPECT_EQ(t[15], "ESTABLISHED -> CLOSE_WAIT        1.0          2");

  EXPECT_EQ(t[16], "PID     COMM             CONTAINER           STATE         SOCKETS  OLDEST   2 in CLOSE_WAIT >= 30.0s");
  EXPECT_EQ(t[17], "4242    leaky            -                   CLOSE_WAIT          2  45.0s");
  EXPECT_EQ(t[18], "LOST ring buffer 0, recursion 0, state not stored 0   VIOLATIONS illegal 0, gaps 0, unknown states 0");
  EXPECT_EQ(lines[18].style, Style::Normal);
  for (std::size_t i = 19; i < 39; ++i) EXPECT_EQ(t[i], "");
  EXPECT_EQ(t[39], "q quit   e edges by [rate] total edge   s stuck by [sockets] age container pid");
  EXPECT_EQ(lines[39].style, Style::Help);
}

TEST(TopFrame, SortsAsAskedAndTheKeysLineSaysSo) {
  const TopModel m = sample_model();
  FrameSettings s = settings(40, 120);
  s.edges = TallySort::Key;
  s.holders = HolderSort::Age;
  const auto t = texts(frame(m, s));
  EXPECT_EQ(t[13], "ESTABLISHED -> CLOSE_WAIT        1.0          2");  // ESTABLISHED is state 1
  EXPECT_EQ(t[14], "SYN_SENT    -> ESTABLISHED       2.0          4");
  EXPECT_EQ(t[15], "CLOSE       -> SYN_SENT          2.0          4");
  EXPECT_EQ(t.back(), "q quit   e edges by rate total [edge]   s stuck by sockets [age] container pid");
}

TEST(TopFrame, FitsASmallTerminal) {
  const TopModel m = sample_model();
  for (const auto& [rows, cols] : std::vector<std::pair<int, int>>{{24, 80}, {14, 60}, {10, 40}, {3, 20}, {1, 10}}) {
    const auto lines = frame(m, settings(rows, cols));
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(rows)) << rows << "x" << cols;
    for (const auto& l : lines) EXPECT_LE(display_width(l.text), static_cast<std::size_t>(cols)) << l.text;
    EXPECT_EQ(lines.back().style, Style::Help) << rows << "x" << cols;
  }
  // 14 rows: only the states seen in the window, then the edges and the
  // holder share the rest.
  const auto t = texts(frame(m, settings(14, 120)));
  ASSERT_EQ(t.size(), 14U);
  EXPECT_EQ(t[2].substr(0, 11), "ESTABLISHED");
  EXPECT_EQ(t[3].substr(0, 10), "CLOSE_WAIT");
  EXPECT_EQ(t[4].substr(0, 6), "LISTEN");
  EXPECT_EQ(t[5].substr(0, 3), "OLD");
  EXPECT_EQ(t[6].substr(0, 8), "SYN_SENT");
  EXPECT_EQ(t[7].substr(0, 5), "CLOSE");
  EXPECT_EQ(t[8].substr(0, 11), "ESTABLISHED");
  EXPECT_EQ(t[9].substr(0, 3), "PID");
  EXPECT_EQ(t[10].substr(0, 4), "4242");
  EXPECT_EQ(t[11].substr(0, 4), "LOST");
  EXPECT_EQ(t[12], "");
  EXPECT_EQ(t[13].substr(0, 6), "q quit");
}

TEST(TopFrame, EscapesNamesAndSpeaksAsciiWithoutUtf8) {
  const std::string hostile = "\x1b]0;owned\x07";
  const TopModel m = sample_model(hostile);
  FrameSettings s = settings(40, 120);
  s.note = "sockets not read: x";
  for (bool utf8 : {true, false}) {
    s.utf8 = utf8;
    const auto lines = frame(m, s);
    for (const auto& l : lines)
      for (unsigned char c : l.text) {
        EXPECT_GE(c, 0x20) << l.text;
        EXPECT_TRUE(utf8 || c < 0x80) << l.text;
      }
    EXPECT_EQ(texts(lines)[17].substr(0, 25), "4242    \\x1b]0;owned\\x07 ");
    EXPECT_EQ(lines[19].text, "sockets not read: x");
    EXPECT_EQ(lines[19].style, Style::Alert);
  }
  const TopModel cafe = sample_model("caf\xc3\xa9");
  s.utf8 = true;
  EXPECT_EQ(texts(frame(cafe, s))[17].substr(0, 13), "4242    caf\xc3\xa9");
  s.utf8 = false;
  EXPECT_EQ(texts(frame(cafe, s))[17].substr(0, 20), "4242    caf\\xc3\\xa9 ");
  EXPECT_EQ(texts(frame(cafe, s))[2], "ESTABLISHED         4        4  +#");
}

// A name escaped to more than its column (a comm of 15 control bytes is 60
// characters) is cut to the column, at an escape's end, and the next column
// stays where the heading says.
TEST(TopFrame, LongEscapedNamesAreCutToTheirColumn) {
  FrameSettings s = settings(40, 120);
  const auto row = [&](const TopModel& m) { return texts(frame(m, s))[17].substr(0, 46); };
  // PID, COMM and CONTAINER as the heading places them, then STATE's first letter.
  const auto columns = [](std::string pid, std::string comm, std::string container) {
    pid.resize(8, ' ');
    comm.resize(17, ' ');
    container.resize(20, ' ');
    return pid + comm + container + "C";
  };
  EXPECT_EQ(texts(frame(sample_model(), s))[16].substr(0, 46), "PID     COMM             CONTAINER           S");
  EXPECT_EQ(row(sample_model("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f")),
            columns("4242", R"(\x01\x02\x03\x04)", "-"));
  EXPECT_EQ(row(sample_model("ab\x01\x02\x03\x04")), columns("4242", R"(ab\x01\x02\x03)", "-"));
  // A bidi override is escaped there too, and cut whole or not at all.
  EXPECT_EQ(row(sample_model("leaky\xe2\x80\xae" "1")), columns("4242", R"(leaky\xe2\x80)", "-"));
  s.utf8 = false;
  EXPECT_EQ(row(sample_model("caf\xc3\xa9-caf\xc3\xa9")), columns("4242", R"(caf\xc3\xa9-caf)", "-"));
  // A container label past its column (a machine's name is anyone's).
  s.utf8 = true;
  TopModel m(60);
  SocketsNow now;
  now.stuck = {held(4242, "leaky", 45s, 1, ContainerRef{"machined", "a-machine-with-a-long-name", {}, {}})};
  m.close_interval(1s);
  m.sockets(now);
  std::string holder;
  for (const auto& line : texts(frame(m, s)))
    if (line.starts_with("4242")) holder = line.substr(0, 46);
  EXPECT_EQ(holder, columns("4242", "leaky", "machined:a-machine-"));
}

TEST(TopFrame, SaysWhenThereIsNothingAndFlagsLosses) {
  TopModel m(60);
  m.lost(0, Losses{3, 0, 0});
  m.close_interval(1s);
  SocketsNow now;
  now.younger = 2;  // in CLOSE_WAIT, but not for long enough
  m.sockets(now);
  FrameSettings s = settings(30, 120);
  s.stuck.age = 0s;
  s.stuck.states = {State::CloseWait, State::FinWait2};
  const auto lines = frame(m, s);
  const auto t = texts(lines);
  EXPECT_EQ(t[13], "  no transitions yet");
  EXPECT_EQ(t[14].substr(66), "  OLDEST   0 in CLOSE_WAIT or FIN_WAIT2, 2 younger");
  EXPECT_EQ(t[15], "  no socket in CLOSE_WAIT or FIN_WAIT2");
  EXPECT_EQ(t[16].substr(0, 19), "LOST ring buffer 3,");
  EXPECT_EQ(lines[16].style, Style::Alert);
}

TEST(TopKeys, QuitAndCycleTheSorts) {
  EXPECT_EQ(action_of('q'), Action::Quit);
  EXPECT_EQ(action_of('Q'), Action::Quit);
  EXPECT_EQ(action_of('e'), Action::SortEdges);
  EXPECT_EQ(action_of('s'), Action::SortHolders);
  EXPECT_EQ(action_of('x'), Action::None);
  EXPECT_EQ(next(TallySort::Rate), TallySort::Total);
  EXPECT_EQ(next(TallySort::Total), TallySort::Key);
  EXPECT_EQ(next(TallySort::Key), TallySort::Rate);
  EXPECT_EQ(next(HolderSort::Sockets), HolderSort::Age);
  EXPECT_EQ(next(HolderSort::Age), HolderSort::Container);
  EXPECT_EQ(next(HolderSort::Container), HolderSort::Pid);
  EXPECT_EQ(next(HolderSort::Pid), HolderSort::Sockets);
}
