//===- resnetc.cpp - The resnetc compiler ---------------------------------===//

#include "resnetc/Driver/Driver.h"

int main(int argc, char **argv) { return resnetc::resnetcMain(argc, argv); }
