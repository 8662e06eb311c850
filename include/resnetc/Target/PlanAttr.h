//===- PlanAttr.h - The execution plan carried in the IR --------*- C++ -*-===//
//
// Between the target passes, the execution plan lives on the module as the
// `rn.plan` attribute, a dictionary in the plan's own terms:
//
//   module attributes {rn.plan = {
//     target = "cpu", precision = "fp32", layout = "nchw", batch = 8,
//     input_shape = array<i64: 3, 96, 96>, classes = 10, input = 0,
//     output = 12, arena_bytes = ..., peak_activation_bytes = ...,
//     buffers = [{name = "input", role = "input", dtype = "f32",
//                 shape = array<i64: 8, 3, 96, 96>, bytes = 884736,
//                 offset = 0}, ...],
//     entries = [{name = "infer", steps = [
//       {kernel = @k0, layer = "stem.conv", args = array<i64: 0, 1, 5>,
//        per_image = true}, ...]}]}}
//
// A step may also hold `library = {name = "cudnn.conv2d_forward", ...}`
// (its library call) and `launches = [{kernel = "k0_kernel", grid =
// array<i64: 8, 1, 1>, block = array<i64: 256, 1, 1>, args = [{buffer = 0,
// bytes = 256}, {kind = "i64", bits = 4}]}]`. Each pass reads the plan,
// changes it and writes it back; rn-serialize-plan turns it into the
// artifact's JSON. The mapping is total: getPlan(setPlan(p)) == p.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TARGET_PLANATTR_H
#define RESNETC_TARGET_PLANATTR_H

#include "resnetc/Runtime/Plan.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"

namespace resnetc {

/// Name of the module attribute that holds the plan.
constexpr const char *kPlanAttrName = "rn.plan";

/// The plan of `attr` (as written by getPlanAttr), or failure with an error
/// reported through `emitError`.
mlir::FailureOr<runtime::Plan>
parsePlanAttr(mlir::Attribute attr,
              llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

/// The attribute that holds `plan`.
mlir::DictionaryAttr getPlanAttr(mlir::MLIRContext *ctx,
                                 const runtime::Plan &plan);

/// The plan on `module`; an error on the module if there is none or it is
/// malformed.
mlir::FailureOr<runtime::Plan> getPlan(mlir::ModuleOp module);

/// Sets (or replaces) the plan on `module`.
void setPlan(mlir::ModuleOp module, const runtime::Plan &plan);

/// The JSON text of `plan`, as artifacts carry it (pretty: indented, for
/// people).
std::string writePlanJson(const runtime::Plan &plan, bool pretty = false);

} // namespace resnetc

#endif // RESNETC_TARGET_PLANATTR_H
