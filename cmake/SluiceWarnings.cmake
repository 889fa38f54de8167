# sluice_set_warnings(target): the project's warning set; errors when SLUICE_WERROR is on (CI).
function(sluice_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(SLUICE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
