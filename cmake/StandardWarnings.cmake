# Warnings for our own code only (generated protobuf code is exempt).
add_library(gk_warnings INTERFACE)
target_compile_options(gk_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
  $<$<BOOL:${GATEKEEPER_WERROR}>:-Werror>)
