#include "pipeline/socket_table.h"

namespace tcpfsm {

SocketTable::SocketTable(Options options, OnRemove on_remove)
    : options_(options), on_remove_(std::move(on_remove)) {
  records_.reserve(std::min<std::size_t>(options_.max_sockets, 4096));
}

SocketRecord* SocketTable::find_or_add(std::uint64_t key, bool start) {
  auto it = records_.find(key);
  if (it != records_.end()) {
    // A key is the socket's address: a lifecycle starting at a known key is
    // another socket at a recycled address, and the old one's CLOSE was lost.
    // (A socket cookie is never reused: a socket that starts over keeps it.)
    if (!options_.keys || !start) return &it->second;
    remove(key, /*stale=*/true);
  }
  if (records_.size() >= options_.max_sockets) {
    ++stats_.untracked;
    return nullptr;
  }
  SocketRecord& r = records_[key];
  r.id = options_.keys ? next_id_++ : key;
  return &r;
}

std::uint64_t SocketTable::untracked_id(std::uint64_t key) { return options_.keys ? next_id_++ : key; }

void SocketTable::remove(std::uint64_t key, bool stale) {
  auto it = records_.find(key);
  if (it == records_.end()) return;
  if (on_remove_) on_remove_(it->second);
  records_.erase(it);
  if (stale) ++stats_.stale;
}

}  // namespace tcpfsm
