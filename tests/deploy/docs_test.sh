#!/usr/bin/env bash
# The man page (docs/tcpfsm.8.scd) and the bash completion
# (completions/tcpfsm.bash) against the real binary: every subcommand and
# every option that `tcpfsm [CMD] --help` lists must be in both, and nothing
# that the binary does not have. Every relative link of README.md and
# docs/*.md resolves in the repository (a file, and a heading for #anchor);
# given the packaged binary (ROOT/usr/bin/tcpfsm), every relative link of
# the pages installed in ROOT/usr/share/doc/tcpfsm resolves in ROOT too.
# Needs no privilege.
# Usage: tests/deploy/docs_test.sh [TCPFSM]   (default: build/tcpfsm)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
tcpfsm="${1:-$repo/build/tcpfsm}"
scd="$repo/docs/tcpfsm.8.scd"
completion="$repo/completions/tcpfsm.bash"
failed=0 passed=0
fail() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }
# expect WORD LIST MESSAGE: WORD is a line of LIST, or MESSAGE is a failure.
expect() {
  if grep -qx -- "$1" <<<"$2"; then passed=$((passed + 1)); else fail "$3"; fi
}

# The anchors of a Markdown page's headings, as GitHub makes them: lower
# case, punctuation dropped, spaces as '-'.
anchors_of() {
  sed -nE 's/^#+ +//p' "$1" | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
}
# check_links PAGE NAME: each relative link target of PAGE ([text](target),
# outside fenced code) is a file relative to PAGE's directory, and its
# #anchor a heading of that file (or of PAGE for a bare #anchor).
check_links() {
  local page="$1" name="$2" dir target path anchor file
  dir="$(dirname "$page")"
  while read -r target; do
    [ -n "$target" ] || continue
    case "$target" in *://* | mailto:*) continue ;; esac
    path="${target%%#*}" anchor=""
    [[ $target == *#* ]] && anchor="${target#*#}"
    file="$page"
    [ -z "$path" ] || file="$dir/$path"
    if [ ! -e "$file" ]; then
      fail "$name: link to $target: no such file"
    elif [ -n "$anchor" ] && [[ $file == *.md ]] && ! grep -qx -- "$anchor" <<<"$(anchors_of "$file")"; then
      fail "$name: link to $target: no heading for #$anchor"
    else
      passed=$((passed + 1))
    fi
  done < <(awk '/^ *```/{code=!code; next} !code' "$page" | grep -oE '\]\([^) ]+\)' | sed -E 's/^\]\(//; s/\)$//' | sort -u)
}

for page in "$repo/README.md" "$repo"/docs/*.md; do
  check_links "$page" "${page#"$repo"/}"
done

# The packaged pages, where the package put them.
doc="$(dirname "$tcpfsm")/../share/doc/tcpfsm"
if [ -d "$doc" ]; then
  pages=("$doc"/*.md)
  [ -e "${pages[0]}" ] || fail "no pages installed in $doc"
  for page in "${pages[@]}"; do
    [ -e "$page" ] && check_links "$page" "installed ${page##*/}"
  done
fi

# Options of a --help text: every -x / --long on the option lines (CLI11
# prints them at the start of a line, before the type or the description).
options_of() {
  "$tcpfsm" "$@" --help | awk '/^Options:/{on=1; next} /^[A-Z][a-z]+:/{on=0} on' |
    grep -oE '^  +-[^ ]+' | tr -d ' ' | tr ',' '\n' | grep -E '^-' | sort -u
}
# The section ends at the next heading ("Examples:").
subcommands="$("$tcpfsm" --help | awk '/^Subcommands:/{on=1; next} /^[A-Z][a-z]+:/{on=0} on && NF {print $1}')"
[ -n "$subcommands" ] || { echo "FAIL: no subcommands in $tcpfsm --help" >&2; exit 1; }

# What the completion offers after `tcpfsm CMD -`.
complete_options() {
  bash -c '
    source "$1"; shift
    COMP_WORDS=(tcpfsm "$@" -); COMP_CWORD=${#COMP_WORDS[@]}; COMP_CWORD=$((COMP_CWORD - 1))
    COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
    _tcpfsm; printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@" | sort -u
}

# What the completion offers after `tcpfsm CMD OPT `.
complete_values() {
  bash -c '
    source "$1"; shift
    COMP_WORDS=(tcpfsm "$@" ""); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
    _tcpfsm; printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@"
}
commands_offered="$(bash -c 'source "$1"; COMP_WORDS=(tcpfsm ""); COMP_CWORD=1; _tcpfsm; printf "%s\n" "${COMPREPLY[@]}"' _ "$completion")"

# The man page section of one subcommand: from "## tcpfsm CMD" to the next header.
man_section() { awk -v h="## tcpfsm $1" '$0==h{on=1; next} /^#/{on=0} on' "$scd"; }

for cmd in $subcommands; do
  expect "## tcpfsm $cmd" "$(cat "$scd")" "man page: no section '## tcpfsm $cmd'"
  expect "$cmd" "$commands_offered" "completion: subcommand $cmd not offered"
  real="$(options_of "$cmd")"
  offered="$(complete_options "$cmd")"
  section="$(man_section "$cmd")"
  # Options the man page describes: *-x*, *--long* on lines that begin with one.
  described="$(grep -E '^\*-' <<<"$section" | grep -oE '\*-[-A-Za-z0-9]+\*' | tr -d '*' | sort -u || true)"
  for opt in $real; do
    expect "$opt" "$offered" "completion: tcpfsm $cmd $opt not offered"
    case $opt in -h | --help) continue ;; esac
    expect "$opt" "$described" "man page: tcpfsm $cmd $opt not described"
  done
  # Options with a fixed set of values ("--model TEXT:{linux,rfc}"): the
  # completion offers exactly those after the option, and the man page names them.
  while read -r opt values; do
    [ -n "$opt" ] || continue
    got="$(complete_values "$cmd" "$opt" | sort | tr '\n' ' ')"
    want="$(tr ',' '\n' <<<"$values" | sort | tr '\n' ' ')"
    if [ "$got" = "$want" ]; then passed=$((passed + 1)); else fail "completion: tcpfsm $cmd $opt offers '$got', the binary takes '$want'"; fi
    line="$(grep -E '^\*-' <<<"$section" | grep -F -- "*$opt*" || true)"
    for v in ${values//,/ }; do
      if grep -q -- "_${v}_" <<<"$line"; then passed=$((passed + 1)); else fail "man page: tcpfsm $cmd $opt does not name the value $v"; fi
    done
  done < <("$tcpfsm" "$cmd" --help | sed -nE 's/^ +(-[^ ]*,)?(--[-a-z0-9]+) [A-Z]+:\{([^}]*)\}.*/\2 \3/p')
  for opt in $offered; do
    grep -qx -- "$opt" <<<"$real" || fail "completion: tcpfsm $cmd offers $opt, which the binary does not have"
  done
  for opt in $described; do
    grep -qx -- "$opt" <<<"$real" || fail "man page: tcpfsm $cmd describes $opt, which the binary does not have"
  done
done

echo "docs_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
