//===- Executor.cpp - Running compiled models on a device -----------------===//
//
// See Executor.h. Everything here goes through the Device interface, so the
// same code drives the CPU, a GPU and the simulated GPU.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Executor.h"
#include "resnetc/Runtime/Npy.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

using namespace resnetc::runtime;

/// The index of the buffer with `role` (and `name`, if given), or -1.
static int64_t findBuffer(const Plan &plan, BufferRole role,
                          const std::string &name = "") {
  for (size_t i = 0; i < plan.buffers.size(); ++i)
    if (plan.buffers[i].role == role &&
        (name.empty() || plan.buffers[i].name == name))
      return static_cast<int64_t>(i);
  return -1;
}

/// "[64, 1, 7, 7]", as the checkpoint errors say it.
static std::string formatDims(const std::vector<int64_t> &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

static int64_t imageElements(const Plan &plan) {
  return plan.inputShape[0] * plan.inputShape[1] * plan.inputShape[2];
}

Expected<std::unique_ptr<Executor>> Executor::create(Device &device,
                                                     Executable &executable) {
  std::unique_ptr<Executor> exec(new Executor(device, executable));
  if (Status s = exec->initialize(); !s)
    return s.takeError();
  return exec;
}

Status Executor::initialize() {
  const Plan &plan = getPlan();
  Expected<DeviceAddress> a =
      device.allocate(static_cast<uint64_t>(plan.arenaBytes), "the arena");
  if (!a)
    return a.takeError();
  arena = *a;
  for (const PlanBuffer &b : plan.buffers)
    device.annotate(arena + static_cast<uint64_t>(b.offset),
                    static_cast<uint64_t>(b.bytes), b.name);
  // Two slots of staging, used in turn by pipelined batches: pinned host
  // memory, a device copy of the images, and events.
  uint64_t imageBytes =
      static_cast<uint64_t>(plan.batch * imageElements(plan)) * sizeof(float);
  uint64_t logitBytes =
      static_cast<uint64_t>(plan.batch * plan.classes) * sizeof(float);
  for (Slot &slot : slots) {
    Expected<void *> hostImages = device.allocateHost(imageBytes, "a batch");
    if (!hostImages)
      return hostImages.takeError();
    slot.host.images = static_cast<float *>(*hostImages);
    Expected<void *> hostLogits =
        device.allocateHost(logitBytes, "a batch's logits");
    if (!hostLogits)
      return hostLogits.takeError();
    slot.logits = static_cast<float *>(*hostLogits);
    Expected<DeviceAddress> dImages = device.allocate(imageBytes, "a batch");
    if (!dImages)
      return dImages.takeError();
    slot.images = *dImages;
    for (EventId *e : {&slot.copied, &slot.consumed, &slot.done}) {
      Expected<EventId> event = device.createEvent();
      if (!event)
        return event.takeError();
      *e = *event;
    }
  }

  if (!plan.findEntry("train_step"))
    return Status::success();
  labelsBuffer = findBuffer(plan, BufferRole::Labels);
  lrBuffer = findBuffer(plan, BufferRole::Hyper, "lr");
  smoothingBuffer = findBuffer(plan, BufferRole::Hyper, "label_smoothing");
  lossBuffer = findBuffer(plan, BufferRole::Loss);
  correctBuffer = findBuffer(plan, BufferRole::Correct);
  if (labelsBuffer < 0 || lrBuffer < 0 || smoothingBuffer < 0 ||
      lossBuffer < 0 || correctBuffer < 0)
    return Error(getPath() + ": the train_step entry lacks its labels, lr, "
                             "label_smoothing, loss or correct buffer");
  dropoutSeedBuffer = findBuffer(plan, BufferRole::Hyper, "dropout_seed");
  if (dropoutSeedBuffer >= 0 &&
      (plan.buffers[dropoutSeedBuffer].dtype != DType::I64 ||
       plan.buffers[dropoutSeedBuffer].bytes != 8))
    return Error(getPath() + ": the train_step entry's dropout_seed buffer "
                             "is not an I64 scalar");
  if (plan.optimizer == "adamw") {
    biasCorrection1Buffer =
        findBuffer(plan, BufferRole::Hyper, "bias_correction1");
    biasCorrection2Buffer =
        findBuffer(plan, BufferRole::Hyper, "bias_correction2");
    for (int64_t b : {biasCorrection1Buffer, biasCorrection2Buffer})
      if (b < 0 || plan.buffers[b].dtype != DType::F32 ||
          plan.buffers[b].bytes != 4)
        return Error(getPath() + ": the AdamW train_step entry lacks its "
                                 "F32 bias_correction1 or bias_correction2 "
                                 "buffer");
  }
  const PlanBuffer &smoothing = plan.buffers[smoothingBuffer];
  if (smoothing.dtype != DType::F32 || smoothing.bytes != 4)
    return Error(getPath() + ": the train_step entry's label_smoothing "
                             "buffer is not an F32 scalar");
  const PlanBuffer &labels = plan.buffers[labelsBuffer];
  const PlanBuffer &lr = plan.buffers[lrBuffer];
  const PlanBuffer &loss = plan.buffers[lossBuffer];
  const PlanBuffer &correct = plan.buffers[correctBuffer];
  if (labels.dtype != DType::I64 ||
      labels.shape != std::vector<int64_t>{plan.batch} ||
      lr.dtype != DType::F32 || lr.bytes != 4 || loss.dtype != DType::F32 ||
      loss.bytes != 4 || correct.dtype != DType::I64 || correct.bytes != 8)
    return Error(getPath() + ": the train_step entry's labels (I64, batch), "
                             "lr, loss (F32 scalars) or correct (I64 scalar) "
                             "buffer has another type");
  uint64_t labelBytes = static_cast<uint64_t>(plan.batch) * sizeof(int64_t);
  for (Slot &slot : slots) {
    Expected<void *> hostLabels =
        device.allocateHost(labelBytes, "a training batch's labels");
    if (!hostLabels)
      return hostLabels.takeError();
    slot.host.labels = static_cast<int64_t *>(*hostLabels);
    Expected<void *> result = device.allocateHost(16, "a step's result");
    if (!result)
      return result.takeError();
    slot.result = *result;
    Expected<DeviceAddress> dLabels =
        device.allocate(labelBytes, "a training batch's labels");
    if (!dLabels)
      return dLabels.takeError();
    slot.labels = *dLabels;
  }
  return Status::success();
}

Executor::~Executor() {
  // Nothing may still read or write what is freed below.
  (void)device.synchronize();
  if (arena)
    device.deallocate(arena);
  for (Slot &slot : slots) {
    device.deallocateHost(slot.host.images);
    device.deallocateHost(slot.host.labels);
    device.deallocateHost(slot.logits);
    device.deallocateHost(slot.result);
    if (slot.images)
      device.deallocate(slot.images);
    if (slot.labels)
      device.deallocate(slot.labels);
  }
}

DeviceAddress Executor::bufferAddress(int64_t index) const {
  return arena + static_cast<uint64_t>(getPlan().buffers[index].offset);
}

/// The first element of `t` (F32) that is not finite, as an error naming
/// the tensor and the index; success when all are.
static Status checkFinite(const HostTensor &t, const std::string &name,
                          const std::string &source) {
  const float *v = t.f32();
  int64_t n = t.numElements();
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i]))
      return Error(source + ": tensor '" + name + "' holds " +
                   (std::isnan(v[i]) ? "NaN"
                    : v[i] > 0       ? "+Inf"
                                     : "-Inf") +
                   " at index " + std::to_string(i) + " (of " +
                   std::to_string(n) +
                   "): the weights are unusable (saved from a run whose "
                   "loss diverged?)");
  return Status::success();
}

/// `name` without `suffix`, or "" when it does not end with it.
static std::string withoutSuffix(const std::string &name,
                                 const std::string &suffix) {
  bool has =
      name.size() > suffix.size() &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  return has ? name.substr(0, name.size() - suffix.size()) : "";
}

/// The optimizers' state of a parameter, by the suffix of its name: SGD's
/// velocity, AdamW's first and second moments.
static const std::pair<const char *, const char *> kOptimizerStates[] = {
    {".velocity", "an SGD velocity"},
    {".exp_avg", "an AdamW first moment"},
    {".exp_avg_sq", "an AdamW second moment"}};

/// Whether `name` is optimizer state of a parameter in `byName`.
static bool
isOptimizerStateOf(const std::string &name,
                   const std::map<std::string, const PlanBuffer *> &byName) {
  for (const auto &[suffix, what] : kOptimizerStates) {
    auto param = byName.find(withoutSuffix(name, suffix));
    if (param != byName.end() && param->second->role == BufferRole::Param)
      return true;
  }
  return false;
}

/// What the optimizer state `name` is ("an SGD velocity").
static std::string describeOptimizerState(const std::string &name) {
  for (const auto &[suffix, what] : kOptimizerStates)
    if (!withoutSuffix(name, suffix).empty())
      return what;
  return "optimizer state";
}

Status Executor::setParameters(const std::map<std::string, HostTensor> &tensors,
                               const std::string &source,
                               MissingOptimizerState missing) {
  const Plan &plan = getPlan();
  if (inFlight())
    return Error("internal error: parameters set with training steps in "
                 "flight");
  // Check everything before writing anything: what the plan holds, by name.
  std::map<std::string, const PlanBuffer *> byName;
  for (const PlanBuffer &b : plan.buffers)
    if (b.role == BufferRole::Param || b.role == BufferRole::State ||
        b.role == BufferRole::OptimizerState)
      byName[b.name] = &b;
  auto checkTensor = [&](const PlanBuffer &b, const HostTensor &t) -> Status {
    if (t.dtype != DType::F32)
      return Error(source + ": tensor '" + b.name + "' has dtype " +
                   getDTypeName(t.dtype) + ", expected F32");
    if (t.shape != b.shape)
      return Error(source + ": tensor '" + b.name + "' has shape " +
                   formatDims(t.shape) + ", the model expects " +
                   formatDims(b.shape));
    // A backstop: shape and dtype already imply the size.
    if (static_cast<int64_t>(t.bytes.size()) != b.bytes)
      return Error(source + ": tensor '" + b.name + "' holds " +
                   std::to_string(t.bytes.size()) +
                   " bytes, the model "
                   "expects " +
                   std::to_string(b.bytes));
    return checkFinite(t, b.name, source);
  };
  for (const auto &[name, t] : tensors) {
    if (byName.count(name))
      continue;
    // A training checkpoint's optimizer state loads into an inference
    // plan (or one compiled for the other optimizer), which has no use for
    // it; so does PyTorch's counter of a batch norm
    // (`num_batches_tracked`), which resnetc does not keep.
    if (isOptimizerStateOf(name, byName))
      continue;
    std::string counterOf = withoutSuffix(name, ".num_batches_tracked");
    if (!counterOf.empty() && byName.count(counterOf + ".running_mean"))
      continue;
    return Error(source + " holds '" + name +
                 "', which the model has no parameter for: is it another "
                 "model's checkpoint?");
  }
  const PlanBuffer *firstAbsent = nullptr;
  bool anyState = false;
  for (const PlanBuffer &b : plan.buffers) {
    if (b.role != BufferRole::Param && b.role != BufferRole::State &&
        b.role != BufferRole::OptimizerState)
      continue;
    auto it = tensors.find(b.name);
    if (it == tensors.end()) {
      if (b.role != BufferRole::OptimizerState)
        return Error(source + ": tensor '" + b.name + "' is missing");
      if (!firstAbsent)
        firstAbsent = &b;
      continue;
    }
    anyState |= b.role == BufferRole::OptimizerState;
    if (Status s = checkTensor(b, it->second); !s)
      return s;
  }
  if (firstAbsent &&
      (missing == MissingOptimizerState::Error ||
       (missing == MissingOptimizerState::ZeroIfAllAbsent && anyState)))
    return Error(source + ": tensor '" + firstAbsent->name + "' (" +
                 describeOptimizerState(firstAbsent->name) + ") is missing" +
                 (anyState ? ", though others are there" : "") +
                 "; give --allow-missing to start the missing " +
                 (getPlan().optimizer == "sgd" ? "velocities" : "moments") +
                 " at zero");
  for (size_t i = 0; i < plan.buffers.size(); ++i) {
    const PlanBuffer &b = plan.buffers[i];
    if (b.role != BufferRole::Param && b.role != BufferRole::State &&
        b.role != BufferRole::OptimizerState)
      continue;
    uint64_t bytes = static_cast<uint64_t>(b.bytes);
    auto it = tensors.find(b.name);
    // Velocities absent from the tensors (a fresh start) start at zero.
    Status s =
        it != tensors.end()
            ? device.copyToDevice(Queue::Compute, bufferAddress(i),
                                  it->second.bytes.data(), bytes)
            : device.fill32(Queue::Compute, bufferAddress(i), 0, bytes / 4);
    if (!s)
      return s;
  }
  parametersSet = true;
  prepared = false;
  if (Status s = prepare(); !s)
    return s;
  return device.synchronize();
}

Status Executor::prepare() {
  if (getPlan().findEntry("prepare"))
    if (Status s = runEntry("prepare", getPlan().batch); !s)
      return s;
  prepared = true;
  return Status::success();
}

Expected<std::map<std::string, HostTensor>>
Executor::getParameters(bool withOptimizerState) {
  std::map<std::string, HostTensor> out;
  // Steps in flight still change the parameters.
  if (Status s = device.synchronize(); !s)
    return s.takeError();
  for (size_t i = 0; i < getPlan().buffers.size(); ++i) {
    const PlanBuffer &b = getPlan().buffers[i];
    if (b.role != BufferRole::Param && b.role != BufferRole::State &&
        !(withOptimizerState && b.role == BufferRole::OptimizerState))
      continue;
    HostTensor t(DType::F32, b.shape);
    if (Status s = device.copyToHost(Queue::Compute, t.bytes.data(),
                                     bufferAddress(i), t.bytes.size());
        !s)
      return s.takeError();
    out[b.name] = std::move(t);
  }
  if (Status s = device.synchronize(); !s)
    return s.takeError();
  return out;
}

Status Executor::stage(Slot &slot, bool labels) {
  const Plan &plan = getPlan();
  uint64_t imageBytes =
      static_cast<uint64_t>(plan.batch * imageElements(plan)) * sizeof(float);
  uint64_t labelBytes = static_cast<uint64_t>(plan.batch) * sizeof(int64_t);
  // The batch travels on the transfer queue, once compute has read what the
  // slot held before, overlapping the compute of the batch before.
  Status s = device.wait(Queue::Transfer, slot.consumed);
  if (s)
    s = device.copyToDevice(Queue::Transfer, slot.images, slot.host.images,
                            imageBytes);
  if (s && labels)
    s = device.copyToDevice(Queue::Transfer, slot.labels, slot.host.labels,
                            labelBytes);
  if (s)
    s = device.record(Queue::Transfer, slot.copied);
  // Compute moves it into the arena.
  if (s)
    s = device.wait(Queue::Compute, slot.copied);
  if (s)
    s = device.copyOnDevice(Queue::Compute, bufferAddress(plan.input),
                            slot.images, imageBytes);
  if (s && labels)
    s = device.copyOnDevice(Queue::Compute, bufferAddress(labelsBuffer),
                            slot.labels, labelBytes);
  if (s)
    s = device.record(Queue::Compute, slot.consumed);
  return s;
}

Status Executor::infer(const float *images, int64_t count, float *logits,
                       int64_t batchSize) {
  const Plan &plan = getPlan();
  if (!parametersSet)
    return Error("the model's parameters have not been set");
  if (batchSize == 0)
    batchSize = plan.batch;
  if (batchSize < 1 || batchSize > plan.batch)
    return Error("batches of " + std::to_string(batchSize) +
                 " images: the artifact runs 1 to " +
                 std::to_string(plan.batch));
  if (count < 1)
    return Error("no images to run");
  if (inFlight())
    return Error("internal error: inference with training steps in flight");
  if (!prepared)
    if (Status s = prepare(); !s)
      return s;
  size_t image = static_cast<size_t>(imageElements(plan));
  int64_t batches = (count + batchSize - 1) / batchSize;
  auto size = [&](int64_t k) {
    return std::min(batchSize, count - k * batchSize);
  };
  // Copies out batch k's logits once it is done.
  auto collect = [&](int64_t k) -> Status {
    Slot &slot = slots[k % 2];
    if (Status s = device.synchronize(slot.done); !s)
      return s;
    std::memcpy(logits + k * batchSize * plan.classes, slot.logits,
                size(k) * plan.classes * sizeof(float));
    return Status::success();
  };
  for (int64_t k = 0; k < batches; ++k) {
    // Batch k uses slot k % 2, whose batch k - 2 was collected already.
    Slot &slot = slots[k % 2];
    int64_t n = size(k);
    std::memcpy(slot.host.images, images + k * batchSize * image,
                n * image * sizeof(float));
    // A shorter batch is padded with zeros: a GPU plan computes them all.
    if (n < plan.batch)
      std::memset(slot.host.images + n * image, 0,
                  (plan.batch - n) * image * sizeof(float));
    Status s = stage(slot, /*labels=*/false);
    if (s)
      s = runEntry("infer", n);
    if (s)
      s = device.copyToHost(Queue::Compute, slot.logits,
                            bufferAddress(plan.output),
                            n * plan.classes * sizeof(float));
    if (s)
      s = device.record(Queue::Compute, slot.done);
    if (s && k > 0)
      s = collect(k - 1);
    if (!s) {
      (void)device.synchronize();
      return s;
    }
  }
  return collect(batches - 1);
}

Expected<TrainBatch> Executor::beginTrainStep() {
  if (!parametersSet)
    return Error("the model's parameters have not been set");
  if (labelsBuffer < 0)
    return Error(getPath() + ": compiled without a train_step entry "
                             "(recompile with resnetc --mode=train)");
  if (begun != submitted)
    return Error("internal error: a training batch was begun twice");
  Slot &slot = slots[submitted % 2];
  if (slot.busy)
    return Error("internal error: two training steps are in flight; finish "
                 "one before beginning another");
  ++begun;
  return slot.host;
}

Status Executor::submitTrainStep(float lr) {
  const Plan &plan = getPlan();
  if (begun != submitted + 1)
    return Error("internal error: a training step submitted without its "
                 "batch");
  Slot &slot = slots[submitted % 2];
  for (int64_t n = 0; n < plan.batch; ++n)
    if (slot.host.labels[n] < 0 || slot.host.labels[n] >= plan.classes) {
      --begun;
      return Error("label " + std::to_string(slot.host.labels[n]) +
                   " is not a class of this model (0 to " +
                   std::to_string(plan.classes - 1) + ")");
    }
  // The batch moves into the arena; compute sets the learning rate, runs
  // the step and sends back its loss and correct count.
  Status s = stage(slot, /*labels=*/true);
  uint32_t lrBits;
  std::memcpy(&lrBits, &lr, 4);
  if (s)
    s = device.fill32(Queue::Compute, bufferAddress(lrBuffer), lrBits, 1);
  uint32_t smoothingBits;
  std::memcpy(&smoothingBits, &labelSmoothing, 4);
  if (s)
    s = device.fill32(Queue::Compute, bufferAddress(smoothingBuffer),
                      smoothingBits, 1);
  if (s && dropoutSeedBuffer >= 0) {
    // Two 32-bit words, little-endian: the mixed seed, then the step.
    auto low = static_cast<uint32_t>(runSeed ^ (runSeed >> 32));
    auto step = static_cast<uint32_t>(stepNumber);
    DeviceAddress seed = bufferAddress(dropoutSeedBuffer);
    s = device.fill32(Queue::Compute, seed, low, 1);
    if (s)
      s = device.fill32(Queue::Compute, seed + 4, step, 1);
  }
  if (s && biasCorrection1Buffer >= 0) {
    // PyTorch's AdamW: 1 - beta^t for this step t (from 1), in double.
    double t = static_cast<double>(stepNumber + 1);
    for (auto [buffer, beta] : {std::pair(biasCorrection1Buffer, plan.beta1),
                                std::pair(biasCorrection2Buffer, plan.beta2)}) {
      float correction = static_cast<float>(1 - std::pow(beta, t));
      uint32_t bits;
      std::memcpy(&bits, &correction, 4);
      if (s)
        s = device.fill32(Queue::Compute, bufferAddress(buffer), bits, 1);
    }
  }
  ++stepNumber;
  if (s)
    s = runEntry("train_step", plan.batch);
  if (s)
    s = device.copyToHost(Queue::Compute, slot.result,
                          bufferAddress(lossBuffer), 4);
  if (s)
    s = device.copyToHost(Queue::Compute, static_cast<char *>(slot.result) + 8,
                          bufferAddress(correctBuffer), 8);
  if (s)
    s = device.record(Queue::Compute, slot.done);
  if (!s) {
    // The device's state is unknown; nothing more runs.
    --begun;
    return s;
  }
  slot.busy = true;
  ++submitted;
  // The weights change: what prepare derives from them is stale.
  prepared = false;
  return Status::success();
}

Expected<TrainStepResult> Executor::finishTrainStep() {
  if (finished == submitted)
    return Error("internal error: no training step in flight");
  Slot &slot = slots[finished % 2];
  if (Status s = device.synchronize(slot.done); !s)
    return s.takeError();
  TrainStepResult r;
  std::memcpy(&r.loss, slot.result, 4);
  std::memcpy(&r.correct, static_cast<char *>(slot.result) + 8, 8);
  slot.busy = false;
  ++finished;
  return r;
}

Expected<TrainStepResult> Executor::trainStep(const float *images,
                                              const int64_t *labels, float lr) {
  while (inFlight())
    if (Expected<TrainStepResult> r = finishTrainStep(); !r)
      return r;
  Expected<TrainBatch> batch = beginTrainStep();
  if (!batch)
    return batch.takeError();
  const Plan &plan = getPlan();
  std::memcpy(batch->images, images,
              static_cast<size_t>(plan.batch * imageElements(plan)) *
                  sizeof(float));
  std::memcpy(batch->labels, labels,
              static_cast<size_t>(plan.batch) * sizeof(int64_t));
  if (Status s = submitTrainStep(lr); !s)
    return s.takeError();
  return finishTrainStep();
}

Status Executor::runEntry(const std::string &name, int64_t count) {
  const PlanEntry *entry = getPlan().findEntry(name);
  if (!entry)
    return Error(getPath() + ": no entry '" + name + "'");
  ++runs[name];
  if ((dumpDirectory.empty() && !profiling) || name == "prepare")
    return executable.run(*entry, arena, count, nullptr);
  std::vector<bool> written(getPlan().buffers.size());
  using Clock = std::chrono::steady_clock;
  Clock::time_point start = Clock::now();
  StepCallback afterStep = [&](size_t step) -> Status {
    if (profiling) {
      Clock::time_point now = Clock::now();
      auto &[stepRuns, seconds] = stepTimes[{name, step}];
      ++stepRuns;
      seconds += std::chrono::duration<double>(now - start).count();
    }
    if (!dumpDirectory.empty())
      if (Status s = dumpResults(*entry, step, written); !s)
        return s;
    start = Clock::now();
    return Status::success();
  };
  return executable.run(*entry, arena, count, &afterStep);
}

std::vector<Executor::StepTime> Executor::getProfile() const {
  std::vector<StepTime> out;
  for (const auto &[key, value] : stepTimes)
    out.push_back({key.first, key.second, value.first, value.second});
  std::stable_sort(out.begin(), out.end(),
                   [](const StepTime &a, const StepTime &b) {
                     return a.seconds > b.seconds;
                   });
  return out;
}

/// Writes the activations step `s` of `entry` produced: its activation and
/// output arguments not seen in an earlier step (each is defined once).
Status Executor::dumpResults(const PlanEntry &entry, size_t s,
                             std::vector<bool> &written) {
  const PlanStep &step = entry.steps[s];
  char number[16];
  std::snprintf(number, sizeof(number), "%03zu", s);
  int result = 0;
  for (int64_t b : step.args) {
    const PlanBuffer &buffer = getPlan().buffers[b];
    if ((buffer.role != BufferRole::Activation &&
         buffer.role != BufferRole::Output) ||
        written[b])
      continue;
    written[b] = true;
    HostTensor stored(buffer.dtype, buffer.shape);
    if (Status st = device.copyToHost(Queue::Compute, stored.bytes.data(),
                                      bufferAddress(b), stored.bytes.size());
        !st)
      return st;
    if (Status st = device.synchronize(); !st)
      return st;
    if (stored.dtype == DType::BF16) {
      // .npy has no bfloat16: dumps hold the values as float32 (exactly).
      HostTensor wide(DType::F32, stored.shape);
      for (int64_t i = 0; i < stored.numElements(); ++i)
        wide.f32()[i] = bf16ToFloat(stored.bf16()[i]);
      stored = std::move(wide);
    }
    HostTensor t = stored;
    if (buffer.layout == Layout::NHWC) {
      // Dumps are in the logical (NCHW) order whatever the storage.
      int64_t n = buffer.shape[0], c = buffer.shape[1], h = buffer.shape[2],
              w = buffer.shape[3];
      size_t size = getDTypeSize(stored.dtype);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t y = 0; y < h; ++y)
          for (int64_t x = 0; x < w; ++x)
            for (int64_t k = 0; k < c; ++k)
              std::memcpy(&t.bytes[(((i * c + k) * h + y) * w + x) * size],
                          &stored.bytes[(((i * h + y) * w + x) * c + k) * size],
                          size);
    }
    std::string path = dumpDirectory + "/" + entry.name + "." +
                       std::to_string(runs[entry.name]) + "." + number + "." +
                       step.kernel + "." + std::to_string(result++) + ".npy";
    if (Status st = writeNpy(path, t); !st)
      return st;
  }
  return Status::success();
}
