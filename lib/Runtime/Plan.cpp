//===- Plan.cpp - The execution plan carried by every artifact ------------===//
//
// JSON serialization and validation of plans. Every check that the runtime
// relies on (bounds, indices, version) happens here, once, with a message
// naming the artifact.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Plan.h"

#include <algorithm>

using namespace resnetc::runtime;

static const BufferRole kRoles[] = {
    BufferRole::Input,  BufferRole::Output,  BufferRole::Param,
    BufferRole::State,  BufferRole::Derived, BufferRole::Activation,
    BufferRole::Labels, BufferRole::Hyper,   BufferRole::Velocity,
    BufferRole::Loss,   BufferRole::Correct};

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
      steps.push(std::move(js));
    }
    je.set("steps", std::move(steps));
    entries.push(std::move(je));
  }
  j.set("entries", std::move(entries));
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
  return plan;
}
