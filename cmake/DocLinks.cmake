# The README and docs/*.md as the package installs them, in one directory
# (/usr/share/doc/tcpfsm/, docs/ flattened, the example files in examples/):
# each relative link rewritten to where its target is installed, and a link
# to a file the package does not ship (a test, the Containerfile, the man
# page's source) reduced to its text. Run as a script:
#
#   cmake -DSOURCE_DIR=<repo> -DFILE=<docs/x.md> -DOUT=<file> -P DocLinks.cmake
#
# tests/deploy/docs_test.sh checks that every relative link of the installed
# pages resolves in the package (scripts/package runs it on the unpacked .deb).

# Repository path -> path below the doc directory; anything else is not installed.
function(installed_path repo_path out)
  set(result "")
  if(repo_path STREQUAL "README.md")
    set(result README.md)
  elseif(repo_path MATCHES "^docs/([^/]+\\.(md|json|png))$")
    set(result ${CMAKE_MATCH_1})
  elseif(repo_path STREQUAL "deploy/prometheus/tcpfsm.rules.yml")
    set(result examples/tcpfsm.rules.yml)
  elseif(repo_path MATCHES "^deploy/kubernetes/([^/]+\\.yaml)$")
    set(result examples/${CMAKE_MATCH_1})
  elseif(repo_path STREQUAL "deploy/debian/copyright")
    set(result copyright)
  elseif(repo_path STREQUAL "deploy/debian/lintian-overrides")
    set(result ../../lintian/overrides/tcpfsm)
  endif()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

foreach(var SOURCE_DIR FILE OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "DocLinks.cmake: -D${var}= is required")
  endif()
endforeach()

file(READ "${SOURCE_DIR}/${FILE}" text)
get_filename_component(dir "${FILE}" DIRECTORY)

# Every inline link target: ](TARGET) (no link here has a space or a ')' in
# it), as a list of the targets alone (a ']' in an element would upset
# CMake's list splitting).
string(REGEX MATCHALL "\\]\\([^) ]+\\)" links "${text}")
string(REPLACE "](" "" links "${links}")
string(REPLACE ")" "" links "${links}")
list(REMOVE_DUPLICATES links)
foreach(target IN LISTS links)
  if(target MATCHES "^[a-z]+:" OR target MATCHES "^#")
    continue()  # a URL, or a place in the same page
  endif()
  string(REGEX MATCH "#.*$" anchor "${target}")
  string(REGEX REPLACE "#.*$" "" path "${target}")
  if(dir STREQUAL "")
    set(repo_path "${path}")
  else()
    set(repo_path "${dir}/${path}")
  endif()
  cmake_path(NORMAL_PATH repo_path)
  installed_path("${repo_path}" installed)
  # The link's target as a regular expression.
  string(REGEX REPLACE "([][.*+?^$()|\\\\])" "\\\\\\1" target_re "${target}")
  if(installed STREQUAL "")
    # Not in the package: keep the link's text, drop the link.
    string(REGEX REPLACE "!?\\[([^]]*)\\]\\(${target_re}\\)" "\\1" text "${text}")
  else()
    string(REPLACE "](${target})" "](${installed}${anchor})" text "${text}")
  endif()
endforeach()

file(WRITE "${OUT}" "${text}")
