//===- Kernels.cpp - The stages shared by the targets ---------------------===//
//
// See Kernels.h. Training is derived from the unfused model, then its batch
// norms take their epilogues and ReLU masks (rn-fuse-training); the
// inference fusions then apply to both entries (they never match
// training's batch norms).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Kernels.h"
#include "resnetc/Conversion/Passes.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"
#include "resnetc/Transforms/Passes.h"
#include "resnetc/Pipeline/Pipelines.h"
#include "resnetc/Target/PlanBuilder.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

#include <mutex>

using namespace mlir;
using namespace resnetc;

void resnetc::registerTargetPipelinePasses() {
  static std::once_flag once;
  std::call_once(once, [] {
    mlir::registerConversionPasses();
    resnetc::registerConversionPasses();
    resnetc::registerResnetcTransformsPasses();
    bufferization::registerBufferizationPasses();
    bufferization::registerBufferizationPipelines();
    registerGPUPasses();
    registerLinalgPasses();
    memref::registerMemRefPasses();
    registerTransformsPasses();
  });
}

void resnetc::prepareTargetContext(MLIRContext &ctx) {
  DialectRegistry registry;
  registry.insert<arith::ArithDialect, bufferization::BufferizationDialect,
                  cf::ControlFlowDialect, func::FuncDialect, gpu::GPUDialect,
                  linalg::LinalgDialect, LLVM::LLVMDialect, math::MathDialect,
                  memref::MemRefDialect, NVVM::NVVMDialect, scf::SCFDialect,
                  tensor::TensorDialect, vector::VectorDialect>();
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  vector::registerBufferizableOpInterfaceExternalModels(registry);
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerSubsetOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerSubsetOpInterfaceExternalModels(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  ctx.appendDialectRegistry(registry);
  ctx.loadAllAvailableDialects();
}

LogicalResult resnetc::runPipeline(ModuleOp module,
                                   const std::string &pipeline) {
  PassManager pm(module.getContext());
  if (failed(parsePassPipeline(pipeline, pm)))
    return module.emitError("internal error: invalid pass pipeline: ")
           << pipeline;
  return pm.run(module);
}

const char *const resnetc::kBufferizePipeline =
    "eliminate-empty-tensors,empty-tensor-to-alloc-tensor,"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "drop-equivalent-buffer-results,canonicalize,"
    "buffer-deallocation-pipeline";

FailureOr<runtime::Plan> resnetc::outlineKernels(ModuleOp module,
                                                 const EntryOptions &options,
                                                 StringRef target) {
  PassManager pm(module.getContext());
  if (options.train) {
    rn::RNAutodiffOptions autodiff;
    autodiff.momentum = options.momentum;
    autodiff.weightDecay = options.weightDecay;
    autodiff.nesterov = options.nesterov;
    pm.addPass(rn::createRNAutodiff(autodiff));
    pm.addNestedPass<func::FuncOp>(rn::createRNFuseTraining());
  }
  buildInferenceFusionPipeline(pm);
  pm.addPass(rn::createRNOutlineKernels());
  if (options.train) {
    rn::RNOutlineKernelsOptions outline;
    outline.entry = "train_step";
    outline.prefix = "t";
    outline.wholeBatch = true;
    pm.addPass(rn::createRNOutlineKernels(outline));
  }
  if (failed(pm.run(module)))
    return failure();
  FailureOr<runtime::Plan> plan = buildPlan(module, target);
  if (failed(plan))
    return failure();
  plan->momentum = options.momentum;
  plan->weightDecay = options.weightDecay;
  plan->nesterov = options.nesterov;
  return plan;
}

void resnetc::keepOnlyKernels(ModuleOp module) {
  for (StringRef name : {"forward", "train_step"})
    if (auto fn = module.lookupSymbol<func::FuncOp>(name))
      fn.erase();
}

void resnetc::copiesToLinalg(ModuleOp module) {
  module.walk([](memref::CopyOp copy) {
    OpBuilder b(copy);
    b.create<linalg::CopyOp>(copy.getLoc(), copy.getSource(), copy.getTarget());
    copy.erase();
  });
}

/// Per image: (args..., outs..., n: index) -> outs (see Kernels.h).
void resnetc::makeDestinationPassing(func::FuncOp kernel, bool perImage) {
  OpBuilder b(kernel.getContext());
  Block &body = kernel.front();
  Operation *op = &body.front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Location loc = kernel.getLoc();
  bool batched = perImage && !kernel->hasAttr("rn.prepare") &&
                 !kernel->hasAttr("rn.whole_batch");

  SmallVector<Value> outs;
  for (Type t : op->getResultTypes())
    outs.push_back(body.addArgument(t, loc));
  Value n = perImage ? body.addArgument(b.getIndexType(), loc) : Value();

  auto slice = [&](Value full, bool extract, Value into = Value()) {
    auto type = cast<RankedTensorType>(full.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
    offsets[0] = n;
    SmallVector<OpFoldResult> sizes;
    for (int64_t d : type.getShape())
      sizes.push_back(b.getIndexAttr(d));
    sizes[0] = b.getIndexAttr(1);
    SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
    if (extract) {
      SmallVector<int64_t> shape(type.getShape());
      shape[0] = 1;
      auto sliced = RankedTensorType::get(shape, type.getElementType());
      return b
          .create<tensor::ExtractSliceOp>(loc, sliced, full, offsets, sizes,
                                          strides)
          .getResult();
    }
    return b
        .create<tensor::InsertSliceOp>(loc, into, full, offsets, sizes, strides)
        .getResult();
  };

  SmallVector<Value> results;
  b.setInsertionPoint(op);
  if (batched) {
    llvm::SmallDenseMap<Value, Value> sliced;
    for (OpOperand &operand : op->getOpOperands()) {
      auto arg = dyn_cast<BlockArgument>(operand.get());
      if (!arg || !kernel.getArgAttr(arg.getArgNumber(), "rn.activation"))
        continue;
      Value &s = sliced[arg];
      if (!s)
        s = slice(arg, /*extract=*/true);
      operand.set(s);
    }
    for (Value r : op->getResults()) {
      auto type = cast<RankedTensorType>(r.getType());
      SmallVector<int64_t> shape(type.getShape());
      shape[0] = 1;
      r.setType(RankedTensorType::get(shape, type.getElementType()));
    }
    b.setInsertionPointAfter(op);
    for (auto [r, out] : llvm::zip(op->getResults(), outs))
      results.push_back(slice(out, /*extract=*/false, r));
  } else {
    b.setInsertionPointAfter(op);
    for (auto [r, out] : llvm::zip(op->getResults(), outs))
      results.push_back(
          b.create<bufferization::MaterializeInDestinationOp>(loc, r, out)
              .getResult());
  }
  ret->setOperands(results);
  kernel.setType(b.getFunctionType(body.getArgumentTypes(),
                                   ValueRange(results).getTypes()));
  kernel.setPublic();
}
