# Writes INPUT as a C++ raw string literal to OUTPUT.
file(READ ${INPUT} content)
file(WRITE ${OUTPUT} "R\"rnprelude(${content})rnprelude\"\n")
