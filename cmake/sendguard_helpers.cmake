# One-line declarations for tests and fuzz targets, in the manner of leveldb_test().

# sendguard_test(NAME source.cc [LIBS...]): a GoogleTest binary registered with CTest.
function(sendguard_test name source)
  if(NOT BUILD_TESTING)
    return()
  endif()
  find_package(GTest REQUIRED)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE ${ARGN} sendguard_testing GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    SENDGUARD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
endfunction()

# sendguard_fuzz(NAME source.cc CORPUS_DIR [LIBS...]): a libFuzzer target, run briefly by CTest.
# GCC instruments with trace-pc/trace-cmp; src/testing/fuzz_coverage.cc turns trace-pc calls
# into the 8-bit counters libFuzzer reads, and libFuzzer's runtime (from clang) supplies main().
function(sendguard_fuzz name source corpus)
  if(NOT SENDGUARD_FUZZ)
    return()
  endif()
  execute_process(COMMAND clang++ -print-resource-dir OUTPUT_VARIABLE clang_resource
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(runtime "${clang_resource}/lib/linux/libclang_rt.fuzzer-x86_64.a")
  if(NOT EXISTS "${runtime}")
    message(FATAL_ERROR "libFuzzer runtime not found at ${runtime}: run scripts/install-deps")
  endif()
  set(bridge ${PROJECT_SOURCE_DIR}/src/testing/fuzz_coverage.cc)
  set_source_files_properties(${bridge} PROPERTIES COMPILE_OPTIONS "-fno-sanitize-coverage=trace-pc,trace-cmp")
  add_executable(${name} ${source} ${bridge})
  if(NOT TARGET fuzz_targets)
    add_custom_target(fuzz_targets)
  endif()
  add_dependencies(fuzz_targets ${name})
  target_link_libraries(${name} PRIVATE ${ARGN} "${runtime}" pthread)
  target_link_options(${name} PRIVATE -Wl,--allow-multiple-definition)
  # How long each target runs in CTest: SENDGUARD_FUZZ_SECONDS at configure time (the
  # Makefile sets it from FUZZ_SECONDS).
  set(seconds $ENV{SENDGUARD_FUZZ_SECONDS})
  if(NOT seconds)
    set(seconds 20)
  endif()
  add_test(NAME ${name}
           COMMAND ${name} -max_total_time=${seconds} -max_len=4096 -timeout=5
                   -rss_limit_mb=2048 ${PROJECT_BINARY_DIR}/fuzz-corpus/${name} ${corpus})
  set_tests_properties(${name} PROPERTIES LABELS fuzz)
  file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz-corpus/${name})
endfunction()
