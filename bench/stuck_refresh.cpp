// Cost of one `tcpfsm stuck` refresh at scale: N sockets in CLOSE_WAIT held by
// P processes (forked here, each holding N/P), in a private network namespace.
// A refresh is what the watch loop does every --interval: sock_diag dump,
// tracker, owners (/proc), text view. The first refresh walks /proc for every
// inode (what any refresh with new stuck sockets costs); later ones only
// re-read each known holder's fd link. Run as root.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include "stuck_scan/refresher.h"

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

double clock_ms(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::uint64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<std::uint64_t>(ts.tv_nsec);
}

// A network namespace of our own with lo up: the sockets vanish with it.
void enter_private_netns() {
  if (unshare(CLONE_NEWNET)) fail("unshare(CLONE_NEWNET) (run as root)");
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr)) fail("SIOCGIFFLAGS lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr)) fail("SIOCSIFFLAGS lo");
  close(fd);
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// Forked holders: each connects its share and then waits, never closing, until
// the parent closes the hold pipe (or dies).
class Holders {
 public:
  Holders(int listener, std::uint16_t port, int sockets, int processes) {
    int hold[2], ready[2];
    if (pipe2(hold, O_CLOEXEC) || pipe2(ready, O_CLOEXEC)) fail("pipe");
    hold_ = hold[1];
    for (int p = 0; p < processes; ++p) {
      const int share = sockets / processes + (p < sockets % processes ? 1 : 0);
      const pid_t pid = fork();
      if (pid < 0) fail("fork");
      if (pid == 0) hold_forever(hold, ready, listener, port, share);
      pids_.push_back(pid);
      char c;
      pollfd pr{ready[0], POLLIN, 0};
      if (poll(&pr, 1, 10'000) != 1 || read(ready[0], &c, 1) != 1) throw std::runtime_error("a holder failed");
      // The peers close: the holder's sockets go to CLOSE_WAIT.
      for (int i = 0; i < share; ++i) {
        const int s = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (s < 0) fail("accept");
        close(s);
      }
    }
    close(hold[0]);
    close(ready[0]);
    close(ready[1]);
  }
  ~Holders() {
    close(hold_);  // every holder sees EOF and exits
    for (pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }

 private:
  [[noreturn]] static void hold_forever(const int hold[2], const int ready[2], int listener, std::uint16_t port,
                                        int share) {
    prctl(PR_SET_NAME, "stuck-holder");
    close(hold[1]);
    close(listener);
    const sockaddr_in a = loopback(port);
    for (int i = 0; i < share; ++i) {
      const int s = socket(AF_INET, SOCK_STREAM, 0);
      if (s < 0 || connect(s, reinterpret_cast<const sockaddr*>(&a), sizeof a)) _exit(1);
    }
    char c = 'r';
    if (write(ready[1], &c, 1) != 1) _exit(1);
    for (;;) {
      const ssize_t n = read(hold[0], &c, 1);
      if (n == 0 || (n < 0 && errno != EINTR)) _exit(0);
    }
  }

  int hold_ = -1;
  std::vector<pid_t> pids_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Cost of one tcpfsm stuck refresh with many stuck sockets and processes (run as root)"};
  int sockets = 10'000, processes = 1'000, refreshes = 5;
  app.add_option("-n,--sockets", sockets, "sockets in CLOSE_WAIT")->check(CLI::Range(1, 25'000));
  app.add_option("-p,--processes", processes, "processes holding them")->check(CLI::Range(1, 5'000));
  app.add_option("-r,--refreshes", refreshes, "refreshes to time")->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);

  try {
    enter_private_netns();
    constexpr std::uint16_t kPort = 7000;
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in a = loopback(kPort);
    if (bind(listener, reinterpret_cast<const sockaddr*>(&a), sizeof a) || listen(listener, 4096))
      fail("listen");
    const double setup_start = clock_ms(CLOCK_MONOTONIC);
    Holders holders(listener, kPort, sockets, processes);
    std::printf("setup: %d sockets in CLOSE_WAIT held by %d processes in %.0f ms\n", sockets, processes,
                clock_ms(CLOCK_MONOTONIC) - setup_start);

    tcpfsm::StuckQuery query;
    query.min_age = std::chrono::nanoseconds(0);  // every one is stuck: the largest view
    tcpfsm::StuckRefresher refresher(query);
    tcpfsm::StuckTracker tracker(refresher.tracker_options(false), mono_ns());
    std::printf("%-8s %7s %7s %6s %7s | %8s %8s %8s %8s | %8s %8s\n", "refresh", "dumped", "stuck", "walks",
                "links", "dump", "tracker", "owners", "view", "cpu_ms", "wall_ms");
    for (int i = 0; i < refreshes; ++i) {
      const auto before = refresher.owner_stats();
      const double wall0 = clock_ms(CLOCK_MONOTONIC);
      double lap = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
      const double cpu0 = lap;
      auto stage = [&lap] {  // CPU ms since the previous stage
        const double now = clock_ms(CLOCK_PROCESS_CPUTIME_ID), d = now - lap;
        lap = now;
        return d;
      };
      const std::uint64_t dump_start = mono_ns();
      const auto& dumped = refresher.dump();
      const double dump_ms = stage();
      auto r = tracker.refresh(dumped, dump_start, mono_ns());
      const double tracker_ms = stage();
      refresher.settle_unstuck(r.unstuck);
      refresher.attach_owners(r.stuck);
      const double owners_ms = stage();
      const std::size_t stuck = r.stuck.size();
      std::string view;
      tcpfsm::append_view(view, refresher.view(r), 10);
      const double view_ms = stage();
      const double cpu = lap - cpu0, wall = clock_ms(CLOCK_MONOTONIC) - wall0;
      const auto& after = refresher.owner_stats();
      std::printf("%-8s %7zu %7zu %6llu %7llu | %8.1f %8.1f %8.1f %8.1f | %8.1f %8.1f\n", i == 0 ? "cold" : "warm",
                  dumped.size(), stuck, static_cast<unsigned long long>(after.walks - before.walks),
                  static_cast<unsigned long long>(after.links_read - before.links_read), dump_ms, tracker_ms,
                  owners_ms, view_ms, cpu, wall);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stuck_refresh: %s\n", e.what());
    return 1;
  }
  return 0;
}
