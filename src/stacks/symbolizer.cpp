#include "stacks/symbolizer.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cxxabi.h>
#include <map>
#include <tuple>

#include "stacks/perf_map.h"

namespace tcpfsm {
namespace {

// The names cached across processes; past this many distinct code
// addresses the cache starts over rather than grow without bound.
constexpr std::size_t kMaxNames = 1 << 16;

// Up to max bytes of a /proc file; empty if it cannot be read.
std::string read_file(const std::string& path, std::size_t max) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string s;
  char buf[16384];
  while (s.size() < max) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    s.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return s;
}

std::string hex_bytes(const unsigned char* p, int n) {
  std::string s;
  char b[3];
  for (int i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", p[i]);
    s += b;
  }
  return s;
}

std::string demangled(const char* name) {
  if (std::strncmp(name, "_Z", 2) != 0) return name;
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string s = status == 0 && d ? d : name;
  std::free(d);
  return s;
}

// glibc exports its syscall wrappers twice, connect and __connect, both weak:
// which of the two libdwfl names depends on whether libc's debug symbols are
// installed. The name a program calls is the one without the underscores.
const char* public_alias(Dwfl_Module* m, const char* name, Dwarf_Addr start) {
  if (std::strncmp(name, "__", 2) != 0) return name;
  const char* bare = name;
  while (*bare == '_') ++bare;
  const int n = dwfl_module_getsymtab(m);
  for (int i = 0; i < n; ++i) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    const char* alias = dwfl_module_getsym_info(m, i, &sym, &addr, nullptr, nullptr, nullptr);
    if (alias && addr == start && GELF_ST_TYPE(sym.st_info) == STT_FUNC && std::strcmp(alias, bare) == 0) return alias;
  }
  return name;
}

// dwfl_module_getsrc finds a CU through .debug_aranges, which Go 1.19 does
// not write: such a module's CUs are searched one by one. True when the
// module has DWARF without them.
bool needs_cu_scan(Dwfl_Module* m) {
  Dwarf_Addr bias = 0;
  Dwarf* dw = dwfl_module_getdwarf(m, &bias);
  Elf* elf = dw ? dwarf_getelf(dw) : nullptr;
  std::size_t shstrndx = 0;
  if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0) return false;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    const char* name = gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : nullptr;
    if (name && (std::strcmp(name, ".debug_aranges") == 0 || std::strcmp(name, ".zdebug_aranges") == 0)) return false;
  }
  return true;
}

std::string_view basename_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_cpython(std::string_view module) {
  return module.find("libpython3") != std::string_view::npos || basename_of(module).starts_with("python3");
}

void add_note(std::string* note, std::string_view text) {
  if (!note) return;
  if (!note->empty()) *note += "; ";
  *note += text;
}

// A file mapping of /proc/PID/maps: where /proc/PID/map_files names it.
struct Mapping {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::string path;
};

std::vector<Mapping> file_mappings(std::string_view maps) {
  std::vector<Mapping> out;
  while (!maps.empty()) {
    const auto nl = maps.find('\n');
    std::string_view line = maps.substr(0, nl);
    maps = nl == std::string_view::npos ? std::string_view{} : maps.substr(nl + 1);
    unsigned long long start = 0, end = 0;
    int path_at = 0;
    const std::string l(line);
    // start-end perms offset dev inode path
    if (std::sscanf(l.c_str(), "%llx-%llx %*s %*s %*s %*s %n", &start, &end, &path_at) < 2 || path_at == 0) continue;
    if (l.size() <= static_cast<std::size_t>(path_at) || l[static_cast<std::size_t>(path_at)] != '/') continue;
    out.push_back({start, end, l.substr(static_cast<std::size_t>(path_at))});
  }
  return out;
}

}  // namespace

struct Symbolizer::Impl {
  // What one process's address space holds, kept until forget(pid).
  struct Process {
    std::string dir;  // <proc>/PID
    std::vector<Mapping> mappings;
    Dwfl* dwfl = nullptr;
    // The name-cache key and build id of each module whose ELF was looked
    // at; cleared when the maps are reported again (modules may go).
    struct Facts {
      bool elf = false;
      Dwarf_Addr bias = 0;
      std::string build_id;
      std::string key;  // the build id, else device, inode, size and mtime
      int cu_scan = -1;  // needs_cu_scan: 1, 0, or -1 before a line was missing
    };
    std::map<Dwfl_Module*, Facts> facts;
    std::string perf_map_path;
    PerfMap perf_map;
    bool perf_map_fresh = false;  // refreshed in this symbolize call

    ~Process() {
      if (dwfl) dwfl_end(dwfl);
    }
  };

  struct Names {
    std::string symbol;
    std::uint64_t symbol_offset = 0;
    std::string file;
    int line = 0;
  };
  // (module key, module offset, return address?): a return address is looked
  // up one byte before, so the same offset can name two places.
  using NameKey = std::tuple<std::string, std::uint64_t, bool>;

  Options options;
  std::map<std::uint32_t, std::unique_ptr<Process>> processes;
  std::map<NameKey, Names> names;

  static int find_elf(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base, char** file_name,
                      Elf** elfp);
  static const Dwfl_Callbacks callbacks;

  Process& process(std::uint32_t pid);
  bool report(Process& p);
  Dwfl_Module* module_at(Process& p, Dwarf_Addr addr, bool& reported);
  const PerfMapEntry* jit_at(Process& p, std::uint64_t addr);
  Process::Facts& facts_of(Process& p, Dwfl_Module* m);
  // A frame named from the module's ELF file, else from the perf map.
  Frame name(Process& p, std::uint64_t addr, bool is_return, bool& reported);
  Frame name_in_elf(Process& p, std::uint64_t addr, bool is_return, bool& reported);
  void name_in_module(Dwfl_Module* m, Process::Facts& f, Dwarf_Addr look, bool is_return, Frame& out);
  bool caller_of_frame0(Process& p, std::uint64_t pc, std::uint64_t sp, std::span<const std::uint64_t> words,
                        std::uint64_t& ra, std::string* note);
};

// libdwfl opens each module's file with this: through /proc/PID/root, where
// the process's own mount namespace has it (a container's binary need not
// exist on the host), else through /proc/PID/map_files, which holds even a
// file deleted or replaced since it was mapped.
int Symbolizer::Impl::find_elf(Dwfl_Module*, void** userdata, const char* modname, Dwarf_Addr, char** file_name,
                               Elf** elfp) {
  const auto* p = static_cast<const Process*>(*userdata);
  if (!p || modname[0] != '/') return -1;
  std::string path = p->dir + "/root" + modname;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    for (const Mapping& m : p->mappings) {
      if (m.path != modname) continue;
      char range[40];
      std::snprintf(range, sizeof range, "%" PRIx64 "-%" PRIx64, m.start, m.end);
      path = p->dir + "/map_files/" + range;
      fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      break;
    }
  }
  if (fd < 0) return -1;
  *file_name = strdup(path.c_str());
  *elfp = nullptr;  // libdwfl reads the ELF from fd, and owns it
  return fd;
}

const Dwfl_Callbacks Symbolizer::Impl::callbacks = {
    find_elf,
    dwfl_standard_find_debuginfo,  // separate debug info: build-id and debuglink paths
    dwfl_offline_section_address,
    nullptr,
};

Symbolizer::Impl::Process& Symbolizer::Impl::process(std::uint32_t pid) {
  auto& slot = processes[pid];
  if (slot) return *slot;
  slot = std::make_unique<Process>();
  Process& p = *slot;
  p.dir = options.proc + "/" + std::to_string(pid);
  p.dwfl = dwfl_begin(&callbacks);
  std::uint32_t nspid = nspid_of_status(read_file(p.dir + "/status", 1 << 16));
  if (nspid == 0) nspid = pid;  // kernels before 4.1 have no NSpid line
  p.perf_map_path = p.dir + "/root/tmp/perf-" + std::to_string(nspid) + ".map";
  report(p);
  return p;
}

// (Re)reads /proc/PID/maps into the process's Dwfl; false, and the modules
// kept as they were, when the process is gone or its maps unreadable.
bool Symbolizer::Impl::report(Process& p) {
  if (!p.dwfl) return false;
  std::string maps = read_file(p.dir + "/maps", 64 << 20);
  if (maps.empty()) return false;
  FILE* f = fmemopen(maps.data(), maps.size(), "r");
  if (!f) return false;
  p.mappings = file_mappings(maps);
  p.facts.clear();
  dwfl_report_begin(p.dwfl);
  const int rc = dwfl_linux_proc_maps_report(p.dwfl, f);
  std::fclose(f);
  dwfl_report_end(p.dwfl, nullptr, nullptr);
  // find_elf runs later, lazily: each module carries its process for it.
  dwfl_getmodules(
      p.dwfl,
      [](Dwfl_Module*, void** userdata, const char*, Dwarf_Addr, void* arg) -> int {
        *userdata = arg;
        return DWARF_CB_OK;
      },
      &p, 0);
  return rc == 0;
}

Dwfl_Module* Symbolizer::Impl::module_at(Process& p, Dwarf_Addr addr, bool& reported) {
  if (!p.dwfl) return nullptr;
  Dwfl_Module* m = dwfl_addrmodule(p.dwfl, addr);
  if (m || reported) return m;
  // Mapped since the last read (dlopen()): the maps once more per call.
  reported = true;
  return report(p) ? dwfl_addrmodule(p.dwfl, addr) : nullptr;
}

const PerfMapEntry* Symbolizer::Impl::jit_at(Process& p, std::uint64_t addr) {
  if (!p.perf_map_fresh) {
    p.perf_map.refresh(p.perf_map_path);
    p.perf_map_fresh = true;
  }
  return p.perf_map.find(addr);
}

Symbolizer::Impl::Process::Facts& Symbolizer::Impl::facts_of(Process& p, Dwfl_Module* m) {
  auto [it, added] = p.facts.try_emplace(m);
  Process::Facts& f = it->second;
  if (!added) return f;
  Dwarf_Addr bias = 0;
  f.elf = dwfl_module_getelf(m, &bias) != nullptr;  // opens the file (find_elf): libdwfl is lazy
  if (!f.elf) return f;
  f.bias = bias;
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  const int n = dwfl_module_build_id(m, &bits, &vaddr);
  if (n > 0) f.build_id = hex_bytes(bits, n);
  const char* mainfile = nullptr;
  dwfl_module_info(m, nullptr, nullptr, nullptr, nullptr, nullptr, &mainfile, nullptr);
  struct stat st {};
  if (!f.build_id.empty())
    f.key = f.build_id;
  else if (mainfile && stat(mainfile, &st) == 0)  // Go binaries carry no GNU build id
    f.key = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
            std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  return f;
}

void Symbolizer::Impl::name_in_module(Dwfl_Module* m, Process::Facts& f, Dwarf_Addr look, bool is_return,
                                      Frame& out) {
  GElf_Off off = 0;
  GElf_Sym sym;
  if (const char* s = dwfl_module_addrinfo(m, look, &off, &sym, nullptr, nullptr, nullptr)) {
    out.symbol = demangled(public_alias(m, s, look - off));
    out.symbol_offset = off + (is_return ? 1 : 0);
  }
  const char* file = nullptr;
  int line = 0;
  if (Dwfl_Line* l = dwfl_module_getsrc(m, look)) file = dwfl_lineinfo(l, nullptr, &line, nullptr, nullptr, nullptr);
  if (!file && f.cu_scan < 0) f.cu_scan = needs_cu_scan(m) ? 1 : 0;
  if (!file && f.cu_scan == 1) {
    Dwarf_Addr bias = 0;
    for (Dwarf_Die* cu = dwfl_module_nextcu(m, nullptr, &bias); cu && !file; cu = dwfl_module_nextcu(m, cu, &bias)) {
      if (dwarf_haspc(cu, look - bias) <= 0) continue;
      if (Dwarf_Line* l = dwarf_getsrc_die(cu, look - bias)) {
        file = dwarf_linesrc(l, nullptr, nullptr);
        dwarf_lineno(l, &line);
      }
    }
  }
  if (file) {
    out.file = file;
    out.line = line;
  }
}

Frame Symbolizer::Impl::name(Process& p, std::uint64_t addr, bool is_return, bool& reported) {
  Frame out = name_in_elf(p, addr, is_return, reported);
  if (!out.symbol.empty()) return out;
  // JIT code: in no file mapping, or in one libdwfl stretched a module over
  // (it reports a module from its first to its last mapping, and V8's code
  // space can lie between: Node 20's does).
  const Dwarf_Addr look = is_return ? addr - 1 : addr;
  if (const PerfMapEntry* e = jit_at(p, look)) {
    out = Frame{};
    out.addr = addr;
    out.module = kPerfMapModule;
    out.symbol = e->name;
    out.symbol_offset = addr - e->start;
  }
  return out;
}

Frame Symbolizer::Impl::name_in_elf(Process& p, std::uint64_t addr, bool is_return, bool& reported) {
  Frame out;
  out.addr = addr;
  // A return address is just after its call, which may be the last
  // instruction of the function: the byte before it is in the caller.
  const Dwarf_Addr look = is_return ? addr - 1 : addr;
  Dwfl_Module* m = module_at(p, look, reported);
  if (!m) return out;
  Dwarf_Addr low = 0;
  out.module = dwfl_module_info(m, nullptr, &low, nullptr, nullptr, nullptr, nullptr, nullptr);
  Process::Facts& f = facts_of(p, m);
  out.build_id = f.build_id;
  out.module_offset = addr - (f.elf ? f.bias : low);
  if (!f.elf) return out;
  if (f.key.empty()) {
    name_in_module(m, f, look, is_return, out);
    return out;
  }
  NameKey key{f.key, out.module_offset, is_return};
  if (auto it = names.find(key); it != names.end()) {
    out.symbol = it->second.symbol;
    out.symbol_offset = it->second.symbol_offset;
    out.file = it->second.file;
    out.line = it->second.line;
    return out;
  }
  name_in_module(m, f, look, is_return, out);
  if (names.size() >= kMaxNames) names.clear();
  names.emplace(std::move(key), Names{out.symbol, out.symbol_offset, out.file, out.line});
  return out;
}

// The return address of frame 0's function, from its call frame information
// and the stack words at sp. x86-64 only (what tcpfsm builds for): the CFA
// there is rsp+N at a frameless function's pc, and the return address the
// word at CFA-8.
bool Symbolizer::Impl::caller_of_frame0(Process& p, std::uint64_t pc, std::uint64_t sp,
                                        std::span<const std::uint64_t> words, std::uint64_t& ra, std::string* note) {
#if defined(__x86_64__)
  constexpr unsigned kRsp = 7, kRbp = 6;  // DWARF register numbers
  bool reported = true;                    // frame 0 was just looked up: no second read of the maps
  Dwfl_Module* m = module_at(p, pc, reported);
  if (!m) return false;  // JIT code: no CFI to read
  Dwarf_Addr bias = 0;
  Dwarf_CFI* cfi = dwfl_module_eh_cfi(m, &bias);
  Dwarf_Frame* frame = nullptr;
  if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &frame) != 0) {
    cfi = dwfl_module_dwarf_cfi(m, &bias);
    if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &frame) != 0) {
      add_note(note, "frame 0's caller may be missing (no call frame info)");
      return false;
    }
  }
  Dwarf_Op* ops = nullptr;
  std::size_t nops = 0;
  unsigned reg = ~0u;
  std::uint64_t cfa_offset = 0;
  if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1) {
    if (ops[0].atom == DW_OP_bregx) {
      reg = static_cast<unsigned>(ops[0].number);
      cfa_offset = ops[0].number2;
    } else if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
      reg = ops[0].atom - DW_OP_breg0;
      cfa_offset = ops[0].number;
    }
  }
  std::free(frame);
  // A function that keeps a frame pointer was walked by the kernel through
  // it: its caller is ips[1] already.
  if (reg == kRbp) return false;
  if (reg != kRsp || cfa_offset < 8 || cfa_offset % 8 != 0) {
    add_note(note, "frame 0's caller may be missing (no call frame info)");
    return false;
  }
  const std::uint64_t index = (cfa_offset - 8) / 8;
  if (sp == 0 || index >= words.size()) {
    add_note(note, "frame 0's caller may be missing (beyond the stack words taken)");
    return false;
  }
  ra = words[index];
  return true;
#else
  (void)p, (void)pc, (void)sp, (void)words, (void)ra, (void)note;
  return false;
#endif
}

Symbolizer::Symbolizer() : Symbolizer(Options{}) {}

Symbolizer::Symbolizer(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

Symbolizer::~Symbolizer() = default;

std::vector<Frame> Symbolizer::symbolize(std::uint32_t pid, std::span<const std::uint64_t> ips, std::uint64_t sp,
                                         std::span<const std::uint64_t> words, std::string* note) {
  // A stack map pads a short stack with zeros: the stack ends at the first.
  std::size_t depth = 0;
  while (depth < ips.size() && ips[depth] != 0) ++depth;
  ips = ips.first(depth);
  if (ips.empty()) {
    add_note(note, "no user stack");
    return {};
  }
  Impl::Process& p = impl_->process(pid);
  p.perf_map_fresh = false;
  bool reported = false;
  std::vector<Frame> frames;
  frames.reserve(ips.size() + 1);
  for (std::size_t i = 0; i < ips.size(); ++i) frames.push_back(impl_->name(p, ips[i], i > 0, reported));

  std::uint64_t ra = 0;
  if (impl_->caller_of_frame0(p, ips[0], sp, words, ra, note) && (ips.size() < 2 || ra != ips[1])) {
    Frame caller = impl_->name(p, ra, true, reported);
    // A word that is no return address into known code is not trusted.
    if (caller.module.empty())
      add_note(note, "frame 0's caller may be missing (no return address found)");
    else
      frames.insert(frames.begin() + 1, std::move(caller));
  }

  bool cpython = false, jit = false;
  for (const Frame& f : frames) {
    cpython = cpython || is_cpython(f.module);
    jit = jit || f.module == kPerfMapModule;
  }
  // Python 3.12 names its functions in a perf map with -X perf; before,
  // or without it, only the interpreter's C frames are there to name.
  if (cpython && !jit) add_note(note, "Python shows the interpreter's frames: Python 3.12+ names its own with -X perf");
  return frames;
}

void Symbolizer::forget(std::uint32_t pid) { impl_->processes.erase(pid); }

}  // namespace tcpfsm
