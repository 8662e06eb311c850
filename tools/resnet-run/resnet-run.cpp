//===- resnet-run.cpp - Runs models compiled by resnetc -------------------===//

#include "resnetc/Runtime/ResnetRun.h"

int main(int argc, char **argv) {
  return resnetc::runtime::resnetRunMain(argc, argv);
}
