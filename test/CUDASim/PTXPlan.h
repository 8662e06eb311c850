//===- PTXPlan.h - Runs the launches of a resnetc artifact's plan -*- C++ -*-//
//
// For the tests that run real kernels: reads the execution plan from a PTX
// artifact's leading comment lines (a compact JSON object between
// "// resnetc-plan-begin" and "// resnetc-plan-end", see docs/artifact.md)
// and runs its launches with every buffer in a device allocation of its own
// (so that a kernel touching memory outside the buffers it is passed, or
// reading a buffer nothing wrote, faults), parameters packed as
// cuLaunchKernel packs them.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TEST_CUDASIM_PTXPLAN_H
#define RESNETC_TEST_CUDASIM_PTXPLAN_H

#include "Memory.h"
#include "PTX/PTX.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace resnetc::cudasim::ptx::test {

/// A JSON value (numbers keep their text, for exact integers).
struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  std::string text;
  bool boolean = false;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> fields;

  const Json &operator[](const std::string &key) const {
    static const Json null;
    for (const auto &[k, v] : fields)
      if (k == key)
        return v;
    return null;
  }
  const Json &operator[](size_t i) const { return items[i]; }
  bool has(const std::string &key) const {
    for (const auto &f : fields)
      if (f.first == key)
        return true;
    return false;
  }
  size_t size() const { return items.size(); }
  int64_t asInt() const { return std::strtoll(text.c_str(), nullptr, 10); }
  double asDouble() const { return std::strtod(text.c_str(), nullptr); }
};

class JsonParser {
public:
  explicit JsonParser(const std::string &s) : s(s) {}
  bool parse(Json &v) {
    if (!value(v))
      return false;
    skip();
    return i == s.size();
  }

private:
  void skip() {
    while (i < s.size() &&
           (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r'))
      ++i;
  }
  bool literal(const char *word) {
    size_t n = std::strlen(word);
    if (s.compare(i, n, word) != 0)
      return false;
    i += n;
    return true;
  }
  bool string(std::string &out) {
    if (s[i] != '"')
      return false;
    ++i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\') {
        if (++i >= s.size())
          return false;
        char c = s[i];
        out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
        ++i;
        continue;
      }
      out += s[i++];
    }
    if (i >= s.size())
      return false;
    ++i;
    return true;
  }
  bool value(Json &v) {
    skip();
    if (i >= s.size())
      return false;
    char c = s[i];
    if (c == '{') {
      v.kind = Json::Object;
      ++i;
      skip();
      if (s[i] == '}')
        return ++i, true;
      for (;;) {
        skip();
        std::string key;
        if (!string(key))
          return false;
        skip();
        if (s[i++] != ':')
          return false;
        Json item;
        if (!value(item))
          return false;
        v.fields.emplace_back(std::move(key), std::move(item));
        skip();
        if (s[i] == ',') {
          ++i;
          continue;
        }
        if (s[i] == '}')
          return ++i, true;
        return false;
      }
    }
    if (c == '[') {
      v.kind = Json::Array;
      ++i;
      skip();
      if (s[i] == ']')
        return ++i, true;
      for (;;) {
        Json item;
        if (!value(item))
          return false;
        v.items.push_back(std::move(item));
        skip();
        if (s[i] == ',') {
          ++i;
          continue;
        }
        if (s[i] == ']')
          return ++i, true;
        return false;
      }
    }
    if (c == '"') {
      v.kind = Json::String;
      return string(v.text);
    }
    if (literal("true")) {
      v.kind = Json::Bool;
      v.boolean = true;
      return true;
    }
    if (literal("false")) {
      v.kind = Json::Bool;
      return true;
    }
    if (literal("null"))
      return true;
    size_t start = i;
    while (i < s.size() &&
           (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '-' ||
            s[i] == '+' || s[i] == '.' || s[i] == 'e' || s[i] == 'E'))
      ++i;
    if (i == start)
      return false;
    v.kind = Json::Number;
    v.text = s.substr(start, i - start);
    return true;
  }
  const std::string &s;
  size_t i = 0;
};

struct PlanBuffer {
  std::string name, role, dtype, layout;
  std::vector<int64_t> shape;
  uint64_t bytes = 0;
};
struct PlanArg {
  enum Kind { Buffer, I64, I32, F32, F64 } kind = Buffer;
  int buffer = -1;
  uint64_t bits = 0;
};
struct PlanLaunch {
  std::string kernel;
  Dim3 grid, block;
  std::vector<PlanArg> args;
};
struct PlanStep {
  std::string kernel, layer;
  bool library = false;
  std::vector<PlanLaunch> launches;
};
struct Plan {
  std::vector<PlanBuffer> buffers;
  std::map<std::string, std::vector<PlanStep>> entries;
  int batch = 0;

  int find(const std::string &name) const {
    for (size_t i = 0; i < buffers.size(); ++i)
      if (buffers[i].name == name)
        return int(i);
    return -1;
  }
  const PlanStep *step(const std::string &entry,
                       const std::string &kernel) const {
    auto it = entries.find(entry);
    if (it == entries.end())
      return nullptr;
    for (const PlanStep &s : it->second)
      if (s.kernel == kernel)
        return &s;
    return nullptr;
  }
};

/// Reads the plan of a PTX artifact.
inline bool readPlan(const std::string &ptx, Plan &plan, std::string &error) {
  size_t begin = ptx.find("// resnetc-plan-begin\n");
  size_t end = ptx.find("// resnetc-plan-end");
  if (begin == std::string::npos || end == std::string::npos) {
    error = "no plan";
    return false;
  }
  std::string json;
  size_t at = begin + std::strlen("// resnetc-plan-begin\n");
  while (at < end) {
    size_t eol = ptx.find('\n', at);
    json += ptx.substr(at + 3, eol - at - 3);
    at = eol + 1;
  }
  Json root;
  if (!JsonParser(json).parse(root)) {
    error = "malformed plan";
    return false;
  }
  plan.batch = int(root["batch"].asInt());
  for (const Json &b : root["buffers"].items) {
    PlanBuffer buffer;
    buffer.name = b["name"].text;
    buffer.role = b["role"].text;
    buffer.dtype = b["dtype"].text;
    buffer.layout = b["layout"].text;
    buffer.bytes = uint64_t(b["bytes"].asInt());
    for (const Json &d : b["shape"].items)
      buffer.shape.push_back(d.asInt());
    plan.buffers.push_back(std::move(buffer));
  }
  auto dim3 = [](const Json &j) {
    return Dim3{unsigned(j[0].asInt()), unsigned(j[1].asInt()),
                unsigned(j[2].asInt())};
  };
  for (const Json &e : root["entries"].items) {
    std::vector<PlanStep> &steps = plan.entries[e["name"].text];
    for (const Json &s : e["steps"].items) {
      PlanStep step;
      step.kernel = s["kernel"].text;
      step.layer = s["layer"].text;
      step.library = s.has("library");
      for (const Json &l : s["launches"].items) {
        PlanLaunch launch;
        launch.kernel = l["kernel"].text;
        launch.grid = dim3(l["grid"]);
        launch.block = dim3(l["block"]);
        for (const Json &a : l["args"].items) {
          PlanArg arg;
          if (a.has("buffer")) {
            arg.buffer = int(a["buffer"].asInt());
          } else if (a.has("i64")) {
            arg.kind = PlanArg::I64;
            arg.bits = uint64_t(a["i64"].asInt());
          } else if (a.has("i32")) {
            arg.kind = PlanArg::I32;
            arg.bits = uint64_t(a["i32"].asInt());
          } else if (a.has("f32")) {
            arg.kind = PlanArg::F32;
            arg.bits = std::strtoull(a["f32"].text.c_str(), nullptr, 16);
          } else if (a.has("f64")) {
            arg.kind = PlanArg::F64;
            arg.bits = std::strtoull(a["f64"].text.c_str(), nullptr, 16);
          } else {
            error = "unknown argument in " + launch.kernel;
            return false;
          }
          launch.args.push_back(arg);
        }
        step.launches.push_back(std::move(launch));
      }
      steps.push_back(std::move(step));
    }
  }
  return true;
}

/// The buffers of a plan, each in a device allocation of its own, and the
/// launches that run on them.
class PlanRunner {
public:
  PlanRunner(const Module &module, const Plan &plan)
      : module(module), plan(plan), addresses(plan.buffers.size(), 0) {}

  /// The device address of buffer b (allocated on first use).
  uint64_t address(int b) {
    if (!addresses[b])
      addresses[b] = memory.allocate(plan.buffers[b].bytes);
    return addresses[b];
  }
  template <typename T> void write(int b, const std::vector<T> &values) {
    uint64_t a = address(b);
    size_t bytes = values.size() * sizeof(T);
    ASSERT_LE(bytes, plan.buffers[b].bytes) << plan.buffers[b].name;
    std::memcpy(reinterpret_cast<void *>(a), values.data(), bytes);
    memory.find(a)->markWritten(a, bytes);
  }
  template <typename T> std::vector<T> read(int b) {
    std::vector<T> values(plan.buffers[b].bytes / sizeof(T));
    std::memcpy(values.data(), reinterpret_cast<const void *>(address(b)),
                values.size() * sizeof(T));
    return values;
  }
  bool written(int b) {
    uint64_t a = address(b);
    return memory.find(a)->isWritten(a, plan.buffers[b].bytes);
  }

  /// Runs one launch; the error (a fault or a mismatch with the kernel)
  /// as text, "" when it ran.
  std::string run(const PlanLaunch &l, RunStats *stats = nullptr) {
    const Kernel *k = module.getKernel(l.kernel);
    if (!k)
      return "no kernel " + l.kernel;
    const std::vector<KernelParam> &params = k->getParams();
    if (params.size() != l.args.size())
      return l.kernel + ": " + std::to_string(l.args.size()) +
             " arguments for " + std::to_string(params.size()) + " parameters";
    std::vector<uint8_t> buffer(k->getParamBytes());
    AccessScope scope(memory, "kernel " + l.kernel);
    for (size_t i = 0; i < params.size(); ++i) {
      const PlanArg &a = l.args[i];
      uint64_t value = a.bits;
      if (a.kind == PlanArg::Buffer) {
        value = address(a.buffer);
        scope.allow(value, plan.buffers[a.buffer].name);
      }
      std::memcpy(buffer.data() + params[i].offset, &value, params[i].size);
    }
    if (std::optional<Fault> f =
            checkLaunch(*k, l.grid, l.block, 0, buffer.size()))
      return f->message;
    RunStats s;
    std::optional<Fault> f =
        ptx::run(*k, l.grid, l.block, 0, buffer.data(), scope, &s);
    if (stats) {
      stats->blocks += s.blocks;
      stats->instructions += s.instructions;
      stats->threadInstructions += s.threadInstructions;
    }
    return f ? f->message : "";
  }

  /// Runs every launch of the step of `entry` running `kernel`.
  std::string runStep(const std::string &entry, const std::string &kernel,
                      RunStats *stats = nullptr) {
    const PlanStep *s = plan.step(entry, kernel);
    if (!s)
      return "no step " + kernel + " in " + entry;
    for (const PlanLaunch &l : s->launches)
      if (std::string e = run(l, stats); !e.empty())
        return e;
    return "";
  }

  /// Runs every step of `entry` (which must have no library calls).
  std::string runEntry(const std::string &entry, RunStats *stats = nullptr) {
    for (const PlanStep &s : plan.entries.at(entry)) {
      if (s.library)
        return "library step " + s.kernel;
      for (const PlanLaunch &l : s.launches)
        if (std::string e = run(l, stats); !e.empty())
          return e;
    }
    return "";
  }

  DeviceMemory memory;

private:
  const Module &module;
  const Plan &plan;
  std::vector<uint64_t> addresses;
};

} // namespace resnetc::cudasim::ptx::test

#endif // RESNETC_TEST_CUDASIM_PTXPLAN_H
