# Runs `DRIVER ARGS...` in DIR and compares stdout with EXPECTED.
# -DDRIVER=... -DMODE=... -DINPUT=... -DDIR=... -DEXPECTED=...
execute_process(COMMAND ${DRIVER} ${MODE} ${INPUT}
  WORKING_DIRECTORY ${DIR}
  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
file(READ ${EXPECTED} want)
if(NOT out STREQUAL want)
  file(WRITE ${EXPECTED}.actual "${out}")
  execute_process(COMMAND diff -u ${EXPECTED} ${EXPECTED}.actual)
  message(FATAL_ERROR "output differs from ${EXPECTED} (exit ${rc}); actual output in ${EXPECTED}.actual")
endif()
if(rc MATCHES "^[0-9]+$" AND rc GREATER 1)
  message(FATAL_ERROR "driver exited ${rc}")
endif()
if(NOT rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "driver crashed: ${rc}")
endif()
