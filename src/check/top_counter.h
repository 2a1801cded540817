// Counts by label for a top-N table, in bounded memory: `tcpfsm check`'s
// "who and where" (resets by owner, by peer, ...).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/text.h"

namespace tcpfsm {

class TopCounter {
 public:
  // Labels kept at most. A label first seen past them is not kept: what is
  // counted under it is only in the total, as other.
  static constexpr std::size_t kMaxKeys = 10000;
  // Bytes of a label kept; a longer one is cut (where it does not split a
  // UTF-8 sequence), so the memory is bounded whatever the labels. Labels are
  // made of fields cut at kMaxField, and a little more.
  static constexpr std::size_t kMaxField = 256, kMaxLabel = 2 * kMaxField;

  struct Row {
    std::string key;
    std::uint64_t count = 0;
    bool operator==(const Row&) const = default;
  };

  void add(std::string_view key) {
    key = cut_at(key, kMaxLabel);
    ++total_;
    if (const auto it = counts_.find(key); it != counts_.end()) {
      ++it->second;
      return;
    }
    if (counts_.size() < kMaxKeys) counts_.emplace(std::string(key), 1);
  }

  std::uint64_t total() const { return total_; }
  std::size_t distinct() const { return counts_.size(); }

  // The n labels counted most, the larger count first, then by label.
  std::vector<Row> top(std::size_t n) const {
    std::vector<const std::pair<const std::string, std::uint64_t>*> all;
    all.reserve(counts_.size());
    for (const auto& kv : counts_) all.push_back(&kv);
    const auto first = [](const auto* a, const auto* b) {
      return a->second != b->second ? a->second > b->second : a->first < b->first;
    };
    n = std::min(n, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), first);
    std::vector<Row> rows;
    rows.reserve(n);
    for (std::size_t i = 0; i < n; ++i) rows.push_back({all[i]->first, all[i]->second});
    return rows;
  }

  // What `rows` (from top()) leave out: the other labels' counts, kept or not.
  std::uint64_t other(const std::vector<Row>& rows) const {
    std::uint64_t listed = 0;
    for (const auto& r : rows) listed += r.count;
    return total_ - listed;
  }

 private:
  // Looked up by string_view: counting a label already kept allocates nothing.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::uint64_t, Hash, std::equal_to<>> counts_;
  std::uint64_t total_ = 0;
};

}  // namespace tcpfsm
