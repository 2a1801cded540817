// The symbolizer against real processes: this test binary (built with -g),
// libc, a child that exits, perf maps, and /proc roots made up in /tmp for a
// container's files and a deleted one's map_files entry.
#include "stacks/symbolizer.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace tcpfsm;
namespace fs = std::filesystem;

extern char** environ;

namespace stacks_test {

const int kKnownFunctionLine = __LINE__ + 1;
__attribute__((noinline)) int known_function(int x) { return x * 3 + 1; }

__attribute__((noinline)) std::uint64_t return_address() {
  return reinterpret_cast<std::uint64_t>(__builtin_return_address(0));
}

int calls_line = 0;
// The store after the call keeps it a call (no tail jump), so the return
// address is in this function.
__attribute__((noinline)) std::uint64_t calls_return_address() {
  const std::uint64_t ra = return_address(); calls_line = __LINE__;
  asm volatile("" ::: "memory");
  return ra;
}

}  // namespace stacks_test

namespace {

std::uint64_t address_of(const char* libc_function) {
  return reinterpret_cast<std::uint64_t>(dlsym(RTLD_DEFAULT, libc_function));
}

std::string basename_of(const std::string& path) { return fs::path(path).filename().string(); }

// The lines of /proc/PID/maps whose path ends with suffix.
std::vector<std::string> maps_lines(pid_t pid, const std::string& suffix) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (line.ends_with(suffix)) out.push_back(line);
  return out;
}

std::uint64_t start_of(const std::string& maps_line) { return std::stoull(maps_line, nullptr, 16); }

std::string path_of(const std::string& maps_line) { return maps_line.substr(maps_line.find('/')); }

std::string libc_path() {
  const auto lines = maps_lines(getpid(), "/libc.so.6");
  return lines.empty() ? std::string{} : path_of(lines.front());
}

// A child (sleep 30) killed and reaped by pid at the end of its test.
class Child {
 public:
  Child() {
    char arg0[] = "sleep", arg1[] = "30";
    char* argv[] = {arg0, arg1, nullptr};
    if (posix_spawnp(&pid_, "sleep", nullptr, nullptr, argv, environ) != 0) pid_ = -1;
    // Its maps are sleep's once exec is done: wait for libc to be mapped.
    for (int i = 0; i < 200 && pid_ > 0 && maps_lines(pid_, "/libc.so.6").empty(); ++i) usleep(10'000);
  }
  ~Child() { stop(); }
  pid_t pid() const { return pid_; }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// A /proc made up under /tmp: PID/maps, PID/status, PID/root, PID/map_files.
class FakeProc {
 public:
  FakeProc() : dir_(fs::temp_directory_path() / ("stacks-proc-" + std::to_string(getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~FakeProc() { fs::remove_all(dir_); }
  std::string root() const { return dir_.string(); }
  fs::path pid_dir(std::uint32_t pid) const {
    fs::path d = dir_ / std::to_string(pid);
    fs::create_directories(d);
    return d;
  }
  void write(std::uint32_t pid, const std::string& name, const std::string& text) const {
    std::ofstream(pid_dir(pid) / name) << text;
  }

 private:
  fs::path dir_;
};

// This process's libc mappings, renamed: as a process whose libc is at
// `path` would show them (same addresses, so &connect is its connect too).
std::string libc_maps_as(const std::string& path) {
  std::string maps;
  for (const std::string& line : maps_lines(getpid(), "/libc.so.6"))
    maps += line.substr(0, line.find('/')) + path + "\n";
  return maps;
}

// A frame nothing is known of but its address.
Frame bare(std::uint64_t addr) {
  Frame f;
  f.addr = addr;
  return f;
}

}  // namespace

TEST(Symbolizer, NamesAFunctionOfThisBinaryWithItsFileAndLine) {
  Symbolizer s;
  const auto addr = reinterpret_cast<std::uint64_t>(&stacks_test::known_function);
  const std::uint64_t ips[] = {addr};
  const auto frames = s.symbolize(getpid(), ips, 0, {});
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].addr, addr);
  EXPECT_EQ(frames[0].symbol, "stacks_test::known_function(int)");  // demangled
  EXPECT_EQ(frames[0].symbol_offset, 0u);
  EXPECT_EQ(basename_of(frames[0].file), "symbolizer_test.cpp");
  EXPECT_EQ(frames[0].line, stacks_test::kKnownFunctionLine);
  EXPECT_EQ(frames[0].module, fs::read_symlink("/proc/self/exe").string());
  EXPECT_EQ(frames[0].build_id.size(), 40u) << frames[0].build_id;
  // A PIE: the offset is the address in the file's own terms (nm's).
  EXPECT_NE(frames[0].module_offset, addr);
  EXPECT_EQ(frame_text(frames[0]), "stacks_test::known_function(int) (symbolizer_test.cpp:" +
                                       std::to_string(stacks_test::kKnownFunctionLine) + ")");
}

TEST(Symbolizer, AReturnAddressNamesTheCallAndItsLine) {
  Symbolizer s;
  const std::uint64_t ra = stacks_test::calls_return_address();
  const std::uint64_t ips[] = {reinterpret_cast<std::uint64_t>(&stacks_test::known_function), ra};
  const auto frames = s.symbolize(getpid(), ips, 0, {});
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].addr, ra);  // the real address, though ra-1 was looked up
  EXPECT_EQ(frames[1].symbol, "stacks_test::calls_return_address()");
  EXPECT_EQ(frames[1].line, stacks_test::calls_line);
  EXPECT_GT(frames[1].symbol_offset, 0u);
}

TEST(Symbolizer, NamesLibcConnectWithItsModuleAndBuildId) {
  Symbolizer s;
  const std::uint64_t connect_addr = address_of("connect");
  const std::uint64_t ips[] = {connect_addr};
  const auto frames = s.symbolize(getpid(), ips, 0, {});
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].symbol, "connect");
  EXPECT_EQ(basename_of(frames[0].module), "libc.so.6");
  EXPECT_EQ(frames[0].build_id.size(), 40u);
  EXPECT_EQ(frames[0].build_id.find_first_not_of("0123456789abcdef"), std::string::npos);
  // readelf -s libc.so.6 gives connect's value: the same offset.
  EXPECT_EQ(frames[0].module_offset & 0xfff, connect_addr & 0xfff);
}

TEST(Symbolizer, FindsTheCallerOfAFramelessSyscallWrapper) {
  Symbolizer s;
  const std::uint64_t ra = stacks_test::calls_return_address();
  const std::uint64_t pc = address_of("connect");  // its first instruction: the CFA is rsp+8
  const std::uint64_t ips[] = {pc};
  const std::uint64_t words[] = {ra, 0, 0, 0, 0, 0, 0, 0};
  std::string note;
  auto frames = s.symbolize(getpid(), ips, 0x7ffc0000, words, &note);
  ASSERT_EQ(frames.size(), 2u) << note;
  EXPECT_EQ(frames[0].symbol, "connect");
  EXPECT_EQ(frames[1].addr, ra);
  EXPECT_EQ(frames[1].symbol, "stacks_test::calls_return_address()");
  EXPECT_EQ(note, "");

  // A wrapper whose caller the kernel's walk has already: not twice.
  const std::uint64_t both[] = {pc, ra};
  frames = s.symbolize(getpid(), both, 0x7ffc0000, words, &note);
  EXPECT_EQ(frames.size(), 2u);

  // No stack words: the kernel's stack as it is, and why it may be short.
  note.clear();
  frames = s.symbolize(getpid(), ips, 0, {}, &note);
  EXPECT_EQ(frames.size(), 1u);
  EXPECT_EQ(note, "frame 0's caller may be missing (beyond the stack words taken)");

  // A word that is no return address into any code is not made a frame.
  note.clear();
  const std::uint64_t junk[] = {0x10, 0, 0, 0, 0, 0, 0, 0};
  frames = s.symbolize(getpid(), ips, 0x7ffc0000, junk, &note);
  EXPECT_EQ(frames.size(), 1u);
  EXPECT_EQ(note, "frame 0's caller may be missing (no return address found)");
}

TEST(Symbolizer, KeepsAnUnknownFrameByItsAddress) {
  Symbolizer s;
  const std::uint64_t ips[] = {0x10000, reinterpret_cast<std::uint64_t>(&stacks_test::known_function) + 1};
  auto frames = s.symbolize(getpid(), ips, 0, {});
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], bare(0x10000));
  EXPECT_EQ(frame_text(frames[0]), "[unknown] 0x10000");
  EXPECT_EQ(frames[1].symbol, "stacks_test::known_function(int)");
  s.forget(getpid());
  frames = s.symbolize(getpid(), ips, 0, {});
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frame_text(frames[0]), "[unknown] 0x10000");
  EXPECT_EQ(frames[1].symbol, "stacks_test::known_function(int)");
}

TEST(Symbolizer, AnEmptyStackSaysSo) {
  Symbolizer s;
  std::string note;
  EXPECT_TRUE(s.symbolize(getpid(), {}, 0, {}, &note).empty());
  EXPECT_EQ(note, "no user stack");
  // The zeros a stack map pads a short stack with are no frames.
  note.clear();
  const std::uint64_t zeros[] = {0, 0};
  EXPECT_TRUE(s.symbolize(getpid(), zeros, 0, {}, &note).empty());
  EXPECT_EQ(note, "no user stack");
}

TEST(Symbolizer, AStackStaysNamedAfterItsProcessExits) {
  Child child;
  ASSERT_GT(child.pid(), 0);
  const auto ours = maps_lines(getpid(), "/libc.so.6");
  const auto theirs = maps_lines(child.pid(), "/libc.so.6");
  ASSERT_FALSE(ours.empty());
  ASSERT_FALSE(theirs.empty());
  // connect in the child's libc: the same offset from a different base.
  const std::uint64_t addr = address_of("connect") - start_of(ours.front()) + start_of(theirs.front());
  const std::uint64_t ips[] = {addr};
  Symbolizer s;
  const auto alive = s.symbolize(static_cast<std::uint32_t>(child.pid()), ips, 0, {});
  ASSERT_EQ(alive.size(), 1u);
  EXPECT_EQ(alive[0].symbol, "connect");
  const auto pid = static_cast<std::uint32_t>(child.pid());
  child.stop();
  EXPECT_EQ(s.symbolize(pid, ips, 0, {}), alive);

  // Forgotten, and gone: nothing is known of the address but itself.
  s.forget(pid);
  const auto gone = s.symbolize(pid, ips, 0, {});
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], bare(addr));
  // A pid no kernel gives (above PID_MAX_LIMIT).
  EXPECT_EQ(s.symbolize(4'194'305, ips, 0, {}), (std::vector<Frame>{bare(addr)}));
}

TEST(Symbolizer, NamesJitCodeFromThePerfMap) {
  Child child;
  ASSERT_GT(child.pid(), 0);
  // The child's /proc/PID/root/tmp is this /tmp (one mount namespace), and
  // 0x10000 is in none of its mappings.
  const std::string map = "/tmp/perf-" + std::to_string(child.pid()) + ".map";
  std::ofstream(map) << "0x9000 0x100 js:other\n10000 100 js:startBillingListener /srv/listen.js:2:30\n";
  Symbolizer s;
  const std::uint64_t ips[] = {0x10010, 0x10100};
  auto frames = s.symbolize(static_cast<std::uint32_t>(child.pid()), ips, 0, {});
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].module, "[perf-map]");
  EXPECT_EQ(frames[0].symbol, "js:startBillingListener /srv/listen.js:2:30");
  EXPECT_EQ(frames[0].symbol_offset, 0x10u);
  EXPECT_EQ(frame_text(frames[0]), "js:startBillingListener /srv/listen.js:2:30 (JIT)");
  // 0x10100 is a return address: 0x100ff was looked up, in the function.
  EXPECT_EQ(frames[1].symbol, "js:startBillingListener /srv/listen.js:2:30");

  // Code compiled since: the map grew, and is read again.
  std::ofstream(map, std::ios::app) << "20000 10 js:later\n";
  const std::uint64_t later[] = {0x20004};
  frames = s.symbolize(static_cast<std::uint32_t>(child.pid()), later, 0, {});
  fs::remove(map);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].symbol, "js:later");
}

TEST(Symbolizer, FindsAFileThroughTheProcessRootWhereTheHostHasNone) {
  const std::string libc = libc_path();
  ASSERT_FALSE(libc.empty());
  FakeProc proc;
  const std::uint32_t pid = 4242;
  // The container's libc is at /opt/app/libc.so.6, which the host lacks.
  const fs::path rootfs = proc.pid_dir(pid) / "rootfs";
  fs::create_directories(rootfs / "opt/app");
  fs::copy_file(libc, rootfs / "opt/app/libc.so.6");
  fs::create_directory_symlink("rootfs", proc.pid_dir(pid) / "root");
  proc.write(pid, "maps", libc_maps_as("/opt/app/libc.so.6"));
  proc.write(pid, "status", "Name:\tapp\nNSpid:\t4242\t7\n");
  ASSERT_FALSE(fs::exists("/opt/app/libc.so.6"));

  Symbolizer s({.proc = proc.root()});
  const std::uint64_t ips[] = {address_of("connect")};
  const auto frames = s.symbolize(pid, ips, 0, {});
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].module, "/opt/app/libc.so.6");  // as the process sees it
  EXPECT_EQ(frames[0].symbol, "connect");
}

TEST(Symbolizer, FindsADeletedFileThroughMapFiles) {
  const std::string libc = libc_path();
  ASSERT_FALSE(libc.empty());
  FakeProc proc;
  const std::uint32_t pid = 4243;
  fs::create_directories(proc.pid_dir(pid) / "root");
  fs::create_directories(proc.pid_dir(pid) / "map_files");
  const std::string maps = libc_maps_as("/usr/lib/libgone.so.1 (deleted)");
  proc.write(pid, "maps", maps);
  // map_files names each mapping by its range.
  std::istringstream lines(maps);
  for (std::string line; std::getline(lines, line);)
    fs::create_symlink(libc, proc.pid_dir(pid) / "map_files" / line.substr(0, line.find(' ')));

  Symbolizer s({.proc = proc.root()});
  const std::uint64_t ips[] = {address_of("connect")};
  const auto frames = s.symbolize(pid, ips, 0, {});
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].module, "/usr/lib/libgone.so.1 (deleted)");
  EXPECT_EQ(frames[0].symbol, "connect");
}

TEST(Symbolizer, SaysThatPythonShowsTheInterpretersFrames) {
  const std::string libc = libc_path();
  ASSERT_FALSE(libc.empty());
  FakeProc proc;
  const std::uint32_t pid = 4244;
  fs::create_directories(proc.pid_dir(pid) / "rootfs/usr/lib");
  fs::copy_file(libc, proc.pid_dir(pid) / "rootfs/usr/lib/libpython3.11.so.1.0");
  fs::create_directory_symlink("rootfs", proc.pid_dir(pid) / "root");
  proc.write(pid, "maps", libc_maps_as("/usr/lib/libpython3.11.so.1.0"));

  Symbolizer s({.proc = proc.root()});
  const std::uint64_t ips[] = {address_of("connect")};
  std::string note;
  const auto frames = s.symbolize(pid, ips, 0, {}, &note);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_NE(note.find("Python shows the interpreter's frames: Python 3.12+ names its own with -X perf"),
            std::string::npos)
      << note;
}
