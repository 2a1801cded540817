#include "kernel/vmlinux_btf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

namespace tcpfsm {

const btf* vmlinux_btf() {
  // Parsed on first use and kept for the process's life (a few MB).
  static btf* const parsed = [] {
    btf* b = btf__load_vmlinux_btf();
    return libbpf_get_error(b) ? nullptr : b;
  }();
  return parsed;
}

}  // namespace tcpfsm
