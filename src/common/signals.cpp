#include "common/signals.h"

#include <csignal>

namespace tcpfsm {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
volatile std::sig_atomic_t g_reopen = 0;
volatile std::sig_atomic_t g_stats = 0;

void on_stop_signal(int sig) { g_stop_signal = sig; }
void on_hangup(int) { g_reopen = 1; }
void on_usr1(int) { g_stats = 1; }

bool take(volatile std::sig_atomic_t& flag) {
  if (!flag) return false;
  flag = 0;
  return true;
}

}  // namespace

void install_run_signals() {
  struct sigaction sa{};
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_stop_signal;  // no SA_RESTART: interrupt the poll
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_hangup;
  sigaction(SIGHUP, &sa, nullptr);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGUSR2, SIG_IGN);
  std::signal(SIGALRM, SIG_IGN);
}

int stop_signal() { return g_stop_signal; }

bool take_reopen_request() { return take(g_reopen); }

bool take_stats_request() { return take(g_stats); }

}  // namespace tcpfsm
