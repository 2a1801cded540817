// The running kernel's BTF, parsed once: types tcpfsm asks about at run time
// (tracepoint arguments, enum names) rather than hard-coding them.
#pragma once

struct btf;

namespace tcpfsm {

// nullptr when the kernel has no BTF (or it cannot be read).
const btf* vmlinux_btf();

}  // namespace tcpfsm
