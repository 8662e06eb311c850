//===- Pipelines.cpp - The named pass pipelines of resnetc ----------------===//
//
// Assembly of resnetc's pass pipelines from typed passes: each pass is made
// by its create function, with its options struct where it has options.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Pipeline/Pipelines.h"
#include "resnetc/Conversion/Passes.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"
#include "resnetc/Target/CPUFeatures.h"
#include "resnetc/Target/CPUTarget.h"
#include "resnetc/Target/Passes.h"
#include "resnetc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace resnetc;

/// Appends, nested on each function, the lowering of rn to linalg and, with
/// `fuseStorage`, the storage conversions folded into the kernels' loops.
static void addLinalgLowering(OpPassManager &pm, bool fuseStorage) {
  OpPassManager &lower = pm.nest<func::FuncOp>();
  lower.addPass(createConvertRNToLinalg());
  lower.addPass(createCanonicalizerPass());
  if (fuseStorage) {
    OpPassManager &fuse = pm.nest<func::FuncOp>();
    fuse.addPass(createFuseStorageConversions());
    fuse.addPass(createCanonicalizerPass());
  }
}

void resnetc::buildInferenceFusionPipeline(OpPassManager &pm) {
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(rn::createRNTrimConvTaps());
  fn.addPass(rn::createRNEraseDropout());
  fn.addPass(rn::createRNFoldBatchNorm());
  fn.addPass(rn::createRNFuseConvReLU());
  fn.addPass(rn::createRNFuseAddReLU());
  fn.addPass(rn::createRNFuseResidualIntoConv());
  fn.addPass(createCSEPass());
}

void resnetc::buildInferenceToLinalgPipeline(OpPassManager &pm) {
  buildInferenceFusionPipeline(pm);
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createConvertRNToLinalg());
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createCSEPass());
}

void resnetc::buildBufferizePipeline(OpPassManager &pm) {
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createEmptyTensorToAllocTensorPass());
  bufferization::OneShotBufferizationOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  pm.addPass(createCanonicalizerPass());
  bufferization::buildBufferDeallocationPipeline(
      pm, bufferization::BufferDeallocationPipelineOptions());
}

void resnetc::buildPlanningPipeline(
    OpPassManager &pm, const EntryOptions &entries, const std::string &target,
    const std::string &precision, const std::string &cpu,
    const std::vector<std::string> &cpuFeatures) {
  if (entries.train) {
    rn::RNAutodiffOptions autodiff;
    autodiff.optimizer = entries.optimizer;
    autodiff.momentum = entries.momentum;
    autodiff.weightDecay = entries.weightDecay;
    autodiff.nesterov = entries.nesterov;
    autodiff.beta1 = entries.beta1;
    autodiff.beta2 = entries.beta2;
    autodiff.epsilon = entries.epsilon;
    pm.addPass(rn::createRNAutodiff(autodiff));
    pm.addNestedPass<func::FuncOp>(rn::createRNFuseTraining());
    // The CPU runs per-image kernels on every thread: batch norm's
    // statistics and gradient sums become per-image steps too.
    if (target == "cpu")
      pm.addNestedPass<func::FuncOp>(rn::createRNSplitBatchNorm());
  }
  buildInferenceFusionPipeline(pm);
  pm.addPass(rn::createRNOutlineKernels());
  if (entries.train) {
    rn::RNOutlineKernelsOptions outline;
    outline.entry = "train_step";
    outline.prefix = "t";
    outline.wholeBatch = true;
    pm.addPass(rn::createRNOutlineKernels(outline));
  }
  RNBuildPlanOptions plan;
  plan.target = target;
  plan.precision = precision;
  plan.optimizer = entries.optimizer;
  plan.momentum = entries.momentum;
  plan.weightDecay = entries.weightDecay;
  plan.nesterov = entries.nesterov;
  plan.beta1 = entries.beta1;
  plan.beta2 = entries.beta2;
  plan.epsilon = entries.epsilon;
  plan.cpu = cpu;
  plan.cpuFeatures = cpuFeatures;
  pm.addPass(createRNBuildPlan(plan));
}

//===----------------------------------------------------------------------===//
// CPU
//===----------------------------------------------------------------------===//

void resnetc::buildCPUPlanPipeline(OpPassManager &pm,
                                   const CPUPipelineOptions &options) {
  buildPlanningPipeline(pm, options.entries, "cpu", "fp32", options.cpu,
                        options.cpuFeatures);
  RNChooseStorageOptions storage;
  storage.layout = options.layout;
  // Filters stay OIHW, as the parameters: oneDNN reorders them itself, and
  // the optimizer reads a parameter and its gradient alike.
  storage.filterLayout = "nchw";
  pm.addPass(createRNChooseStorage(storage));
  pm.addPass(createRNAssignBuffers());
}

void resnetc::buildCPUKernelPipeline(OpPassManager &pm,
                                     const CPUPipelineOptions &options) {
  if (options.libraryConvolutions) {
    RNSelectLibraryCallsOptions calls;
    calls.library = "onednn";
    pm.addPass(createRNSelectLibraryCalls(calls));
  }
  RNDestinationPassingOptions dps;
  dps.perImage = true;
  pm.addNestedPass<func::FuncOp>(createRNDestinationPassing(dps));
  if (options.libraryConvolutions) {
    RNConvertLibraryOperandsOptions operands;
    operands.imageIndex = true;
    operands.keepFilterLayout = true;
    pm.addPass(createRNConvertLibraryOperands(operands));
    // The copies are new buffers.
    pm.addPass(createRNAssignBuffers());
  }
  pm.addPass(createRNApplyStorage());
}

void resnetc::buildCPULinalgPipeline(OpPassManager &pm,
                                     const CPUPipelineOptions &options) {
  RNCPUConvolutionsOptions convolutions;
  convolutions.vectorRegisters = options.vectorRegisters;
  convolutions.vectorFloats = options.vectorFloats;
  pm.addPass(createRNCPUConvolutions(convolutions));
  addLinalgLowering(pm, /*fuseStorage=*/options.layout != "nchw");
  pm.addNestedPass<func::FuncOp>(createRNCPULoopOrder());
}

void resnetc::buildCPULLVMPipeline(OpPassManager &pm,
                                   const CPUPipelineOptions &options) {
  buildBufferizePipeline(pm);
  RNCopiesToLinalgOptions copies;
  copies.collapseContiguous = true;
  pm.addPass(createRNCopiesToLinalg(copies));
  pm.addPass(createRNCPUFlattenElementwise());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  pm.addPass(createReconcileUnrealizedCastsPass());
  RNSerializePlanOptions serialize;
  serialize.symbol = kPlanSymbol;
  pm.addPass(createRNSerializePlan(serialize));
}

//===----------------------------------------------------------------------===//
// CUDA
//===----------------------------------------------------------------------===//

void resnetc::buildCUDAPlanPipeline(OpPassManager &pm,
                                    const CUDAPipelineOptions &options) {
  buildPlanningPipeline(pm, options.entries, "cuda", options.precision);
}

void resnetc::buildCUDAKernelPipeline(OpPassManager &pm,
                                      const CUDAPipelineOptions &options) {
  if (options.libraryConvolutions) {
    RNSelectLibraryCallsOptions calls;
    calls.library = options.library;
    pm.addPass(createRNSelectLibraryCalls(calls));
  }
  pm.addNestedPass<func::FuncOp>(createRNDestinationPassing());
  RNChooseStorageOptions storage;
  storage.layout = options.layout;
  storage.bf16 = options.precision == "bf16";
  pm.addPass(createRNChooseStorage(storage));
  pm.addPass(createRNConvertLibraryOperands());
  pm.addPass(createRNApplyStorage());
}

void resnetc::buildCUDAGPUPipeline(OpPassManager &pm,
                                   const CUDAPipelineOptions &options) {
  // The conversions at the kernels' edges join the kernels' loops.
  addLinalgLowering(pm, /*fuseStorage=*/options.precision == "bf16" ||
                            options.layout != "nchw");
  buildBufferizePipeline(pm);
  pm.addPass(createRNCopiesToLinalg());
  OpPassManager &fn = pm.nest<func::FuncOp>();
  ConvertLinalgReductionsToGPUOptions reductions;
  reductions.threads = options.threads;
  fn.addPass(createConvertLinalgReductionsToGPU(reductions));
  fn.addPass(createConvertLinalgToParallelLoopsPass());
  fn.addPass(createLowerAffinePass());
  MapParallelLoopsToGPUOptions parallelLoops;
  parallelLoops.threads = options.threads;
  fn.addPass(createMapParallelLoopsToGPU(parallelLoops));
  fn.addPass(createSCCPPass());
  fn.addPass(createCSEPass());
  fn.addPass(createParallelLoopToGpuPass());
  fn.addPass(createLowerAffinePass());
  fn.addPass(createCanonicalizerPass());
  pm.addPass(createGpuLauchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createRNGatherGPUKernels());
  pm.addPass(createRNRecordLaunches());
  pm.addPass(createRNAssignBuffers());
}

void resnetc::buildCUDANVVMPipeline(OpPassManager &pm,
                                    const CUDAPipelineOptions &options) {
  GpuNVVMAttachTargetOptions target;
  target.chip = options.arch;
  target.features = "+ptx80";
  target.optLevel = 3;
  SmallVector<std::string> libraries;
  if (!options.libdevice.empty())
    libraries.push_back(options.libdevice);
  target.linkLibs = libraries;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &gpuModule = pm.nest<gpu::GPUModuleOp>();
  gpuModule.addPass(createConvertSCFToCFPass());
  ConvertGpuOpsToNVVMOpsOptions toNVVM;
  toNVVM.useBarePtrCallConv = true;
  gpuModule.addPass(createConvertGpuOpsToNVVMOps(toNVVM));
  gpuModule.addPass(createCanonicalizerPass());
  gpuModule.addPass(createCSEPass());
  gpuModule.addPass(createReconcileUnrealizedCastsPass());
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

namespace {
/// The options of the named target pipelines in resnet-opt.
struct TargetPipelineOptions
    : public PassPipelineOptions<TargetPipelineOptions> {
  Option<bool> train{*this, "train", llvm::cl::desc("Compile train_step too"),
                     llvm::cl::init(false)};
  Option<std::string> layout{
      *this, "layout",
      llvm::cl::desc("Storage of the rank-4 temporaries: nchw or nhwc "
                     "(default: the target's)"),
      llvm::cl::init("")};
  Option<std::string> precision{*this, "precision",
                                llvm::cl::desc("CUDA: fp32, tf32 or bf16"),
                                llvm::cl::init("fp32")};
  Option<bool> libraryConvolutions{
      *this, "library-convolutions",
      llvm::cl::desc("CUDA: convolutions as library calls"),
      llvm::cl::init(true)};
  Option<bool> cpuLibraryConvolutions{
      *this, "onednn", llvm::cl::desc("CPU: convolutions as oneDNN calls"),
      llvm::cl::init(false)};
  Option<std::string> cpu{
      *this, "cpu",
      llvm::cl::desc("CPU: the CPU to generate code for: native or an LLVM "
                     "CPU name"),
      llvm::cl::init("native")};
};

/// The options of rn-cuda-nvvm-pipeline.
struct NVVMPipelineOptions : public PassPipelineOptions<NVVMPipelineOptions> {
  Option<std::string> arch{*this, "arch",
                           llvm::cl::desc("The GPU architecture (sm_80, sm_90, "
                                          "sm_90a)"),
                           llvm::cl::init("sm_80")};
  Option<std::string> libdevice{
      *this, "libdevice",
      llvm::cl::desc("libdevice.10.bc to link (default: none)"),
      llvm::cl::init("")};
};
} // namespace

/// Registers rn-cpu-pipeline. Its builder resolves the option `cpu`, which
/// can fail, so it is registered with an error handler.
static void registerCPUPipeline() {
  registerPassPipeline(
      "rn-cpu-pipeline",
      "The CPU target from rn to the LLVM dialect with the serialized plan",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        TargetPipelineOptions o;
        if (failed(o.parseFromString(text)))
          return failure();
        CPUTargetInfo cpu;
        std::string error;
        if (!resolveCPUTarget(o.cpu, cpu, error))
          return errorHandler(error);
        CPUPipelineOptions options;
        options.entries.train = o.train;
        if (!o.layout.empty())
          options.layout = o.layout;
        options.libraryConvolutions = o.cpuLibraryConvolutions;
        options.setCPU(cpu);
        buildCPUPlanPipeline(pm, options);
        buildCPUKernelPipeline(pm, options);
        buildCPULinalgPipeline(pm, options);
        buildCPULLVMPipeline(pm, options);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) {
        optHandler(TargetPipelineOptions());
      });
}

void resnetc::registerAllResnetcPasses() {
  rn::registerRNPasses();
  registerConversionPasses();
  registerResnetcTransformsPasses();
  registerResnetcTargetPasses();
  // The upstream passes the pipelines use, so that each runs alone too.
  mlir::registerConversionPasses();
  bufferization::registerBufferizationPasses();
  bufferization::registerBufferizationPipelines();
  registerGPUPasses();
  registerLinalgPasses();
  memref::registerMemRefPasses();
  registerTransformsPasses();
  PassPipelineRegistration<>(
      "rn-inference-to-linalg",
      "The inference fusions, then rn lowered to linalg on tensors",
      [](OpPassManager &pm) { buildInferenceToLinalgPipeline(pm); });
  PassPipelineRegistration<>(
      "rn-inference-fusion",
      "Inference fusions on rn: fold batch norm, fuse conv+relu, add+relu "
      "and residual adds into convolutions",
      [](OpPassManager &pm) { buildInferenceFusionPipeline(pm); });
  registerCPUPipeline();
  PassPipelineRegistration<TargetPipelineOptions>(
      "rn-cuda-pipeline",
      "The CUDA target from rn to host launches of one gpu.module, with the "
      "final plan",
      [](OpPassManager &pm, const TargetPipelineOptions &o) {
        CUDAPipelineOptions options;
        options.entries.train = o.train;
        if (!o.layout.empty())
          options.layout = o.layout;
        options.precision = o.precision;
        options.libraryConvolutions = o.libraryConvolutions;
        buildCUDAPlanPipeline(pm, options);
        buildCUDAKernelPipeline(pm, options);
        buildCUDAGPUPipeline(pm, options);
      });
  PassPipelineRegistration<NVVMPipelineOptions>(
      "rn-cuda-nvvm-pipeline",
      "After rn-cuda-pipeline: the gpu.module lowered to NVVM for one GPU "
      "architecture, ready for gpu-module-to-binary",
      [](OpPassManager &pm, const NVVMPipelineOptions &o) {
        CUDAPipelineOptions options;
        options.arch = o.arch;
        options.libdevice = o.libdevice;
        buildCUDANVVMPipeline(pm, options);
      });
}
