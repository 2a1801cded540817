# What the tests of the package as deployed share (sourced, after setting
# `name`, and `unit` where they read it): root or nothing, the tools they
# run, pass/fail counts, and the unit's settings.

# Root, or SKIPPED with the reason (FAILED under CI=true, which must not skip).
require_root() {  # what root is needed for
  [ "$(id -u)" -eq 0 ] && return 0
  if [ "${CI:-}" = true ]; then
    echo "$name: FAILED: needs root (CI=true: not skipping)" >&2
    exit 1
  fi
  echo "$name: SKIPPED: needs root to $1"
  exit 0
}

require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$name: FAILED: $tool is missing (scripts/deps)" >&2; exit 1; }
  done
}

passed=0 failed=0
pass() { echo "  ok: $*"; passed=$((passed + 1)); }
fail() { echo "  FAIL: $*" >&2; failed=$((failed + 1)); }

# The unit's settings, one value per line.
unit_values() { sed -nE "s/^$1=//p" "$unit" | tr ' ' '\n' | sed '/^$/d'; }
# Its AmbientCapabilities as setpriv takes them: -all,+bpf,+perfmon,...
unit_setpriv_caps() {
  local caps
  caps="$(unit_values AmbientCapabilities | tr '[:upper:]' '[:lower:]' | sed 's/^cap_//' | paste -sd, -)"
  [ -n "$caps" ] || { echo "$name: FAILED: no AmbientCapabilities= in $unit" >&2; exit 1; }
  echo "-all,+${caps//,/,+}"
}
