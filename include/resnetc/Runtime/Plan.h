//===- Plan.h - The execution plan carried by every artifact ----*- C++ -*-===//
//
// What resnetc compiles and resnet-run executes: the buffers of one arena
// (with roles, shapes and offsets), the kernels to run in order for each
// entry point, and the model's description. The CPU and CUDA targets carry
// the same plan, serialized as JSON (docs/artifact.md). No MLIR here: the
// compiler builds plans, the runtime reads them.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_PLAN_H
#define RESNETC_RUNTIME_PLAN_H

#include "resnetc/Runtime/Status.h"
#include "resnetc/Runtime/Tensor.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace resnetc::runtime {

/// The plan format version this library reads and writes. Version 2 states
/// every cuDNN call's math type, compute type and mode; version 3 names a
/// step's kind `per_image` (it was `batched`); version 4 adds a buffer's
/// `init` and the `label_smoothing` hyperparameter of train_step; version 5
/// names the optimizer (`"optimizer"`, which was `"sgd"`) and its state
/// buffers' role `optimizer_state` (which was `velocity`); version 6 adds a
/// step's `rows`.
constexpr int64_t kPlanVersion = 6;

/// Alignment of every buffer in the arena, in bytes.
constexpr int64_t kBufferAlignment = 64;

enum class BufferRole {
  Input,      ///< The input batch.
  Output,     ///< The logits.
  Param,      ///< A trainable parameter, loaded from a checkpoint.
  State,      ///< A non-trainable tensor (batch-norm running statistics).
  Derived,    ///< Computed from parameters by the `prepare` entry.
  Activation, ///< A temporary of one entry; shares memory by liveness.
  Labels,     ///< The labels of a training batch (I64, N).
  Hyper,      ///< A scalar hyperparameter set per step (the learning rate).
  /// Optimizer state of a parameter, zero at the start: SGD's velocity
  /// (`<parameter>.velocity`), AdamW's moments (`<parameter>.exp_avg`,
  /// `<parameter>.exp_avg_sq`).
  OptimizerState,
  Loss,    ///< The mean loss of a training step (F32 scalar).
  Correct, ///< Correct predictions of a training step (I64 scalar).
  Scratch, ///< Temporary memory of one step's GPU kernels (U8).
};

const char *getBufferRoleName(BufferRole role);

/// The order of a rank-4 buffer's elements in memory. Shapes are always the
/// logical ones: N x C x H x W for images, K x C x R x S for filters.
enum class Layout {
  NCHW, ///< Row-major in the logical order (filters KCRS).
  NHWC, ///< Channels innermost: N x H x W x C (filters K x R x S x C).
};

/// "nchw" or "nhwc".
const char *getLayoutName(Layout layout);

/// The layout named `name`, if any.
std::optional<Layout> parseLayoutName(const std::string &name);

struct PlanBuffer {
  std::string name; ///< Parameter name, or a generated name.
  BufferRole role;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  int64_t offset = 0; ///< Byte offset in the arena.
  int64_t bytes = 0;
  Layout layout = Layout::NCHW; ///< Only rank-4 buffers may be NHWC.
  /// A parameter that starts at zero whatever the initialization scheme
  /// (`"init": "zeros"`; zero_init_residual).
  bool zeroInit = false;
};

/// One argument of a GPU kernel launch: the device address of a buffer, or
/// a scalar passed by value.
struct LaunchArg {
  enum class Kind { Buffer, I32, I64, F32, F64 };
  Kind kind = Kind::Buffer;
  int64_t buffer = -1; ///< Buffer: the plan buffer whose address is passed.
  int64_t bytes = 0;   ///< Buffer: how many bytes from its start the kernel
                       ///< may access.
  uint64_t bits = 0;   ///< A scalar's bits (I32 and F32 in the low half).
};

/// One launch of a PTX entry.
struct PlanLaunch {
  std::string kernel; ///< The `.entry` name in the PTX module.
  std::array<int64_t, 3> grid = {1, 1, 1}, block = {1, 1, 1};
  std::vector<LaunchArg> args; ///< In the order of the entry's parameters.
};

/// A convolution carried out by a library (cuDNN on the GPU, oneDNN on the
/// CPU) instead of generated kernels; the runtime chooses the algorithm. Its
/// buffers are the step's arguments: forward (input, weight[, bias][,
/// residual], output), computing output = [relu](conv(input, weight) [+ bias]
/// [+ residual]); backward data (grad_output, weight, grad_input); backward
/// filter (grad_output, input, grad_weight). Shapes are the buffers' (logical);
/// every rank-4 buffer of a call has the same layout, which is the call's. The
/// call states how cuDNN computes, so that a runtime sets nothing by default.
struct LibraryCall {
  /// "<library>.conv2d_forward", "<library>.conv2d_backward_data" or
  /// "<library>.conv2d_backward_filter", where the library is "cudnn" in
  /// CUDA plans and "onednn" in CPU plans.
  std::string name;
  std::array<int64_t, 2> strides = {1, 1}, padding = {0, 0}, dilation = {1, 1};
  int64_t groups = 1;
  bool bias = false, residual = false, relu = false;
  /// cuDNN's math type: "fma" (CUDNN_FMA_MATH: fp32 FMA instructions only,
  /// no TF32) or "tensor_op" (CUDNN_TENSOR_OP_MATH: tensor cores, TF32 for
  /// fp32 data).
  std::string mathType = "fma";
  /// The accumulation type (the convolution descriptor's compute type):
  /// "float".
  std::string computeType = "float";
  /// "cross_correlation" (PyTorch's convolution, CUDNN_CROSS_CORRELATION)
  /// or "convolution" (the filter flipped, CUDNN_CONVOLUTION).
  std::string mode = "cross_correlation";

  /// How many buffer arguments the call takes.
  size_t getNumArgs() const { return 3 + bias + residual; }
};

/// The names of the library calls a plan may hold.
bool isKnownLibraryCall(const std::string &name);

/// Whether `name` is a forward convolution (which alone may fuse a bias, a
/// residual and a ReLU).
bool isForwardConvolution(const std::string &name);

/// The library a plan for `target` calls for its convolutions: "cudnn" for
/// "cuda", "onednn" for "cpu".
const char *getConvolutionLibrary(const std::string &target);

/// One kernel invocation. A per-image step runs its kernel once per image
/// (work item n in [0, batch)), each call computing one image; any other
/// step runs it once, over the whole batch.
struct PlanStep {
  std::string kernel;
  std::vector<int64_t> args; ///< Buffer indices, in the kernel's order.
  bool perImage = true;
  /// CPU: when > 0, the kernel runs once per row r in [0, rows) (its
  /// index argument), computing row r of every tensor argument; the rows
  /// run on the device's threads. 0: once, over the whole batch (or per
  /// image, with perImage).
  int64_t rows = 0;
  std::string layer; ///< The layer path, for profiles and errors.
  /// CUDA: the GPU launches that carry out the step, in order, or the
  /// library call that does.
  std::vector<PlanLaunch> launches;
  std::optional<LibraryCall> library;
};

struct PlanEntry {
  std::string name; ///< "prepare" (once, after loading weights), "infer" or
                    ///< "train_step".
  std::vector<PlanStep> steps;
};

struct Plan {
  int64_t version = kPlanVersion;
  std::string model;
  std::string target; ///< "cpu" or "cuda".
  std::string precision = "fp32";
  /// The layout of the temporaries: "nchw", or "nhwc" when the rank-4
  /// activations (and weight gradients) are NHWC buffers.
  std::string layout = "nchw";
  int64_t batch = 1;               ///< The largest batch the artifact runs.
  std::vector<int64_t> inputShape; ///< C, H, W.
  int64_t classes = 0;
  int64_t arenaBytes = 0;
  int64_t peakActivationBytes = 0;
  int64_t input = -1, output = -1; ///< Buffer indices.
  std::vector<PlanBuffer> buffers;
  std::vector<PlanEntry> entries;
  /// CPU plans: the CPU the code was generated for (LLVM's name) and the
  /// instruction set extensions it may use that a CPU can lack (the names
  /// of getCheckedCPUFeatures); resnet-run checks them before loading it.
  std::string cpu;
  std::vector<std::string> cpuFeatures;
  /// The optimizer compiled into train_step (when there is one): "sgd"
  /// (momentum, weight decay, Nesterov) or "adamw" (betas, epsilon,
  /// decoupled weight decay).
  std::string optimizer = "sgd";
  double momentum = 0, weightDecay = 0;
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;

  /// The entry named `name`, or null.
  const PlanEntry *findEntry(const std::string &name) const;
};

/// The x86 extensions a CPU plan may require, by their LLVM (and
/// __builtin_cpu_supports) names: from SSE4.1 to the AVX-512 family.
const std::vector<std::string> &getCheckedCPUFeatures();

/// Serializes a plan as JSON text (docs/artifact.md); pretty text puts each
/// member on its own line.
std::string writePlan(const Plan &plan, bool pretty = false);

/// Parses the JSON text of a plan and validates it: version, every field,
/// buffer bounds within the arena, step arguments naming existing buffers.
/// `source` names the artifact in error messages.
Expected<Plan> parsePlan(const std::string &text, const std::string &source);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_PLAN_H
