# Installation and the Debian package (cpack -G DEB; scripts/package builds it
# with Debian's hardening flags and runs lintian on it; docs/deploy.md).
#
# Everything lands under CMAKE_INSTALL_PREFIX (/usr in the package) except the
# systemd unit and its /etc/default file, which Debian wants at fixed paths.

include(GNUInstallDirs)

set(TCPFSM_SYSTEMD_UNIT_DIR "/lib/systemd/system" CACHE PATH "where the systemd unit is installed")
set(TCPFSM_DEFAULT_DIR "/etc/default" CACHE PATH "where the service's environment file is installed")
set(TCPFSM_DOC_DIR "${CMAKE_INSTALL_DATADIR}/doc/tcpfsm")

# --- The man page, tcpfsm(8), from docs/tcpfsm.8.scd --------------------------
# Generated at build time with scdoc (Debian package scdoc) and gzipped as
# Debian wants (-n: no name or time stamp, so the package is reproducible).
find_program(SCDOC scdoc)
find_program(GZIP gzip)
if(SCDOC AND GZIP)
  set(man_src ${CMAKE_SOURCE_DIR}/docs/tcpfsm.8.scd)
  set(man_page ${CMAKE_BINARY_DIR}/man/tcpfsm.8)
  add_custom_command(
    OUTPUT ${man_page} ${man_page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${SCDOC} < ${man_src} > ${man_page}
    COMMAND ${GZIP} -9 -n -c ${man_page} > ${man_page}.gz
    DEPENDS ${man_src}
    COMMENT "man page tcpfsm.8 (scdoc)"
    VERBATIM)
  add_custom_target(tcpfsm_man ALL DEPENDS ${man_page} ${man_page}.gz)
  install(FILES ${man_page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
else()
  message(STATUS "scdoc not found: the man page tcpfsm(8) is not built (apt-get install scdoc)")
endif()

# --- What the package installs ------------------------------------------------
install(TARGETS tcpfsm RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/completions/tcpfsm.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME tcpfsm)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/tcpfsm.service DESTINATION ${TCPFSM_SYSTEMD_UNIT_DIR})
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/tcpfsm.default DESTINATION ${TCPFSM_DEFAULT_DIR} RENAME tcpfsm)
# The README and docs/ pages in one directory, each link rewritten to where
# its target is installed (cmake/DocLinks.cmake), with the files they link to.
file(GLOB doc_pages CONFIGURE_DEPENDS RELATIVE ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/docs/*.md)
set(installed_pages "")
foreach(page README.md ${doc_pages})
  get_filename_component(name ${page} NAME)
  set(installed_page ${CMAKE_BINARY_DIR}/doc/${name})
  add_custom_command(
    OUTPUT ${installed_page}
    COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DFILE=${page} -DOUT=${installed_page}
            -P ${CMAKE_SOURCE_DIR}/cmake/DocLinks.cmake
    DEPENDS ${CMAKE_SOURCE_DIR}/${page} ${CMAKE_SOURCE_DIR}/cmake/DocLinks.cmake
    COMMENT "doc/${name}: links as installed"
    VERBATIM)
  list(APPEND installed_pages ${installed_page})
endforeach()
add_custom_target(tcpfsm_docs ALL DEPENDS ${installed_pages})
file(GLOB doc_files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.json ${CMAKE_SOURCE_DIR}/docs/*.png)
install(FILES ${installed_pages} ${doc_files} ${CMAKE_SOURCE_DIR}/deploy/debian/copyright
        DESTINATION ${TCPFSM_DOC_DIR})
# Examples: the Prometheus alerting rules, the Kubernetes DaemonSet and the
# NetworkPolicy that admits Prometheus alone to its metrics.
install(FILES ${CMAKE_SOURCE_DIR}/deploy/prometheus/tcpfsm.rules.yml
              ${CMAKE_SOURCE_DIR}/deploy/kubernetes/daemonset.yaml
              ${CMAKE_SOURCE_DIR}/deploy/kubernetes/networkpolicy.yaml
        DESTINATION ${TCPFSM_DOC_DIR}/examples)
# changelog.gz: a native package's changelog, in Debian's format, gzipped -9n.
set(changelog_gz ${CMAKE_BINARY_DIR}/debian/changelog.gz)
add_custom_command(
  OUTPUT ${changelog_gz}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/debian
  COMMAND gzip -9 -n -c ${CMAKE_SOURCE_DIR}/deploy/debian/changelog > ${changelog_gz}
  DEPENDS ${CMAKE_SOURCE_DIR}/deploy/debian/changelog
  COMMENT "changelog.gz"
  VERBATIM)
add_custom_target(tcpfsm_changelog ALL DEPENDS ${changelog_gz})
install(FILES ${changelog_gz} DESTINATION ${TCPFSM_DOC_DIR})
install(FILES ${CMAKE_SOURCE_DIR}/deploy/debian/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME tcpfsm)

# --- CPack: the Debian package -------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tcpfsm)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "tcpfsm developers")
# The Maintainer field: the project's address, as deploy/debian/copyright's
# Upstream-Contact and deploy/debian/changelog's trailer name it (scripts/package
# checks that the three agree).
set(TCPFSM_MAINTAINER "tcpfsm developers <tcpfsm@users.noreply.github.com>"
    CACHE STRING "the Debian package's Maintainer field")
set(CPACK_PACKAGE_CONTACT "${TCPFSM_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # no debug info in the package (lintian: unstripped-binary-or-object)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # tcpfsm_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from dpkg-shlibdeps (libbpf1, libc6, libdw1, ...)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
# tcpfsm check --html lays out its transition graph with Graphviz's dot when
# it is installed, and shows a matrix when not.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS graphviz)
# The description: CPack makes CPACK_PACKAGE_DESCRIPTION_SUMMARY the synopsis
# and indents this text below it, an empty line becoming " ." (a new paragraph).
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "trace and check every TCP state transition with BPF")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "This tool attaches a BPF program to the kernel's inet_sock_set_state
tracepoint and reports every TCP state change as it happens, checked
against the TCP state machine as Linux implements it (or RFC 9293).
It names the process holding each socket, reports event losses, writes
rotating JSON logs, serves Prometheus metrics, and finds sockets stuck
in CLOSE_WAIT and the process that leaks them.

Includes a systemd unit (disabled until enabled) that runs the tracer as
an unprivileged dynamic user with only CAP_BPF, CAP_PERFMON,
CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE.")
# /etc/default/tcpfsm is a conffile: dpkg keeps the admin's changes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
