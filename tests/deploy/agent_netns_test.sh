#!/usr/bin/env bash
# The agent as deployed sees a CLOSE_WAIT leak in another network namespace:
# the unit's own ExecStart (its --metrics address, -f none, no log), as user
# nobody with exactly the unit's capabilities (no CAP_SYS_ADMIN: it cannot
# enter other namespaces), in a network namespace of its own (a pod without
# hostNetwork), while a server in a second namespace, in a cgroup shaped as
# the kubelet makes a container's (/kubepods/besteffort/pod<uid>/<id>), leaks
# five sockets in CLOSE_WAIT. A real Prometheus in the agent's namespace
# scrapes it with the shipped rules (deploy/prometheus/tcpfsm.rules.yml; the
# 10-minute age threshold made 1 s, `for:` 0 s) and must fire
# TcpfsmCloseWaitLeak for that process, container, pod and port.
# Checks, on /metrics: the exact count, the labels, tcpfsm_netns saying the
# other namespace was read through the sockets processes hold.
# Needs root (namespaces, cgroups, users); SKIPPED without it, FAILED then
# under CI=true.
#
# Usage: tests/deploy/agent_netns_test.sh [TCPFSM [UNIT]]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
tcpfsm="$(realpath "${1:-$repo/build/tcpfsm}")"
unit="$(realpath "${2:-$repo/deploy/systemd/tcpfsm.service}")"
rules="$repo/deploy/prometheus/tcpfsm.rules.yml"
name=agent_netns_test
. "$repo/tests/deploy/lib.sh"
require_root "make network namespaces and cgroups and switch users"
require_tools setpriv unshare nsenter ip curl prometheus python3
cg2="$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)"
[ -n "$cg2" ] || { echo "$name: FAILED: no cgroup2 mount (/proc/mounts)" >&2; exit 1; }

tmp="$(mktemp -d /tmp/tcpfsm-agent-netns.XXXXXX)"
chmod 0755 "$tmp"
leak_ns="tcpfsm-leak-$$"
pod_uid="6f1c2d3e-4a5b-4c6d-8e7f-$(printf '%012d' $$)"
container_id="$(printf "tcpfsm-agent-netns-%s" $$ | sha256sum | cut -c1-64)"
cgroup="$cg2/kubepods/besteffort/pod$pod_uid/$container_id"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$leak_ns" 2>/dev/null || true
  rmdir "$cgroup" "$cg2/kubepods/besteffort/pod$pod_uid" 2>/dev/null || true
  rmdir "$cg2/kubepods/besteffort" "$cg2/kubepods" 2>/dev/null || true  # only if nothing else is there
  rm -rf "$tmp"
}
trap cleanup EXIT

py=/usr/bin/python3
set_caps="$(unit_setpriv_caps)"
caps="$(unit_values AmbientCapabilities | paste -sd, -)"
if grep -qi sys_admin <<<"$caps"; then
  fail "the unit grants CAP_SYS_ADMIN: this test is about an agent without it"
fi

# The leak: a server in its own namespace and cgroup (joined before the
# namespace is entered: `ip netns exec` remounts /sys) that accepts five
# connections and never closes them; five clients there connect and close.
ip netns add "$leak_ns"
ip -n "$leak_ns" link set lo up
mkdir -p "$cgroup"
port=8080
server_py='
import socket, sys, time
open("/proc/self/comm", "w").write("leaky-server")
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1]))); ls.listen()
print("listening", flush=True)
held = [ls.accept()[0] for _ in range(5)]
print("accepted", flush=True)
time.sleep(300)'
client_py='
import socket, sys
for _ in range(5):
    socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()'
sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cgroup" \
  ip netns exec "$leak_ns" setpriv --reuid=daemon --regid=daemon --clear-groups "$py" -c "$server_py" "$port" \
  >"$tmp/server.out" &
server_pid=$!
pids+=("$server_pid")
for _ in $(seq 100); do grep -q listening "$tmp/server.out" && break; sleep 0.1; done
grep -q listening "$tmp/server.out" || { echo "$name: FAILED: the leaking server did not start" >&2; exit 1; }

# The agent: the unit's ExecStart as nobody with the unit's capabilities,
# in a network namespace of its own, its log in a directory it owns.
exec_start="$(sed -nE 's/^ExecStart=//p' "$unit")"
# The metrics' address as /etc/default/tcpfsm sets it (not the default), to
# show that setting reaches the agent.
TCPFSM_METRICS=127.0.0.1:19464
# As systemd expands it: the unit's Environment= default, unless
# /etc/default/tcpfsm sets TCPFSM_METRICS (TCPFSM_METRICS here stands for that).
exec_start="${exec_start//\$\{TCPFSM_METRICS\}/${TCPFSM_METRICS:-$(sed -nE 's/^Environment=TCPFSM_METRICS=//p' "$unit")}}"
metrics_addr="$(sed -nE 's/.*--metrics ([^ ]+).*/\1/p' <<<"$exec_start")"
[ "$metrics_addr" = "$TCPFSM_METRICS" ] ||
  { echo "$name: FAILED: the unit's ExecStart does not take --metrics from TCPFSM_METRICS: $exec_start" >&2; exit 1; }
mkdir -p "$tmp/log" && chown nobody:nogroup "$tmp/log"
cp "$tcpfsm" "$tmp/tcpfsm" && chmod 0755 "$tmp/tcpfsm"
cmdline="${exec_start//\/usr\/bin\/tcpfsm/$tmp/tcpfsm}"
cmdline="${cmdline//\/var\/log\/tcpfsm/$tmp/log}"
cmdline="${cmdline//\$TCPFSM_OPTS/--stuck-age 1s}"
read -r -a argv <<<"$cmdline"
# Before Linux 5.11 the BPF maps count against RLIMIT_MEMLOCK: the unit's
# LimitMEMLOCK=infinity, where this shell may raise it.
[ "$(unit_values LimitMEMLOCK)" = infinity ] && prlimit --pid $$ --memlock=unlimited:unlimited 2>/dev/null || true
unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
  setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs \
  --inh-caps="$set_caps" --ambient-caps="$set_caps" --bounding-set="$set_caps" -- "${argv[@]}" \
  2>"$tmp/agent.err" &
agent_pid=$!
pids+=("$agent_pid")
in_agent_ns() { nsenter -t "$agent_pid" -n "$@"; }
for _ in $(seq 100); do grep -q Tracing "$tmp/agent.err" && break; sleep 0.1; done
grep -q Tracing "$tmp/agent.err" || { echo "$name: FAILED: the agent did not start: $(cat "$tmp/agent.err")" >&2; exit 1; }
if [ "$(readlink "/proc/$agent_pid/ns/net")" != "$(readlink /proc/self/ns/net)" ] &&
  [ "$(readlink "/proc/$agent_pid/ns/net")" != "$(readlink "/proc/$server_pid/ns/net")" ]; then
  pass "the agent runs as $(ps -o user= -p "$agent_pid") in a network namespace of its own, capabilities $caps"
else
  fail "the agent shares a network namespace with this shell or the leak"
fi

# The leak happens after the agent started: five sockets into CLOSE_WAIT.
ip netns exec "$leak_ns" "$py" -c "$client_py" "$port"
for _ in $(seq 50); do grep -q accepted "$tmp/server.out" && break; sleep 0.1; done

# Scraped from inside the agent's namespace, as Prometheus would (the pod's IP).
want_labels="state=\"CLOSE_WAIT\",owner=\"leaky-server\",container=\"cri:${container_id:0:12}\",pod_uid=\"$pod_uid\",netns=\"$(stat -L -c %i "/proc/$server_pid/ns/net")\",port=\"$port\",role=\"server\""
metrics=""
for _ in $(seq 60); do
  metrics="$(in_agent_ns curl -fsS --max-time 5 "http://$metrics_addr/metrics" 2>/dev/null || true)"
  grep -qF "tcpfsm_stuck_sockets{$want_labels} 5" <<<"$metrics" && break
  sleep 0.5
done
if grep -qxF "tcpfsm_stuck_sockets{$want_labels} 5" <<<"$metrics"; then
  pass "tcpfsm_stuck_sockets{$want_labels} 5"
else
  fail "no tcpfsm_stuck_sockets{$want_labels} 5; got: $(grep '^tcpfsm_stuck_sockets' <<<"$metrics" | tr '\n' ' ')"
fi
if grep -qE "^tcpfsm_stuck_oldest_seconds\{$(sed 's/[][\.*^$]/\\&/g' <<<"$want_labels")\} [0-9.e+]+$" <<<"$metrics"; then
  pass "tcpfsm_stuck_oldest_seconds for that group: $(grep "^tcpfsm_stuck_oldest_seconds" <<<"$metrics" | awk '{print $2}' | head -1) s"
else
  fail "no tcpfsm_stuck_oldest_seconds for the group"
fi
# The state gauge counts the same namespaces as the stuck one (top's panes too).
if grep -qxF 'tcpfsm_sockets{state="CLOSE_WAIT"} 5' <<<"$metrics"; then
  pass 'tcpfsm_sockets{state="CLOSE_WAIT"} 5: the state gauge sees the other namespace too'
else
  fail "tcpfsm_sockets: $(grep '^tcpfsm_sockets{state="CLOSE_WAIT"}' <<<"$metrics")"
fi
held="$(sed -nE 's/^tcpfsm_netns\{read="held_sockets"\} ([0-9]+)$/\1/p' <<<"$metrics")"
if [ "${held:-0}" -ge 1 ]; then
  pass "tcpfsm_netns{read=\"held_sockets\"} $held: the namespaces it cannot enter are read through held sockets"
else
  fail "tcpfsm_netns: $(grep '^tcpfsm_netns' <<<"$metrics" | tr '\n' ' ')"
fi
if grep -q "cannot be entered (needs CAP_SYS_ADMIN)" "$tmp/agent.err"; then
  pass "said once on stderr: $(grep -c 'cannot be entered' "$tmp/agent.err") line"
else
  fail "stderr does not say which namespaces it cannot enter: $(cat "$tmp/agent.err")"
fi

# A real Prometheus beside the agent, with the shipped rules made to fire at once.
sed -e 's/for: [0-9a-z]*/for: 0s/' -e 's/oldest_seconds{state="CLOSE_WAIT"}) > 600/oldest_seconds{state="CLOSE_WAIT"}) > 1/' \
  "$rules" >"$tmp/rules.yml"
grep -q '> 1$' "$tmp/rules.yml" || fail "the rules' 600 s threshold was not found to shorten: $rules changed?"
cat >"$tmp/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$tmp/rules.yml"]
scrape_configs:
  - job_name: tcpfsm
    static_configs: [{targets: ["$metrics_addr"]}]
EOF
prom_port=19090
nsenter -t "$agent_pid" -n prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$tmp/prometheus.log" 2>&1 &
pids+=("$!")
alert=""
for _ in $(seq 120); do
  alert="$(in_agent_ns curl -fsS --max-time 2 "http://127.0.0.1:$prom_port/api/v1/alerts" 2>/dev/null |
    "$py" -c 'import json, sys
for a in json.load(sys.stdin)["data"]["alerts"]:
    if a["labels"]["alertname"] == "TcpfsmCloseWaitLeak" and a["state"] == "firing":
        l = a["labels"]
        print(l.get("owner"), l.get("container"), l.get("pod_uid"), l.get("port"), l.get("role"), "|", a["annotations"]["summary"])' 2>/dev/null || true)"
  [ -n "$alert" ] && break
  sleep 0.5
done
if [ "${alert%% |*}" = "leaky-server cri:${container_id:0:12} $pod_uid $port server" ]; then
  pass "Prometheus fires TcpfsmCloseWaitLeak: ${alert#*| }"
else
  fail "TcpfsmCloseWaitLeak did not fire for leaky-server's container and port: '$alert' ($(tail -3 "$tmp/prometheus.log"))"
fi

# SIGTERM, as systemd stops it: exit 0.
kill -TERM "$agent_pid"
rc=0
wait "$agent_pid" || rc=$?
if [ "$rc" -eq 0 ]; then pass "SIGTERM: exit 0"; else fail "SIGTERM: exit $rc: $(tail -3 "$tmp/agent.err")"; fi

echo "$name: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
