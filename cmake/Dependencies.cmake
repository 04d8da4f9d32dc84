# The libraries stack links, as targets stack::<name>.
#
# `stack` is a CLI started for every command, and most of what it costs to
# start is the dynamic loader resolving symbols of shared libraries (libcrypto
# alone has 21k relocations). With STACK_STATIC_DEPS (the default) the
# libraries Debian ships as archives are linked in, and only what is used of
# them; the rest (libacl, libzstd, libc) stay shared.
option(STACK_STATIC_DEPS "Link libcrypto, libarchive, libseccomp, libnl, libyaml and yaml-cpp statically" ON)

if(STACK_STATIC_DEPS)
  set(OPENSSL_USE_STATIC_LIBS TRUE)
endif()
find_package(OpenSSL REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(LibArchive REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBYAML REQUIRED IMPORTED_TARGET yaml-0.1)
pkg_check_modules(LIBSECCOMP REQUIRED IMPORTED_TARGET libseccomp)
find_package(fmt REQUIRED)
pkg_check_modules(LIBNL REQUIRED IMPORTED_TARGET libnl-route-3.0)

# spdlog and fmt compiled into the users, header-only: their shared
# libraries would bring libstdc++.so back in (stack links it statically).
add_library(stack::spdlog INTERFACE IMPORTED GLOBAL)
target_compile_definitions(stack::spdlog INTERFACE SPDLOG_FMT_EXTERNAL)
target_link_libraries(stack::spdlog INTERFACE fmt::fmt-header-only)

# stack::NAME links lib<archive>.a, then the shared libraries it needs.
function(stack_static_library name archive)
  find_library(STACK_${name}_ARCHIVE NAMES lib${archive}.a REQUIRED)
  add_library(stack::${name} INTERFACE IMPORTED GLOBAL)
  target_link_libraries(stack::${name} INTERFACE ${STACK_${name}_ARCHIVE} ${ARGN})
endfunction()

if(STACK_STATIC_DEPS)
  # libarchive's own dependencies, as far as the formats and filters
  # runtime/ enables need them (no xar, so no libxml2 and ICU).
  foreach(lib nettle lzma bz2 z)
    find_library(STACK_${lib}_ARCHIVE NAMES lib${lib}.a REQUIRED)
  endforeach()
  # Shared, by soname: Debian has no archive of these, and the runtime
  # packages (which libarchive13 pulls in) have no unversioned link.
  foreach(lib acl zstd)
    find_library(STACK_${lib}_SHARED NAMES ${lib} lib${lib}.so.1 REQUIRED)
  endforeach()
  stack_static_library(libarchive archive ${STACK_nettle_ARCHIVE} ${STACK_lzma_ARCHIVE} ${STACK_bz2_ARCHIVE}
                       ${STACK_z_ARCHIVE} ${STACK_acl_SHARED} ${STACK_zstd_SHARED} OpenSSL::Crypto)
  target_include_directories(stack::libarchive INTERFACE ${LibArchive_INCLUDE_DIRS})
  # archive_write_set_format.o, which the pax writer needs, names every
  # writer, xar's (libxml2) among them: unreachable code, dropped here.
  target_link_options(stack::libarchive INTERFACE -Wl,--gc-sections)
  stack_static_library(seccomp seccomp)
  find_library(STACK_nl_ARCHIVE NAMES libnl-3.a REQUIRED)
  stack_static_library(libnl nl-route-3 ${STACK_nl_ARCHIVE} pthread)
  target_include_directories(stack::libnl INTERFACE ${LIBNL_INCLUDE_DIRS})
  stack_static_library(libyaml yaml)
  stack_static_library(yaml-cpp yaml-cpp)
else()
  add_library(stack::libarchive ALIAS LibArchive::LibArchive)
  add_library(stack::seccomp ALIAS PkgConfig::LIBSECCOMP)
  add_library(stack::libnl ALIAS PkgConfig::LIBNL)
  add_library(stack::libyaml ALIAS PkgConfig::LIBYAML)
  add_library(stack::yaml-cpp ALIAS yaml-cpp)
endif()
