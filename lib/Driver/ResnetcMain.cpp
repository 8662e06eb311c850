//===- ResnetcMain.cpp - The resnetc compiler driver ----------------------===//
//
// resnetc MODEL.rn [--summary] [--emit=ast|rn] [--batch N] [-o FILE]
//
// Reads a model, checks it (every error is located and ends with exit code
// 1), and prints what was asked for. The input must be a regular file (or
// standard input, `-`) of at most 16 MiB, checked as it is read; every
// output goes through runtime::writeFileAtomically (written through
// symbolic links, devices written directly) and may not be the input.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Driver/Driver.h"
#include "resnetc/Frontend/Frontend.h"
#include "resnetc/Frontend/MLIRGen.h"
#include "resnetc/Pipeline/Pipelines.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Target/CPUTarget.h"
#include "resnetc/Target/CUDATarget.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <sstream>

using namespace resnetc;
namespace cl = llvm::cl;

namespace {
enum class EmitKind {
  None,
  AST,
  RN,
  RNFused,
  Linalg,
  Kernels,
  Plan,
  LLVM,
  GPU,
  NVVM,
  PTX
};
enum class Target { CPU, CUDA };
} // namespace

static cl::OptionCategory resnetcCategory("resnetc options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<model.rn>"),
                                          cl::cat(resnetcCategory));
static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("file"),
                                           cl::init("-"),
                                           cl::cat(resnetcCategory));
static cl::opt<EmitKind> emitKind(
    "emit", cl::desc("What to print"), cl::init(EmitKind::None),
    cl::values(
        clEnumValN(EmitKind::AST, "ast", "the parsed syntax tree"),
        clEnumValN(EmitKind::RN, "rn", "the model in the rn dialect"),
        clEnumValN(EmitKind::RNFused, "rn-fused",
                   "the rn model after the inference fusions"),
        clEnumValN(EmitKind::Linalg, "linalg",
                   "the inference model lowered to linalg"),
        clEnumValN(EmitKind::Kernels, "kernels",
                   "the CPU kernels (per image) lowered to linalg"),
        clEnumValN(EmitKind::Plan, "plan",
                   "the execution plan (buffers, memory, steps; on CUDA "
                   "every launch with its shape and arguments)"),
        clEnumValN(EmitKind::LLVM, "llvm",
                   "the optimized LLVM IR of the CPU artifact, or the NVPTX "
                   "LLVM IR of the CUDA kernels"),
        clEnumValN(EmitKind::GPU, "gpu",
                   "the CUDA kernels as GPU launches of one gpu.module"),
        clEnumValN(EmitKind::NVVM, "nvvm", "the CUDA kernels lowered to NVVM"),
        clEnumValN(EmitKind::PTX, "ptx",
                   "the PTX module of the CUDA kernels, without the plan")),
    cl::cat(resnetcCategory));
static cl::opt<Target> target(
    "target",
    cl::desc("What to compile for (default: from -o: cpu for FILE.so, cuda "
             "for FILE.ptx; cuda for --emit)"),
    cl::init(Target::CUDA),
    cl::values(clEnumValN(Target::CPU, "cpu",
                          "a shared library for this machine's CPU"),
               clEnumValN(Target::CUDA, "cuda",
                          "a PTX module for NVIDIA GPUs")),
    cl::cat(resnetcCategory));
namespace {
enum class Mode { Infer, Train, Both };
} // namespace
static cl::opt<Mode>
    mode("mode", cl::desc("Entry points to compile"), cl::init(Mode::Infer),
         cl::values(clEnumValN(Mode::Infer, "infer", "inference only"),
                    clEnumValN(Mode::Train, "train",
                               "inference and the train_step entry"),
                    clEnumValN(Mode::Both, "both", "the same as train")),
         cl::cat(resnetcCategory));
namespace {
enum class Optimizer { SGD, AdamW };
} // namespace
static cl::opt<Optimizer> optimizer(
    "optimizer", cl::desc("The optimizer of train_step"),
    cl::init(Optimizer::SGD),
    cl::values(clEnumValN(Optimizer::SGD, "sgd",
                          "torch.optim.SGD: --momentum, --weight-decay, "
                          "--nesterov"),
               clEnumValN(Optimizer::AdamW, "adamw",
                          "torch.optim.AdamW: --beta1, --beta2, --adam-eps, "
                          "--weight-decay (default 0.01)")),
    cl::cat(resnetcCategory));
static cl::opt<double> momentum("momentum",
                                cl::desc("SGD momentum of train_step"),
                                cl::init(0.0), cl::cat(resnetcCategory));
static cl::opt<double>
    weightDecay("weight-decay",
                cl::desc("Weight decay of train_step (SGD: an L2 penalty, "
                         "default 0; AdamW: decoupled, default 0.01)"),
                cl::init(0.0), cl::cat(resnetcCategory));
static cl::opt<double> beta1("beta1",
                             cl::desc("AdamW's first-moment decay (0.9)"),
                             cl::init(0.9), cl::cat(resnetcCategory));
static cl::opt<double> beta2("beta2",
                             cl::desc("AdamW's second-moment decay (0.999)"),
                             cl::init(0.999), cl::cat(resnetcCategory));
static cl::opt<double> adamEps("adam-eps", cl::desc("AdamW's epsilon (1e-8)"),
                               cl::init(1e-8), cl::cat(resnetcCategory));
static cl::opt<bool> nesterov("nesterov",
                              cl::desc("Nesterov momentum in train_step"),
                              cl::cat(resnetcCategory));
static cl::opt<std::string> arch("arch",
                                 cl::desc("GPU architecture of --target=cuda: "
                                          "sm_80 (the default: PTX that "
                                          "every GPU since the A100 runs), "
                                          "sm_90 or sm_90a (Hopper only)"),
                                 cl::init("sm_80"), cl::cat(resnetcCategory));
namespace {
enum class ConvMode { CuDNN, OneDNN, Generated };
} // namespace
static cl::opt<ConvMode> convMode(
    "conv",
    cl::desc("How convolutions are computed: library calls recorded in the "
             "plan (cudnn on --target=cuda, onednn on --target=cpu; the "
             "defaults) or generated kernels"),
    cl::values(clEnumValN(ConvMode::CuDNN, "cudnn",
                          "cuDNN calls (--target=cuda; the runtime chooses "
                          "the algorithms)"),
               clEnumValN(ConvMode::OneDNN, "onednn",
                          "oneDNN calls (--target=cpu; NHWC temporaries)"),
               clEnumValN(ConvMode::Generated, "generated",
                          "generated kernels, for a runtime without the "
                          "library")),
    cl::cat(resnetcCategory));
static cl::opt<std::string> precision(
    "precision",
    cl::desc("Arithmetic of --target=cuda: fp32 (default), tf32 (cuDNN's "
             "convolutions may use TF32 tensor cores) or bf16 (temporaries "
             "stored in bf16, computed in fp32)"),
    cl::init("fp32"), cl::cat(resnetcCategory));
static cl::opt<std::string> cpuName(
    "cpu",
    cl::desc("CPU that --target=cpu generates code for: native (the "
             "default: this machine, like -march=native), x86-64-v3 (any "
             "AVX2 CPU), x86-64-v4 (AVX-512) or another LLVM CPU name; the "
             "artifact records the features it needs and resnet-run checks "
             "them"),
    cl::init("native"), cl::cat(resnetcCategory));
static cl::opt<std::string> layout(
    "layout",
    cl::desc("How activations are laid out: nhwc (channels innermost; "
             "the default of --target=cuda, with KRSC filters for cuDNN) "
             "or nchw (the default of --target=cpu)"),
    cl::cat(resnetcCategory));
static cl::opt<bool> summary("summary",
                             cl::desc("Print a per-layer table with output "
                                      "shapes, parameters and MACs"),
                             cl::cat(resnetcCategory));
static cl::opt<int64_t> batch("batch",
                              cl::desc("Batch size the model is compiled for "
                                       "(a maximum; default 1)"),
                              cl::init(1), cl::cat(resnetcCategory));

/// Largest .rn file accepted.
static constexpr uint64_t kMaxInputBytes = 16 << 20;
/// Largest batch accepted.
static constexpr int64_t kMaxBatch = 1 << 16;
/// Whether --target=cpu makes oneDNN calls of convolutions unless told: when
/// resnetc was built with oneDNN (so its resnet-run runs them).
#ifdef RESNETC_ONEDNN_DEFAULT
static constexpr bool kOneDNNByDefault = true;
#else
static constexpr bool kOneDNNByDefault = false;
#endif

static int fail(const llvm::Twine &message) {
  llvm::errs() << "resnetc: error: " << message << "\n";
  return 1;
}

/// An empty value given to an option (`-o ""`, `--momentum=`) or as the
/// input is an error: LLVM's parser would take some of them as a default
/// value. Returns the option at fault, or an empty string.
static std::string findEmptyValue(int argc, char **argv) {
  static const char *const valueOptions[] = {
      "o",         "emit",  "target",    "mode",    "momentum", "weight-decay",
      "arch",      "conv",  "precision", "layout",  "batch",    "cpu",
      "optimizer", "beta1", "beta2",     "adam-eps"};
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    if (arg.empty())
      return "the input";
    if (arg == "-" || !arg.starts_with("-"))
      continue;
    if (arg == "--")
      return std::string();
    llvm::StringRef name = arg.ltrim('-');
    auto [key, value] = name.split('=');
    bool takesValue = llvm::is_contained(valueOptions, key);
    if (!takesValue)
      continue;
    if (name.contains('=')) {
      if (value.empty())
        return "-" + std::string(arg.starts_with("--") ? "-" : "") + key.str();
      continue;
    }
    if (i + 1 < argc && llvm::StringRef(argv[i + 1]).empty())
      return arg.str();
    ++i;
  }
  return std::string();
}

/// The entries of --mode and the optimizer's settings.
static EntryOptions getEntryOptions() {
  EntryOptions entries;
  entries.train = mode != Mode::Infer;
  bool adamw = optimizer == Optimizer::AdamW;
  entries.optimizer = adamw ? "adamw" : "sgd";
  entries.momentum = momentum;
  // torch.optim.AdamW's default weight decay.
  entries.weightDecay =
      adamw && !weightDecay.getNumOccurrences() ? 0.01 : weightDecay;
  entries.nesterov = nesterov;
  entries.beta1 = beta1;
  entries.beta2 = beta2;
  entries.epsilon = adamEps;
  return entries;
}

/// --layout, when given, in place of the target's default `layout`
/// (validated by checkTargetOptions).
static void setLayout(runtime::Layout &layout) {
  if (::layout.getNumOccurrences())
    layout = *runtime::parseLayoutName(::layout);
}

/// Compiles for CUDA what --emit asks for (the artifact without it).
static bool compileCUDA(mlir::ModuleOp module, std::string &text) {
  CUDACompileOptions options;
  switch (emitKind) {
  case EmitKind::GPU:
    options.output = CUDAOutput::GPU;
    break;
  case EmitKind::Plan:
    options.output = CUDAOutput::Plan;
    break;
  case EmitKind::NVVM:
    options.output = CUDAOutput::NVVM;
    break;
  case EmitKind::LLVM:
    options.output = CUDAOutput::LLVM;
    break;
  case EmitKind::PTX:
    options.output = CUDAOutput::PTX;
    break;
  default:
    options.output = CUDAOutput::Artifact;
  }
  options.outputPath = outputFilename;
  options.arch = arch;
  options.cudnnConvolutions = convMode != ConvMode::Generated;
  options.precision = precision;
  setLayout(options.layout);
  options.entries = getEntryOptions();
  return succeeded(compileForCUDA(module, options, text));
}

/// Compiles for the CPU what --emit asks for (the artifact without it).
static bool compileCPU(mlir::ModuleOp module, std::string &text) {
  CPUCompileOptions options;
  options.output = emitKind == EmitKind::Plan      ? CPUOutput::Plan
                   : emitKind == EmitKind::LLVM    ? CPUOutput::LLVMIR
                   : emitKind == EmitKind::Kernels ? CPUOutput::KernelsLinalg
                                                   : CPUOutput::SharedLibrary;
  options.outputPath = outputFilename;
  options.cpu = cpuName;
  options.oneDNNConvolutions = convMode.getNumOccurrences()
                                   ? convMode == ConvMode::OneDNN
                                   : kOneDNNByDefault;
  // oneDNN's fastest convolutions read and write NHWC.
  if (options.oneDNNConvolutions)
    options.layout = runtime::Layout::NHWC;
  setLayout(options.layout);
  options.entries = getEntryOptions();
  return succeeded(compileForCPU(module, options, text));
}

/// Registers the options, checks for empty values and parses the command
/// line. Returns 0, or 1 after reporting an error.
static int parseCommandLine(int argc, char **argv) {
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "resnetc " << RESNETC_VERSION << " (MLIR/LLVM " << LLVM_VERSION_STRING
       << ")\n";
  });
  cl::HideUnrelatedOptions(resnetcCategory);
  if (std::string empty = findEmptyValue(argc, argv); !empty.empty())
    return fail(empty == "the input"
                    ? std::string("the input file name is empty")
                    : "option " + empty + " needs a value, and it is empty");
  cl::ParseCommandLineOptions(
      argc, argv,
      "resnetc: a compiler for ResNet-family CNNs\n\n"
      "  resnetc model.rn --summary     per-layer shapes, params and MACs\n"
      "  resnetc model.rn --emit=rn     the model in the rn dialect\n"
      "  resnetc model.rn --emit=ast    the parsed syntax tree\n"
      "  resnetc model.rn -o model.ptx  the CUDA artifact (PTX and its plan)\n"
      "  resnetc model.rn -o model.so   a CPU shared library (--target=cpu)\n");
  return 0;
}

/// Checks the input name and --batch. Returns 0, or 1 after reporting an
/// error.
static int checkInputOptions() {
  if (inputFilename.empty())
    return fail("no input file (usage: resnetc MODEL.rn [--summary] "
                "[--emit=ast|rn] [-o FILE]; see --help)");
  if (batch < 1 || batch > kMaxBatch)
    return fail("--batch must be between 1 and " + llvm::Twine(kMaxBatch) +
                ", got " + llvm::Twine(batch));
  if (inputFilename != "-" && llvm::sys::fs::is_directory(inputFilename))
    return fail("'" + inputFilename + "' is a directory, not a .rn file");
  return 0;
}

/// Reads the input file (or standard input) into `bytes`. Returns 0, or 1
/// after reporting an error.
static int readInput(std::vector<uint8_t> &bytes) {
  // Read at most the limit, as it is read: neither /dev/zero nor a growing
  // file can exhaust memory; a FIFO or a device is refused without blocking.
  bool tooLarge = false;
  runtime::Expected<std::vector<uint8_t>> input =
      inputFilename == "-"
          ? runtime::readDescriptorBytes(0, "<stdin>", kMaxInputBytes,
                                         &tooLarge)
          : runtime::readFileBytes(inputFilename, kMaxInputBytes, &tooLarge);
  if (!input) {
    if (tooLarge)
      return fail((inputFilename == "-" ? std::string("standard input")
                                        : "'" + inputFilename + "'") +
                  " is larger than 16 MiB; is it a .rn file?");
    std::string why = input.error().message();
    std::string prefix = inputFilename + ": ";
    if (why.rfind(prefix, 0) == 0)
      why = why.substr(prefix.size());
    if (why == "not a regular file")
      why += " (a model is a .rn file; give - to read one from standard "
             "input)";
    return fail("cannot open '" + inputFilename + "': " + why);
  }
  bytes = std::move(*input);
  return 0;
}

/// Checks that -o, when a file, is writable and not the input. Returns 0, or
/// 1 after reporting an error.
static int checkOutputFile() {
  if (outputFilename == "-")
    return 0;
  // The input is never overwritten, whatever links lead to it.
  if (inputFilename != "-" &&
      runtime::isSameFile(inputFilename, outputFilename))
    return fail("the output '" + outputFilename + "' is the input file '" +
                inputFilename + "'; name another output file");
  if (runtime::Status st = runtime::checkOutputWritable(outputFilename); !st)
    return fail("cannot write the output: " + st.message());
  return 0;
}

/// Prints the diagnostics of `session` to standard error.
static void printDiagnostics(FrontendSession &session) {
  std::ostringstream os;
  session.getDiagnostics().print(os);
  llvm::errs() << os.str();
}

/// Without --target, an artifact's name says what to compile: FILE.so for
/// the CPU, FILE.ptx for CUDA; any other name needs --target. Returns 0, or 1
/// after reporting an error.
static int inferTarget(bool buildArtifact) {
  if (target.getNumOccurrences() || !buildArtifact)
    return 0;
  llvm::StringRef out(outputFilename);
  if (out.ends_with(".so"))
    target = Target::CPU;
  else if (out.ends_with(".ptx"))
    target = Target::CUDA;
  else
    return fail("'" + outputFilename +
                "': cannot tell the target from the name; say "
                "--target=cpu or --target=cuda (or name the output "
                "model.so or model.ptx)");
  return 0;
}

/// Checks that --emit shows a stage of --target. Returns 0, or 1 after
/// reporting an error.
static int checkEmitOptions() {
  bool cudaEmit = emitKind == EmitKind::GPU || emitKind == EmitKind::NVVM ||
                  emitKind == EmitKind::PTX;
  if (cudaEmit && target != Target::CUDA)
    return fail("--emit=gpu, nvvm and ptx show stages of the CUDA target; "
                "drop --target=cpu");
  if (target == Target::CUDA && emitKind == EmitKind::Kernels)
    return fail("--emit=kernels shows the CPU kernels; add --target=cpu "
                "(the CUDA target has --emit=gpu, nvvm, llvm and ptx)");
  return 0;
}

/// Checks the settings of --optimizer. Returns 0, or 1 after reporting an
/// error.
static int checkOptimizerOptions() {
  if (momentum < 0 || weightDecay < 0)
    return fail("--momentum and --weight-decay must be non-negative");
  if (nesterov && !(momentum > 0))
    return fail("--nesterov needs a positive --momentum");
  if (optimizer == Optimizer::AdamW &&
      (momentum.getNumOccurrences() || nesterov))
    return fail("--momentum and --nesterov are options of --optimizer=sgd; "
                "AdamW's are --beta1, --beta2, --adam-eps and "
                "--weight-decay");
  if (optimizer == Optimizer::SGD &&
      (beta1.getNumOccurrences() || beta2.getNumOccurrences() ||
       adamEps.getNumOccurrences()))
    return fail("--beta1, --beta2 and --adam-eps are options of "
                "--optimizer=adamw");
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
    return fail("--beta1 and --beta2 must be in [0, 1)");
  if (!(adamEps > 0))
    return fail("--adam-eps must be positive");
  return 0;
}

/// Checks that --cpu, --arch, --conv, --precision and --layout fit the
/// target. Returns 0, or 1 after reporting an error.
static int checkTargetOptions() {
  if (target == Target::CUDA && cpuName.getNumOccurrences())
    return fail("--cpu chooses the CPU that --target=cpu generates code for; "
                "the CUDA target's is --arch");
  if (std::string error;
      target == Target::CPU && !isValidCPUName(cpuName, error))
    return fail(error);
  if (target == Target::CPU && arch.getNumOccurrences())
    return fail("--arch chooses the GPU that --target=cuda generates code "
                "for; the CPU target generates code for --cpu");
  if (target == Target::CPU && convMode == ConvMode::CuDNN &&
      convMode.getNumOccurrences())
    return fail("--conv=cudnn is for --target=cuda; the CPU target's "
                "library is oneDNN (--conv=onednn) or generated kernels "
                "(--conv=generated)");
  if (target == Target::CUDA && convMode == ConvMode::OneDNN)
    return fail("--conv=onednn is for --target=cpu; the CUDA target's "
                "library is cuDNN (--conv=cudnn) or generated kernels "
                "(--conv=generated)");
  if (precision != "fp32" && precision != "tf32" && precision != "bf16")
    return fail("unknown --precision '" + precision +
                "': use fp32, tf32 or bf16");
  if (target == Target::CPU && precision != "fp32")
    return fail("the CPU target computes in fp32; --precision " + precision +
                " is for --target=cuda");
  if (layout.getNumOccurrences() && !runtime::parseLayoutName(layout))
    return fail("unknown --layout '" + layout + "': use nhwc or nchw");
  if (arch != "sm_80" && arch != "sm_90" && arch != "sm_90a")
    return fail("unknown --arch '" + arch + "': use sm_80, sm_90 or sm_90a");
  return 0;
}

/// Checks that an artifact's name fits the target. Returns 0, or 1 after
/// reporting an error.
static int checkArtifactName(bool buildArtifact) {
  if (buildArtifact && target == Target::CPU &&
      llvm::StringRef(outputFilename).ends_with(".ptx"))
    return fail("'" + outputFilename +
                "': a CPU artifact is a shared "
                "library, not PTX; name it model.so");
  if (buildArtifact && target == Target::CUDA &&
      llvm::StringRef(outputFilename).ends_with(".so"))
    return fail("'" + outputFilename +
                "': a CUDA artifact is PTX, not a shared library; name it "
                "model.ptx");
  return 0;
}

/// Writes the text collected in `os` to -o, in one piece. Returns the exit
/// code.
static int writeOutput(llvm::raw_string_ostream &os) {
  os.flush();
  const std::string &text = os.str();
  if (outputFilename == "-") {
    llvm::outs() << text;
    return 0;
  }
  if (runtime::Status st = runtime::writeFileAtomically(
          outputFilename, {{text.data(), text.size()}});
      !st)
    return fail(st.message());
  return 0;
}

/// Generates the rn module of `net`, lowers or compiles it as --emit asks,
/// and writes the result (or builds the artifact). Returns the exit code.
static int emitModule(const Network &net, FrontendSession &session,
                      bool buildArtifact, llvm::raw_string_ostream &os) {
  mlir::DialectRegistry registry;
  registerAllResnetcDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlirGen(context, net, session.getSourceManager(), batch);
  if (failed(mlir::verify(*module)))
    return fail("internal error: the generated rn IR does not verify (the "
                "front end accepted a model the dialect rejects); please "
                "report this with the model file");

  switch (emitKind) {
  case EmitKind::RN:
    break;
  case EmitKind::RNFused:
  case EmitKind::Linalg: {
    mlir::PassManager pm(&context);
    if (emitKind == EmitKind::RNFused)
      buildInferenceFusionPipeline(pm);
    else
      buildInferenceToLinalgPipeline(pm);
    if (failed(pm.run(*module)))
      return fail("internal error: lowering the model failed");
    break;
  }
  case EmitKind::GPU:
  case EmitKind::NVVM:
  case EmitKind::PTX:
  case EmitKind::Kernels:
  case EmitKind::Plan:
  case EmitKind::LLVM:
  case EmitKind::None: {
    std::string compiledText;
    bool compiled = target == Target::CUDA ? compileCUDA(*module, compiledText)
                                           : compileCPU(*module, compiledText);
    if (!compiled)
      return fail("compiling '" + inputFilename + "' for " +
                  (target == Target::CUDA ? "CUDA" : "the CPU") + " failed");
    if (buildArtifact)
      return 0;
    os << compiledText;
    return writeOutput(os);
  }
  case EmitKind::AST:
    break;
  }
  module->print(os);
  os << "\n";
  return writeOutput(os);
}

int resnetc::resnetcMain(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  if (int rc = parseCommandLine(argc, argv))
    return rc;
  if (int rc = checkInputOptions())
    return rc;
  std::vector<uint8_t> input;
  if (int rc = readInput(input))
    return rc;
  if (int rc = checkOutputFile())
    return rc;

  FrontendSession session;
  std::string displayName =
      inputFilename == "-" ? std::string("<stdin>") : inputFilename.getValue();
  if (!session.parse(displayName, std::string(input.begin(), input.end()))) {
    printDiagnostics(session);
    return 1;
  }

  // Without --emit or --summary, `-o FILE` asks for the compiled artifact.
  bool buildArtifact =
      emitKind == EmitKind::None && !summary && outputFilename != "-";
  if (int rc = inferTarget(buildArtifact))
    return rc;
  if (int rc = checkEmitOptions())
    return rc;
  if (int rc = checkOptimizerOptions())
    return rc;
  if (int rc = checkTargetOptions())
    return rc;
  if (int rc = checkArtifactName(buildArtifact))
    return rc;

  // Text outputs are collected and written at the end, in one piece.
  std::string text;
  llvm::raw_string_ostream os(text);
  if (emitKind == EmitKind::AST) {
    std::ostringstream ast;
    dumpAST(session.getUserModule(), session.getSourceManager(), ast);
    os << ast.str();
    return writeOutput(os);
  }

  std::optional<Network> net = session.analyze();
  if (!net) {
    printDiagnostics(session);
    return 1;
  }
  if (summary) {
    std::ostringstream table;
    printSummary(*net, table);
    os << table.str();
  }
  if (summary && emitKind == EmitKind::None)
    return writeOutput(os);
  if (!buildArtifact && emitKind == EmitKind::None) {
    os << "model " << net->name << " is valid: " << net->totalParams()
       << " parameters, " << net->totalMACs() << " MACs per image\n";
    return writeOutput(os);
  }
  return emitModule(*net, session, buildArtifact, os);
}
