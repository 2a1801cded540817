#!/usr/bin/env bash
# The systemd unit's capability claims, for real: runs the unit's own
# ExecStart as user nobody with exactly the unit's capabilities (setpriv:
# bounding, inheritable and ambient set, no_new_privs), in a private network
# namespace (traffic on its loopback only) and a private mount namespace where
# /, /sys and /proc/sys are read-only and home directories hidden (roughly
# ProtectSystem=strict, ProtectKernelTunables=yes, ProtectHome=yes), and shows:
#   - it traces a real loopback connection and ends cleanly on SIGTERM;
#   - it finds the owners of sockets held by processes of another user
#     (daemon), in the log, in `tcpfsm stuck` and in the metrics;
#   - it serves /metrics on 127.0.0.1:9464;
#   - every system call it made is allowed by the unit's SystemCallFilter,
#     every socket family by its RestrictAddressFamilies, and it opens no
#     device that PrivateDevices hides (strace);
#   - what fails without each capability (BPF, PERFMON: exit 3;
#     DAC_READ_SEARCH: no owner for an accepted socket closed at once), and what
#     the unit gives up by not having CAP_SYS_ADMIN;
#   - tcpfsm trace finds owners with the kernel's task_file iterator and its
#     accept() hook, which need nothing beyond CAP_BPF and CAP_PERFMON.
# Needs root (to make the namespaces and switch users); without root it
# prints SKIPPED, and under CI=true it fails instead.
#
# Usage: tests/deploy/caps_test.sh [TCPFSM [UNIT]]
#   TCPFSM  the binary (default build/tcpfsm); UNIT the unit (default
#   deploy/systemd/tcpfsm.service). scripts/package runs it on the binary and
#   unit extracted from the .deb.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
tcpfsm="$(realpath "${1:-$repo/build/tcpfsm}")"
unit="$(realpath "${2:-$repo/deploy/systemd/tcpfsm.service}")"
name=caps_test
. "$repo/tests/deploy/lib.sh"
require_root "make network/mount namespaces and switch users"
require_tools setpriv unshare ip strace curl systemd-analyze python3

# --- Inside the namespaces (the script re-runs itself there) -----------------
if [ -z "${TCPFSM_CAPS_TEST_TMP:-}" ]; then
  tmp="$(mktemp -d /tmp/tcpfsm-caps.XXXXXX)"
  trap 'rm -rf "$tmp"' EXIT
  chmod 0755 "$tmp"
  rc=0
  unshare --net --mount --propagation private env TCPFSM_CAPS_TEST_TMP="$tmp" "$0" "$tcpfsm" "$unit" || rc=$?
  exit "$rc"
fi
tmp="$TCPFSM_CAPS_TEST_TMP"

info() { echo "  note: $*"; }
py=/usr/bin/python3  # the system's, readable by every user (not a pyenv shim under /root)
ambient="$(unit_values AmbientCapabilities | sort)"
bounding="$(unit_values CapabilityBoundingSet | sort)"
echo "caps_test: $unit: $(echo "$ambient" | tr '\n' ' ')"
if [ -n "$ambient" ] && [ "$ambient" = "$bounding" ]; then
  pass "AmbientCapabilities equals CapabilityBoundingSet"
else
  fail "AmbientCapabilities ($ambient) differs from CapabilityBoundingSet ($bounding)"
fi
# LimitMEMLOCK=: before Linux 5.11 the kernel counts BPF maps against it, and
# nobody cannot raise it; every process below inherits it from this shell.
if [ "$(unit_values LimitMEMLOCK)" = infinity ]; then
  if prlimit --pid $$ --memlock=unlimited:unlimited 2>/dev/null; then
    pass "LimitMEMLOCK=infinity applied"
  else
    echo "  note: cannot raise RLIMIT_MEMLOCK here (no CAP_SYS_RESOURCE): LimitMEMLOCK=infinity not applied; from Linux 5.11 the kernel counts BPF maps in the memory cgroup instead"
  fi
fi
# CAP_BPF CAP_PERFMON -> bpf,perfmon (setpriv's names)
setpriv_caps() { tr '[:upper:]' '[:lower:]' <<<"$1" | sed 's/^cap_//' | paste -sd, -; }
unit_caps="$(setpriv_caps "$ambient")"
without() { setpriv_caps "$(grep -vx "$1" <<<"$ambient")"; }

# run_as CAPS CMD...: as nobody:nogroup with exactly CAPS (a,b,c; empty: none)
# in the bounding, inheritable and ambient sets, and no_new_privs, as the
# unit's DynamicUser=, CapabilityBoundingSet=, AmbientCapabilities= and
# NoNewPrivileges= do.
run_as() {
  local set=-all
  [ -n "$1" ] && set="-all,+${1//,/,+}"
  shift
  setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs \
    --inh-caps="$set" --ambient-caps="$set" --bounding-set="$set" -- "$@"
}

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# LogsDirectory=tcpfsm with DynamicUser=: a 0750 directory owned by the
# user, /var/log/private/tcpfsm, reached through the symlink /var/log/tcpfsm.
mkdir -p "$tmp/log/private/tcpfsm"
chown nobody:nogroup "$tmp/log/private/tcpfsm"
chmod 0750 "$tmp/log/private/tcpfsm"
ln -s private/tcpfsm "$tmp/log/tcpfsm"
logdir="$tmp/log/tcpfsm"
cp "$tcpfsm" "$tmp/tcpfsm"  # a copy every user can execute, outside /root or /home
chmod 0755 "$tmp/tcpfsm"
bin="$tmp/tcpfsm"

# Roughly the unit's sandbox, in this private mount namespace. tracefs as
# systemd mounts it at boot (sys-kernel-tracing.mount), if the host has none.
ip link set lo up
grep -qs " /sys/kernel/tracing tracefs " /proc/mounts || mount -t tracefs tracefs /sys/kernel/tracing
mount --bind "$tmp" "$tmp"                        # stays writable: the LogsDirectory
mount -o remount,bind,ro /                         # ProtectSystem=strict
mount -o remount,bind,ro /sys                      # ProtectKernelTunables=yes
mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys
for d in /home /root /run/user; do                 # ProtectHome=yes
  [ -d "$d" ] && mount -t tmpfs -o ro,mode=0 tmpfs "$d"
done
if touch /usr/.tcpfsm-rw-probe 2>/dev/null || touch /sys/kernel/.probe 2>/dev/null; then
  fail "the sandbox emulation did not make / and /sys read-only"
fi

port=47123
# The unit's ExecStart, on this binary and log directory, with TCPFSM_OPTS.
exec_start="$(sed -nE 's/^ExecStart=//p' "$unit")"
# As systemd expands it: the unit's Environment= default, unless
# /etc/default/tcpfsm sets TCPFSM_METRICS (TCPFSM_METRICS here stands for that).
exec_start="${exec_start//\$\{TCPFSM_METRICS\}/${TCPFSM_METRICS:-$(sed -nE 's/^Environment=TCPFSM_METRICS=//p' "$unit")}}"
opts="-p $port --stuck-age 1s --stats-interval 1s"
cmdline="${exec_start//\/usr\/bin\/tcpfsm/$bin}"
cmdline="${cmdline//\/var\/log\/tcpfsm/$logdir}"
cmdline="${cmdline//\$TCPFSM_OPTS/$opts}"
read -r -a argv <<<"$cmdline"
metrics_addr="$(sed -nE 's/.*--metrics ([^ ]+).*/\1/p' <<<"$exec_start")"
log="$logdir/tcpfsm.json"

echo "caps_test: tcpfsm trace as nobody with $unit_caps: ${argv[*]}"
strace -f -qq -o "$tmp/strace.log" \
  setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs \
  --inh-caps="-all,+${unit_caps//,/,+}" --ambient-caps="-all,+${unit_caps//,/,+}" \
  --bounding-set="-all,+${unit_caps//,/,+}" -- "${argv[@]}" 2>"$tmp/trace.err" &
strace_pid=$!
pids+=("$strace_pid")
for _ in $(seq 100); do
  grep -q '"type":"start"' "$log" 2>/dev/null && grep -q Tracing "$tmp/trace.err" && break
  sleep 0.1
done
if grep -q '"type":"start"' "$log" 2>/dev/null; then
  pass "tracing, log started at $log"
else
  fail "tcpfsm did not start: $(cat "$tmp/trace.err")"
fi
trace_pid="$(pgrep -P "$strace_pid" | head -1 || true)"

# Sockets held by another user's processes: a server that accepts one
# connection and never closes it (CLOSE_WAIT once the client closes), and a
# client that holds its connection for 1.5 s.
server_py='
import socket, sys, time
open("/proc/self/comm", "w").write("leaky-server")
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1]))); ls.listen()
print("listening", flush=True)
c, _ = ls.accept()
time.sleep(120)'
client_py='
import socket, sys, time
open("/proc/self/comm", "w").write("leaky-client")
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(1.5)
s.close()'
setpriv --reuid=daemon --regid=daemon --clear-groups "$py" -c "$server_py" "$port" >"$tmp/server.out" &
server_pid=$!
pids+=("$server_pid")
for _ in $(seq 50); do grep -q listening "$tmp/server.out" && break; sleep 0.1; done
setpriv --reuid=daemon --regid=daemon --clear-groups "$py" -c "$client_py" "$port" &
client_pid=$!
wait "$client_pid"
sleep 2  # past --stuck-age 1s; the owners are looked up after each drain

# tcpfsm stuck --once as nobody: the unit's capabilities find the holder.
stuck_owner() {  # CAPS -> "process PID" or the owner kind
  run_as "$1" "$bin" stuck --once --min-age 0 -p "$port" -f json 2>/dev/null |
    "$py" -c 'import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r.get("type") == "stuck":
        o = r.get("owners") or []
        print(r["owner"], *(h["pid"] for h in o))' | head -1 || true
}
got="$(stuck_owner "$unit_caps")"
if [ "$got" = "process $server_pid" ]; then
  pass "tcpfsm stuck finds the CLOSE_WAIT socket held by daemon's pid $server_pid"
else
  fail "tcpfsm stuck with the unit's capabilities: owner '$got', expected 'process $server_pid'"
fi
# The holder comes from the kernel's task_file iterator: CAP_BPF and
# CAP_PERFMON are all it needs (no /proc/PID/fd is read).
got="$(stuck_owner bpf,perfmon)"
if [ "$got" = "process $server_pid" ]; then
  pass "with CAP_BPF and CAP_PERFMON only, tcpfsm stuck still names daemon's pid $server_pid (task_file iterator)"
else
  fail "with CAP_BPF and CAP_PERFMON only: owner '$got', expected 'process $server_pid'"
fi

# /metrics, from inside this network namespace.
if [ -n "$metrics_addr" ]; then
  if curl -fsS --max-time 5 "http://$metrics_addr/metrics" >"$tmp/metrics.txt"; then
    pass "serves http://$metrics_addr/metrics ($(wc -l <"$tmp/metrics.txt") lines)"
    if grep -qE '^tcpfsm_transitions_total\{old="SYN_SENT",new="ESTABLISHED"\} [1-9]' "$tmp/metrics.txt"; then
      pass "metrics count the traced handshake"
    else
      fail "no SYN_SENT -> ESTABLISHED in tcpfsm_transitions_total"
    fi
    if grep -qE "^tcpfsm_stuck_sockets\\{state=\"CLOSE_WAIT\",owner=\"leaky-server\",container=\"\",pod_uid=\"\",netns=\"[0-9]+\",port=\"$port\",role=\"server\"\\} 1$" "$tmp/metrics.txt"; then
      pass "tcpfsm_stuck_sockets names the other user's process (owner=\"leaky-server\")"
    else
      fail "tcpfsm_stuck_sockets: $(grep '^tcpfsm_stuck_sockets' "$tmp/metrics.txt" | tr '\n' ' ')"
    fi
    info "tcpfsm_bpf_program_runs_total samples: $(grep -c '^tcpfsm_bpf_program_runs_total' "$tmp/metrics.txt" || true) (present only while the kernel keeps BPF run-time statistics: kernel.bpf_stats_enabled=1, or another process holding them on)"
  else
    fail "nothing answers at http://$metrics_addr/metrics"
  fi
else
  info "the unit has no --metrics: not checked"
fi

# Stop it as systemd does (SIGTERM): exit 0 and an end record.
if [ -n "$trace_pid" ]; then kill -TERM "$trace_pid"; fi
rc=0
wait "$strace_pid" || rc=$?
if [ "$rc" -eq 0 ] && grep -q '"type":"end"' "$log"; then
  pass "SIGTERM: exit 0, end record written"
else
  fail "SIGTERM: exit $rc; $(tail -3 "$tmp/trace.err")"
fi
if [ "$(stat -c '%U %a' "$log")" = "nobody 640" ]; then
  pass "the log is owned by the service user, mode 0640"
else
  fail "the log is $(stat -c '%U %a' "$log")"
fi

# Owners in the log: the client's socket and the listener belong to daemon's processes.
owners="$("$py" -c 'import json, sys
seen = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "transition" and r.get("owner_pid"):
        seen.add(r["owner_pid"])
print(" ".join(str(p) for p in sorted(seen)))' "$log")"
transitions="$(grep -c '"type":"transition"' "$log" || true)"
if [ "$transitions" -ge 8 ]; then pass "$transitions transitions logged"; else fail "only $transitions transitions logged"; fi
for p in "$client_pid" "$server_pid"; do
  if grep -qw "$p" <<<"$owners"; then
    pass "log names daemon's pid $p as an owner"
  else
    fail "log has no owner_pid $p (owners: $owners)"
  fi
done

# Every system call tcpfsm made (after its execve) is allowed by the unit's
# SystemCallFilter=, every socket family by its RestrictAddressFamilies=.
if "$py" - "$tmp/strace.log" "$bin" "$unit" <<'EOF'; then
import re, subprocess, sys
log, binary, unit = sys.argv[1:4]
conf = {}
for line in open(unit):
    if "=" in line and not line.startswith("#"):
        k, v = line.rstrip("\n").split("=", 1)
        conf.setdefault(k, []).extend(v.split())
groups, current = {}, None
for line in subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True, check=True).stdout.splitlines():
    s = line.strip()
    if not s or s.startswith("#"):
        continue
    if not line.startswith(" "):
        current = s
        groups[current] = []
    elif current:
        groups[current].append(s)
def expand(name, seen=None):
    seen = seen or set()
    if not name.startswith("@"):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    out = set()
    for m in groups.get(name, []):
        out |= expand(m, seen)
    return out
allowed = set()
for item in conf.get("SystemCallFilter", []):
    allowed |= expand(item)
families = set(conf.get("RestrictAddressFamilies", []))
used, fams, devs, started = {}, set(), set(), False
for line in open(log):
    if not started:
        started = f'execve("{binary}"' in line and "= 0" in line
        continue
    m = re.match(r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
    if m:
        used[m.group(1)] = used.get(m.group(1), 0) + 1
    for f in re.findall(r"\bsocket\((AF_[A-Z0-9]+)", line):
        fams.add(f)
    for d in re.findall(r'open(?:at)?\((?:AT_FDCWD, )?"(/dev/[^"]*)"', line):
        devs.add(d)
if not started:
    sys.exit(print("    strace log has no execve of", binary) or 1)
bad = sorted(s for s in used if s not in allowed and s not in ("exit", "exit_group", "rt_sigreturn"))
print("    %d distinct system calls, socket families %s, devices %s" % (len(used), " ".join(sorted(fams)), " ".join(sorted(devs)) or "none"))
for s in bad:
    print("    not in SystemCallFilter:", s, file=sys.stderr)
for f in sorted(fams - families):
    print("    not in RestrictAddressFamilies:", f, file=sys.stderr)
# PrivateDevices=yes leaves only the pseudo devices.
private_devices = re.compile(r"^/dev/(null|zero|full|random|urandom|tty|pts/.*|shm/.*|mqueue/.*|hugepages/.*)$")
bad_devs = sorted(d for d in devs if not private_devices.match(d))
for d in bad_devs:
    print("    opens a device PrivateDevices= hides:", d, file=sys.stderr)
sys.exit(1 if bad or fams - families or bad_devs else 0)
EOF
  pass "system calls, socket families and devices are within SystemCallFilter=, RestrictAddressFamilies=, PrivateDevices="
else
  fail "see above: the unit's SystemCallFilter=, RestrictAddressFamilies= or PrivateDevices= would refuse it"
fi

# The trace's owners come from the kernel (task_file iterator, accept()
# hook), loaded with the unit's capabilities, not from /proc.
if grep -qE "socket owners from /proc|accepted socket's owner is found only" "$tmp/trace.err"; then
  fail "tcpfsm trace could not load its owner programs: $(grep -E 'owners|owner is' "$tmp/trace.err")"
else
  pass "tcpfsm trace loaded the task_file iterator and the accept() hook"
fi
# What they need: another user's short connection, accepted and closed at
# once, traced with fewer capabilities. The iterator needs only CAP_BPF and
# CAP_PERFMON; the accept() hook attaches to a syscall tracepoint, whose id
# is in tracefs (root's, mode 0700: CAP_DAC_READ_SEARCH). CAP_SYS_PTRACE is
# not needed (the unit does not have it).
short_py='
import socket, sys
open("/proc/self/comm", "w").write("short-server")
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1]))); ls.listen()
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s, _ = ls.accept(); c.close(); s.close(); ls.close()'
short_owners() {  # CAPS PORT -> "NAMED WITH_FILE": records with a file naming the short server
  local log="$logdir/owners-$2.json" trace_pid short_pid rc=0
  run_as "$1" "$bin" trace -p "$2" -d 3 -f json -o "$log" 2>"$tmp/owners-$2.err" &
  trace_pid=$!
  pids+=("$trace_pid")
  for _ in $(seq 50); do grep -q Tracing "$tmp/owners-$2.err" 2>/dev/null && break; sleep 0.1; done
  setpriv --reuid=daemon --regid=daemon --clear-groups "$py" -c "$short_py" "$2" &
  short_pid=$!
  wait "$short_pid"
  wait "$trace_pid" || rc=$?
  [ "$rc" -eq 0 ] || { echo "exit $rc"; return; }
  "$py" -c 'import json, sys
with_file = named = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "transition" and r["ino"]:
        with_file += 1
        named += r.get("owner_pid") == int(sys.argv[2]) and r.get("owner_comm") == "short-server"
print(named, with_file)' "$log" "$short_pid"
}
# The listener 2, the client 3, the accepted socket 2 (CLOSE_WAIT -> LAST_ACK,
# its close): without the hook, the accepted socket's are named only if it
# was still open when they were read (it is closed at once: almost never).
got="$(short_owners bpf,perfmon 47124)"
if [ "${got#* }" = 7 ] && [ "${got% *}" -ge 5 ] && grep -q "tracefs is not readable" "$tmp/owners-47124.err"; then
  pass "with CAP_BPF and CAP_PERFMON only, owners from connect(), listen() and the iterator: ${got% *} of 7 records; the accept() hook needs tracefs"
else
  fail "with CAP_BPF and CAP_PERFMON only: named/with a file: '$got', expected 5 or more of 7; $(cat "$tmp/owners-47124.err")"
fi
got="$(short_owners bpf,perfmon,dac_read_search 47125)"
if [ "$got" = "7 7" ]; then
  pass "with CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH (no CAP_SYS_PTRACE), every record with a file names its owner"
else
  fail "without CAP_SYS_PTRACE: named/with a file: '$got', expected '7 7'; $(cat "$tmp/owners-47125.err")"
fi

# Without CAP_BPF or CAP_PERFMON nothing is loaded: exit 3 (needs root or
# CAP_BPF+CAP_PERFMON), before the kernel is asked.
for cap in CAP_BPF CAP_PERFMON; do
  rc=0
  run_as "$(without "$cap")" "$bin" trace -p "$port" -d 1 -f json >/dev/null 2>"$tmp/err" || rc=$?
  if [ "$rc" -eq 3 ]; then
    pass "without $cap: exit 3 ($(head -c 80 "$tmp/err")...)"
  else
    fail "without $cap: exit $rc, expected 3: $(cat "$tmp/err")"
  fi
done

# What the unit gives up by not granting CAP_SYS_ADMIN (informational).
rc=0
run_as "$unit_caps" "$bin" trace -p "$port" -d 1 -f json --attach tracepoint >/dev/null 2>"$tmp/err" || rc=$?
info "--attach tracepoint with the unit's capabilities: exit $rc: $(head -1 "$tmp/err")"
rc=0
run_as "$unit_caps,sys_admin" "$bin" trace -p "$port" -d 1 -f json --attach tracepoint >/dev/null 2>"$tmp/err" || rc=$?
info "--attach tracepoint with CAP_SYS_ADMIN added, as nobody: exit $rc: $(head -1 "$tmp/err")"
unshare --net setpriv --reuid=daemon --regid=daemon --clear-groups sleep 30 &
other_ns_pid=$!
pids+=("$other_ns_pid")
sleep 0.3
for caps in "$unit_caps" "$unit_caps,sys_admin"; do
  if run_as "$caps" nsenter --net="/proc/$other_ns_pid/ns/net" true 2>"$tmp/err"; then r="entered"; else r="refused: $(cat "$tmp/err")"; fi
  info "setns into another network namespace (the cross-check after losses) with $caps: $r"
done

echo "caps_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
