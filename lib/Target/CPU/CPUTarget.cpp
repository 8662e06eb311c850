//===- CPUTarget.cpp - Compiling models to CPU shared libraries -----------===//
//
// The pass pipelines of Pipelines.h, stage by stage:
// 1. rn: inference fusions, then rn-outline-kernels; rn-build-plan turns
//    @forward into the plan, with the --cpu target's name and extensions
//    (CPUFeatures.h); rn-choose-storage and rn-assign-buffers complete it.
// 2. With --conv=onednn, convolution kernels become oneDNN calls of the
//    plan (rn-select-library-calls) over the whole batch. Each remaining
//    kernel is put in destination-passing, per-image form: it receives its
//    output buffers and the image index n, slices its activation operands
//    to image n and inserts its result at n. The runtime runs images in
//    parallel. The oneDNN calls' operands stored otherwise than their
//    output get copies from conversion kernels
//    (rn-convert-library-operands).
// 3. Register-blocked convolutions (rn-cpu-convolutions), the rest rn ->
//    linalg, loops ordered for the CPU (rn-cpu-loop-order) ->
//    bufferization -> loops -> LLVM (bare-pointer calling convention);
//    rn-serialize-plan makes the plan the global `resnetc_plan`.
// 4. Here, in C++: optimized at O3 for the --cpu target (CPUFeatures.h);
//    each kernel gets an exported
//    `<kernel>_entry(void **args, int64_t n)`, the byte size of every
//    kernel argument (read from the kernels' signatures, not the plan) the
//    global `resnetc_kernels`, and the object is linked into a shared
//    library with the system's C compiler driver and written to the output
//    (runtime::writeFileAtomically).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/CPUTarget.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Pipeline/Pipelines.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/Json.h"
#include "resnetc/Target/CPUFeatures.h"
#include "resnetc/Target/Kernels.h"
#include "resnetc/Target/PlanAttr.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;
using namespace resnetc;

/// Adds `void <kernel>_entry(ptr args, i64 n)` that loads each buffer
/// pointer from args and calls the kernel; kernels become internal.
static LogicalResult addEntries(llvm::Module &module,
                                const runtime::Plan &plan) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  std::set<std::string> done;
  for (const runtime::PlanEntry &entry : plan.entries)
    for (const runtime::PlanStep &step : entry.steps) {
      if (step.library || !done.insert(step.kernel).second)
        continue;
      llvm::Function *kernel = module.getFunction(step.kernel);
      if (!kernel || kernel->arg_size() != step.args.size() + 1)
        return failure();
      kernel->setLinkage(llvm::GlobalValue::InternalLinkage);
      auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx),
                                           {ptr, i64}, false);
      auto *fn =
          llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                 step.kernel + kEntrySuffix, module);
      llvm::IRBuilder<> ir(llvm::BasicBlock::Create(ctx, "entry", fn));
      std::vector<llvm::Value *> args;
      for (size_t i = 0; i < step.args.size(); ++i) {
        llvm::Value *slot =
            ir.CreateConstGEP1_64(ptr, fn->getArg(0), static_cast<uint64_t>(i));
        args.push_back(ir.CreateLoad(ptr, slot));
      }
      args.push_back(fn->getArg(1));
      ir.CreateCall(kernel, args);
      ir.CreateRetVoid();
    }
  return success();
}

/// The JSON text of `resnetc_kernels`: each kernel's argument sizes in
/// bytes, in order, from its function type (without the trailing image
/// index); -1 for an argument without a static size. The runtime checks the
/// plan's steps against it, so a plan edited apart from the code is caught.
static std::string describeKernelArguments(ModuleOp module) {
  runtime::JsonValue table = runtime::JsonValue::object();
  for (auto kernel : module.getOps<func::FuncOp>()) {
    runtime::JsonValue sizes = runtime::JsonValue::array();
    for (Type t : kernel.getArgumentTypes()) {
      if (t.isIndex())
        continue;
      auto shaped = dyn_cast<ShapedType>(t);
      int64_t bytes = -1;
      if (shaped && shaped.hasStaticShape() &&
          shaped.getElementType().isIntOrFloat())
        bytes = shaped.getNumElements() *
                ((shaped.getElementType().getIntOrFloatBitWidth() + 7) / 8);
      sizes.push_back(bytes);
    }
    table[kernel.getSymName().str()] = std::move(sizes);
  }
  return runtime::writeJson(table);
}

/// Links `object` into the shared library `output` with the C compiler
/// driver found on PATH.
static LogicalResult linkSharedLibrary(StringRef object, StringRef output,
                                       std::string &error) {
  std::string driver;
  for (const char *name : {"cc", "clang", "gcc"})
    if (auto path = llvm::sys::findProgramByName(name)) {
      driver = *path;
      break;
    }
  if (driver.empty()) {
    error = "no C compiler driver (cc, clang or gcc) on PATH to link the "
            "shared library";
    return failure();
  }
  SmallVector<StringRef> args = {driver, "-shared", "-o", output, object};
  std::string message;
  int rc =
      llvm::sys::ExecuteAndWait(driver, args, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    error = "linking " + output.str() + " with " + driver + " failed" +
            (message.empty() ? "" : ": " + message);
    return failure();
  }
  return success();
}

/// Runs the stage `build` adds on `module`.
template <typename Fn>
static LogicalResult runStage(ModuleOp module, Fn build) {
  PassManager pm(module.getContext());
  build(pm);
  return pm.run(module);
}

LogicalResult resnetc::compileForCPU(ModuleOp module,
                                     const CPUCompileOptions &options,
                                     std::string &text) {
  MLIRContext &ctx = *module.getContext();
  prepareTargetContext(ctx);
  CPUTargetInfo cpu;
  std::string cpuError;
  if (!resolveCPUTarget(options.cpu, cpu, cpuError))
    return module.emitError(cpuError);
  CPUPipelineOptions pipeline;
  pipeline.entries = options.entries;
  pipeline.layout = runtime::getLayoutName(options.layout);
  pipeline.libraryConvolutions = options.oneDNNConvolutions;
  pipeline.setCPU(cpu);

  // 1. Fuse and outline; the plan, with the CPU its code is for.
  // 2. oneDNN calls; per-image, destination-passing kernels on stored
  // buffers.
  if (failed(runStage(module, [&](OpPassManager &pm) {
        buildCPUPlanPipeline(pm, pipeline);
        buildCPUKernelPipeline(pm, pipeline);
      })))
    return failure();
  FailureOr<runtime::Plan> plan = getPlan(module);
  if (failed(plan))
    return failure();
  if (options.output == CPUOutput::Plan) {
    text += writePlanJson(*plan, /*pretty=*/true);
    text += "\n";
    return success();
  }
  std::string kernelTable = describeKernelArguments(module);

  // 3. Down to LLVM, in two halves around bufferization.
  if (failed(runStage(module, [&](OpPassManager &pm) {
        buildCPULinalgPipeline(pm, pipeline);
      })))
    return failure();
  if (options.output == CPUOutput::KernelsLinalg) {
    Attribute planAttr = module->getAttr(kPlanAttrName);
    module->removeAttr(kPlanAttrName);
    llvm::raw_string_ostream os(text);
    module.print(os);
    module->setAttr(kPlanAttrName, planAttr);
    return success();
  }
  if (failed(runStage(module, [&](OpPassManager &pm) {
        buildCPULLVMPipeline(pm, pipeline);
      })))
    return failure();

  // 4. LLVM IR, entries, plan, optimization, object, shared library.
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "resnetc");
  if (!llvmModule) {
    module.emitError("internal error: translation to LLVM IR failed");
    return failure();
  }
  if (failed(addEntries(*llvmModule, *plan))) {
    module.emitError("internal error: a kernel of the plan is missing");
    return failure();
  }
  llvm::Constant *tableData =
      llvm::ConstantDataArray::getString(llvmContext, kernelTable, true);
  new llvm::GlobalVariable(*llvmModule, tableData->getType(), true,
                           llvm::GlobalValue::ExternalLinkage, tableData,
                           kKernelsSymbol);

  const std::string &triple = cpu.triple;
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(cpu.target->createTargetMachine(
      triple, cpu.cpu, cpu.features, targetOptions, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);
  if (llvm::Error err =
          makeOptimizingTransformer(3, 0, machine.get())(llvmModule.get())) {
    module.emitError("LLVM optimization failed: ")
        << llvm::toString(std::move(err));
    return failure();
  }
  if (options.output == CPUOutput::LLVMIR) {
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    return success();
  }

  llvm::SmallString<128> objectPath;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("resnetc", "o", fd, objectPath)) {
    module.emitError("cannot create a temporary object file: ") << ec.message();
    return failure();
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                     llvm::CodeGenFileType::ObjectFile)) {
      llvm::sys::fs::remove(objectPath);
      module.emitError("the host target cannot emit object files");
      return failure();
    }
    codegen.run(*llvmModule);
  }
  // Link to a temporary file, then write it out through writeFileAtomically:
  // the user's file is replaced only by a complete library, a symbolic link
  // is written through, and a device (-o /dev/null) is written, not
  // replaced.
  llvm::SmallString<128> tmpLibrary;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("resnetc", "so", tmpLibrary)) {
    llvm::sys::fs::remove(objectPath);
    module.emitError("cannot create a temporary shared library: ")
        << ec.message();
    return failure();
  }
  std::string error;
  LogicalResult linked = linkSharedLibrary(objectPath, tmpLibrary, error);
  llvm::sys::fs::remove(objectPath);
  if (failed(linked)) {
    llvm::sys::fs::remove(tmpLibrary);
    module.emitError(error);
    return failure();
  }
  runtime::Expected<std::vector<uint8_t>> library =
      runtime::readFileBytes(tmpLibrary.str().str());
  llvm::sys::fs::remove(tmpLibrary);
  if (!library) {
    module.emitError(library.error().message());
    return failure();
  }
  if (runtime::Status st = runtime::writeFileAtomically(
          options.outputPath, {{library->data(), library->size()}}, 0777);
      !st) {
    module.emitError(st.message());
    return failure();
  }
  return success();
}
