//===- CPUTarget.h - Compiling models to CPU shared libraries ---*- C++ -*-===//
//
// `resnetc --target=cpu MODEL.rn -o model.so`: the inference model, fused and
// outlined into kernels, lowered through linalg and LLVM to a shared library
// that exports one entry per kernel and the execution plan.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TARGET_CPUTARGET_H
#define RESNETC_TARGET_CPUTARGET_H

#include "resnetc/Runtime/Plan.h"
#include "resnetc/Target/Kernels.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace resnetc {

/// What to produce from the CPU pipeline.
enum class CPUOutput {
  Plan,          ///< The plan as JSON text.
  KernelsLinalg, ///< The kernels after lowering to linalg.
  LLVMIR,        ///< The optimized LLVM IR of the shared library.
  SharedLibrary, ///< The shared library.
};

struct CPUCompileOptions {
  CPUOutput output = CPUOutput::SharedLibrary;
  /// Where the shared library goes (SharedLibrary only).
  std::string outputPath;
  /// CPU to generate code for: "native" (this machine) or an LLVM CPU name.
  std::string cpu = "native";
  /// How the rank-4 temporaries are laid out (the kernels convert at
  /// their edges; NHWC tests the GPU's layout on the CPU).
  runtime::Layout layout = runtime::Layout::NCHW;
  /// The entries to compile (`train_step` with its SGD settings).
  EntryOptions entries;
  /// Convolutions as oneDNN calls of the plan (`--conv=onednn`) instead of
  /// generated kernels.
  bool oneDNNConvolutions = false;
};

/// Symbol holding the plan (NUL-terminated JSON) in a CPU artifact; the
/// global that rn-serialize-plan writes on both targets.
constexpr const char *kPlanSymbol = "resnetc_plan";
/// Symbol holding each kernel's argument sizes (NUL-terminated JSON:
/// `{"<kernel>": [bytes, ...], ...}`), taken from the compiled kernels'
/// signatures; the runtime checks every plan step against it.
constexpr const char *kKernelsSymbol = "resnetc_kernels";
/// Suffix of the exported entry of each kernel: `void k(void **args,
/// int64_t n)`, where args point at the kernel's buffers in plan order and n
/// is the image of a per-image step.
constexpr const char *kEntrySuffix = "_entry";

/// Checks `--cpu`: "native" or a CPU LLVM knows for this machine's target;
/// otherwise sets `error` to a message naming valid choices.
bool isValidCPUName(llvm::StringRef cpu, std::string &error);

/// Compiles `module` (rn, as produced by MLIRGen) for the CPU. Text outputs
/// are appended to `text`. Errors are reported through the module's context.
mlir::LogicalResult compileForCPU(mlir::ModuleOp module,
                                  const CPUCompileOptions &options,
                                  std::string &text);

} // namespace resnetc

#endif // RESNETC_TARGET_CPUTARGET_H
