#include "kernel/kernel_btf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <memory>
#include <string_view>

namespace tcpfsm {
namespace {

struct BtfFree {
  void operator()(btf* b) const { btf__free(b); }
};

// A raw tracepoint's arguments, from its btf_trace_<name> typedef (a pointer
// to a function whose first argument is the tracepoint's data); -1: none.
int raw_tracepoint_args(const btf* b, const std::string& name) {
  const int id = btf__find_by_name_kind(b, ("btf_trace_" + name).c_str(), BTF_KIND_TYPEDEF);
  if (id <= 0) return -1;
  const btf_type* t = btf__type_by_id(b, btf__resolve_type(b, static_cast<__u32>(id)));
  if (!t || !btf_is_ptr(t)) return 0;
  t = btf__type_by_id(b, t->type);
  return t && btf_is_func_proto(t) && btf_vlen(t) > 0 ? btf_vlen(t) - 1 : 0;
}

std::vector<std::pair<std::uint32_t, std::string>> enumerators(const btf* b, const char* name) {
  std::vector<std::pair<std::uint32_t, std::string>> out;
  const int id = btf__find_by_name_kind(b, name, BTF_KIND_ENUM);
  if (id <= 0) return out;
  const btf_type* t = btf__type_by_id(b, static_cast<__u32>(id));
  const struct btf_enum* e = btf_enum(t);
  for (int i = 0; i < btf_vlen(t); ++i)
    if (const char* n = btf__name_by_offset(b, e[i].name_off))
      out.emplace_back(static_cast<std::uint32_t>(e[i].val), n);
  return out;
}

// Byte offset of member `member` of struct `type`; -1 when there is none.
int member_offset(const btf* b, const char* type, const char* member) {
  const int id = btf__find_by_name_kind(b, type, BTF_KIND_STRUCT);
  if (id <= 0) return -1;
  const btf_type* t = btf__type_by_id(b, static_cast<__u32>(id));
  const btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i)
    if (const char* n = btf__name_by_offset(b, m[i].name_off); n && std::string_view(n) == member)
      return static_cast<int>(btf_member_bit_offset(t, static_cast<__u32>(i)) / 8);
  return -1;
}

KernelBtf read_kernel_btf() {
  KernelBtf k;
  btf* parsed = btf__load_vmlinux_btf();
  if (!parsed || libbpf_get_error(parsed)) return k;
  const std::unique_ptr<btf, BtfFree> b(parsed);
  k.read = true;
  k.set_state_args = raw_tracepoint_args(b.get(), "inet_sock_set_state");
  k.receive_reset_args = raw_tracepoint_args(b.get(), "tcp_receive_reset");
  k.send_reset_args = raw_tracepoint_args(b.get(), "tcp_send_reset");
  // libbpf looks iterator targets up as "bpf_iter_<target>" functions.
  k.task_file_iter = btf__find_by_name_kind(b.get(), "bpf_iter_task_file", BTF_KIND_FUNC) > 0;
  k.rst_reasons = enumerators(b.get(), "sk_rst_reason");
  for (const char* m : {"bytes_received", "bytes_sent", "bytes_retrans", "segs_in", "segs_out", "total_retrans",
                        "srtt_us", "mdev_us"})
    if (member_offset(b.get(), "tcp_sock", m) < 0) k.tcp_sock_missing.emplace_back(m);
  k.cgroup_ancestors_offset = member_offset(b.get(), "cgroup", "ancestors");
  if (k.cgroup_ancestors_offset < 0) {
    k.cgroup_ancestors_offset = member_offset(b.get(), "cgroup", "ancestor_ids");
    k.cgroup_ancestor_ids = k.cgroup_ancestors_offset >= 0;
  }
  return k;
}

}  // namespace

const KernelBtf& kernel_btf() {
  static const KernelBtf k = read_kernel_btf();
  return k;
}

}  // namespace tcpfsm
