// A made-up host for the owner lookups: the descriptors the kernel's
// task_file iterator would find, and what it was asked.
#pragma once

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "owners/holder_iter.h"

namespace tcpfsm {

class FakeSocketFiles final : public SocketFiles {
 public:
  // Process `pid` holds socket `ino` as descriptor `fd`.
  void hold(std::uint32_t ino, std::uint32_t pid, std::uint32_t fd, const char* comm) {
    held_.push_back(record(ino, pid, fd, comm));
  }
  // ... a listening socket, bound to addr:port in namespace netns.
  void listen(std::uint32_t ino, std::uint32_t pid, std::uint32_t fd, const char* comm, std::uint32_t netns,
              const char* addr, std::uint16_t port) {
    tcpfsm_holder h = record(ino, pid, fd, comm);
    h.netns = netns;
    h.lport = port;
    h.family = std::strchr(addr, ':') ? AF_INET6 : AF_INET;
    inet_pton(h.family, addr, h.laddr);
    listeners_.push_back(h);
  }
  // Process `pid` accepted socket `ino` as descriptor `fd` (the accept hook).
  void accept(std::uint32_t ino, std::uint32_t pid, std::uint32_t fd, const char* comm) {
    accepted_.push_back(record(ino, pid, fd, comm));
  }
  // Every descriptor of `ino` closed.
  void close_all(std::uint32_t ino) {
    std::erase_if(held_, [&](const tcpfsm_holder& h) { return h.ino == ino; });
    std::erase_if(listeners_, [&](const tcpfsm_holder& h) { return h.ino == ino; });
  }

  std::optional<std::vector<tcpfsm_holder>> holding(std::span<const std::uint32_t> inodes) override {
    ++holding_calls;
    asked.assign(inodes.begin(), inodes.end());
    if (fail) return std::nullopt;
    std::vector<tcpfsm_holder> out;
    for (const auto& h : held_)
      if (std::find(inodes.begin(), inodes.end(), h.ino) != inodes.end()) out.push_back(h);
    return out;
  }
  std::optional<std::vector<tcpfsm_holder>> listening() override {
    ++listening_calls;
    if (fail) return std::nullopt;
    return listeners_;
  }

  std::vector<tcpfsm_holder> accepted() override { return std::exchange(accepted_, {}); }

  // A TCP socket in `state` held by a process, for held().
  void hold_socket(const tcpfsm_held_socket& s) { sockets_.push_back(s); }
  void clear_held(std::uint32_t ino) {
    std::erase_if(sockets_, [&](const tcpfsm_held_socket& s) { return s.ino == ino; });
  }
  std::optional<std::vector<tcpfsm_held_socket>> held(std::uint32_t states) override {
    ++held_calls;
    if (fail) return std::nullopt;
    std::vector<tcpfsm_held_socket> out;
    for (const auto& s : sockets_)
      if ((states >> s.state) & 1U) out.push_back(s);
    return out;
  }

  bool fail = false;  // every pass fails
  int holding_calls = 0, listening_calls = 0, held_calls = 0;
  std::vector<std::uint32_t> asked;  // by the last holding()

 private:
  static tcpfsm_holder record(std::uint32_t ino, std::uint32_t pid, std::uint32_t fd, const char* comm) {
    tcpfsm_holder h{};
    h.ino = ino;
    h.pid = pid;
    h.fd = fd;
    std::strncpy(h.comm, comm, sizeof h.comm - 1);
    return h;
  }
  std::vector<tcpfsm_holder> held_, listeners_, accepted_;
  std::vector<tcpfsm_held_socket> sockets_;
};

}  // namespace tcpfsm
