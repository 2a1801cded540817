# tcpfsm_layer(NAME SOURCES ... DEPENDS ... [LIBS ...]): one static library
# per folder of src/, named tcpfsm_NAME. Its sources may include headers from
# its own folder and from the layers it DEPENDS on, nothing else: a header
# from any other layer fails the configure step, naming the file and the
# include. That keeps the data path pointing one way
# (kernel -> pipeline -> output, commands on top) as the tree grows.
function(tcpfsm_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPENDS;LIBS" ${ARGN})
  set(dir ${CMAKE_SOURCE_DIR}/src/${name})
  set(allowed ${name} ${L_DEPENDS})
  file(GLOB files ${dir}/*.h ${dir}/*.cpp)
  foreach(f ${files})
    file(STRINGS ${f} includes REGEX "^#include \"[a-z_]+/")
    foreach(inc ${includes})
      string(REGEX REPLACE "^#include \"([a-z_]+)/.*" "\\1" layer "${inc}")
      if(NOT layer STREQUAL "tcpfsm" AND NOT layer IN_LIST allowed)
        file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR} ${f})
        message(FATAL_ERROR "${rel}: ${inc}: layer '${name}' may use only ${allowed}")
      endif()
    endforeach()
  endforeach()
  list(TRANSFORM L_SOURCES PREPEND ${dir}/)
  add_library(tcpfsm_${name} STATIC ${L_SOURCES})
  target_include_directories(tcpfsm_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/include)
  list(TRANSFORM L_DEPENDS PREPEND tcpfsm_)
  target_link_libraries(tcpfsm_${name} PUBLIC ${L_DEPENDS} ${L_LIBS})
endfunction()

# tcpfsm_without(LIB LAYER ...): fails the configure step when any LAYER
# links LIB, directly or through the layers it uses. Keeps the consumers of
# records (output, metrics, top's view, check) apart from the kernel: they
# build, test and fuzz without libbpf.
function(tcpfsm_without lib)
  foreach(layer ${ARGN})
    set(seen "")
    set(todo tcpfsm_${layer})
    while(todo)
      list(POP_FRONT todo t)
      if(t IN_LIST seen)
        continue()
      endif()
      list(APPEND seen ${t})
      get_target_property(links ${t} LINK_LIBRARIES)
      foreach(l ${links})
        if(l STREQUAL lib)
          message(FATAL_ERROR "layer '${layer}' links ${lib} (through ${t}): it must not")
        endif()
        if(l MATCHES "^tcpfsm_" AND TARGET ${l})
          list(APPEND todo ${l})
        endif()
      endforeach()
    endwhile()
  endforeach()
endfunction()
