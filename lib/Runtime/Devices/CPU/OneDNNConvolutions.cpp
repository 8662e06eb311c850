//===- OneDNNConvolutions.cpp - A CPU plan's oneDNN calls -----------------===//
//
// See OneDNNConvolutions.h. oneDNN's C++ API reports failures by throwing
// dnnl::error; this file (alone in the runtime) is built with exceptions and
// turns each into a Status naming the step and what oneDNN said.
//
//===----------------------------------------------------------------------===//

#include "OneDNNConvolutions.h"

#include <cstdlib>
#include <cstring>
#include <map>

#ifdef RESNETC_HAVE_ONEDNN
#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.hpp>
#endif

using namespace resnetc::runtime;

OneDNNContext::~OneDNNContext() = default;
OneDNNConvolution::~OneDNNConvolution() = default;

#ifndef RESNETC_HAVE_ONEDNN

bool resnetc::runtime::isOneDNNAvailable() { return false; }
std::string resnetc::runtime::getOneDNNVersion() { return ""; }

Expected<std::unique_ptr<OneDNNContext>>
OneDNNContext::create(unsigned threads) {
  return Error("this resnet-run was built without oneDNN, which the "
               "artifact's convolutions need; rebuild resnetc with oneDNN "
               "(Debian's libdnnl-dev) or recompile the model with "
               "--conv=generated");
}

Expected<std::unique_ptr<OneDNNConvolution>>
OneDNNConvolution::create(OneDNNContext &, const Plan &, const PlanStep &,
                          const std::string &where) {
  return Error(where + ": this resnet-run was built without oneDNN");
}

#else

using dnnl::memory;
using Tag = dnnl::memory::format_tag;

bool resnetc::runtime::isOneDNNAvailable() { return true; }

std::string resnetc::runtime::getOneDNNVersion() {
  const dnnl_version_t *v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
         std::to_string(v->patch);
}

namespace {
/// 64-byte aligned host memory that frees itself.
struct AlignedBuffer {
  void *data = nullptr;
  size_t bytes = 0;
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  ~AlignedBuffer() { std::free(data); }
  /// Grows to at least `size` bytes (the contents are not kept).
  bool reserve(size_t size) {
    if (size <= bytes)
      return true;
    std::free(data);
    data = std::aligned_alloc(64, (size + 63) / 64 * 64);
    bytes = data ? size : 0;
    return data != nullptr;
  }
};

class Context : public OneDNNContext {
public:
  explicit Context(unsigned threads)
      : engine(dnnl::engine::kind::cpu, 0), stream(engine), threads(threads) {}

  /// Makes oneDNN's parallel regions use the device's thread count. oneDNN
  /// built on OpenMP (as Debian's is) takes it from the OpenMP runtime it
  /// links, which is found without linking it here a second time.
  void setThreads() {
    using SetThreads = void (*)(int);
    static auto set = reinterpret_cast<SetThreads>(
        dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
    if (set)
      set(static_cast<int>(threads));
  }

  dnnl::engine engine;
  dnnl::stream stream;
  unsigned threads;
  /// The scratch memory of every primitive (they run one at a time).
  AlignedBuffer scratchpad;
};

/// The dims and user layout of a plan buffer as oneDNN sees it.
memory::desc activationDesc(const PlanBuffer &b, int64_t count) {
  memory::dims dims(b.shape.begin(), b.shape.end());
  dims[0] = count;
  return memory::desc(dims, memory::data_type::f32,
                      b.layout == Layout::NHWC ? Tag::nhwc : Tag::nchw);
}

/// A filter K x C/G x R x S; grouped: G x K/G x C/G x R x S.
memory::desc filterDesc(const PlanBuffer &b, int64_t groups, Tag tag) {
  const std::vector<int64_t> &s = b.shape;
  if (groups == 1)
    return memory::desc({s[0], s[1], s[2], s[3]}, memory::data_type::f32, tag);
  return memory::desc({groups, s[0] / groups, s[1], s[2], s[3]},
                      memory::data_type::f32, tag);
}

Tag userFilterTag(const PlanBuffer &b, int64_t groups) {
  bool nhwc = b.layout == Layout::NHWC;
  if (groups == 1)
    return nhwc ? Tag::ohwi : Tag::oihw;
  return nhwc ? Tag::gohwi : Tag::goihw;
}

enum class Kind { Forward, BackwardData, BackwardFilter };

/// A primitive for one batch size, with the memory objects it runs over;
/// their data handles are set before each run.
struct Instance {
  dnnl::primitive primitive;
  std::string implementation;
  memory::desc weightsDesc; ///< The primitive's filter layout.
  memory user[5];           ///< Over the plan's buffers, in call order.
  memory weights;           ///< The filter in the primitive's layout.
  memory scratchpad;
  size_t scratchpadBytes = 0;
  bool reorderWeights = false;
  /// Whether `weights` holds the current derived filter.
  bool weightsCurrent = false;
  dnnl::reorder toPrimitive, toUser; ///< Filter reorders, when needed.
  AlignedBuffer weightsBuffer;
};

class Convolution : public OneDNNConvolution {
public:
  Convolution(Context &context, const Plan &plan, const PlanStep &step,
              std::string where)
      : context(context), plan(plan), call(*step.library), args(step.args),
        where(std::move(where)) {
    if (call.name == "onednn.conv2d_forward")
      kind = Kind::Forward;
    else if (call.name == "onednn.conv2d_backward_data")
      kind = Kind::BackwardData;
    else
      kind = Kind::BackwardFilter;
    // A derived filter changes only when `prepare` runs.
    derivedWeights = kind != Kind::BackwardFilter &&
                     buffer(1).role == BufferRole::Derived;
  }

  void invalidateDerived() override {
    for (auto &[count, in] : instances)
      in->weightsCurrent = false;
  }

  Status run(char *arena, int64_t count) override {
    Expected<Instance *> got = getInstance(count);
    if (!got)
      return got.takeError();
    Instance &in = **got;
    try {
      context.setThreads();
      if (in.scratchpadBytes && !context.scratchpad.reserve(in.scratchpadBytes))
        return Error(where + ": cannot allocate oneDNN's scratch memory");
      if (in.scratchpadBytes)
        in.scratchpad.set_data_handle(context.scratchpad.data);
      for (size_t i = 0; i < args.size(); ++i)
        in.user[i].set_data_handle(arena + buffer(i).offset);
      std::unordered_map<int, memory> exec;
      if (in.scratchpadBytes)
        exec[DNNL_ARG_SCRATCHPAD] = in.scratchpad;
      const memory &weights = in.reorderWeights ? in.weights : in.user[1];
      switch (kind) {
      case Kind::Forward: {
        size_t out = args.size() - 1;
        reorderFilter(in);
        if (call.residual) {
          // The sum post-op adds what the output holds: the residual.
          size_t residual = out - 1;
          char *dst = arena + buffer(out).offset;
          const char *src = arena + buffer(residual).offset;
          if (dst != src)
            std::memmove(dst, src, bytesOf(residual, count));
        }
        exec[DNNL_ARG_SRC] = in.user[0];
        exec[DNNL_ARG_WEIGHTS] = weights;
        if (call.bias)
          exec[DNNL_ARG_BIAS] = in.user[2];
        exec[DNNL_ARG_DST] = in.user[out];
        break;
      }
      case Kind::BackwardData:
        // (grad_output, weight, grad_input)
        reorderFilter(in);
        exec[DNNL_ARG_DIFF_DST] = in.user[0];
        exec[DNNL_ARG_WEIGHTS] = weights;
        exec[DNNL_ARG_DIFF_SRC] = in.user[2];
        break;
      case Kind::BackwardFilter:
        // (grad_output, input, grad_weight)
        exec[DNNL_ARG_DIFF_DST] = in.user[0];
        exec[DNNL_ARG_SRC] = in.user[1];
        exec[DNNL_ARG_DIFF_WEIGHTS] =
            in.reorderWeights ? in.weights : in.user[2];
        break;
      }
      in.primitive.execute(context.stream, exec);
      if (kind == Kind::BackwardFilter && in.reorderWeights)
        in.toUser.execute(context.stream, in.weights, in.user[2]);
      context.stream.wait();
    } catch (const dnnl::error &e) {
      return Error(where + ": oneDNN failed (" + e.what() + ")");
    }
    return Status::success();
  }

  std::string getImplementation() override {
    Expected<Instance *> in = getInstance(plan.batch);
    return in ? (*in)->implementation : "";
  }

  /// Builds the instance of the compiled batch, so that what oneDNN cannot
  /// do is found when the artifact loads.
  Status prepare() {
    Expected<Instance *> in = getInstance(plan.batch);
    return in ? Status::success() : Status(in.takeError());
  }

private:
  const PlanBuffer &buffer(size_t i) const { return plan.buffers[args[i]]; }

  /// Puts the filter (argument 1) in the primitive's layout, unless it is
  /// there already.
  void reorderFilter(Instance &in) {
    if (!in.reorderWeights || (derivedWeights && in.weightsCurrent))
      return;
    in.toPrimitive.execute(context.stream, in.user[1], in.weights);
    in.weightsCurrent = true;
  }

  size_t bytesOf(size_t i, int64_t count) const {
    const PlanBuffer &b = buffer(i);
    return static_cast<size_t>(b.bytes / b.shape[0] * count);
  }

  Expected<Instance *> getInstance(int64_t count) {
    auto it = instances.find(count);
    if (it != instances.end())
      return it->second.get();
    auto in = std::make_unique<Instance>();
    try {
      build(*in, count);
    } catch (const dnnl::error &e) {
      return Error(where + ": oneDNN cannot compute " + call.name + " (" +
                   e.what() + ")");
    }
    Instance *raw = in.get();
    instances[count] = std::move(in);
    return raw;
  }

  void build(Instance &in, int64_t count) {
    const dnnl::engine &engine = context.engine;
    // Descriptors of the call's tensors, in call order.
    const PlanBuffer &weightBuffer =
        buffer(kind == Kind::BackwardFilter ? 2 : 1);
    memory::desc userWeights = filterDesc(
        weightBuffer, call.groups, userFilterTag(weightBuffer, call.groups));
    memory::desc anyWeights = filterDesc(weightBuffer, call.groups, Tag::any);
    std::vector<memory::desc> descs;
    for (size_t i = 0; i < args.size(); ++i) {
      const PlanBuffer &b = buffer(i);
      if (&b == &weightBuffer)
        descs.push_back(userWeights);
      else if (b.shape.size() == 1)
        descs.push_back(
            memory::desc({b.shape[0]}, memory::data_type::f32, Tag::x));
      else
        descs.push_back(activationDesc(b, count));
    }
    // The image tensors: x (the convolution's input) and y (its output).
    memory::desc x, y;
    switch (kind) {
    case Kind::Forward:
      x = descs[0];
      y = descs.back();
      break;
    case Kind::BackwardData:
      x = descs[2];
      y = descs[0];
      break;
    case Kind::BackwardFilter:
      x = descs[1];
      y = descs[0];
      break;
    }
    memory::dims strides = {call.strides[0], call.strides[1]};
    memory::dims dilation = {call.dilation[0] - 1, call.dilation[1] - 1};
    memory::dims padL = {call.padding[0], call.padding[1]};
    // oneDNN wants the padding at the bottom and right too: what makes the
    // window arithmetic give the output's size.
    const std::vector<int64_t> &xs = (kind == Kind::Forward        ? buffer(0)
                                      : kind == Kind::BackwardData ? buffer(2)
                                                                   : buffer(1))
                                         .shape;
    const std::vector<int64_t> &ys =
        (kind == Kind::Forward ? buffer(args.size() - 1) : buffer(0)).shape;
    const std::vector<int64_t> &ws = weightBuffer.shape;
    memory::dims padR = {
        (ys[2] - 1) * call.strides[0] + (ws[2] - 1) * call.dilation[0] + 1 -
            xs[2] - call.padding[0],
        (ys[3] - 1) * call.strides[1] + (ws[3] - 1) * call.dilation[1] + 1 -
            xs[3] - call.padding[1]};

    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::primitive_desc_base pd;
    auto forwardDesc = [&](dnnl::prop_kind prop) {
      if (kind == Kind::Forward && call.bias)
        return dnnl::convolution_forward::desc(
            prop, dnnl::algorithm::convolution_direct, x, anyWeights, descs[2],
            y, strides, dilation, padL, padR);
      return dnnl::convolution_forward::desc(
          prop, dnnl::algorithm::convolution_direct, x, anyWeights, y, strides,
          dilation, padL, padR);
    };
    switch (kind) {
    case Kind::Forward: {
      dnnl::post_ops ops;
      if (call.residual)
        ops.append_sum(1.0f);
      if (call.relu)
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(ops);
      auto fpd = dnnl::convolution_forward::primitive_desc(
          forwardDesc(plan.entries.size() && isTraining()
                          ? dnnl::prop_kind::forward_training
                          : dnnl::prop_kind::forward_inference),
          attr, engine);
      in.weightsDesc = fpd.weights_desc();
      in.primitive = dnnl::convolution_forward(fpd);
      pd = fpd;
      break;
    }
    case Kind::BackwardData: {
      dnnl::primitive_attr hintAttr;
      auto hint = dnnl::convolution_forward::primitive_desc(
          forwardDesc(dnnl::prop_kind::forward_training), hintAttr, engine);
      auto bpd = dnnl::convolution_backward_data::primitive_desc(
          dnnl::convolution_backward_data::desc(
              dnnl::algorithm::convolution_direct, x, anyWeights, y, strides,
              dilation, padL, padR),
          attr, engine, hint);
      in.weightsDesc = bpd.weights_desc();
      in.primitive = dnnl::convolution_backward_data(bpd);
      pd = bpd;
      break;
    }
    case Kind::BackwardFilter: {
      dnnl::primitive_attr hintAttr;
      auto hint = dnnl::convolution_forward::primitive_desc(
          forwardDesc(dnnl::prop_kind::forward_training), hintAttr, engine);
      auto bpd = dnnl::convolution_backward_weights::primitive_desc(
          dnnl::convolution_backward_weights::desc(
              dnnl::algorithm::convolution_direct, x, anyWeights, y, strides,
              dilation, padL, padR),
          attr, engine, hint);
      in.weightsDesc = bpd.diff_weights_desc();
      in.primitive = dnnl::convolution_backward_weights(bpd);
      pd = bpd;
      break;
    }
    }
    in.implementation = pd.impl_info_str();
    memory::desc scratch = pd.scratchpad_desc();
    in.scratchpadBytes = scratch.get_size();
    if (in.scratchpadBytes)
      in.scratchpad = memory(scratch, engine, DNNL_MEMORY_NONE);
    for (size_t i = 0; i < args.size(); ++i)
      in.user[i] = memory(descs[i], engine, DNNL_MEMORY_NONE);
    in.reorderWeights = in.weightsDesc != userWeights;
    if (in.reorderWeights) {
      if (!in.weightsBuffer.reserve(in.weightsDesc.get_size()))
        throw dnnl::error(dnnl_out_of_memory, "filter copy");
      in.weights = memory(in.weightsDesc, engine, in.weightsBuffer.data);
      if (kind == Kind::BackwardFilter)
        in.toUser = dnnl::reorder(dnnl::reorder::primitive_desc(
            engine, in.weightsDesc, engine, userWeights));
      else
        in.toPrimitive = dnnl::reorder(dnnl::reorder::primitive_desc(
            engine, userWeights, engine, in.weightsDesc));
    }
  }

  /// Whether the plan trains (its forward convolutions keep what the
  /// backward ones need).
  bool isTraining() const { return plan.findEntry("train_step") != nullptr; }

  Context &context;
  const Plan &plan;
  LibraryCall call;
  std::vector<int64_t> args;
  std::string where;
  Kind kind = Kind::Forward;
  bool derivedWeights = false;
  std::map<int64_t, std::unique_ptr<Instance>> instances;
};
} // namespace

Expected<std::unique_ptr<OneDNNContext>>
OneDNNContext::create(unsigned threads) {
  try {
    return std::unique_ptr<OneDNNContext>(new Context(threads));
  } catch (const dnnl::error &e) {
    return Error(std::string("cannot start oneDNN on the CPU: ") + e.what());
  }
}

Expected<std::unique_ptr<OneDNNConvolution>>
OneDNNConvolution::create(OneDNNContext &context, const Plan &plan,
                          const PlanStep &step, const std::string &where) {
  const LibraryCall &call = *step.library;
  if (call.name.rfind("onednn.", 0) != 0)
    return Error(where + ": the library call " + call.name +
                 " is not one the CPU makes (onednn.*)");
  if (call.mode != "cross_correlation")
    return Error(where +
                 ": oneDNN computes cross-correlation only, the call "
                 "asks for '" +
                 call.mode + "'");
  if (call.mathType != "fma" || call.computeType != "float")
    return Error(where +
                 ": the CPU computes fp32 convolutions with fp32 "
                 "arithmetic only; the call asks for math type '" +
                 call.mathType + "', compute type '" + call.computeType + "'");
  for (int64_t b : step.args)
    if (plan.buffers[b].dtype != DType::F32)
      return Error(where + ": buffer '" + plan.buffers[b].name + "' is " +
                   getDTypeName(plan.buffers[b].dtype) +
                   "; oneDNN calls on the CPU take F32 buffers");
  auto conv = std::make_unique<Convolution>(static_cast<Context &>(context),
                                            plan, step, where);
  if (Status st = conv->prepare(); !st)
    return st.takeError();
  return std::unique_ptr<OneDNNConvolution>(std::move(conv));
}

#endif // RESNETC_HAVE_ONEDNN
