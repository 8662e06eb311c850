//===- FrontendFuzzer.cpp - libFuzzer target for the .rn front end --------===//
//
// Feeds arbitrary bytes through the whole front end: lexer, parser, Sema,
// diagnostic rendering, the summary and MLIRGen. Any crash, sanitizer report
// or hang is a bug; so is a model that Sema accepts but the rn verifier
// rejects (the two share their shape rules and must agree).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Frontend/Frontend.h"
#include "resnetc/Frontend/MLIRGen.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

using namespace resnetc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1 << 16))
    return 0;
  FrontendSession session;
  std::string text(reinterpret_cast<const char *>(data), size);
  std::ostringstream sink;
  if (!session.parse("fuzz.rn", text)) {
    session.getDiagnostics().print(sink);
    if (!session.getDiagnostics().hasErrors())
      std::abort(); // a failed parse must say why
    return 0;
  }
  SemaLimits limits;
  limits.maxLayers = 4000; // keeps each input fast; the logic is the same
  std::optional<Network> net = session.analyze(limits);
  session.getDiagnostics().print(sink);
  if (!net) {
    if (!session.getDiagnostics().hasErrors())
      std::abort(); // a rejected model must say why
    return 0;
  }
  printSummary(*net, sink);

  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  context.loadDialect<mlir::rn::RNDialect, mlir::func::FuncDialect>();
  context.printOpOnDiagnostic(false);
  auto module = mlirGen(context, *net, session.getSourceManager(), 2);
  if (mlir::failed(mlir::verify(*module))) {
    std::fprintf(stderr, "Sema accepted a model that the rn verifier "
                         "rejects\n");
    std::abort();
  }
  return 0;
}
