#!/usr/bin/env bash
# The Debian package's Maintainer (cmake/Packaging.cmake), the copyright
# file's Upstream-Contact and the changelog's trailer name the same real-
# looking address: no placeholder domain (RFC 2606/6761: .example, .invalid,
# .test, .localhost, example.com/net/org). Needs no build and no privilege;
# scripts/package runs it, and checks the built package's field against it.
# Usage: tests/deploy/maintainer_test.sh [DEB]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
failed=0 passed=0
fail() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }
pass() { passed=$((passed + 1)); }

cmake_value="$(sed -nE 's/^set\(TCPFSM_MAINTAINER "([^"]*)".*/\1/p' "$repo/cmake/Packaging.cmake")"
copyright_value="$(sed -nE 's/^Upstream-Contact: (.*)$/\1/p' "$repo/deploy/debian/copyright")"
changelog_value="$(sed -nE 's/^ -- (.*>)  .*$/\1/p' "$repo/deploy/debian/changelog" | head -1)"

check_address() {  # WHERE VALUE
  local where="$1" value="$2"
  if [[ -z $value ]]; then fail "$where: no address found"; return; fi
  if [[ ! $value =~ ^[^\<\>]+\ \<[^@\<\>\ ]+@([^@\<\>\ ]+)\>$ ]]; then
    fail "$where: '$value' is not 'Name <user@host>'"
    return
  fi
  local domain="${BASH_REMATCH[1],,}"
  case "$domain" in
    *.example | *.invalid | *.test | *.localhost | localhost | example.com | example.net | example.org | *.example.com | *.example.net | *.example.org)
      fail "$where: '$value' has a placeholder domain ($domain)" ;;
    *) pass ;;
  esac
}
check_address cmake/Packaging.cmake "$cmake_value"
check_address deploy/debian/copyright "$copyright_value"
check_address deploy/debian/changelog "$changelog_value"
if [[ $cmake_value == "$copyright_value" && $cmake_value == "$changelog_value" ]]; then
  pass
else
  fail "the Maintainer ('$cmake_value'), Upstream-Contact ('$copyright_value') and changelog ('$changelog_value') differ"
fi
if [[ $# -ge 1 ]]; then
  deb_value="$(dpkg-deb -f "$1" Maintainer)"
  if [[ $deb_value == "$cmake_value" ]]; then pass; else fail "$1: Maintainer '$deb_value', not '$cmake_value'"; fi
fi

echo "maintainer_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
