// The one main() that every doctest suite links (doctest's own, with its command line).

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
