#!/usr/bin/env bash
# The agent as deployed, its metrics port under attack: the unit's own
# ExecStart (its log, its --metrics address), as user nobody with exactly the
# unit's capabilities and LimitNOFILE, in a network namespace of its own and
# a memory cgroup limited to 512 MiB (the DaemonSet's limit), while for 30 s
# tests/deploy/metrics_attack.py sends it a 1 GiB POST (again and again),
# 1,000 idle connections from 100 addresses, 10 clients dribbling their
# headers and 30 connections from one address; a real Prometheus beside it
# scrapes it every second and 200 connections of its own run through the
# namespace. Checks: every scrape answered (up == 1 throughout), each
# attack refused and counted (tcpfsm_http_refused_total), no OOM kill, a
# clean end on SIGTERM, and a log that loses nothing it does not count.
# Needs root (namespaces, cgroups, users); SKIPPED without it, FAILED then
# under CI=true.
#
# Usage: tests/deploy/metrics_attack_test.sh [TCPFSM [UNIT]]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
tcpfsm="$(realpath "${1:-$repo/build/tcpfsm}")"
unit="$(realpath "${2:-$repo/deploy/systemd/tcpfsm.service}")"
name=metrics_attack_test
attack_seconds=30
. "$repo/tests/deploy/lib.sh"
require_root "make network namespaces and cgroups and switch users"
require_tools setpriv unshare nsenter prlimit curl prometheus python3

# A memory cgroup: cgroup2 where it has the memory controller (unified
# hosts), else the v1 memory hierarchy (hybrid hosts, as this one).
cg2="$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)"
if [ -n "$cg2" ] && grep -qw memory "$cg2/cgroup.controllers" 2>/dev/null; then
  memcg="$cg2/tcpfsm-attack-$$"
  mkdir "$memcg"
  echo $((512 << 20)) >"$memcg/memory.max"
  echo 0 >"$memcg/memory.swap.max" 2>/dev/null || true
  peak_file=memory.peak
  oom() { sed -nE 's/^oom_kill ([0-9]+)$/\1/p' "$memcg/memory.events"; }
else
  v1="$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)"
  [ -n "$v1" ] || { echo "$name: FAILED: no memory cgroup (neither cgroup2's controller nor v1's)" >&2; exit 1; }
  memcg="$v1/tcpfsm-attack-$$"
  mkdir "$memcg"
  echo $((512 << 20)) >"$memcg/memory.limit_in_bytes"
  peak_file=memory.max_usage_in_bytes
  oom() { sed -nE 's/^oom_kill ([0-9]+)$/\1/p' "$memcg/memory.oom_control"; }
fi

tmp="$(mktemp -d /tmp/tcpfsm-attack.XXXXXX)"
chmod 0755 "$tmp"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rmdir "$memcg" 2>/dev/null || true
  [ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

py=/usr/bin/python3
set_caps="$(unit_setpriv_caps)"
nofile="$(unit_values LimitNOFILE)"
[ -n "$nofile" ] || fail "the unit sets no LimitNOFILE"

# The agent: the unit's ExecStart as nobody, its log in a directory it owns.
exec_start="$(sed -nE 's/^ExecStart=//p' "$unit")"
metrics_addr=127.0.0.1:19465
exec_start="${exec_start//\$\{TCPFSM_METRICS\}/$metrics_addr}"
mkdir -p "$tmp/log" && chown nobody:nogroup "$tmp/log"
cp "$tcpfsm" "$tmp/tcpfsm" && chmod 0755 "$tmp/tcpfsm"
cmdline="${exec_start//\/usr\/bin\/tcpfsm/$tmp/tcpfsm}"
cmdline="${cmdline//\/var\/log\/tcpfsm/$tmp/log}"
cmdline="${cmdline//\$TCPFSM_OPTS/}"
read -r -a argv <<<"$cmdline"
[ "$(unit_values LimitMEMLOCK)" = infinity ] && prlimit --pid $$ --memlock=unlimited:unlimited 2>/dev/null || true
# Joined to the memory cgroup before the namespace and the user change.
sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$memcg" \
  prlimit --nofile="${nofile:-1024}:${nofile:-1024}" \
  unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
  setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs \
  --inh-caps="$set_caps" --ambient-caps="$set_caps" --bounding-set="$set_caps" -- "${argv[@]}" \
  2>"$tmp/agent.err" &
agent_pid=$!
pids+=("$agent_pid")
in_ns() { nsenter -t "$agent_pid" -n "$@"; }
for _ in $(seq 100); do grep -q Tracing "$tmp/agent.err" && break; sleep 0.1; done
grep -q Tracing "$tmp/agent.err" || { echo "$name: FAILED: the agent did not start: $(cat "$tmp/agent.err")" >&2; exit 1; }
echo "  the agent: user $(ps -o user= -p "$agent_pid"), capabilities $set_caps, LimitNOFILE $nofile, memory limit 512 MiB"

# A real Prometheus in the agent's namespace, scraping it every second.
cat >"$tmp/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: tcpfsm
    static_configs: [{targets: ["$metrics_addr"]}]
EOF
prom_port=19091
nsenter -t "$agent_pid" -n prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!
pids+=("$prom_pid")
# Through Prometheus's hold on the namespace: it outlives an agent that dies.
query() {
  nsenter -t "$prom_pid" -n curl -fsS --max-time 5 "http://127.0.0.1:$prom_port/api/v1/query" \
    --data-urlencode "query=$1" | "$py" -c 'import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "none")
except ValueError:
    print("none")'
}
for _ in $(seq 100); do [ "$(query 'up{job="tcpfsm"}' 2>/dev/null || true)" = 1 ] && break; sleep 0.3; done
[ "$(query 'up{job="tcpfsm"}')" = 1 ] || { echo "$name: FAILED: Prometheus never scraped the agent" >&2; exit 1; }

# Connections of its own while the attack goes on: 200 to a server that
# answers and closes, one every 0.1 s.
traffic_py='
import socket, sys, threading, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 8081)); ls.listen(64)
def serve():
    for _ in range(200):
        c, _ = ls.accept(); c.sendall(b"hi"); c.close()
t = threading.Thread(target=serve); t.start()
for _ in range(200):
    s = socket.create_connection(("127.0.0.1", 8081)); s.recv(2); s.close(); time.sleep(0.1)
t.join()'
in_ns "$py" -c "$traffic_py" &
traffic_pid=$!
pids+=("$traffic_pid")

began=$(date +%s)
attack="$(nsenter -t "$prom_pid" -n "$py" "$repo/tests/deploy/metrics_attack.py" "${metrics_addr##*:}" "$attack_seconds")"
lasted=$(($(date +%s) - began))
wait "$traffic_pid" || fail "the test's own connections failed"
echo "  the attack ($lasted s): $attack"
sleep 2  # a scrape after the attack

field() { "$py" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$attack" "$1"; }
if kill -0 "$agent_pid" 2>/dev/null; then pass "the agent is alive after the attack"; else fail "the agent died: $(cat "$tmp/agent.err")"; fi
[ "$(oom)" = 0 ] && pass "no OOM kill in its memory cgroup (peak $(($(cat "$memcg/$peak_file") >> 20)) MiB of 512)" ||
  fail "OOM kills in its memory cgroup: $(oom)"

# Every scrape answered, throughout.
window="$((lasted + 2))s"
scrapes="$(query "count_over_time(up{job=\"tcpfsm\"}[$window])")"
up="$(query "sum_over_time(up{job=\"tcpfsm\"}[$window])")"
slowest="$(query "max_over_time(scrape_duration_seconds{job=\"tcpfsm\"}[$window])")"
if [ "$scrapes" != none ] && [ "$scrapes" -ge "$((lasted - 3))" ] && [ "$up" = "$scrapes" ]; then
  pass "Prometheus: $up of $scrapes scrapes in ${window} answered (slowest ${slowest} s)"
else
  fail "Prometheus: $up of $scrapes scrapes in ${window} answered (slowest ${slowest} s)"
fi

# Each attack refused, and counted by its reason.
metrics="$(nsenter -t "$prom_pid" -n curl -fsS --max-time 5 "http://$metrics_addr/metrics" || true)"
refused() { sed -nE "s/^tcpfsm_http_refused_total\\{reason=\"$1\"\\} ([0-9]+)$/\\1/p" <<<"$metrics" | grep . || echo 0; }
# 413 each time it is read; a round may see no answer at all (None): under
# the flood its connection can be cut as the oldest never answered, or the
# reset that follows the 413 (the body left unread) can reach the client
# before it reads the answer. Never any other status.
post_statuses="$(field post_status)"
[[ "$post_statuses" =~ 413 ]] && [[ "$post_statuses" =~ ^\[(413|None)(,\ (413|None))*\]$ ]] &&
  [ "$(refused body)" -ge 1 ] &&
  [ "$(field post_bytes_sent_max)" -lt $((64 << 20)) ] &&
  pass "1 GiB POSTs: 413 unread ($(refused body) times; at most $(($(field post_bytes_sent_max) >> 10)) KiB left the client, into socket buffers)" ||
  fail "POST: statuses $(field post_status), $(field post_bytes_sent_max) bytes sent, body refusals $(refused body)"
[ "$(refused evicted)" -ge 1 ] && [ "$(field idle_closed_by_server)" -ge 1 ] &&
  pass "1,000 idle connections: $(refused evicted) evicted for new ones, $(field idle_closed_by_server) closed in all" ||
  fail "idle connections: evicted $(refused evicted), closed $(field idle_closed_by_server)"
# The slow clients are cut at their deadline, or before it as the oldest
# connections when the idle ones crowd the server (the unit test shows the
# deadline alone: tests/metrics/server_test.cpp).
[ "$(field slow_cut)" -ge 10 ] && [ "$(field slow_answered)" = 0 ] &&
  pass "10 slow clients: cut off $(field slow_cut) times (deadline $(refused deadline), or evicted as the oldest), never answered" ||
  fail "slow clients: deadline $(refused deadline), answered $(field slow_answered), cut $(field slow_cut)"
# 14 over the share of 16 (the crowd comes before the flood, which later
# cuts the 16 it holds as the oldest).
[ "$(refused per_client)" = 14 ] && [ "$(field crowd_closed_by_server)" = 14 ] &&
  pass "30 connections from one address: 14 over its share of 16 refused at once" ||
  fail "one address: per_client $(refused per_client), closed $(field crowd_closed_by_server)"

# A clean end, and a log that loses nothing it does not count.
kill -TERM "$agent_pid" 2>/dev/null || true
status=0
wait "$agent_pid" || status=$?
[ "$status" = 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $status: $(tail -3 "$tmp/agent.err")"
"$py" - "$tmp/log/tcpfsm.json" <<'EOF' && pass "the log: $(cat "$tmp/log.summary")" || fail "the log: $(cat "$tmp/log.summary")"
import json, sys
records = []
for line in open(sys.argv[1]):
    try:
        records.append(json.loads(line))
    except ValueError:
        records.append({"type": "torn"})
end = [r for r in records if r["type"] == "end"]
transitions = [r for r in records if r["type"] == "transition"]
ours = [r for r in transitions if r["rport"] == 8081 and r["old"] == "SYN_SENT" and r["new"] == "ESTABLISHED"]
ok = len(end) == 1
if ok:
    e = end[0]
    lost = e["lost"]["ringbuf"]
    ok = (e["transitions"] == len(transitions) and e["kernel_matched"] == e["transitions"] + lost
          and len(ours) + lost >= 200 and len(ours) <= 200)
    summary = (f"end record: {e['transitions']} transitions written = {len(transitions)} in the file, "
               f"kernel matched {e['kernel_matched']} = written + {lost} lost; the test's 200 connections: "
               f"{len(ours)} connects")
else:
    summary = f"{len(end)} end records"
open(sys.argv[1].replace("log/tcpfsm.json", "log.summary"), "w").write(summary)
sys.exit(0 if ok else 1)
EOF

echo "$name: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
