//===- PlanAttr.cpp - The execution plan carried in the IR ----------------===//
//
// See PlanAttr.h. Data types are written in lower case, as MLIR writes
// element types (f32, bf16, i64, u8). Fields with their default value are left
// out of a step (no library call, no launches) and of a buffer (NCHW layout),
// so the plans in test output stay short.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/PlanAttr.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

//===----------------------------------------------------------------------===//
// Plan -> attribute
//===----------------------------------------------------------------------===//

namespace {
/// Builds the dictionaries of a plan.
class PlanWriter {
public:
  explicit PlanWriter(MLIRContext *ctx) : b(ctx) {}

  DictionaryAttr write(const Plan &plan) {
    NamedAttrList attrs;
    attrs.append("version", b.getI64IntegerAttr(plan.version));
    attrs.append("model", b.getStringAttr(plan.model));
    attrs.append("target", b.getStringAttr(plan.target));
    attrs.append("precision", b.getStringAttr(plan.precision));
    attrs.append("layout", b.getStringAttr(plan.layout));
    attrs.append("batch", b.getI64IntegerAttr(plan.batch));
    attrs.append("input_shape", b.getDenseI64ArrayAttr(plan.inputShape));
    attrs.append("classes", b.getI64IntegerAttr(plan.classes));
    attrs.append("arena_bytes", b.getI64IntegerAttr(plan.arenaBytes));
    attrs.append("peak_activation_bytes",
                 b.getI64IntegerAttr(plan.peakActivationBytes));
    attrs.append("input", b.getI64IntegerAttr(plan.input));
    attrs.append("output", b.getI64IntegerAttr(plan.output));
    attrs.append("optimizer", b.getStringAttr(plan.optimizer));
    attrs.append("momentum", b.getF64FloatAttr(plan.momentum));
    attrs.append("weight_decay", b.getF64FloatAttr(plan.weightDecay));
    attrs.append("nesterov", b.getBoolAttr(plan.nesterov));
    attrs.append("beta1", b.getF64FloatAttr(plan.beta1));
    attrs.append("beta2", b.getF64FloatAttr(plan.beta2));
    attrs.append("epsilon", b.getF64FloatAttr(plan.epsilon));
    if (!plan.cpu.empty()) {
      attrs.append("cpu", b.getStringAttr(plan.cpu));
      SmallVector<Attribute> features;
      for (const std::string &f : plan.cpuFeatures)
        features.push_back(b.getStringAttr(f));
      attrs.append("cpu_features", b.getArrayAttr(features));
    }
    SmallVector<Attribute> buffers;
    for (const PlanBuffer &buffer : plan.buffers)
      buffers.push_back(write(buffer));
    attrs.append("buffers", b.getArrayAttr(buffers));
    SmallVector<Attribute> entries;
    for (const PlanEntry &entry : plan.entries) {
      SmallVector<Attribute> steps;
      for (const PlanStep &step : entry.steps)
        steps.push_back(write(step));
      entries.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("name", b.getStringAttr(entry.name)),
           b.getNamedAttr("steps", b.getArrayAttr(steps))}));
    }
    attrs.append("entries", b.getArrayAttr(entries));
    return attrs.getDictionary(b.getContext());
  }

private:
  DictionaryAttr write(const PlanBuffer &buffer) {
    NamedAttrList attrs;
    attrs.append("name", b.getStringAttr(buffer.name));
    attrs.append("role", b.getStringAttr(getBufferRoleName(buffer.role)));
    attrs.append("dtype", b.getStringAttr(
                              StringRef(getDTypeName(buffer.dtype)).lower()));
    attrs.append("shape", b.getDenseI64ArrayAttr(buffer.shape));
    attrs.append("bytes", b.getI64IntegerAttr(buffer.bytes));
    attrs.append("offset", b.getI64IntegerAttr(buffer.offset));
    if (buffer.layout != Layout::NCHW)
      attrs.append("layout", b.getStringAttr(getLayoutName(buffer.layout)));
    if (buffer.zeroInit)
      attrs.append("init", b.getStringAttr("zeros"));
    return attrs.getDictionary(b.getContext());
  }

  DictionaryAttr write(const PlanStep &step) {
    NamedAttrList attrs;
    attrs.append("kernel", FlatSymbolRefAttr::get(b.getContext(), step.kernel));
    attrs.append("layer", b.getStringAttr(step.layer));
    attrs.append("args", b.getDenseI64ArrayAttr(step.args));
    attrs.append("per_image", b.getBoolAttr(step.perImage));
    if (step.library)
      attrs.append("library", write(*step.library));
    if (!step.launches.empty()) {
      SmallVector<Attribute> launches;
      for (const PlanLaunch &launch : step.launches)
        launches.push_back(write(launch));
      attrs.append("launches", b.getArrayAttr(launches));
    }
    return attrs.getDictionary(b.getContext());
  }

  DictionaryAttr write(const LibraryCall &call) {
    NamedAttrList attrs;
    attrs.append("name", b.getStringAttr(call.name));
    attrs.append("strides", b.getDenseI64ArrayAttr(call.strides));
    attrs.append("padding", b.getDenseI64ArrayAttr(call.padding));
    attrs.append("dilation", b.getDenseI64ArrayAttr(call.dilation));
    attrs.append("groups", b.getI64IntegerAttr(call.groups));
    attrs.append("bias", b.getBoolAttr(call.bias));
    attrs.append("residual", b.getBoolAttr(call.residual));
    attrs.append("relu", b.getBoolAttr(call.relu));
    attrs.append("math_type", b.getStringAttr(call.mathType));
    attrs.append("compute_type", b.getStringAttr(call.computeType));
    attrs.append("mode", b.getStringAttr(call.mode));
    return attrs.getDictionary(b.getContext());
  }

  DictionaryAttr write(const PlanLaunch &launch) {
    SmallVector<Attribute> args;
    for (const LaunchArg &arg : launch.args) {
      if (arg.kind == LaunchArg::Kind::Buffer) {
        args.push_back(b.getDictionaryAttr(
            {b.getNamedAttr("buffer", b.getI64IntegerAttr(arg.buffer)),
             b.getNamedAttr("bytes", b.getI64IntegerAttr(arg.bytes))}));
        continue;
      }
      args.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("kind", b.getStringAttr(getKindName(arg.kind))),
           b.getNamedAttr(
               "bits", b.getI64IntegerAttr(static_cast<int64_t>(arg.bits)))}));
    }
    return b.getDictionaryAttr(
        {b.getNamedAttr("kernel", b.getStringAttr(launch.kernel)),
         b.getNamedAttr("grid", b.getDenseI64ArrayAttr(launch.grid)),
         b.getNamedAttr("block", b.getDenseI64ArrayAttr(launch.block)),
         b.getNamedAttr("args", b.getArrayAttr(args))});
  }

public:
  static const char *getKindName(LaunchArg::Kind kind) {
    switch (kind) {
    case LaunchArg::Kind::Buffer:
      return "buffer";
    case LaunchArg::Kind::I32:
      return "i32";
    case LaunchArg::Kind::I64:
      return "i64";
    case LaunchArg::Kind::F32:
      return "f32";
    case LaunchArg::Kind::F64:
      return "f64";
    }
    return "";
  }

private:
  Builder b;
};
} // namespace

DictionaryAttr resnetc::getPlanAttr(MLIRContext *ctx, const Plan &plan) {
  return PlanWriter(ctx).write(plan);
}

void resnetc::setPlan(ModuleOp module, const Plan &plan) {
  module->setAttr(kPlanAttrName, getPlanAttr(module.getContext(), plan));
}

//===----------------------------------------------------------------------===//
// Attribute -> plan
//===----------------------------------------------------------------------===//

namespace {
/// Reads the dictionaries of a plan; the first malformed field is reported
/// with its path (`entries[1].steps[3].args`).
class PlanReader {
public:
  explicit PlanReader(function_ref<InFlightDiagnostic()> emitError)
      : emitError(emitError) {}

  FailureOr<Plan> read(Attribute attr) {
    Plan plan;
    auto dict = dyn_cast<DictionaryAttr>(attr);
    if (!dict)
      return fail("rn.plan", "must be a dictionary");
    std::string at = "rn.plan";
    if (failed(get(dict, at, "version", plan.version)) ||
        failed(get(dict, at, "model", plan.model)) ||
        failed(get(dict, at, "target", plan.target)) ||
        failed(get(dict, at, "precision", plan.precision)) ||
        failed(get(dict, at, "layout", plan.layout)) ||
        failed(get(dict, at, "batch", plan.batch)) ||
        failed(get(dict, at, "input_shape", plan.inputShape)) ||
        failed(get(dict, at, "classes", plan.classes)) ||
        failed(get(dict, at, "arena_bytes", plan.arenaBytes)) ||
        failed(
            get(dict, at, "peak_activation_bytes", plan.peakActivationBytes)) ||
        failed(get(dict, at, "input", plan.input)) ||
        failed(get(dict, at, "output", plan.output)) ||
        failed(get(dict, at, "momentum", plan.momentum)) ||
        failed(get(dict, at, "weight_decay", plan.weightDecay)) ||
        failed(get(dict, at, "nesterov", plan.nesterov)) ||
        // The optimizer is SGD unless the plan says otherwise.
        failed(get(dict, at, "optimizer", plan.optimizer, /*optional=*/true)) ||
        failed(get(dict, at, "beta1", plan.beta1, /*optional=*/true)) ||
        failed(get(dict, at, "beta2", plan.beta2, /*optional=*/true)) ||
        failed(get(dict, at, "epsilon", plan.epsilon, /*optional=*/true)) ||
        failed(get(dict, at, "cpu", plan.cpu, /*optional=*/true)))
      return failure();
    if (Attribute features = dict.get("cpu_features")) {
      auto list = dyn_cast<ArrayAttr>(features);
      if (!list)
        return fail(at + ".cpu_features", "must be an array of strings");
      for (Attribute f : list) {
        auto name = dyn_cast<StringAttr>(f);
        if (!name)
          return fail(at + ".cpu_features", "must be an array of strings");
        plan.cpuFeatures.push_back(name.str());
      }
    }
    ArrayAttr buffers, entries;
    if (failed(get(dict, at, "buffers", buffers)) ||
        failed(get(dict, at, "entries", entries)))
      return failure();
    for (auto [i, a] : llvm::enumerate(buffers)) {
      std::string where = at + ".buffers[" + std::to_string(i) + "]";
      auto d = dyn_cast<DictionaryAttr>(a);
      if (!d)
        return fail(where, "must be a dictionary");
      PlanBuffer buffer;
      std::string role, dtype, layout = "nchw", init;
      if (failed(get(d, where, "name", buffer.name)) ||
          failed(get(d, where, "role", role)) ||
          failed(get(d, where, "dtype", dtype)) ||
          failed(get(d, where, "shape", buffer.shape)) ||
          failed(get(d, where, "bytes", buffer.bytes)) ||
          failed(get(d, where, "offset", buffer.offset)) ||
          failed(get(d, where, "layout", layout, /*optional=*/true)) ||
          failed(get(d, where, "init", init, /*optional=*/true)))
        return failure();
      if (!init.empty() && init != "zeros")
        return fail(where + ".init", "must be \"zeros\"");
      buffer.zeroInit = !init.empty();
      std::optional<BufferRole> r = parseRole(role);
      if (!r)
        return fail(where + ".role", "unknown buffer role '" + role + "'");
      buffer.role = *r;
      std::optional<DType> t = parseDTypeName(StringRef(dtype).upper());
      if (!t)
        return fail(where + ".dtype", "unknown dtype '" + dtype + "'");
      buffer.dtype = *t;
      std::optional<Layout> l = parseLayoutName(layout);
      if (!l)
        return fail(where + ".layout", "unknown layout '" + layout + "'");
      buffer.layout = *l;
      plan.buffers.push_back(std::move(buffer));
    }
    auto numBuffers = static_cast<int64_t>(plan.buffers.size());
    auto checkBuffer = [&](const std::string &where, int64_t b,
                           bool allowNone) -> LogicalResult {
      if ((allowNone && b == -1) || (b >= 0 && b < numBuffers))
        return success();
      return fail(where, "buffer " + std::to_string(b) + " does not exist");
    };
    if (failed(checkBuffer(at + ".input", plan.input, true)) ||
        failed(checkBuffer(at + ".output", plan.output, true)))
      return failure();
    for (auto [i, a] : llvm::enumerate(entries)) {
      std::string where = at + ".entries[" + std::to_string(i) + "]";
      auto d = dyn_cast<DictionaryAttr>(a);
      if (!d)
        return fail(where, "must be a dictionary");
      PlanEntry entry;
      ArrayAttr steps;
      if (failed(get(d, where, "name", entry.name)) ||
          failed(get(d, where, "steps", steps)))
        return failure();
      for (auto [s, stepAttr] : llvm::enumerate(steps)) {
        std::string sw = where + ".steps[" + std::to_string(s) + "]";
        auto sd = dyn_cast<DictionaryAttr>(stepAttr);
        if (!sd)
          return fail(sw, "must be a dictionary");
        PlanStep step;
        auto kernel = sd.getAs<FlatSymbolRefAttr>("kernel");
        if (!kernel)
          return fail(sw + ".kernel", "must be a symbol reference");
        step.kernel = kernel.getValue().str();
        if (failed(get(sd, sw, "layer", step.layer)) ||
            failed(get(sd, sw, "args", step.args)) ||
            failed(get(sd, sw, "per_image", step.perImage)))
          return failure();
        for (int64_t b : step.args)
          if (failed(checkBuffer(sw + ".args", b, false)))
            return failure();
        if (Attribute lib = sd.get("library")) {
          FailureOr<LibraryCall> call = readCall(lib, sw + ".library");
          if (failed(call))
            return failure();
          step.library = *call;
        }
        ArrayAttr launches;
        if (failed(get(sd, sw, "launches", launches, /*optional=*/true)))
          return failure();
        if (launches)
          for (auto [l, launchAttr] : llvm::enumerate(launches)) {
            FailureOr<PlanLaunch> launch = readLaunch(
                launchAttr, sw + ".launches[" + std::to_string(l) + "]");
            if (failed(launch))
              return failure();
            for (const LaunchArg &arg : launch->args)
              if (arg.kind == LaunchArg::Kind::Buffer &&
                  failed(checkBuffer(sw + ".launches", arg.buffer, false)))
                return failure();
            step.launches.push_back(std::move(*launch));
          }
        entry.steps.push_back(std::move(step));
      }
      plan.entries.push_back(std::move(entry));
    }
    return plan;
  }

private:
  FailureOr<LibraryCall> readCall(Attribute attr, const std::string &where) {
    auto d = dyn_cast<DictionaryAttr>(attr);
    if (!d)
      return fail(where, "must be a dictionary");
    LibraryCall call;
    std::vector<int64_t> strides, padding, dilation;
    if (failed(get(d, where, "name", call.name)) ||
        failed(get(d, where, "strides", strides)) ||
        failed(get(d, where, "padding", padding)) ||
        failed(get(d, where, "dilation", dilation)) ||
        failed(get(d, where, "groups", call.groups)) ||
        failed(get(d, where, "bias", call.bias)) ||
        failed(get(d, where, "residual", call.residual)) ||
        failed(get(d, where, "relu", call.relu)) ||
        failed(get(d, where, "math_type", call.mathType)) ||
        failed(get(d, where, "compute_type", call.computeType)) ||
        failed(get(d, where, "mode", call.mode)))
      return failure();
    if (failed(pair(where + ".strides", strides, call.strides)) ||
        failed(pair(where + ".padding", padding, call.padding)) ||
        failed(pair(where + ".dilation", dilation, call.dilation)))
      return failure();
    return call;
  }

  FailureOr<PlanLaunch> readLaunch(Attribute attr, const std::string &where) {
    auto d = dyn_cast<DictionaryAttr>(attr);
    if (!d)
      return fail(where, "must be a dictionary");
    PlanLaunch launch;
    std::vector<int64_t> grid, block;
    ArrayAttr args;
    if (failed(get(d, where, "kernel", launch.kernel)) ||
        failed(get(d, where, "grid", grid)) ||
        failed(get(d, where, "block", block)) ||
        failed(get(d, where, "args", args)))
      return failure();
    if (grid.size() != 3 || block.size() != 3)
      return fail(where, "grid and block must have 3 sizes each");
    std::copy(grid.begin(), grid.end(), launch.grid.begin());
    std::copy(block.begin(), block.end(), launch.block.begin());
    for (auto [i, a] : llvm::enumerate(args)) {
      std::string aw = where + ".args[" + std::to_string(i) + "]";
      auto ad = dyn_cast<DictionaryAttr>(a);
      if (!ad)
        return fail(aw, "must be a dictionary");
      LaunchArg arg;
      if (ad.get("buffer")) {
        if (failed(get(ad, aw, "buffer", arg.buffer)) ||
            failed(get(ad, aw, "bytes", arg.bytes)))
          return failure();
      } else {
        std::string kind;
        int64_t bits = 0;
        if (failed(get(ad, aw, "kind", kind)) ||
            failed(get(ad, aw, "bits", bits)))
          return failure();
        static const LaunchArg::Kind kinds[] = {
            LaunchArg::Kind::I32, LaunchArg::Kind::I64, LaunchArg::Kind::F32,
            LaunchArg::Kind::F64};
        auto it = llvm::find_if(kinds, [&](LaunchArg::Kind k) {
          return kind == PlanWriter::getKindName(k);
        });
        if (it == std::end(kinds))
          return fail(aw + ".kind", "unknown scalar kind '" + kind + "'");
        arg.kind = *it;
        arg.bits = static_cast<uint64_t>(bits);
      }
      launch.args.push_back(arg);
    }
    return launch;
  }

  static std::optional<BufferRole> parseRole(const std::string &name) {
    for (int r = 0; r <= static_cast<int>(BufferRole::Scratch); ++r)
      if (name == getBufferRoleName(static_cast<BufferRole>(r)))
        return static_cast<BufferRole>(r);
    return std::nullopt;
  }

  LogicalResult pair(const std::string &where, const std::vector<int64_t> &v,
                     std::array<int64_t, 2> &out) {
    if (v.size() != 2)
      return fail(where, "must have 2 values");
    out = {v[0], v[1]};
    return success();
  }

  LogicalResult fail(const std::string &where, const std::string &message) {
    emitError() << "malformed execution plan: " << where << " " << message;
    return failure();
  }

  /// Reads field `name` of `d`; a missing field is an error unless
  /// `optional` (then `out` keeps its value).
  template <typename T>
  LogicalResult get(DictionaryAttr d, const std::string &where, StringRef name,
                    T &out, bool optional = false) {
    Attribute a = d.get(name);
    std::string at = where + "." + name.str();
    if (!a)
      return optional ? success() : fail(at, "is missing");
    if constexpr (std::is_same_v<T, std::string>) {
      auto s = dyn_cast<StringAttr>(a);
      if (!s)
        return fail(at, "must be a string");
      out = s.str();
    } else if constexpr (std::is_same_v<T, bool>) {
      auto v = dyn_cast<BoolAttr>(a);
      if (!v)
        return fail(at, "must be a boolean");
      out = v.getValue();
    } else if constexpr (std::is_same_v<T, int64_t>) {
      auto v = dyn_cast<IntegerAttr>(a);
      if (!v || !v.getType().isInteger(64))
        return fail(at, "must be an i64 integer");
      out = v.getInt();
    } else if constexpr (std::is_same_v<T, double>) {
      auto v = dyn_cast<FloatAttr>(a);
      if (!v || !v.getType().isF64())
        return fail(at, "must be an f64 float");
      out = v.getValueAsDouble();
    } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
      auto v = dyn_cast<DenseI64ArrayAttr>(a);
      if (!v)
        return fail(at, "must be an array<i64>");
      out.assign(v.asArrayRef().begin(), v.asArrayRef().end());
    } else {
      static_assert(std::is_same_v<T, ArrayAttr>);
      auto v = dyn_cast<ArrayAttr>(a);
      if (!v)
        return fail(at, "must be an array");
      out = v;
    }
    return success();
  }

  function_ref<InFlightDiagnostic()> emitError;
};
} // namespace

FailureOr<Plan>
resnetc::parsePlanAttr(Attribute attr,
                       function_ref<InFlightDiagnostic()> emitError) {
  return PlanReader(emitError).read(attr);
}

FailureOr<Plan> resnetc::getPlan(ModuleOp module) {
  Attribute attr = module->getAttr(kPlanAttrName);
  if (!attr) {
    module.emitError("no execution plan (rn.plan): run rn-build-plan first");
    return failure();
  }
  return parsePlanAttr(attr, [&] { return module.emitError(); });
}

std::string resnetc::writePlanJson(const Plan &plan, bool pretty) {
  return runtime::writePlan(plan, pretty);
}
