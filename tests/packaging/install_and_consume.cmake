# Installs enlist into scratch prefixes and builds and runs every kind of consumer against each:
#   static    the build tree under test (a static, position-independent library)
#   shared    a library-only build of the same sources with BUILD_SHARED_LIBS=ON
#             (not under sanitizers: the static install already shows the instrumented case)
# Consumers: C++ through find_package, C through find_package (a project with LANGUAGES C),
# C++ with pkg-config's flags, C with pkg-config's flags alone, and a plugin (a shared object
# linking enlist, loaded by a C host with dlopen; not under sanitizers, whose runtime must be
# the first library loaded). Under a sanitizer build every consumer is built with the same
# flags, so a sanitized client runs against the sanitized install without reports.
#
# cmake -DBUILD_DIR=... -DSOURCE_DIR=<tests/packaging> -DPROJECT_SOURCE=... -DWORK_DIR=...
#       -DCXX=... -DCC=... [-DSANITIZE_FLAGS=...] -P install_and_consume.cmake
# cmake -DPREFIX=<installed prefix> -DKIND=<name> -DSOURCE_DIR=... -DWORK_DIR=... -DCXX=... -DCC=...
#       -P install_and_consume.cmake

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

separate_arguments(sanitize UNIX_COMMAND "${SANITIZE_FLAGS}")

function(consume prefix kind)
  set(work ${WORK_DIR}/${kind})
  # lib, lib64 or a multiarch lib/<triplet>: where the pkg-config file is.
  file(GLOB_RECURSE pc_file ${prefix}/enlist.pc)
  get_filename_component(pc_dir ${pc_file} DIRECTORY)
  get_filename_component(libdir ${pc_dir} DIRECTORY)
  # Executables linked by hand find a shared enlist here.
  set(ENV{LD_LIBRARY_PATH} ${libdir})

  # find_package, from a C++ project and from a C project.
  foreach(project consumer c_consumer)
    run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/${project} -B ${work}/${project} -G Ninja
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX}
        -DCMAKE_C_COMPILER=${CC} "-DCMAKE_CXX_FLAGS=${SANITIZE_FLAGS}"
        "-DCMAKE_C_FLAGS=${SANITIZE_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${SANITIZE_FLAGS}")
    run(${CMAKE_COMMAND} --build ${work}/${project})
  endforeach()
  run(${work}/consumer/consumer)
  run(${work}/c_consumer/c_consumer)

  # pkg-config
  set(ENV{PKG_CONFIG_PATH} ${pc_dir})
  execute_process(COMMAND pkg-config --cflags --libs enlist RESULT_VARIABLE result
                  OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "pkg-config does not know enlist (PKG_CONFIG_PATH=${pc_dir})")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(${CXX} -std=c++20 ${sanitize} ${SOURCE_DIR}/consumer/main.cpp -o ${work}/pkg-consumer
      ${flags})
  # One version everywhere: the header the consumer compiled against and pkg-config agree.
  execute_process(COMMAND ${work}/pkg-consumer RESULT_VARIABLE result
                  OUTPUT_VARIABLE header_version ERROR_VARIABLE err
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "pkg-config consumer failed (${result}):\n${err}")
  endif()
  execute_process(COMMAND pkg-config --modversion enlist OUTPUT_VARIABLE pc_version
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT header_version STREQUAL pc_version OR header_version STREQUAL "")
    message(FATAL_ERROR "version.hpp says '${header_version}', pkg-config '${pc_version}'")
  endif()
  run(${CC} -std=c11 ${sanitize} ${SOURCE_DIR}/../registry/c_api_test.c -o ${work}/c-pkg-consumer
      ${flags})
  run(${work}/c-pkg-consumer)

  if(NOT sanitize)
    run(${CXX} -std=c++20 -shared -fPIC ${SOURCE_DIR}/consumer/plugin.cpp -o ${work}/plugin.so
        ${flags})
    run(${CC} ${SOURCE_DIR}/consumer/plugin_host.c -o ${work}/plugin_host -ldl)
    run(${work}/plugin_host ${work}/plugin.so)
    message(STATUS "${kind}: find_package (C++, C), pkg-config (C++, C) and plugin consumers ran")
  else()
    message(STATUS "${kind}: find_package (C++, C) and pkg-config (C++, C) consumers ran with "
                   "${SANITIZE_FLAGS}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
# With PREFIX (and KIND naming it), only consume what is already installed there: the Debian
# package unpacked into a scratch root (debian_package.sh).
if(DEFINED PREFIX)
  consume(${PREFIX} ${KIND})
  return()
endif()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/static/prefix)
consume(${WORK_DIR}/static/prefix static)

if(NOT sanitize)
  set(build ${WORK_DIR}/shared/build)
  run(${CMAKE_COMMAND} -S ${PROJECT_SOURCE} -B ${build} -G Ninja -DCMAKE_BUILD_TYPE=Release
      -DBUILD_SHARED_LIBS=ON -DENLIST_BUILD_TESTS=OFF -DENLIST_BUILD_BENCH=OFF
      -DENLIST_BUILD_EXAMPLES=OFF -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_C_COMPILER=${CC})
  run(${CMAKE_COMMAND} --build ${build})
  run(${CMAKE_COMMAND} --install ${build} --prefix ${WORK_DIR}/shared/prefix)
  file(GLOB shared_lib ${WORK_DIR}/shared/prefix/lib*/libenlist.so.*.*.*)
  execute_process(COMMAND objdump -p ${shared_lib} OUTPUT_VARIABLE dynamic)
  string(REGEX MATCH "SONAME +[^\n]+" soname "${dynamic}")
  if(NOT soname MATCHES "libenlist\\.so\\.[0-9]+\\.[0-9]+$")
    message(FATAL_ERROR "the shared library's SONAME is '${soname}' (${shared_lib})")
  endif()
  consume(${WORK_DIR}/shared/prefix shared)
endif()
