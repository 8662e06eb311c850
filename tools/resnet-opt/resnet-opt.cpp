//===- resnet-opt.cpp - The resnetc optimizer driver ----------------------===//

#include "resnetc/Driver/Driver.h"

int main(int argc, char **argv) { return resnetc::resnetOptMain(argc, argv); }
