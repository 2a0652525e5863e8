/* The one translation unit that holds the library's implementation for the
 * tests, tools, examples and benchmarks. */
#define EMBER_PERSIST_IMPLEMENTATION
#include "ember_persist.h"
