//===- PlanBuilder.h - Execution plans from outlined modules ----*- C++ -*-===//
//
// Turns a module whose @forward is a sequence of kernel calls (after
// rn-outline-kernels) into a runtime::Plan: buffers with roles, the
// `prepare` and `infer` entries, and a liveness-based arena layout.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TARGET_PLANBUILDER_H
#define RESNETC_TARGET_PLANBUILDER_H

#include "resnetc/Runtime/Plan.h"

#include "mlir/IR/BuiltinOps.h"

namespace resnetc {

/// Builds the plan of `module` for `target` ("cpu" or "cuda"). Kernel
/// arguments are the call's operands followed by its results (destination
/// style). Reports errors on the module and fails if @forward is not a
/// sequence of kernel calls.
mlir::FailureOr<runtime::Plan> buildPlan(mlir::ModuleOp module,
                                         llvm::StringRef target);

/// Lays out the arena of `plan`: persistent buffers first, then the
/// temporaries (activations, the output, scratch) of each entry by liveness
/// over one shared region. A temporary lives from the first step that
/// refers to it (as a kernel argument or in a launch) to the last; the
/// output lives to the end of its entry.
void layoutPlan(runtime::Plan &plan);

} // namespace resnetc

#endif // RESNETC_TARGET_PLANBUILDER_H
