# Turns a text file into a C++ raw string literal, for including where a
# string_view is initialized (the dashboard page in daemon/ops/dashboard.cc).
# Run at build time, so that editing the file rebuilds the binary:
#   cmake -DINPUT=page.html -DOUTPUT=page.inc -P EmbedText.cmake
# The output is rewritten only when it changes.
if(NOT INPUT OR NOT OUTPUT)
  message(FATAL_ERROR "EmbedText: set INPUT and OUTPUT")
endif()
file(READ "${INPUT}" content)
# The literal ends at )gkembed" - the text must not hold that sequence.
string(FIND "${content}" ")gkembed\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "EmbedText: ${INPUT} contains )gkembed\" at ${clash}")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by cmake/EmbedText.cmake; do not edit.\n"
  "R\"gkembed(${content})gkembed\"\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
