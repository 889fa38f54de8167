# sluice_set_warnings(target): the project's warning set; errors when SLUICE_WERROR is on (CI).
# Every preset builds with no warning at all, on GCC 12 and on clang 14; the few false positives
# of GCC 12 are silenced where they arise, each with the reason, never made merely non-fatal.
function(sluice_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 pairs a coroutine frame's class-specific operator delete with the global operator
    # new in Asio's awaitable frames: a false positive on coroutine frames. Real
    # mismatches are still caught at run time by ASan's alloc-dealloc-mismatch check.
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
  if(SLUICE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
