//===- Plan.cpp - The execution plan carried by every artifact ------------===//
//
// JSON serialization and validation of plans. Every check that the runtime
// relies on (bounds, indices, version) happens here, once, with a message
// naming the artifact.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Plan.h"

#include <algorithm>
#include <optional>

using namespace resnetc::runtime;

static const BufferRole kRoles[] = {
    BufferRole::Input,  BufferRole::Output,  BufferRole::Param,
    BufferRole::State,  BufferRole::Derived, BufferRole::Activation,
    BufferRole::Labels, BufferRole::Hyper,   BufferRole::Velocity,
    BufferRole::Loss,   BufferRole::Correct, BufferRole::Scratch};

const char *resnetc::runtime::getBufferRoleName(BufferRole role) {
  switch (role) {
  case BufferRole::Input:
    return "input";
  case BufferRole::Output:
    return "output";
  case BufferRole::Param:
    return "param";
  case BufferRole::State:
    return "state";
  case BufferRole::Derived:
    return "derived";
  case BufferRole::Activation:
    return "activation";
  case BufferRole::Labels:
    return "labels";
  case BufferRole::Hyper:
    return "hyper";
  case BufferRole::Velocity:
    return "velocity";
  case BufferRole::Loss:
    return "loss";
  case BufferRole::Scratch:
    return "scratch";
  case BufferRole::Correct:
    return "correct";
  }
  return "?";
}

const PlanEntry *Plan::findEntry(const std::string &name) const {
  for (const PlanEntry &e : entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

static JsonValue intArray(const std::vector<int64_t> &v) {
  JsonValue a = JsonValue::array();
  for (int64_t x : v)
    a.push(JsonValue(x));
  return a;
}

/// "0x" and 8 or 16 hexadecimal digits.
static std::string hexBits(uint64_t bits, int digits) {
  static const char *hex = "0123456789abcdef";
  std::string s = "0x";
  for (int i = digits - 1; i >= 0; --i)
    s += hex[(bits >> (4 * i)) & 0xf];
  return s;
}

/// Scalar kinds by JSON key; floats are exact bit patterns ("0x3f800000"),
/// so that infinities and every rounding survive.
static const std::pair<LaunchArg::Kind, const char *> kScalarKinds[] = {
    {LaunchArg::Kind::I32, "i32"},
    {LaunchArg::Kind::I64, "i64"},
    {LaunchArg::Kind::F32, "f32"},
    {LaunchArg::Kind::F64, "f64"}};

static JsonValue launchToJson(const PlanLaunch &l) {
  JsonValue jl = JsonValue::object();
  jl.set("kernel", l.kernel);
  jl.set("grid", intArray({l.grid.begin(), l.grid.end()}));
  jl.set("block", intArray({l.block.begin(), l.block.end()}));
  JsonValue args = JsonValue::array();
  for (const LaunchArg &a : l.args) {
    JsonValue ja = JsonValue::object();
    switch (a.kind) {
    case LaunchArg::Kind::Buffer:
      ja.set("buffer", JsonValue(a.buffer));
      ja.set("bytes", JsonValue(a.bytes));
      break;
    case LaunchArg::Kind::I32:
      ja.set("i32", JsonValue(static_cast<int32_t>(a.bits)));
      break;
    case LaunchArg::Kind::I64:
      ja.set("i64", JsonValue(static_cast<int64_t>(a.bits)));
      break;
    case LaunchArg::Kind::F32:
      ja.set("f32", hexBits(a.bits, 8));
      break;
    case LaunchArg::Kind::F64:
      ja.set("f64", hexBits(a.bits, 16));
      break;
    }
    args.push(std::move(ja));
  }
  jl.set("args", std::move(args));
  return jl;
}

const char *resnetc::runtime::getLayoutName(Layout layout) {
  return layout == Layout::NHWC ? "nhwc" : "nchw";
}

std::optional<Layout>
resnetc::runtime::parseLayoutName(const std::string &name) {
  if (name == "nchw")
    return Layout::NCHW;
  if (name == "nhwc")
    return Layout::NHWC;
  return std::nullopt;
}

static const char *const kLibraryCalls[] = {
    "cudnn.conv2d_forward",         "cudnn.conv2d_backward_data",
    "cudnn.conv2d_backward_filter", "onednn.conv2d_forward",
    "onednn.conv2d_backward_data",  "onednn.conv2d_backward_filter"};

const std::vector<std::string> &resnetc::runtime::getCheckedCPUFeatures() {
  static const std::vector<std::string> names = {"sse4.1",
                                                 "sse4.2",
                                                 "popcnt",
                                                 "avx",
                                                 "avx2",
                                                 "fma",
                                                 "bmi",
                                                 "bmi2",
                                                 "avx512f",
                                                 "avx512dq",
                                                 "avx512cd",
                                                 "avx512bw",
                                                 "avx512vl",
                                                 "avx512ifma",
                                                 "avx512vbmi",
                                                 "avx512vbmi2",
                                                 "avx512vnni",
                                                 "avx512bitalg",
                                                 "avx512vpopcntdq",
                                                 "avx512bf16"};
  return names;
}

bool resnetc::runtime::isForwardConvolution(const std::string &name) {
  return name == "cudnn.conv2d_forward" || name == "onednn.conv2d_forward";
}

const char *resnetc::runtime::getConvolutionLibrary(const std::string &target) {
  return target == "cuda" ? "cudnn" : "onednn";
}

bool resnetc::runtime::isKnownLibraryCall(const std::string &name) {
  return std::find(std::begin(kLibraryCalls), std::end(kLibraryCalls), name) !=
         std::end(kLibraryCalls);
}

static JsonValue libraryToJson(const LibraryCall &c) {
  JsonValue j = JsonValue::object();
  j.set("name", c.name);
  j.set("strides", intArray({c.strides.begin(), c.strides.end()}));
  j.set("padding", intArray({c.padding.begin(), c.padding.end()}));
  j.set("dilation", intArray({c.dilation.begin(), c.dilation.end()}));
  j.set("groups", JsonValue(c.groups));
  j.set("bias", JsonValue(c.bias));
  j.set("residual", JsonValue(c.residual));
  j.set("relu", JsonValue(c.relu));
  j.set("math_type", c.mathType);
  j.set("compute_type", c.computeType);
  j.set("mode", c.mode);
  return j;
}

JsonValue resnetc::runtime::planToJson(const Plan &plan) {
  JsonValue j = JsonValue::object();
  j.set("format", "resnetc-plan");
  j.set("version", JsonValue(plan.version));
  j.set("model", plan.model);
  j.set("target", plan.target);
  j.set("precision", plan.precision);
  j.set("layout", plan.layout);
  j.set("batch", JsonValue(plan.batch));
  j.set("input_shape", intArray(plan.inputShape));
  j.set("classes", JsonValue(plan.classes));
  j.set("arena_bytes", JsonValue(plan.arenaBytes));
  j.set("peak_activation_bytes", JsonValue(plan.peakActivationBytes));
  j.set("input", JsonValue(plan.input));
  j.set("output", JsonValue(plan.output));
  JsonValue buffers = JsonValue::array();
  for (const PlanBuffer &b : plan.buffers) {
    JsonValue jb = JsonValue::object();
    jb.set("name", b.name);
    jb.set("role", getBufferRoleName(b.role));
    jb.set("dtype", getDTypeName(b.dtype));
    jb.set("shape", intArray(b.shape));
    if (b.layout != Layout::NCHW)
      jb.set("layout", getLayoutName(b.layout));
    jb.set("offset", JsonValue(b.offset));
    jb.set("bytes", JsonValue(b.bytes));
    buffers.push(std::move(jb));
  }
  j.set("buffers", std::move(buffers));
  JsonValue entries = JsonValue::array();
  for (const PlanEntry &e : plan.entries) {
    JsonValue je = JsonValue::object();
    je.set("name", e.name);
    JsonValue steps = JsonValue::array();
    for (const PlanStep &s : e.steps) {
      JsonValue js = JsonValue::object();
      js.set("kernel", s.kernel);
      js.set("layer", s.layer);
      js.set("batched", JsonValue(s.batched));
      js.set("args", intArray(s.args));
      if (s.library)
        js.set("library", libraryToJson(*s.library));
      if (!s.launches.empty()) {
        JsonValue launches = JsonValue::array();
        for (const PlanLaunch &l : s.launches)
          launches.push(launchToJson(l));
        js.set("launches", std::move(launches));
      }
      steps.push(std::move(js));
    }
    je.set("steps", std::move(steps));
    entries.push(std::move(je));
  }
  j.set("entries", std::move(entries));
  if (!plan.cpu.empty()) {
    JsonValue cpu = JsonValue::object();
    cpu.set("name", plan.cpu);
    JsonValue features = JsonValue::array();
    for (const std::string &f : plan.cpuFeatures)
      features.push(JsonValue(f));
    cpu.set("features", std::move(features));
    j.set("cpu", std::move(cpu));
  }
  if (plan.findEntry("train_step")) {
    JsonValue sgd = JsonValue::object();
    sgd.set("momentum", JsonValue(plan.momentum));
    sgd.set("weight_decay", JsonValue(plan.weightDecay));
    sgd.set("nesterov", JsonValue(plan.nesterov));
    j.set("sgd", std::move(sgd));
  }
  return j;
}

namespace {
/// Field access with located messages: "model.so: plan: buffers[3].shape:
/// expected an array of integers".
class Reader {
public:
  Reader(const std::string &source) : prefix(source + ": plan: ") {}

  std::optional<Error> error;

  const JsonValue *field(const JsonValue &obj, const char *name,
                         const std::string &where) {
    const JsonValue *v = obj.find(name);
    if (!v)
      fail(where + (where.empty() ? "" : ".") + name + ": missing");
    return v;
  }
  std::string str(const JsonValue &obj, const char *name,
                  const std::string &where = "") {
    const JsonValue *v = field(obj, name, where);
    if (v && !v->isString())
      fail(where + (where.empty() ? "" : ".") + name + ": expected a string");
    return v && v->isString() ? v->getString() : std::string();
  }
  int64_t integer(const JsonValue &obj, const char *name,
                  const std::string &where = "", int64_t min = 0) {
    const JsonValue *v = field(obj, name, where);
    if (v && (!v->isInteger() || v->getInteger() < min))
      fail(where + (where.empty() ? "" : ".") + name +
           ": expected an integer >= " + std::to_string(min));
    return v && v->isInteger() ? v->getInteger() : 0;
  }
  std::vector<int64_t> ints(const JsonValue &obj, const char *name,
                            const std::string &where = "") {
    std::vector<int64_t> out;
    const JsonValue *v = field(obj, name, where);
    if (!v)
      return out;
    if (!v->isArray()) {
      fail(where + "." + name + ": expected an array of integers");
      return out;
    }
    for (const JsonValue &x : v->getArray()) {
      if (!x.isInteger() || x.getInteger() < 0) {
        fail(where + "." + name + ": expected non-negative integers");
        return {};
      }
      out.push_back(x.getInteger());
    }
    return out;
  }
  void fail(const std::string &message) {
    if (!error)
      error = Error(prefix + message);
  }

private:
  std::string prefix;
};
} // namespace

/// Parses "0x" followed by 1 to `digits` hexadecimal digits.
static std::optional<uint64_t> parseHexBits(const std::string &s, int digits) {
  if (s.size() < 3 || s.size() > static_cast<size_t>(2 + digits) ||
      s[0] != '0' || s[1] != 'x')
    return std::nullopt;
  uint64_t bits = 0;
  for (char c : s.substr(2)) {
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                   : -1;
    if (v < 0)
      return std::nullopt;
    bits = bits << 4 | static_cast<uint64_t>(v);
  }
  return bits;
}

/// Reads one launch: its kernel, grid and block sizes within CUDA's limits,
/// and arguments naming existing buffers (accessed within their bytes) or
/// scalars.
static PlanLaunch readLaunch(Reader &r, const JsonValue &jl,
                             const std::string &where,
                             const std::vector<PlanBuffer> &buffers) {
  PlanLaunch launch;
  launch.kernel = r.str(jl, "kernel", where);
  if (!r.error && launch.kernel.empty())
    r.fail(where + ".kernel: empty");
  auto dims = [&](const char *name, std::array<int64_t, 3> &out,
                  const std::array<int64_t, 3> &limit) {
    std::vector<int64_t> v = r.ints(jl, name, where);
    if (r.error)
      return;
    if (v.size() != 3) {
      r.fail(where + "." + name + ": expected three sizes");
      return;
    }
    for (int i = 0; i < 3; ++i) {
      if (v[i] < 1 || v[i] > limit[i])
        r.fail(where + "." + name + ": " + std::to_string(v[i]) +
               " is outside [1, " + std::to_string(limit[i]) + "]");
      out[i] = v[i];
    }
  };
  dims("grid", launch.grid, {INT32_MAX, 65535, 65535});
  dims("block", launch.block, {1024, 1024, 64});
  if (!r.error && launch.block[0] * launch.block[1] * launch.block[2] > 1024)
    r.fail(where + ".block: more than 1024 threads");
  const JsonValue *args = r.field(jl, "args", where);
  if (args && !args->isArray())
    r.fail(where + ".args: expected an array");
  if (r.error)
    return launch;
  for (size_t i = 0; i < args->getArray().size() && !r.error; ++i) {
    const JsonValue &ja = args->getArray()[i];
    std::string aw = where + ".args[" + std::to_string(i) + "]";
    LaunchArg arg;
    if (ja.isObject() && ja.find("buffer")) {
      arg.buffer = r.integer(ja, "buffer", aw);
      arg.bytes = r.integer(ja, "bytes", aw);
      if (r.error)
        break;
      if (arg.buffer >= static_cast<int64_t>(buffers.size()))
        r.fail(aw + ": buffer " + std::to_string(arg.buffer) +
               " does not exist");
      else if (arg.bytes > buffers[arg.buffer].bytes)
        r.fail(aw + ": the kernel accesses " + std::to_string(arg.bytes) +
               " bytes of '" + buffers[arg.buffer].name + "', which has " +
               std::to_string(buffers[arg.buffer].bytes));
      launch.args.push_back(arg);
      continue;
    }
    bool known = false;
    for (auto [kind, key] : kScalarKinds) {
      const JsonValue *v = ja.isObject() ? ja.find(key) : nullptr;
      if (!v)
        continue;
      known = true;
      arg.kind = kind;
      if (kind == LaunchArg::Kind::I32 || kind == LaunchArg::Kind::I64) {
        bool fits =
            v->isInteger() &&
            (kind == LaunchArg::Kind::I64 ||
             (v->getInteger() >= INT32_MIN && v->getInteger() <= INT32_MAX));
        if (!fits)
          r.fail(aw + "." + key + ": expected an integer of that width");
        arg.bits = static_cast<uint64_t>(v->getInteger());
        if (kind == LaunchArg::Kind::I32)
          arg.bits &= 0xffffffffu;
      } else {
        int digits = kind == LaunchArg::Kind::F32 ? 8 : 16;
        std::optional<uint64_t> bits =
            v->isString() ? parseHexBits(v->getString(), digits) : std::nullopt;
        if (!bits)
          r.fail(aw + "." + key + ": expected the value's bits as \"0x\" and " +
                 std::to_string(digits) + " hexadecimal digits");
        arg.bits = bits.value_or(0);
      }
    }
    if (!known)
      r.fail(aw + ": expected {\"buffer\": N, \"bytes\": N} or one of "
                  "i32, i64, f32, f64");
    launch.args.push_back(arg);
  }
  return launch;
}

/// Reads a library call: a known name, its convolution attributes, and as
/// many step arguments as it takes, of rank 4 (bias: rank 1).
static LibraryCall readLibraryCall(Reader &r, const JsonValue &jc,
                                   const std::string &where,
                                   const PlanStep &step, const Plan &plan) {
  const std::vector<PlanBuffer> &buffers = plan.buffers;
  LibraryCall call;
  if (!jc.isObject()) {
    r.fail(where + ": expected an object");
    return call;
  }
  call.name = r.str(jc, "name", where);
  if (!r.error && !isKnownLibraryCall(call.name))
    r.fail(where + ".name: unknown library call '" + call.name + "'");
  std::string library = getConvolutionLibrary(plan.target);
  if (!r.error && call.name.rfind(library + ".", 0) != 0)
    r.fail(where + ".name: " + call.name + " in a plan for target '" +
           plan.target + "', whose library calls are " + library + ".*");
  auto pair = [&](const char *name, std::array<int64_t, 2> &out, int64_t min) {
    std::vector<int64_t> v = r.ints(jc, name, where);
    if (r.error)
      return;
    if (v.size() != 2 || v[0] < min || v[1] < min)
      r.fail(where + "." + name +
             ": expected two integers >= " + std::to_string(min));
    else
      out = {v[0], v[1]};
  };
  pair("strides", call.strides, 1);
  pair("padding", call.padding, 0);
  pair("dilation", call.dilation, 1);
  call.groups = r.integer(jc, "groups", where, 1);
  for (auto [name, flag] : {std::pair<const char *, bool *>{"bias", &call.bias},
                            {"residual", &call.residual},
                            {"relu", &call.relu}}) {
    const JsonValue *v = r.field(jc, name, where);
    if (v && !v->isBool())
      r.fail(where + "." + name + ": expected true or false");
    *flag = v && v->getBool();
  }
  auto oneOf = [&](const char *name, std::string &out,
                   std::initializer_list<const char *> allowed) {
    out = r.str(jc, name, where);
    if (r.error)
      return;
    std::string list;
    for (const char *a : allowed) {
      if (out == a)
        return;
      list += std::string(list.empty() ? "" : ", ") + a;
    }
    r.fail(where + "." + name + ": unknown value '" + out + "' (" + list + ")");
  };
  oneOf("math_type", call.mathType, {"fma", "tensor_op"});
  oneOf("compute_type", call.computeType, {"float"});
  oneOf("mode", call.mode, {"cross_correlation", "convolution"});
  if (r.error)
    return call;
  if (!isForwardConvolution(call.name) &&
      (call.bias || call.residual || call.relu))
    r.fail(where + ": only the forward convolution has bias, residual or "
                   "relu");
  else if (step.args.size() != call.getNumArgs())
    r.fail(where + ": " + call.name + " takes " +
           std::to_string(call.getNumArgs()) + " buffers, the step has " +
           std::to_string(step.args.size()));
  else
    for (size_t i = 0; i < step.args.size() && !r.error; ++i) {
      const PlanBuffer &b = buffers[step.args[i]];
      const PlanBuffer &first = buffers[step.args[0]];
      size_t rank = b.shape.size();
      bool isBias = call.bias && i == 2;
      if (rank != (isBias ? 1u : 4u))
        r.fail(where + ": argument " + std::to_string(i) + " of " + call.name +
               " has rank " + std::to_string(rank));
      else if (!isBias && b.layout != first.layout)
        r.fail(where + ": argument " + std::to_string(i) + " of " + call.name +
               " is " + getLayoutName(b.layout) + " but argument 0 is " +
               getLayoutName(first.layout) +
               "; a call's tensors share one layout");
      else if (b.dtype != first.dtype)
        r.fail(where + ": argument " + std::to_string(i) + " of " + call.name +
               " is " + getDTypeName(b.dtype) + " but argument 0 is " +
               getDTypeName(first.dtype) +
               "; a call's tensors, its bias too, share one data type");
    }
  return call;
}

Expected<Plan> resnetc::runtime::planFromJson(const JsonValue &json,
                                              const std::string &source) {
  Reader r(source);
  Plan plan;
  if (!json.isObject())
    return Error(source + ": plan: expected a JSON object");
  if (r.str(json, "format") != "resnetc-plan")
    return Error(source + ": not a resnetc artifact (no resnetc-plan)");
  plan.version = r.integer(json, "version");
  if (r.error)
    return *r.error;
  if (plan.version != kPlanVersion)
    return Error(source + ": plan version " + std::to_string(plan.version) +
                 " is not supported by this runtime, which reads version " +
                 std::to_string(kPlanVersion) +
                 "; recompile the model with the matching resnetc");
  plan.model = r.str(json, "model");
  plan.target = r.str(json, "target");
  plan.precision = r.str(json, "precision");
  plan.layout = r.str(json, "layout");
  if (!r.error && !parseLayoutName(plan.layout))
    r.fail("layout: unknown layout '" + plan.layout + "' (nchw or nhwc)");
  plan.batch = r.integer(json, "batch", "", 1);
  plan.inputShape = r.ints(json, "input_shape");
  plan.classes = r.integer(json, "classes", "", 1);
  plan.arenaBytes = r.integer(json, "arena_bytes");
  plan.peakActivationBytes = r.integer(json, "peak_activation_bytes");
  plan.input = r.integer(json, "input");
  plan.output = r.integer(json, "output");
  if (r.error)
    return *r.error;

  const JsonValue *buffers = r.field(json, "buffers", "");
  if (buffers && !buffers->isArray())
    r.fail("buffers: expected an array");
  if (r.error)
    return *r.error;
  for (size_t i = 0; i < buffers->getArray().size(); ++i) {
    const JsonValue &jb = buffers->getArray()[i];
    std::string where = "buffers[" + std::to_string(i) + "]";
    if (!jb.isObject()) {
      r.fail(where + ": expected an object");
      return *r.error;
    }
    PlanBuffer b;
    b.name = r.str(jb, "name", where);
    std::string role = r.str(jb, "role", where);
    bool known = false;
    for (BufferRole candidate : kRoles)
      if (role == getBufferRoleName(candidate)) {
        b.role = candidate;
        known = true;
      }
    if (!known)
      r.fail(where + ".role: unknown role '" + role + "'");
    std::string dtype = r.str(jb, "dtype", where);
    auto dt = parseDTypeName(dtype);
    if (!dt)
      r.fail(where + ".dtype: unknown dtype '" + dtype + "'");
    else
      b.dtype = *dt;
    b.shape = r.ints(jb, "shape", where);
    if (const JsonValue *layout = jb.find("layout")) {
      std::optional<Layout> l;
      if (layout->isString())
        l = parseLayoutName(layout->getString());
      if (!l)
        r.fail(where + ".layout: expected \"nchw\" or \"nhwc\"");
      else if (*l != Layout::NCHW && b.shape.size() != 4)
        r.fail(where + ".layout: only a rank-4 buffer can be " +
               getLayoutName(*l));
      else
        b.layout = *l;
    }
    b.offset = r.integer(jb, "offset", where);
    b.bytes = r.integer(jb, "bytes", where);
    if (r.error)
      return *r.error;
    if (b.offset % kBufferAlignment != 0)
      r.fail(where + ": offset " + std::to_string(b.offset) +
             " is not aligned to " + std::to_string(kBufferAlignment));
    if (b.offset > plan.arenaBytes || b.bytes > plan.arenaBytes - b.offset)
      r.fail(where + ": [" + std::to_string(b.offset) + ", " +
             std::to_string(b.offset + b.bytes) +
             ") lies outside the arena of " + std::to_string(plan.arenaBytes) +
             " bytes");
    int64_t elements = 1, bytes = 0;
    for (int64_t d : b.shape)
      if (__builtin_mul_overflow(elements, d, &elements))
        r.fail(where + ": shape overflows");
    if (!r.error &&
        (__builtin_mul_overflow(
             elements, static_cast<int64_t>(getDTypeSize(b.dtype)), &bytes) ||
         bytes != b.bytes))
      r.fail(where + ": " + std::to_string(b.bytes) +
             " bytes do not match its shape and dtype");
    // The runtime reads and writes these in the logical order (images,
    // checkpoints); only the kernels' own buffers may be laid out otherwise.
    bool runtimeOwned =
        b.role == BufferRole::Input || b.role == BufferRole::Param ||
        b.role == BufferRole::State || b.role == BufferRole::Velocity;
    if (!r.error && b.layout == Layout::NHWC && plan.layout != "nhwc")
      r.fail(where + ": an nhwc buffer in a plan of layout " + plan.layout);
    if (!r.error && runtimeOwned && b.layout != Layout::NCHW)
      r.fail(where + ": a buffer of role " + getBufferRoleName(b.role) +
             " must be nchw, the layout the runtime reads and writes");
    if (r.error)
      return *r.error;
    plan.buffers.push_back(std::move(b));
  }
  auto validBuffer = [&](int64_t i) {
    return i >= 0 && i < static_cast<int64_t>(plan.buffers.size());
  };
  if (!validBuffer(plan.input) || !validBuffer(plan.output))
    return Error(source + ": plan: input or output names no buffer");
  if (plan.inputShape.size() != 3 ||
      std::count(plan.inputShape.begin(), plan.inputShape.end(), 0))
    return Error(source + ": plan: input_shape must be three positive sizes "
                          "(C, H, W)");
  // The runtime copies images into the input and logits out of the output:
  // both must be exactly what the header says.
  const PlanBuffer &in = plan.buffers[plan.input];
  std::vector<int64_t> inShape = {plan.batch};
  inShape.insert(inShape.end(), plan.inputShape.begin(), plan.inputShape.end());
  if (in.role != BufferRole::Input || in.dtype != DType::F32 ||
      in.shape != inShape)
    return Error(source + ": plan: the input buffer is not an F32 input of "
                          "shape batch x input_shape");
  const PlanBuffer &out = plan.buffers[plan.output];
  if (out.role != BufferRole::Output || out.dtype != DType::F32 ||
      out.shape != std::vector<int64_t>{plan.batch, plan.classes})
    return Error(source + ": plan: the output buffer is not F32 logits of "
                          "shape batch x classes");

  const JsonValue *entries = r.field(json, "entries", "");
  if (entries && !entries->isArray())
    r.fail("entries: expected an array");
  if (r.error)
    return *r.error;
  for (size_t e = 0; e < entries->getArray().size(); ++e) {
    const JsonValue &je = entries->getArray()[e];
    std::string where = "entries[" + std::to_string(e) + "]";
    PlanEntry entry;
    entry.name = r.str(je, "name", where);
    const JsonValue *steps = r.field(je, "steps", where);
    if (steps && !steps->isArray())
      r.fail(where + ".steps: expected an array");
    if (r.error)
      return *r.error;
    for (size_t s = 0; s < steps->getArray().size(); ++s) {
      const JsonValue &js = steps->getArray()[s];
      std::string sw = where + ".steps[" + std::to_string(s) + "]";
      PlanStep step;
      step.kernel = r.str(js, "kernel", sw);
      step.layer = r.str(js, "layer", sw);
      const JsonValue *batched = r.field(js, "batched", sw);
      if (batched && !batched->isBool())
        r.fail(sw + ".batched: expected true or false");
      step.batched = batched && batched->getBool();
      step.args = r.ints(js, "args", sw);
      if (r.error)
        return *r.error;
      for (int64_t a : step.args)
        if (!validBuffer(a))
          r.fail(sw + ".args: buffer " + std::to_string(a) + " does not exist");
      if (step.kernel.empty())
        r.fail(sw + ".kernel: empty");
      if (const JsonValue *launches = js.find("launches")) {
        if (!launches->isArray())
          r.fail(sw + ".launches: expected an array");
        else
          for (size_t l = 0; l < launches->getArray().size() && !r.error; ++l)
            step.launches.push_back(readLaunch(
                r, launches->getArray()[l],
                sw + ".launches[" + std::to_string(l) + "]", plan.buffers));
      }
      if (const JsonValue *library = js.find("library"); library && !r.error)
        step.library =
            readLibraryCall(r, *library, sw + ".library", step, plan);
      if (r.error)
        return *r.error;
      entry.steps.push_back(std::move(step));
    }
    plan.entries.push_back(std::move(entry));
  }
  if (const JsonValue *sgd = json.find("sgd")) {
    const JsonValue *m = sgd->find("momentum"), *wd = sgd->find("weight_decay"),
                    *n = sgd->find("nesterov");
    if (!m || !m->isNumber() || !wd || !wd->isNumber() || !n || !n->isBool())
      return Error(source + ": plan: sgd: expected momentum, weight_decay "
                            "and nesterov");
    plan.momentum = m->getNumber();
    plan.weightDecay = wd->getNumber();
    plan.nesterov = n->getBool();
  }
  if (const JsonValue *cpu = json.find("cpu")) {
    const JsonValue *name = cpu->find("name"),
                    *features = cpu->find("features");
    if (!name || !name->isString() || !features || !features->isArray())
      return Error(source + ": plan: cpu: expected a name and features");
    plan.cpu = name->getString();
    for (const JsonValue &f : features->getArray()) {
      const std::vector<std::string> &known = getCheckedCPUFeatures();
      if (!f.isString() ||
          std::find(known.begin(), known.end(), f.getString()) == known.end())
        return Error(source + ": plan: cpu.features: unknown feature " +
                     (f.isString() ? "'" + f.getString() + "'"
                                   : std::string("(not a string)")) +
                     "; recompile the model with the matching resnetc");
      plan.cpuFeatures.push_back(f.getString());
    }
  }
  return plan;
}

Expected<Plan> resnetc::runtime::parsePlan(const std::string &text,
                                           const std::string &source) {
  Expected<JsonValue> json = parseJson(text);
  if (!json)
    return Error(source + ": the embedded plan is not valid JSON: " +
                 json.error().message());
  return planFromJson(*json, source);
}
