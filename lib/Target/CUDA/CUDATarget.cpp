//===- CUDATarget.cpp - Compiling models to PTX ---------------------------===//
//
// 1. The shared stages (Kernels.h): outlined kernels in destination-passing
//    form over the whole batch, and the plan of their steps. Convolutions
//    become cuDNN calls of the plan (LibraryCalls.h) unless generated
//    kernels are asked for. Temporaries are stored as chosen (Storage.h:
//    NHWC by default, bf16 with --precision bf16), and the library calls
//    get copies of operands stored otherwise (LibraryOperands.h).
// 2. rn -> linalg -> bufferization. Reductions with few outputs become one
//    block of threads per output (convert-linalg-reductions-to-gpu); the
//    other linalg ops become parallel loops, each outermost loop nest
//    collapsed and tiled into blocks of `threads` threads
//    (map-parallel-loops-to-gpu) and turned into a gpu.launch. Constants
//    and index computations are sunk into the launches, which become
//    gpu.funcs (gpu-kernel-outlining).
// 3. The gpu.funcs are gathered into one gpu.module named kGPUModuleName,
//    each named after its outlined module (<kernel>_kernel[_N]). What is
//    left on the host is a sequence of launches per step, recorded in the
//    plan with its scratch buffers (Launches.h), and the arena is laid out
//    again.
// 4. The gpu.module is lowered to NVVM and serialized to PTX for the chosen
//    architecture; the artifact is that PTX preceded by the plan.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/CUDATarget.h"
#include "Launches.h"
#include "LibraryCalls.h"
#include "LibraryOperands.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/PTXArtifact.h"
#include "resnetc/Target/PlanBuilder.h"
#include "resnetc/Target/Storage.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

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

/// Moves the gpu.func of every outlined gpu.module into one gpu.module,
/// each renamed after the module it came from, and retargets the launches.
static void gatherKernels(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  SmallVector<gpu::GPUModuleOp> outlined(module.getOps<gpu::GPUModuleOp>());
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  auto merged = b.create<gpu::GPUModuleOp>(module.getLoc(), kGPUModuleName);
  Operation *end = merged.getBody()->getTerminator();
  for (gpu::GPUModuleOp m : outlined) {
    for (gpu::GPUFuncOp fn :
         llvm::make_early_inc_range(m.getOps<gpu::GPUFuncOp>())) {
      fn.setName(m.getName());
      fn->moveBefore(end);
    }
    m.erase();
  }
  module.walk([&](gpu::LaunchFuncOp launch) {
    StringRef name = launch.getKernelModuleName().getValue();
    launch.setKernelAttr(SymbolRefAttr::get(
        ctx, kGPUModuleName, {FlatSymbolRefAttr::get(ctx, name)}));
  });
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

LogicalResult resnetc::compileForCUDA(ModuleOp module,
                                      const CUDACompileOptions &options,
                                      std::string &text) {
  MLIRContext &ctx = *module.getContext();
  registerTargetPipelinePasses();
  prepareTargetContext(ctx);

  // 1. Kernels over the whole batch.
  FailureOr<runtime::Plan> plan =
      outlineKernels(module, options.entries, "cuda");
  if (failed(plan))
    return failure();
  plan->precision = options.precision;
  keepOnlyKernels(module);
  if (options.cudnnConvolutions && failed(recordLibraryCalls(module, *plan)))
    return failure();
  for (auto kernel : module.getOps<func::FuncOp>())
    makeDestinationPassing(kernel, /*perImage=*/false);
  StorageOptions storage;
  storage.bf16 = options.precision == "bf16";
  storage.layout = options.layout;
  chooseTemporaryStorage(*plan, storage);
  if (failed(convertLibraryOperands(module, *plan)) ||
      failed(applyStorage(module, *plan)))
    return failure();

  auto print = [&] {
    llvm::raw_string_ostream os(text);
    module.print(os);
    return success();
  };

  // 2. Parallel loops and reductions on blocks of threads, outlined into
  // gpu.funcs.
  if (failed(runPipeline(module,
                         "func.func(convert-rn-to-linalg,canonicalize)")))
    return failure();
  // The conversions at the kernels' edges join the kernels' loops.
  if ((storage.bf16 || storage.layout != runtime::Layout::NCHW) &&
      failed(runPipeline(module,
                         "func.func(fuse-storage-conversions,canonicalize)")))
    return failure();
  if (failed(runPipeline(module, kBufferizePipeline)))
    return failure();
  copiesToLinalg(module);
  std::string threads = std::to_string(options.threads);
  if (failed(runPipeline(
          module, "func.func(convert-linalg-reductions-to-gpu{threads=" +
                      threads +
                      "},convert-linalg-to-parallel-loops,lower-affine,"
                      "map-parallel-loops-to-gpu{threads=" +
                      threads +
                      "},sccp,cse,convert-parallel-loops-to-gpu,lower-affine,"
                      "canonicalize),gpu-launch-sink-index-computations,"
                      "gpu-kernel-outlining,canonicalize")))
    return failure();
  gatherKernels(module);

  // 3. The launches of each step.
  if (failed(recordLaunches(module, *plan)))
    return failure();
  layoutPlan(*plan);
  if (options.output == CUDAOutput::GPU)
    return print();
  if (options.output == CUDAOutput::Plan) {
    text += runtime::writePlan(*plan, /*pretty=*/true);
    text += "\n";
    return success();
  }

  // 4. NVVM, then PTX.
  FailureOr<std::string> toolkit = findCUDAToolkit(module);
  if (failed(toolkit))
    return failure();
  std::string libdevice = getLibdevicePath(*toolkit);
  if (failed(runPipeline(
          module, "nvvm-attach-target{chip=" + options.arch +
                      " features=+ptx80 O=3 l=" + libdevice +
                      "},"
                      "gpu.module(convert-scf-to-cf,"
                      "convert-gpu-to-nvvm{use-bare-ptr-memref-call-conv=1},"
                      "canonicalize,cse,reconcile-unrealized-casts)")))
    return failure();
  if (options.output == CUDAOutput::NVVM)
    return print();
  if (options.output == CUDAOutput::LLVM) {
    if (failed(runPipeline(module, "gpu-module-to-binary{format=llvm toolkit=" +
                                         *toolkit + "}")))
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
  if (failed(runPipeline(module, "gpu-module-to-binary{format=isa toolkit=" +
                                         *toolkit + "}")))
    return failure();
  FailureOr<StringRef> object = getObject(module);
  if (failed(object))
    return failure();
  std::string ptx = object->substr(0, object->find('\0')).str();
  if (options.output == CUDAOutput::PTX) {
    text += ptx;
    return success();
  }
  std::string artifact = runtime::embedPlanInPTX(
      runtime::writePlan(*plan), ptx);
  runtime::Status written = runtime::writeFileAtomically(
      options.outputPath, {{artifact.data(), artifact.size()}});
  if (!written)
    return module.emitError(written.message());
  return success();
}
