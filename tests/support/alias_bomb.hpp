// alias_bomb(): a pipeline whose one anchored string is aliased many times, for the tests of
// the expanded-bytes limit (test_yaml_loader.cpp in-process, test_cli.cpp through the CLI).
#pragma once

#include <cstddef>
#include <string>

namespace test_support {

// `aliases` aliases of a `size`-byte anchored string (anchored on line 6, column 17), in a flow
// list that opens on line 8, column 9.
inline std::string alias_bomb(std::size_t size, std::size_t aliases) {
  std::string yaml = "version: 1\nnodes:\n  a:\n    type: core.template\n    with:\n"
                     "      template: &big \"";
  yaml.append(size, 'x');
  yaml += "\"\noutputs:\n  more: [";
  for (std::size_t i = 0; i < aliases; ++i)
    yaml += i == 0 ? "*big" : ", *big";
  yaml += "]\n";
  return yaml;
}

} // namespace test_support
