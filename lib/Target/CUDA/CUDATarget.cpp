//===- CUDATarget.cpp - Compiling models to PTX ---------------------------===//
//
// The pass pipelines of Pipelines.h, stage by stage:
// 1. rn: training, fusions, outlined kernels; rn-build-plan.
// 2. Convolutions become library calls of the plan (rn-select-library-calls)
//    unless generated kernels are asked for; the other kernels take
//    destination-passing form over the whole batch. Temporaries are stored
//    as chosen (rn-choose-storage: NHWC by default, bf16 with --precision
//    bf16), the library calls get copies of operands stored otherwise
//    (rn-convert-library-operands) and the kernels are retyped
//    (rn-apply-storage).
// 3. rn -> linalg -> bufferization. Reductions with few outputs become one
//    block of threads per output (convert-linalg-reductions-to-gpu); the
//    other linalg ops become parallel loops, each outermost loop nest
//    collapsed and tiled into blocks of `threads` threads
//    (map-parallel-loops-to-gpu) and turned into a gpu.launch. Constants
//    and index computations are sunk into the launches, which become
//    gpu.funcs (gpu-kernel-outlining), gathered into one gpu.module named
//    kGPUModuleName (rn-gather-gpu-kernels). What is left on the host is a
//    sequence of launches per step, recorded in the plan with its scratch
//    buffers (rn-record-launches), and the arena is laid out
//    (rn-assign-buffers).
// 4. The gpu.module is lowered to NVVM and serialized to PTX for the chosen
//    architecture; the artifact is that PTX preceded by the plan
//    (rn-serialize-plan).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/CUDATarget.h"
#include "resnetc/Pipeline/Pipelines.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/PTXArtifact.h"
#include "resnetc/Target/CPUTarget.h"
#include "resnetc/Target/Passes.h"
#include "resnetc/Target/PlanAttr.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;
using namespace resnetc;

/// libdevice in the CUDA Toolkit at `root`.
static std::string getLibdevicePath(StringRef root) {
  SmallString<128> path(root);
  llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
  return std::string(path);
}

/// The CUDA Toolkit: the first of $CUDA_HOME, $CUDA_PATH and
/// /usr/local/cuda that holds libdevice (the __nv_* math functions the NVVM
/// lowering calls). The serialization is pointed at the same toolkit.
static FailureOr<std::string> findCUDAToolkit(ModuleOp module) {
  SmallVector<std::string> roots;
  for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *v = std::getenv(var); v && *v)
      roots.push_back(v);
  roots.push_back("/usr/local/cuda");
  for (const std::string &root : roots)
    if (llvm::sys::fs::exists(getLibdevicePath(root)))
      return root;
  module.emitError("CUDA's libdevice (nvvm/libdevice/libdevice.10.bc) was "
                   "not found under $CUDA_HOME, $CUDA_PATH or /usr/local/cuda; "
                   "install the CUDA Toolkit or set CUDA_HOME to it");
  return failure();
}

/// The single object that gpu-module-to-binary produced.
static FailureOr<StringRef> getObject(ModuleOp module) {
  auto binary = module.lookupSymbol<gpu::BinaryOp>(kGPUModuleName);
  if (!binary || binary.getObjects().size() != 1) {
    module.emitError("internal error: the GPU module was not serialized");
    return failure();
  }
  return cast<gpu::ObjectAttr>(binary.getObjects()[0]).getObject().getValue();
}

/// Runs the stage `build` adds on `module`.
template <typename Fn>
static LogicalResult runStage(ModuleOp module, Fn build) {
  PassManager pm(module.getContext());
  build(pm);
  return pm.run(module);
}

/// Adds gpu-module-to-binary, serializing to `format` ("isa": PTX, "llvm":
/// bitcode) with the toolkit at `toolkit`.
static void addModuleToBinary(OpPassManager &pm, StringRef format,
                              StringRef toolkit) {
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = format.str();
  binary.toolkitPath = toolkit.str();
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

LogicalResult resnetc::compileForCUDA(ModuleOp module,
                                      const CUDACompileOptions &options,
                                      std::string &text) {
  MLIRContext &ctx = *module.getContext();
  prepareTargetContext(ctx);
  CUDAPipelineOptions pipeline;
  pipeline.entries = options.entries;
  pipeline.precision = options.precision;
  pipeline.layout = runtime::getLayoutName(options.layout);
  pipeline.libraryConvolutions = options.cudnnConvolutions;
  pipeline.library = "cudnn";
  pipeline.threads = options.threads;
  pipeline.arch = options.arch;

  // The module as printed: without the plan, which has its own output.
  auto print = [&] {
    Attribute planAttr = module->getAttr(kPlanAttrName);
    module->removeAttr(kPlanAttrName);
    llvm::raw_string_ostream os(text);
    module.print(os);
    if (planAttr)
      module->setAttr(kPlanAttrName, planAttr);
    return success();
  };

  // 1-3. Kernels over the whole batch, as GPU launches; the final plan.
  if (failed(runStage(module, [&](OpPassManager &pm) {
        buildCUDAPlanPipeline(pm, pipeline);
        buildCUDAKernelPipeline(pm, pipeline);
        buildCUDAGPUPipeline(pm, pipeline);
      })))
    return failure();
  if (options.output == CUDAOutput::GPU)
    return print();
  if (options.output == CUDAOutput::Plan) {
    FailureOr<runtime::Plan> plan = getPlan(module);
    if (failed(plan))
      return failure();
    text += writePlanJson(*plan, /*pretty=*/true);
    text += "\n";
    return success();
  }

  // 4. NVVM, then PTX.
  FailureOr<std::string> toolkit = findCUDAToolkit(module);
  if (failed(toolkit))
    return failure();
  pipeline.libdevice = getLibdevicePath(*toolkit);
  if (failed(runStage(module, [&](OpPassManager &pm) {
        buildCUDANVVMPipeline(pm, pipeline);
      })))
    return failure();
  if (options.output == CUDAOutput::NVVM)
    return print();
  if (options.output == CUDAOutput::LLVM) {
    if (failed(runStage(module, [&](OpPassManager &pm) {
          addModuleToBinary(pm, "llvm", *toolkit);
        })))
      return failure();
    FailureOr<StringRef> bitcode = getObject(module);
    if (failed(bitcode))
      return failure();
    llvm::LLVMContext llvmContext;
    llvm::Expected<std::unique_ptr<llvm::Module>> llvmModule =
        llvm::parseBitcodeFile(llvm::MemoryBufferRef(*bitcode, "kernels"),
                               llvmContext);
    if (!llvmModule)
      return module.emitError("internal error: unreadable LLVM bitcode: ")
             << llvm::toString(llvmModule.takeError());
    llvm::raw_string_ostream os(text);
    (*llvmModule)->print(os, nullptr);
    return success();
  }
  if (failed(runStage(module,
                      [&](OpPassManager &pm) {
                        RNSerializePlanOptions serialize;
                        serialize.symbol = kPlanSymbol;
                        pm.addPass(createRNSerializePlan(serialize));
                      })) ||
      failed(runStage(module, [&](OpPassManager &pm) {
        addModuleToBinary(pm, "isa", *toolkit);
      })))
    return failure();
  FailureOr<StringRef> object = getObject(module);
  if (failed(object))
    return failure();
  std::string ptx = object->substr(0, object->find('\0')).str();
  if (options.output == CUDAOutput::PTX) {
    text += ptx;
    return success();
  }
  auto planGlobal = module.lookupSymbol<LLVM::GlobalOp>(kPlanSymbol);
  auto planText = planGlobal
                      ? dyn_cast_or_null<StringAttr>(planGlobal.getValueAttr())
                      : StringAttr();
  if (!planText)
    return module.emitError("internal error: the plan was not serialized");
  StringRef json = planText.getValue();
  std::string artifact =
      runtime::embedPlanInPTX(json.substr(0, json.find('\0')).str(), ptx);
  runtime::Status written = runtime::writeFileAtomically(
      options.outputPath, {{artifact.data(), artifact.size()}});
  if (!written)
    return module.emitError(written.message());
  return success();
}
