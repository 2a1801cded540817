#include "cgroups.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace tcpfsm::itest {

std::string cgroup2_mount_point() {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);)
    if (line.find(" - cgroup2 ") != std::string::npos) {
      std::istringstream f(line);
      std::string id, parent, dev, root, point;
      f >> id >> parent >> dev >> root >> point;
      return point;
    }
  return "";
}

DockerCgroup::DockerCgroup(const std::string& mount, const std::string& id_prefix) : mount_(mount) {
  slice_ = mount + "/system.slice";
  made_slice_ = mkdir(slice_.c_str(), 0755) == 0;
  id_ = id_prefix + std::string(64 - id_prefix.size(), '0');
  const std::string pid = std::to_string(getpid());
  id_.replace(id_.size() - pid.size(), pid.size(), pid);
  dir_ = slice_ + "/docker-" + id_ + ".scope";
  mkdir(dir_.c_str(), 0755);
}

DockerCgroup::~DockerCgroup() {
  rmdir(dir_.c_str());
  if (made_slice_) rmdir(slice_.c_str());
}

std::uint64_t DockerCgroup::cgroup_id() const {
  struct stat st{};
  return stat(dir_.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::vector<std::string> DockerCgroup::run(const std::vector<std::string>& command) const {
  std::string sh = "echo $$ > " + dir_ + "/cgroup.procs && exec";
  for (const auto& a : command) sh += " '" + a + "'";
  return {"sh", "-c", sh};
}

}  // namespace tcpfsm::itest
