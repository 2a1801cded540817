#include "common/signals.h"

#include <csignal>

namespace tcpfsm {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
volatile std::sig_atomic_t g_reopen = 0;

void on_stop_signal(int sig) { g_stop_signal = sig; }
void on_hangup(int) { g_reopen = 1; }

}  // namespace

void install_run_signals() {
  struct sigaction sa{};
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_stop_signal;  // no SA_RESTART: interrupt the poll
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_hangup;
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int stop_signal() { return g_stop_signal; }

bool take_reopen_request() {
  if (!g_reopen) return false;
  g_reopen = 0;
  return true;
}

}  // namespace tcpfsm
