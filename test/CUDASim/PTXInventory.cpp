//===- PTXInventory.cpp - Which PTX instructions artifacts use ------------===//
//
// resnetc-ptx-inventory FILE...: parses each PTX file (a CUDA artifact, its
// plan's comment lines included) with the simulated GPU's PTX parser and
// prints every distinct instruction the files use, one per line, sorted,
// then "N files, M instructions". A file the parser rejects (an
// instruction, type, state space or directive the interpreter does not
// know) is reported with its line, and the exit status is 1.
//
//===----------------------------------------------------------------------===//

#include "PTX/PTX.h"

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

using namespace resnetc::cudasim;

int main(int argc, char **argv) {
  std::set<std::string> all;
  int failed = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot read\n", argv[i]);
      ++failed;
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::string error;
    std::unique_ptr<ptx::Module> module = ptx::Module::parse(text.str(), error);
    if (!module) {
      std::fprintf(stderr, "%s: %s\n", argv[i], error.c_str());
      ++failed;
      continue;
    }
    for (const std::string &instruction : module->getInstructions())
      all.insert(instruction);
  }
  for (const std::string &instruction : all)
    std::printf("%s\n", instruction.c_str());
  std::printf("%d files, %zu instructions\n", argc - 1 - failed, all.size());
  return failed ? 1 : 0;
}
