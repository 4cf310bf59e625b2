// Compiles simdjson's single-file library (from the @nozbe/simdjson package, found through include_dirs)
// as part of this addon, so the build needs no path into node_modules.
#include "simdjson.cpp"
