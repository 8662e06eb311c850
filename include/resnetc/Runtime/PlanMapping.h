//===- PlanMapping.h - The plan's fields, declared once ---------*- C++ -*-===//
//
// The plan has two serialized forms: the artifact's JSON (PlanJson.cpp,
// docs/artifact.md) and, inside the compiler, the `rn.plan` module attribute
// (lib/Target/PlanAttr.cpp). Both are written and read by the mapping
// functions below, one per plan struct, which list the struct's fields in
// order with each field's key, kind and checks, in the style of LLVM's YAML
// I/O `mapping(IO &io, T &t)`. Adding a field to the plan is one line here.
//
// An IO is a class with these members, each taking the field's key (a
// `const char *`, or a Key where the attribute names or requires the field
// differently) and a reference to the field; a writer stores the value, a
// reader reads it into the reference, or fails:
//
//   field(key, v[, check | min])   a string, integer (with a minimum), bool,
//                                  double, list of integers or strings, or
//                                  fixed-size array of integers
//   symbol(key, s)                 a string that the attribute holds as a
//                                  symbol reference (a step's kernel)
//   oneOf(key, s, {names})         a string, one of `names`
//   named(key, e, names[, check])  an enumeration, by its EnumNames
//   optionalNamed(key, e, absent, names, check)
//                                  left out when `absent`
//   intBits(key, bits, width), floatBits(key, bits, digits)
//                                  a launch argument's scalar of kind `key`
//   list(key, items, map), optionalList(key, items, map)
//                                  a list of objects, each mapped by `map`;
//                                  the optional one is left out when empty
//   optionalObject(key, present, map[, summary[, form]])
//                                  an object written when `present`; `form`
//                                  says how the attribute holds it (IRForm)
//   has(key, written), hasScalar(key, written)
//                                  whether the object has member `key`, or a
//                                  scalar of kind `key` (for a writer: the
//                                  mapping's choice, `written`)
//   check(f), fail(message), failAt(key, message), failed()
//                                  validation across fields: only the JSON
//                                  reader runs `check`, the attribute reader
//                                  takes hand-written test plans as they are
//
// Checks that the mapping passes to a field (`check`, `min`) are the JSON
// reader's too.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_PLANMAPPING_H
#define RESNETC_RUNTIME_PLANMAPPING_H

#include "resnetc/Runtime/Plan.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace resnetc::runtime::planmap {

inline std::optional<BufferRole> parseBufferRoleName(const std::string &name) {
  for (int r = 0; r <= static_cast<int>(BufferRole::Scratch); ++r)
    if (name == getBufferRoleName(static_cast<BufferRole>(r)))
      return static_cast<BufferRole>(r);
  return std::nullopt;
}

inline std::optional<DType> parseDType(const std::string &name) {
  return parseDTypeName(name);
}

/// A check of a member's value: nothing, or what is wrong with it.
using CheckResult = std::optional<std::string>;

/// A check that accepts every value.
struct AnyValue {
  template <class T> CheckResult operator()(const T &) const {
    return std::nullopt;
  }
};

/// An enumeration written as its name.
template <class E> struct EnumNames {
  const char *(*getName)(E);
  std::optional<E> (*parse)(const std::string &);
  /// The JSON reader's message for an unknown name.
  std::string (*unknown)(const std::string &);
  /// What the attribute reader calls a value ("unknown <noun> 'name'").
  const char *noun;
};

inline const EnumNames<BufferRole> kRoleNames = {
    getBufferRoleName, parseBufferRoleName,
    [](const std::string &name) { return "unknown role '" + name + "'"; },
    "buffer role"};
inline const EnumNames<DType> kDTypeNames = {
    getDTypeName, parseDType,
    [](const std::string &name) { return "unknown dtype '" + name + "'"; },
    "dtype"};
inline const EnumNames<Layout> kLayoutNames = {
    getLayoutName, parseLayoutName,
    [](const std::string &) {
      return std::string("expected \"nchw\" or \"nhwc\"");
    },
    "layout"};

/// Scalar launch arguments by key: in JSON `{"f32": "0x3f800000"}`, floats
/// as exact bit patterns, so that infinities and every rounding survive; in
/// the attribute `{kind = "f32", bits = 1065353216}`.
inline const std::pair<LaunchArg::Kind, const char *> kScalarKinds[] = {
    {LaunchArg::Kind::I32, "i32"},
    {LaunchArg::Kind::I64, "i64"},
    {LaunchArg::Kind::F32, "f32"},
    {LaunchArg::Kind::F64, "f64"}};

/// A field's key: its name in the JSON form, which converts to `const char *`
/// for the JSON IOs, and how the attribute differs, if it does.
struct Key {
  Key(const char *name) : name(name), irName(name) {}
  operator const char *() const { return name; }

  /// The field is `irName` in the attribute.
  Key ir(const char *n) const {
    Key k = *this;
    k.irName = n;
    return k;
  }
  /// The attribute may leave the field out; it then keeps its default.
  Key optionalInIR() const {
    Key k = *this;
    k.irOptional = true;
    return k;
  }

  const char *name;
  const char *irName;
  bool irOptional = false;
};

/// How the attribute holds an object of the JSON form: nested as in JSON, or
/// its fields in the enclosing dictionary, when the object is present
/// (Flat) or always (FlatAlways).
enum class IRForm { Nested, Flat, FlatAlways };

//===----------------------------------------------------------------------===//
// The mapping
//===----------------------------------------------------------------------===//

/// A buffer: where it lies in the arena and what it holds. The runtime reads
/// and writes inputs, parameters, state and velocities in the logical order
/// (images, checkpoints); only the kernels' own buffers may be nhwc.
template <class IO> void mapBuffer(IO &io, PlanBuffer &b, const Plan &plan) {
  io.field("name", b.name);
  io.named("role", b.role, kRoleNames);
  io.named("dtype", b.dtype, kDTypeNames);
  io.field("shape", b.shape);
  io.optionalNamed("layout", b.layout, Layout::NCHW, kLayoutNames,
                   [&](Layout l) -> CheckResult {
                     if (l != Layout::NCHW && b.shape.size() != 4)
                       return std::string("only a rank-4 buffer can be ") +
                              getLayoutName(l);
                     return std::nullopt;
                   });
  io.field("offset", b.offset);
  io.field("bytes", b.bytes);
  if (io.has("init", b.zeroInit)) {
    std::string init = "zeros";
    io.oneOf("init", init, {"zeros"});
    b.zeroInit = true;
  }
  io.check([&] {
    if (b.zeroInit && b.role != BufferRole::Param)
      io.failAt("init", "only a parameter (role param) has an init");
    if (b.offset % kBufferAlignment != 0)
      io.fail("offset " + std::to_string(b.offset) + " is not aligned to " +
              std::to_string(kBufferAlignment));
    if (b.offset > plan.arenaBytes || b.bytes > plan.arenaBytes - b.offset)
      io.fail("[" + std::to_string(b.offset) + ", " +
              std::to_string(b.offset + b.bytes) +
              ") lies outside the arena of " + std::to_string(plan.arenaBytes) +
              " bytes");
    int64_t elements = 1, bytes = 0;
    for (int64_t d : b.shape)
      if (__builtin_mul_overflow(elements, d, &elements))
        io.fail("shape overflows");
    if (!io.failed() &&
        (__builtin_mul_overflow(
             elements, static_cast<int64_t>(getDTypeSize(b.dtype)), &bytes) ||
         bytes != b.bytes))
      io.fail(std::to_string(b.bytes) +
              " bytes do not match its shape and dtype");
    bool runtimeOwned =
        b.role == BufferRole::Input || b.role == BufferRole::Param ||
        b.role == BufferRole::State || b.role == BufferRole::OptimizerState;
    if (!io.failed() && b.layout == Layout::NHWC && plan.layout != "nhwc")
      io.fail("an nhwc buffer in a plan of layout " + plan.layout);
    if (!io.failed() && runtimeOwned && b.layout != Layout::NCHW)
      io.fail(std::string("a buffer of role ") + getBufferRoleName(b.role) +
              " must be nchw, the layout the runtime reads and writes");
  });
}

/// One argument of a launch: a buffer accessed within its bytes, or one
/// scalar.
template <class IO> void mapLaunchArg(IO &io, LaunchArg &a, const Plan &plan) {
  if (io.has("buffer", a.kind == LaunchArg::Kind::Buffer)) {
    a.kind = LaunchArg::Kind::Buffer;
    io.field("buffer", a.buffer);
    io.field("bytes", a.bytes);
    io.check([&] {
      if (a.buffer >= static_cast<int64_t>(plan.buffers.size()))
        io.fail("buffer " + std::to_string(a.buffer) + " does not exist");
      else if (a.bytes > plan.buffers[a.buffer].bytes)
        io.fail("the kernel accesses " + std::to_string(a.bytes) +
                " bytes of '" + plan.buffers[a.buffer].name + "', which has " +
                std::to_string(plan.buffers[a.buffer].bytes));
    });
    return;
  }
  bool known = false;
  for (auto [kind, key] : kScalarKinds) {
    if (!io.hasScalar(key, a.kind == kind))
      continue;
    known = true;
    a.kind = kind;
    switch (kind) {
    case LaunchArg::Kind::I32:
      io.intBits(key, a.bits, 32);
      break;
    case LaunchArg::Kind::I64:
      io.intBits(key, a.bits, 64);
      break;
    case LaunchArg::Kind::F32:
      io.floatBits(key, a.bits, 8);
      break;
    default:
      io.floatBits(key, a.bits, 16);
      break;
    }
  }
  if (!known)
    io.fail("expected {\"buffer\": N, \"bytes\": N} or one of i32, i64, f32, "
            "f64");
}

/// One launch: its kernel, grid and block sizes within CUDA's limits, and
/// its arguments.
template <class IO> void mapLaunch(IO &io, PlanLaunch &l, const Plan &plan) {
  io.field("kernel", l.kernel, [](const std::string &k) -> CheckResult {
    if (k.empty())
      return std::string("empty");
    return std::nullopt;
  });
  auto within = [](std::array<int64_t, 3> limit) {
    return [limit](const std::vector<int64_t> &v) -> CheckResult {
      if (v.size() != 3)
        return std::string("expected three sizes");
      for (int i = 0; i < 3; ++i)
        if (v[i] < 1 || v[i] > limit[i])
          return std::to_string(v[i]) + " is outside [1, " +
                 std::to_string(limit[i]) + "]";
      return std::nullopt;
    };
  };
  io.field("grid", l.grid, within({INT32_MAX, 65535, 65535}));
  io.field("block", l.block, within({1024, 1024, 64}));
  io.check([&] {
    if (l.block[0] * l.block[1] * l.block[2] > 1024)
      io.failAt("block", "more than 1024 threads");
  });
  io.list("args", l.args,
          [&](auto &argIO, LaunchArg &a) { mapLaunchArg(argIO, a, plan); });
}

/// Whether argument `i` of call `name` is a filter that may be stored in its
/// own layout (argument 1 of a forward or backward-data call, the output 2
/// of a backward-filter call): oneDNN reorders filters itself.
inline bool keepsFilterLayout(const std::string &name, size_t i) {
  if (name == "onednn.conv2d_forward" || name == "onednn.conv2d_backward_data")
    return i == 1;
  return name == "onednn.conv2d_backward_filter" && i == 2;
}

/// A library call: a known name, its convolution attributes, and as many
/// step arguments as it takes, of rank 4 (bias: rank 1).
template <class IO>
void mapLibraryCall(IO &io, LibraryCall &c, const PlanStep &step,
                    const Plan &plan) {
  io.field("name", c.name, [&](const std::string &name) -> CheckResult {
    if (!isKnownLibraryCall(name))
      return "unknown library call '" + name + "'";
    // Each target has its library: cuDNN on the GPU, oneDNN on the CPU.
    std::string library = getConvolutionLibrary(plan.target);
    if (name.rfind(library + ".", 0) != 0)
      return name + " in a plan for target '" + plan.target +
             "', whose library calls are " + library + ".*";
    return std::nullopt;
  });
  auto atLeast = [](int64_t min) {
    return [min](const std::vector<int64_t> &v) -> CheckResult {
      if (v.size() != 2 || v[0] < min || v[1] < min)
        return "expected two integers >= " + std::to_string(min);
      return std::nullopt;
    };
  };
  io.field("strides", c.strides, atLeast(1));
  io.field("padding", c.padding, atLeast(0));
  io.field("dilation", c.dilation, atLeast(1));
  io.field("groups", c.groups, /*min=*/1);
  io.field("bias", c.bias);
  io.field("residual", c.residual);
  io.field("relu", c.relu);
  io.oneOf("math_type", c.mathType, {"fma", "tensor_op"});
  io.oneOf("compute_type", c.computeType, {"float"});
  io.oneOf("mode", c.mode, {"cross_correlation", "convolution"});
  io.check([&] {
    if (!isForwardConvolution(c.name) && (c.bias || c.residual || c.relu))
      return io.fail("only the forward convolution has bias, residual or "
                     "relu");
    if (step.args.size() != c.getNumArgs())
      return io.fail(c.name + " takes " + std::to_string(c.getNumArgs()) +
                     " buffers, the step has " +
                     std::to_string(step.args.size()));
    for (size_t i = 0; i < step.args.size() && !io.failed(); ++i) {
      const PlanBuffer &b = plan.buffers[step.args[i]];
      const PlanBuffer &first = plan.buffers[step.args[0]];
      size_t rank = b.shape.size();
      bool isBias = c.bias && i == 2;
      if (rank != (isBias ? 1u : 4u))
        io.fail("argument " + std::to_string(i) + " of " + c.name +
                " has rank " + std::to_string(rank));
      else if (!isBias && b.layout != first.layout &&
               !keepsFilterLayout(c.name, i))
        io.fail("argument " + std::to_string(i) + " of " + c.name + " is " +
                getLayoutName(b.layout) + " but argument 0 is " +
                getLayoutName(first.layout) +
                "; a call's tensors share one layout");
      else if (b.dtype != first.dtype)
        io.fail("argument " + std::to_string(i) + " of " + c.name + " is " +
                getDTypeName(b.dtype) + " but argument 0 is " +
                getDTypeName(first.dtype) +
                "; a call's tensors, its bias too, share one data type");
    }
  });
}

/// One step: its kernel, layer, arguments naming buffers, and on CUDA the
/// library call or the launches that carry it out.
template <class IO> void mapStep(IO &io, PlanStep &s, const Plan &plan) {
  io.symbol("kernel", s.kernel);
  io.field("layer", s.layer);
  io.field("per_image", s.perImage);
  if (io.has("rows", s.rows > 0))
    io.field("rows", s.rows, /*min=*/1);
  io.field("args", s.args);
  io.check([&] {
    if (s.rows > 0 && (s.perImage || plan.target != "cpu"))
      io.failAt("rows", "only a CPU step that is not per image runs rows");
    // Call n computes row n of every tensor argument: each must have them.
    for (int64_t a : s.args)
      if (s.rows > 0 && a >= 0 && a < static_cast<int64_t>(plan.buffers.size()))
        if (const PlanBuffer &b = plan.buffers[a];
            !b.shape.empty() && b.shape[0] != s.rows)
          io.failAt("rows", std::to_string(s.rows) + " rows, but buffer '" +
                                b.name + "' has " + std::to_string(b.shape[0]));
    for (int64_t a : s.args)
      if (a >= static_cast<int64_t>(plan.buffers.size()))
        io.failAt("args", "buffer " + std::to_string(a) + " does not exist");
    if (s.kernel.empty())
      io.failAt("kernel", "empty");
  });
  bool hasLibrary = s.library.has_value();
  io.optionalObject("library", hasLibrary, [&](auto &callIO) {
    if (!s.library)
      s.library.emplace();
    mapLibraryCall(callIO, *s.library, s, plan);
  });
  io.optionalList("launches", s.launches, [&](auto &launchIO, PlanLaunch &l) {
    mapLaunch(launchIO, l, plan);
  });
}

template <class IO> void mapEntry(IO &io, PlanEntry &e, const Plan &plan) {
  io.field("name", e.name);
  io.list("steps", e.steps,
          [&](auto &stepIO, PlanStep &s) { mapStep(stepIO, s, plan); });
}

/// The plan after its format and version.
template <class IO> void mapPlan(IO &io, Plan &p) {
  io.field("model", p.model);
  io.field("target", p.target);
  io.field("precision", p.precision);
  io.field("layout", p.layout, [](const std::string &l) -> CheckResult {
    if (!parseLayoutName(l))
      return "unknown layout '" + l + "' (nchw or nhwc)";
    return std::nullopt;
  });
  io.field("batch", p.batch, /*min=*/1);
  io.field("input_shape", p.inputShape);
  io.field("classes", p.classes, /*min=*/1);
  io.field("arena_bytes", p.arenaBytes);
  io.field("peak_activation_bytes", p.peakActivationBytes);
  io.field("input", p.input);
  io.field("output", p.output);
  io.list("buffers", p.buffers,
          [&](auto &bufferIO, PlanBuffer &b) { mapBuffer(bufferIO, b, p); });
  // The runtime copies images into the input and logits out of the output:
  // both must be exactly what the header says.
  io.check([&] {
    auto validBuffer = [&](int64_t i) {
      return i >= 0 && i < static_cast<int64_t>(p.buffers.size());
    };
    if (!validBuffer(p.input) || !validBuffer(p.output))
      return io.fail("input or output names no buffer");
    if (p.inputShape.size() != 3 ||
        std::count(p.inputShape.begin(), p.inputShape.end(), 0))
      return io.fail("input_shape must be three positive sizes (C, H, W)");
    const PlanBuffer &in = p.buffers[p.input];
    std::vector<int64_t> inShape = {p.batch};
    inShape.insert(inShape.end(), p.inputShape.begin(), p.inputShape.end());
    if (in.role != BufferRole::Input || in.dtype != DType::F32 ||
        in.shape != inShape)
      return io.fail("the input buffer is not an F32 input of shape batch x "
                     "input_shape");
    const PlanBuffer &out = p.buffers[p.output];
    if (out.role != BufferRole::Output || out.dtype != DType::F32 ||
        out.shape != std::vector<int64_t>{p.batch, p.classes})
      return io.fail("the output buffer is not F32 logits of shape batch x "
                     "classes");
  });
  io.list("entries", p.entries,
          [&](auto &entryIO, PlanEntry &e) { mapEntry(entryIO, e, p); });
  // The attribute holds the optimizer's fields among the plan's, always; a
  // plan without one there is SGD's.
  io.optionalObject(
      "optimizer", p.findEntry("train_step") != nullptr,
      [&](auto &optIO) {
        optIO.field(Key("name").ir("optimizer").optionalInIR(), p.optimizer,
                    [](const std::string &n) -> CheckResult {
                      if (n != "sgd" && n != "adamw")
                        return "unknown optimizer '" + n + "' (sgd or adamw)";
                      return std::nullopt;
                    });
        optIO.field("momentum", p.momentum);
        optIO.field("weight_decay", p.weightDecay);
        optIO.field("nesterov", p.nesterov);
        optIO.field(Key("beta1").optionalInIR(), p.beta1);
        optIO.field(Key("beta2").optionalInIR(), p.beta2);
        optIO.field(Key("epsilon").optionalInIR(), p.epsilon);
      },
      /*summary=*/
      "expected name, momentum, weight_decay, nesterov, beta1, "
      "beta2 and epsilon",
      IRForm::FlatAlways);
  // CPU plans: the CPU the code is for and the extensions it may use (in
  // the attribute: `cpu` and `cpu_features` among the plan's fields).
  io.optionalObject(
      "cpu", !p.cpu.empty(),
      [&](auto &cpuIO) {
        cpuIO.field(Key("name").ir("cpu").optionalInIR(), p.cpu);
        cpuIO.field(
            Key("features").ir("cpu_features").optionalInIR(), p.cpuFeatures,
            [](const std::string &f) -> CheckResult {
              const std::vector<std::string> &known = getCheckedCPUFeatures();
              if (std::find(known.begin(), known.end(), f) == known.end())
                return "unknown feature '" + f +
                       "'; recompile the model with the matching "
                       "resnetc";
              return std::nullopt;
            });
      },
      /*summary=*/nullptr, IRForm::Flat);
}

} // namespace resnetc::runtime::planmap

#endif // RESNETC_RUNTIME_PLANMAPPING_H
