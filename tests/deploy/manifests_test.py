#!/usr/bin/python3
"""deploy/kubernetes/ (the DaemonSet, the NetworkPolicy example) and
deploy/Containerfile, checked without
a cluster or a container runtime (neither can run here): the YAML parses, the
DaemonSet has the settings docs/deploy.md promises, its capabilities are the
systemd unit's, and every tcpfsm option it and the Containerfile pass is one
the binary has. Usage: tests/deploy/manifests_test.py [TCPFSM]"""
import os
import re
import subprocess
import sys

import yaml  # Debian: python3-yaml

repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
tcpfsm = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "build", "tcpfsm")
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)


docs = list(yaml.safe_load_all(open(os.path.join(repo, "deploy/kubernetes/daemonset.yaml"))))
kinds = {d["kind"]: d for d in docs if d}
check(set(kinds) == {"Namespace", "DaemonSet"}, f"daemonset.yaml holds {sorted(kinds)}")
ns, ds = kinds["Namespace"], kinds["DaemonSet"]
check(ns["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") == "privileged",
      "namespace: pod-security enforce=privileged")
check(ds["apiVersion"] == "apps/v1" and ds["metadata"]["namespace"] == ns["metadata"]["name"], "DaemonSet in the namespace")
check(ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items(),
      "selector matches the pod labels")
pod = ds["spec"]["template"]["spec"]
ann = ds["spec"]["template"]["metadata"]["annotations"]
check(ann == {"prometheus.io/scrape": "true", "prometheus.io/port": "9464", "prometheus.io/path": "/metrics"},
      f"scrape annotations: {ann}")
check(pod.get("hostPID") is True, "hostPID: true")
check(pod.get("hostNetwork") is False, "hostNetwork: false")
check(pod.get("automountServiceAccountToken") is False, "no service account token")
(c,) = pod["containers"]
sc = c["securityContext"]
check(sc.get("privileged") is False and sc.get("allowPrivilegeEscalation") is False, "not privileged, no escalation")
check(sc.get("readOnlyRootFilesystem") is True, "read-only root filesystem")
check(sc["capabilities"]["drop"] == ["ALL"], "drops ALL capabilities")
unit = open(os.path.join(repo, "deploy/systemd/tcpfsm.service")).read()
unit_caps = re.search(r"^AmbientCapabilities=(.*)$", unit, re.M).group(1).split()
check(sorted(sc["capabilities"]["add"]) == sorted(x.removeprefix("CAP_") for x in unit_caps),
      f"adds the unit's capabilities {unit_caps}: {sc['capabilities']['add']}")
check(all(m.get("readOnly") is True for m in c.get("volumeMounts", [])), "every volume mount is read-only")
paths = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
check(set(paths.values()) == {"/sys/kernel/btf", "/sys/fs/cgroup", "/sys/kernel/tracing"}, f"host paths: {paths}")
res = c["resources"]
check({"cpu", "memory"} <= set(res["requests"]) and "memory" in res["limits"], f"resources: {res}")
check([p["containerPort"] for p in c["ports"]] == [9464], "container port 9464")
check("--metrics=$(POD_IP):9464" in c["args"], "--metrics on the pod's IP only, port 9464")
env = {e["name"]: e for e in c.get("env", [])}
check(env.get("POD_IP", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "status.podIP",
      "POD_IP from the downward API")
for probe in ("readinessProbe", "livenessProbe"):
    check(c[probe]["httpGet"]["path"] == "/healthz", f"{probe} on /healthz (no socket dump per probe)")

# The NetworkPolicy example admits Prometheus alone, to the metrics port of
# the DaemonSet's pods.
(np,) = [d for d in yaml.safe_load_all(open(os.path.join(repo, "deploy/kubernetes/networkpolicy.yaml"))) if d]
check(np["kind"] == "NetworkPolicy" and np["metadata"]["namespace"] == ns["metadata"]["name"],
      "NetworkPolicy in the namespace")
check(np["spec"]["podSelector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items(),
      "NetworkPolicy selects the DaemonSet's pods")
check(np["spec"]["policyTypes"] == ["Ingress"], "NetworkPolicy: ingress")
(rule,) = np["spec"]["ingress"]
check(rule["ports"] == [{"protocol": "TCP", "port": 9464}], f"NetworkPolicy: port 9464 only: {rule['ports']}")
check(all(f.get("podSelector") and f.get("namespaceSelector") for f in rule["from"]),
      "NetworkPolicy: from Prometheus's pods in its namespace, nothing wider")

# Every option passed to tcpfsm is one that `tcpfsm trace --help` lists.
help_text = subprocess.run([tcpfsm, "trace", "--help"], capture_output=True, text=True, check=True).stdout
known = set(re.findall(r"(?<![\w-])(--?[A-Za-z0-9][-A-Za-z0-9]*)", help_text))
containerfile = open(os.path.join(repo, "deploy/Containerfile")).read()
cmd = yaml.safe_load(re.search(r"^CMD (\[.*\])$", containerfile, re.M).group(1))
for source, args in (("DaemonSet args", c["args"]), ("Containerfile CMD", cmd)):
    check(args[0] == "trace", f"{source} runs tcpfsm trace")
    for a in args[1:]:
        if a.startswith("--metrics="):
            # The address, after Kubernetes expands $(POD_IP), as tcpfsm parses it.
            addr = a.split("=", 1)[1].replace("$(POD_IP)", "10.244.1.7")
            r = subprocess.run([tcpfsm, "trace", "--metrics", addr, "--help"], capture_output=True, text=True)
            check(r.returncode == 0, f"{source}: {a}: {r.stderr.strip()}")
        if a.startswith("-"):
            check(a.split("=")[0] in known, f"{source}: {a} is not an option of {tcpfsm} trace")
check("--metrics=127.0.0.1:9464" in cmd, f"Containerfile CMD serves metrics on loopback only: {cmd}")
froms = re.findall(r"^FROM (\S+)", containerfile, re.M)
check(froms and all(re.search(r"debian:12(-slim)?$", f) for f in froms), f"Containerfile: Debian 12 stages {froms}")
check('ENTRYPOINT ["/usr/bin/tcpfsm"]' in containerfile, "Containerfile runs the packaged /usr/bin/tcpfsm")

print(f"manifests_test: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
