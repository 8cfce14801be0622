# Installs the enlist build tree into a scratch prefix, then builds and runs a consumer found
# through find_package(enlist CONFIG), one compiled with pkg-config's flags, a C program built
# with those flags alone, and a plugin (a shared object linking the static library) loaded by a
# C host.
# cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DCXX=... -DCC=... -P install_and_consume.cmake

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# find_package
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/consumer -B ${WORK_DIR}/cmake-consumer -G Ninja
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/cmake-consumer)
run(${WORK_DIR}/cmake-consumer/consumer)

# pkg-config
file(GLOB pc_dir ${prefix}/lib*/pkgconfig)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
execute_process(COMMAND pkg-config --cflags --libs enlist RESULT_VARIABLE result
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "pkg-config does not know enlist (PKG_CONFIG_PATH=${pc_dir})")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
run(${CXX} -std=c++20 ${SOURCE_DIR}/consumer/main.cpp -o ${WORK_DIR}/pkg-consumer ${flags})
run(${WORK_DIR}/pkg-consumer)
# One version everywhere: the header the consumer compiled against and pkg-config agree.
execute_process(COMMAND ${WORK_DIR}/pkg-consumer OUTPUT_VARIABLE header_version
                OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND pkg-config --modversion enlist OUTPUT_VARIABLE pc_version
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT header_version STREQUAL pc_version OR header_version STREQUAL "")
  message(FATAL_ERROR "version.hpp says '${header_version}', pkg-config '${pc_version}'")
endif()

# A C program built with pkg-config's flags alone: the C API test, against the installed library.
run(${CC} -std=c11 ${SOURCE_DIR}/../registry/c_api_test.c -o ${WORK_DIR}/c-consumer ${flags})
run(${WORK_DIR}/c-consumer)

# A plugin: a shared object that links the static library, loaded by a C host with dlopen.
run(${CXX} -std=c++20 -shared -fPIC ${SOURCE_DIR}/consumer/plugin.cpp -o ${WORK_DIR}/plugin.so
    ${flags})
run(${CC} ${SOURCE_DIR}/consumer/plugin_host.c -o ${WORK_DIR}/plugin_host -ldl)
run(${WORK_DIR}/plugin_host ${WORK_DIR}/plugin.so)
message(STATUS "find_package, pkg-config, C and plugin consumers built and ran")
