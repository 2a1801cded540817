// Which container, if any, a cgroup v2 path names. Every traced transition
// carries its socket's cgroup (as a path relative to the cgroup2 mount, see
// kernel/cgroup.h), and the container runtimes and the kubelet encode the
// container id, and for Kubernetes the pod UID and QoS class, in the names
// of the cgroups they create. Pure string parsing: no runtime is asked, so
// it works for every runtime on the host, for containers that already
// exited, and without any socket or privilege. Ids are matched strictly
// (64 lowercase hex digits for Docker, containerd, CRI-O and Podman) so
// that a service or directory that merely looks similar is not taken for
// a container.
//
// Shapes recognised (any cgroups below the container's own are allowed:
// systemd inside a container moves itself to .../init.scope, crun and
// docker-in-docker make sub-cgroups):
//   docker      /docker/<id>                          (cgroupfs driver)
//               /system.slice/docker-<id>.scope       (systemd driver, also
//               rootless under user@UID.service, and dockershim pods)
//   containerd  .../cri-containerd-<id>.scope         (CRI, systemd driver)
//   crio        .../crio-<id>.scope, .../crio-<id>    (systemd, cgroupfs)
//   podman      .../libpod-<id>.scope, .../libpod-<id>  (system, rootless
//               in user@UID.service, and cgroupfs under /libpod_parent)
//   cri         /kubepods/<qos>/pod<uid>/<id>         (kubelet's cgroupfs
//               driver: the bare id says nothing of the runtime, which is
//               containerd or cri-dockerd)
//   machined    /machine.slice/machine-<name>.scope   (systemd-nspawn and
//               VMs registered with systemd-machined, e.g. libvirt's
//               machine-qemu\x2d1\x2dvm.scope), and
//               /machine.slice/systemd-nspawn@<name>.service
//               (machinectl start); the name unescaped ("\x2d" -> "-").
//               Only directly in machine.slice: any user may start a unit
//               called machine-x.scope elsewhere.
// The Kubernetes pod comes from the cgroup just above the container's:
//   systemd driver  kubepods[-<qos>]-pod<uid with '_' for '-'>.slice, under
//                   any cgroup root (kind: kubelet-kubepods-...-pod<uid>.slice)
//   cgroupfs driver kubepods/[<qos>/]pod<uid>
// The pod UID is a UUID, or 32 hex digits for a static pod (the kubelet's
// hash of its manifest).
//
// Not containers (nullopt):
// - plain systemd units: /system.slice/nginx.service, /user.slice/...,
//   /init.scope. A service may well run in its own cgroup, but it is the
//   host's: its path already says which service it is.
// - conmon, the monitor CRI-O and Podman run beside each container, in
//   crio-conmon-<id>.scope and libpod-conmon-<id>.scope: it is outside the
//   container (its own process, not the container's namespaces), and its
//   sockets are not the container's.
// - a pod's own cgroup with no container below it.
// - nested containers: the outermost container wins (the one the host's
//   runtime knows, whose id `docker ps` or `crictl ps` on the host shows).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tcpfsm {

struct ContainerRef {
  std::string runtime;  // "docker", "containerd", "crio", "podman", "cri", "machined"
  std::string id;       // 64 lowercase hex digits; for machined, the machine name
  std::string pod_uid;  // Kubernetes pod UID with dashes; "" outside Kubernetes
  std::string qos;      // "guaranteed", "burstable", "besteffort"; "" outside Kubernetes
};

// "docker:0123456789ab": the runtime and the id's first 12 characters, as
// `docker ps` shortens it (a machined name may need escaping).
std::string container_label(const ContainerRef& c);

// The container a cgroup v2 path (relative to the mount: "/system.slice/
// docker-<id>.scope") belongs to, or nullopt when it names none.
std::optional<ContainerRef> container_of(std::string_view cgroup_path);

}  // namespace tcpfsm
