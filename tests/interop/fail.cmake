# Makes a ctest test fail with a message (used when the interop tests cannot run at all:
# a skipped interop test would look like a pass).
message(FATAL_ERROR "INTEROP SETUP FAILURE: ${MESSAGE}")
