// Container, pod and QoS class from cgroup v2 paths, in the shapes Docker,
// containerd, CRI-O, Podman, systemd-machined and the kubelet really create,
// and paths that only look like them.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "common/container.h"

using namespace tcpfsm;

namespace {

const std::string kId = "63f9f8a891f98d7765b44a6ec7adacb2baffcbcc5ddd7f4f2b956c5ff3617b82";
const std::string kId2 = "cf0e74a15ad6c91386c2e9103c34341c2127eb00aef1813b982ba19ac6430430";
const std::string kPod = "b54af07d-2889-44c9-93b2-cab1e085095a";
const std::string kPodSystemd = "b54af07d_2889_44c9_93b2_cab1e085095a";  // as the systemd driver spells it
const std::string kStaticPod = "f2ca554dbc9530b94dddbc4aac777afe";      // a static pod's manifest hash

// runtime/id/pod_uid/qos, or "none".
std::string got(const std::string& path) {
  const auto c = container_of(path);
  if (!c) return "none";
  return c->runtime + "/" + c->id + "/" + c->pod_uid + "/" + c->qos;
}

std::string expect(const std::string& runtime, const std::string& id, const std::string& pod = "",
                   const std::string& qos = "") {
  return runtime + "/" + id + "/" + pod + "/" + qos;
}

}  // namespace

TEST(ContainerOf, DockerCgroupfsDriver) {
  EXPECT_EQ(got("/docker/" + kId), expect("docker", kId));
}

TEST(ContainerOf, DockerSystemdDriver) {
  EXPECT_EQ(got("/system.slice/docker-" + kId + ".scope"), expect("docker", kId));
  // systemd running inside the container moves itself to init.scope.
  EXPECT_EQ(got("/system.slice/docker-" + kId + ".scope/init.scope"), expect("docker", kId));
  // Rootless Docker, in the user's systemd instance.
  EXPECT_EQ(got("/user.slice/user-1000.slice/user@1000.service/user.slice/docker-" + kId + ".scope"),
            expect("docker", kId));
}

TEST(ContainerOf, ContainerdUnderKubeletSystemdDriver) {
  EXPECT_EQ(got("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kPodSystemd +
                ".slice/cri-containerd-" + kId + ".scope"),
            expect("containerd", kId, kPod, "burstable"));
  EXPECT_EQ(got("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kPodSystemd +
                ".slice/cri-containerd-" + kId + ".scope"),
            expect("containerd", kId, kPod, "besteffort"));
  // Guaranteed pods sit directly under kubepods.slice.
  EXPECT_EQ(got("/kubepods.slice/kubepods-pod" + kPodSystemd + ".slice/cri-containerd-" + kId + ".scope"),
            expect("containerd", kId, kPod, "guaranteed"));
  // A static pod (kube-apiserver & co.): its UID is a 32-digit hash.
  EXPECT_EQ(got("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kStaticPod +
                ".slice/cri-containerd-" + kId + ".scope"),
            expect("containerd", kId, kStaticPod, "burstable"));
  // kind: a kubelet with cgroup root /kubelet.
  EXPECT_EQ(got("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
                "kubelet-kubepods-besteffort-pod" + kPodSystemd + ".slice/cri-containerd-" + kId + ".scope"),
            expect("containerd", kId, kPod, "besteffort"));
}

TEST(ContainerOf, KubeletCgroupfsDriver) {
  EXPECT_EQ(got("/kubepods/burstable/pod" + kPod + "/" + kId), expect("cri", kId, kPod, "burstable"));
  EXPECT_EQ(got("/kubepods/besteffort/pod" + kPod + "/" + kId), expect("cri", kId, kPod, "besteffort"));
  EXPECT_EQ(got("/kubepods/pod" + kPod + "/" + kId), expect("cri", kId, kPod, "guaranteed"));
  EXPECT_EQ(got("/kubepods/burstable/pod" + kStaticPod + "/" + kId), expect("cri", kId, kStaticPod, "burstable"));
  // k3s/kind with a cgroup root of their own.
  EXPECT_EQ(got("/kubelet/kubepods/burstable/pod" + kPod + "/" + kId), expect("cri", kId, kPod, "burstable"));
}

TEST(ContainerOf, DockerUnderDockershim) {
  EXPECT_EQ(got("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kPodSystemd +
                ".slice/docker-" + kId + ".scope"),
            expect("docker", kId, kPod, "burstable"));
}

TEST(ContainerOf, CriO) {
  EXPECT_EQ(got("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kPodSystemd +
                ".slice/crio-" + kId + ".scope"),
            expect("crio", kId, kPod, "burstable"));
  EXPECT_EQ(got("/kubepods/besteffort/pod" + kPod + "/crio-" + kId), expect("crio", kId, kPod, "besteffort"));
  // conmon, CRI-O's monitor beside the container, is not the container.
  EXPECT_EQ(got("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kPodSystemd +
                ".slice/crio-conmon-" + kId + ".scope"),
            "none");
}

TEST(ContainerOf, Podman) {
  EXPECT_EQ(got("/machine.slice/libpod-" + kId + ".scope"), expect("podman", kId));
  EXPECT_EQ(got("/machine.slice/libpod-" + kId + ".scope/container"), expect("podman", kId));
  EXPECT_EQ(got("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope"),
            expect("podman", kId));
  // A container of a podman pod: the pod's slice is no machined machine.
  EXPECT_EQ(got("/machine.slice/machine-libpod_pod_" + kId2 + ".slice/libpod-" + kId + ".scope"),
            expect("podman", kId));
  EXPECT_EQ(got("/libpod_parent/libpod-" + kId), expect("podman", kId));  // cgroupfs manager
  EXPECT_EQ(got("/machine.slice/libpod-conmon-" + kId + ".scope"), "none");
  EXPECT_EQ(got("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-conmon-" + kId + ".scope"), "none");
}

TEST(ContainerLabel, RuntimeAndShortId) {
  EXPECT_EQ(container_label({"docker", std::string(64, 'f'), "", ""}), "docker:ffffffffffff");
  EXPECT_EQ(container_label({"machined", "vm", "", ""}), "machined:vm");
}

TEST(ContainerOf, Machined) {
  EXPECT_EQ(got("/machine.slice/machine-web.scope"), expect("machined", "web"));
  EXPECT_EQ(got("/machine.slice/machine-debian\\x2dbox.scope/payload"), expect("machined", "debian-box"));
  EXPECT_EQ(got("/machine.slice/machine-qemu\\x2d1\\x2dwin10.scope"), expect("machined", "qemu-1-win10"));
  EXPECT_EQ(got("/machine.slice/systemd-nspawn@debian\\x2dbox.service/payload"), expect("machined", "debian-box"));
  // Only machined's own slice: anyone can name a unit machine-x.scope.
  EXPECT_EQ(got("/user.slice/user-1000.slice/user@1000.service/app.slice/machine-x.scope"), "none");
  EXPECT_EQ(got("/machine.slice/machine-.scope"), "none");
}

TEST(ContainerOf, NestedContainersGiveTheOutermost) {
  EXPECT_EQ(got("/system.slice/docker-" + kId + ".scope/docker/" + kId2), expect("docker", kId));
  EXPECT_EQ(got("/kubepods/burstable/pod" + kPod + "/" + kId + "/docker/" + kId2),
            expect("cri", kId, kPod, "burstable"));
}

TEST(ContainerOf, SystemdUnitsAreNotContainers) {
  EXPECT_EQ(got("/system.slice/nginx.service"), "none");
  EXPECT_EQ(got("/system.slice/docker.service"), "none");
  EXPECT_EQ(got("/system.slice/containerd.service"), "none");
  EXPECT_EQ(got("/system.slice/system-getty.slice/getty@tty1.service"), "none");
  EXPECT_EQ(got("/user.slice/user-1000.slice/session-3.scope"), "none");
  EXPECT_EQ(got("/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox-1234.scope"), "none");
  EXPECT_EQ(got("/init.scope"), "none");
  EXPECT_EQ(got("/"), "none");
  EXPECT_EQ(got(""), "none");
}

TEST(ContainerOf, IdsAreStrict) {
  EXPECT_EQ(got("/system.slice/docker-" + kId.substr(1) + ".scope"), "none");  // 63 digits
  EXPECT_EQ(got("/system.slice/docker-" + kId + "0.scope"), "none");           // 65
  std::string upper = kId;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(got("/system.slice/docker-" + upper + ".scope"), "none");
  EXPECT_EQ(got("/docker/" + upper), "none");
  std::string not_hex = kId;
  not_hex[10] = 'g';
  EXPECT_EQ(got("/system.slice/cri-containerd-" + not_hex + ".scope"), "none");
  EXPECT_EQ(got("/docker/my-web-server"), "none");
  EXPECT_EQ(got("/docker/" + kId.substr(0, 12)), "none");  // the short id docker ps shows
  EXPECT_EQ(got("/system.slice/docker-" + kId), "none");    // no .scope
  EXPECT_EQ(got("/system.slice/docker-" + kId + ".service"), "none");
  EXPECT_EQ(got("/docker-" + kId + ".scope.bak"), "none");
}

TEST(ContainerOf, BareIdsNeedDockerOrAPodAbove) {
  EXPECT_EQ(got("/" + kId), "none");
  EXPECT_EQ(got("/system.slice/" + kId), "none");
  EXPECT_EQ(got("/mydocker/" + kId), "none");
  EXPECT_EQ(got("/other/burstable/pod" + kPod + "/" + kId), "none");  // not under kubepods
  EXPECT_EQ(got("/kubepods/burstable/podnot-a-uid/" + kId), "none");
  EXPECT_EQ(got("/kubepods/burstable/pod" + kPodSystemd + "/" + kId), "none");  // underscores: systemd's spelling
}

TEST(ContainerOf, MalformedPodKeepsTheContainerOnly) {
  // The container's own name is enough; a pod slice that is not one adds nothing.
  EXPECT_EQ(got("/kubepods.slice/kubepods-guaranteed-pod" + kPodSystemd + ".slice/cri-containerd-" + kId + ".scope"),
            expect("containerd", kId));
  EXPECT_EQ(got("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kPod +  // dashes: cgroupfs spelling
                ".slice/cri-containerd-" + kId + ".scope"),
            expect("containerd", kId));
  std::string upper_pod = kPodSystemd;
  upper_pod[0] = 'B';
  EXPECT_EQ(got("/kubepods.slice/kubepods-pod" + upper_pod + ".slice/cri-containerd-" + kId + ".scope"),
            expect("containerd", kId));
}

TEST(ContainerOf, PodWithoutContainerIsNone) {
  EXPECT_EQ(got("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kPodSystemd + ".slice"), "none");
  EXPECT_EQ(got("/kubepods/burstable/pod" + kPod), "none");
  EXPECT_EQ(got("/kubepods.slice"), "none");
}

TEST(ContainerOf, SlashesAreForgiving) {
  EXPECT_EQ(got("system.slice/docker-" + kId + ".scope"), expect("docker", kId));
  EXPECT_EQ(got("//docker//" + kId + "/"), expect("docker", kId));
}
