# SPDX-License-Identifier: Apache-2.0
# Finds what sslquic builds on.  Each failure names the Debian package that
# provides the missing piece (scripts/deps.sh installs them all).

find_package(Threads REQUIRED)

find_package(OpenSSL 3.0)
if(NOT OpenSSL_FOUND)
  message(FATAL_ERROR "OpenSSL >= 3.0 development files not found: "
                      "apt-get install libssl-dev")
endif()

find_package(PkgConfig)
if(NOT PkgConfig_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

pkg_check_modules(NGTCP2 IMPORTED_TARGET libngtcp2>=0.12)
if(NOT NGTCP2_FOUND)
  message(FATAL_ERROR "libngtcp2 (0.12.x or >= 1.0) not found: "
                      "apt-get install libngtcp2-dev")
endif()
if(NGTCP2_VERSION VERSION_LESS 0.12 OR
   (NGTCP2_VERSION VERSION_GREATER_EQUAL 0.13 AND NGTCP2_VERSION VERSION_LESS 1.0))
  message(FATAL_ERROR "libngtcp2 ${NGTCP2_VERSION} is not supported "
                      "(0.12.x or >= 1.0 are)")
endif()

# nghttp3 is only for the HTTP/3 examples.
pkg_check_modules(NGHTTP3 IMPORTED_TARGET libnghttp3>=0.8)
if(NOT NGHTTP3_FOUND)
  message(STATUS "nghttp3 not found, HTTP/3 examples disabled "
                 "(apt-get install libnghttp3-dev)")
endif()

if(SSLQUIC_TESTS)
  find_path(CMOCKA_INCLUDE_DIR cmocka.h)
  find_library(CMOCKA_LIBRARY cmocka)
  if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
    message(FATAL_ERROR "cmocka not found: apt-get install libcmocka-dev "
                        "(or configure with -DSSLQUIC_TESTS=OFF)")
  endif()
  add_library(cmocka::cmocka UNKNOWN IMPORTED)
  set_target_properties(cmocka::cmocka PROPERTIES
    IMPORTED_LOCATION ${CMOCKA_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${CMOCKA_INCLUDE_DIR})
endif()

message(STATUS "sslquic: OpenSSL ${OPENSSL_VERSION}, ngtcp2 ${NGTCP2_VERSION}, "
               "nghttp3 ${NGHTTP3_VERSION}")
