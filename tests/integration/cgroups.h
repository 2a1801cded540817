// Cgroups for integration scenarios: the cgroup2 mount, and a child cgroup
// shaped like a Docker container's, made and removed by the test.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tcpfsm::itest {

// The cgroup2 mount, from mountinfo (hybrid hosts have it below
// /sys/fs/cgroup); "" when there is none.
std::string cgroup2_mount_point();

// A cgroup shaped like a Docker container's (systemd driver):
// MOUNT/system.slice/docker-ID.scope, ID 64 hex digits that begin with
// id_prefix and end with this process's pid.
class DockerCgroup {
 public:
  DockerCgroup(const std::string& mount, const std::string& id_prefix);
  ~DockerCgroup();
  DockerCgroup(const DockerCgroup&) = delete;
  DockerCgroup& operator=(const DockerCgroup&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& id() const { return id_; }
  std::string path() const { return dir_.substr(mount_.size()); }  // below the mount
  std::uint64_t cgroup_id() const;                                  // its inode
  // `command` run in this cgroup: joined in a shell before anything enters
  // another namespace (`ip netns exec` remounts /sys, cgroup2 included).
  std::vector<std::string> run(const std::vector<std::string>& command) const;

 private:
  std::string mount_, slice_, dir_, id_;
  bool made_slice_ = false;
};

}  // namespace tcpfsm::itest
