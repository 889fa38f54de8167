# sluice_add_plugin(NAME [SOURCES] src... [LIBS lib...] [OUTPUT_DIRECTORY dir] [NO_INSTALL])
#
# Builds a Sluice node-type plugin: a MODULE library with hidden visibility that links only
# the SDK (Sluice::sdk) plus LIBS. Works in-tree and, through find_package(Sluice), out of
# tree. The result is lib<NAME>.so; put its directory on --plugin-dir or SLUICE_PLUGIN_PATH,
# or install it into <prefix>/lib/sluice/plugins.
function(sluice_add_plugin name)
  cmake_parse_arguments(PLUGIN "NO_INSTALL" "OUTPUT_DIRECTORY" "SOURCES;LIBS" ${ARGN})
  add_library(${name} MODULE ${PLUGIN_SOURCES} ${PLUGIN_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE Sluice::sdk ${PLUGIN_LIBS})
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # Refuse undefined symbols at link time rather than at load time.
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
  if(PLUGIN_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${PLUGIN_OUTPUT_DIRECTORY})
  elseif(DEFINED SLUICE_PLUGIN_BUILD_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${SLUICE_PLUGIN_BUILD_DIR})
  endif()
  if(NOT PLUGIN_NO_INSTALL AND DEFINED SLUICE_PLUGIN_INSTALL_DIR)
    install(TARGETS ${name} LIBRARY DESTINATION ${SLUICE_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
