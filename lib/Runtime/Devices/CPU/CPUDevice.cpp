//===- CPUDevice.cpp - The CPU device -------------------------------------===//
//
// See CPUDevice.h. The artifact's ELF headers are checked against the file
// before dlopen maps it (a truncated library would fault inside dlopen);
// then its plan is read from the `resnetc_plan` symbol and every step
// checked against `resnetc_kernels`, the argument sizes the compiler took
// from the kernels' own signatures; kernels are `void <kernel>_entry(void
// **args, int64_t n)` (docs/artifact.md). Memory is host memory, every queue
// operation runs at once, in order, so events are always complete.
//
//===----------------------------------------------------------------------===//

#include "CPUDevice.h"
#include "OneDNNConvolutions.h"
#include "ThreadPool.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/Json.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <map>
#include <thread>

using namespace resnetc::runtime;

namespace {
//===----------------------------------------------------------------------===//
// CPUExecutable
//===----------------------------------------------------------------------===//

/// `void entry(void **args, int64_t n)` of every kernel.
using KernelFn = void (*)(void **, int64_t);

class CPUExecutable : public Executable {
public:
  CPUExecutable(std::string path, Plan plan, void *handle,
                std::map<std::string, KernelFn> kernels, ThreadPool &pool)
      : Executable(std::move(path), std::move(plan)), handle(handle),
        kernels(std::move(kernels)), pool(pool) {}
  ~CPUExecutable() override {
    libraryCalls.clear();
    dlclose(handle);
  }

  /// Creates the oneDNN convolution of every library step (checking that
  /// oneDNN can compute each).
  Status prepareLibraryCalls(OneDNNContext *context) {
    const Plan &plan = getPlan();
    for (const PlanEntry &entry : plan.entries)
      for (size_t s = 0; s < entry.steps.size(); ++s) {
        const PlanStep &step = entry.steps[s];
        if (!step.library)
          continue;
        std::string where = getPath() + ": plan: step " + std::to_string(s) +
                            " of '" + entry.name + "' (" + step.library->name +
                            ", layer '" + step.layer + "')";
        if (!context)
          return Error(where + ": " + oneDNNMissing());
        Expected<std::unique_ptr<OneDNNConvolution>> conv =
            OneDNNConvolution::create(*context, plan, step, where);
        if (!conv)
          return conv.takeError();
        libraryCalls[&step] = std::move(*conv);
      }
    return Status::success();
  }

  static std::string oneDNNMissing() {
    return "its convolutions are oneDNN calls, but this resnet-run was "
           "built without oneDNN; rebuild resnetc with oneDNN (Debian's "
           "libdnnl-dev) or recompile the model with --conv=generated";
  }

  Status run(const PlanEntry &entry, DeviceAddress arena, int64_t count,
             const StepCallback *afterStep) override {
    std::vector<void *> args;
    char *base = reinterpret_cast<char *>(arena);
    if (entry.name == "prepare")
      for (auto &[step, call] : libraryCalls)
        call->invalidateDerived();
    for (size_t s = 0; s < entry.steps.size(); ++s) {
      const PlanStep &step = entry.steps[s];
      if (step.library) {
        if (Status st = libraryCalls.at(&step)->run(base, count); !st)
          return st;
        if (afterStep)
          if (Status st = (*afterStep)(s); !st)
            return st;
        continue;
      }
      KernelFn fn = kernels.at(step.kernel);
      args.clear();
      for (int64_t b : step.args)
        args.push_back(base + getPlan().buffers[b].offset);
      void **argv = args.data();
      // Images (per-image steps) or rows (rows > 0) on every thread.
      int64_t calls = step.rows > 0 ? step.rows : step.perImage ? count : 0;
      if (calls == 0)
        fn(argv, 0);
      else
        pool.parallelFor(calls, [&](int64_t begin, int64_t end) {
          for (int64_t n = begin; n < end; ++n)
            fn(argv, n);
        });
      if (afterStep)
        if (Status st = (*afterStep)(s); !st)
          return st;
    }
    return Status::success();
  }

private:
  void *handle;
  std::map<std::string, KernelFn> kernels;
  ThreadPool &pool;
  std::map<const PlanStep *, std::unique_ptr<OneDNNConvolution>> libraryCalls;
};

//===----------------------------------------------------------------------===//
// CPUDevice
//===----------------------------------------------------------------------===//

class CPUDevice : public Device {
public:
  explicit CPUDevice(unsigned threads) : pool(threads), threads(threads) {}

  std::string getName() const override { return "cpu"; }

  Expected<std::unique_ptr<Executable>> load(const std::string &path) override;

  Expected<DeviceAddress> allocate(uint64_t bytes,
                                   const std::string &what) override {
    void *p = allocateAligned(bytes);
    if (!p)
      return Error("cannot allocate " + std::to_string(bytes) +
                   " bytes of memory for " + what);
    sizes[p] = bytes;
    countAllocation(static_cast<int64_t>(bytes));
    return reinterpret_cast<DeviceAddress>(p);
  }
  void deallocate(DeviceAddress address) override {
    auto *p = reinterpret_cast<void *>(address);
    if (auto it = sizes.find(p); it != sizes.end()) {
      countAllocation(-static_cast<int64_t>(it->second));
      sizes.erase(it);
    }
    std::free(p);
  }
  Expected<void *> allocateHost(uint64_t bytes,
                                const std::string &what) override {
    void *p = allocateAligned(bytes);
    if (!p)
      return Error("cannot allocate " + std::to_string(bytes) +
                   " bytes of memory for " + what);
    return p;
  }
  void deallocateHost(void *pointer) override { std::free(pointer); }

  Status copyToDevice(Queue, DeviceAddress dst, const void *src,
                      uint64_t bytes) override {
    std::memmove(reinterpret_cast<void *>(dst), src, bytes);
    return Status::success();
  }
  Status copyToHost(Queue, void *dst, DeviceAddress src,
                    uint64_t bytes) override {
    std::memmove(dst, reinterpret_cast<const void *>(src), bytes);
    return Status::success();
  }
  Status copyOnDevice(Queue, DeviceAddress dst, DeviceAddress src,
                      uint64_t bytes) override {
    std::memmove(reinterpret_cast<void *>(dst),
                 reinterpret_cast<const void *>(src), bytes);
    return Status::success();
  }
  Status fill32(Queue, DeviceAddress dst, uint32_t value,
                uint64_t count) override {
    auto *p = reinterpret_cast<uint32_t *>(dst);
    std::fill(p, p + count, value);
    return Status::success();
  }

  Expected<EventId> createEvent() override { return nextEvent++; }
  Status record(Queue, EventId) override { return Status::success(); }
  Status wait(Queue, EventId) override { return Status::success(); }
  Status synchronize(EventId) override { return Status::success(); }
  Status synchronize() override { return Status::success(); }

private:
  /// Zeroed, 64-byte aligned memory (never null for 0 bytes).
  static void *allocateAligned(uint64_t bytes) {
    uint64_t rounded = (std::max<uint64_t>(bytes, 1) + kBufferAlignment - 1) /
                       kBufferAlignment * kBufferAlignment;
    void *p = std::aligned_alloc(kBufferAlignment, rounded);
    if (p)
      std::memset(p, 0, rounded);
    return p;
  }

  ThreadPool pool;
  unsigned threads;
  /// oneDNN's engine and stream, made when an artifact first needs them.
  std::unique_ptr<OneDNNContext> oneDNN;
  EventId nextEvent = 0;
  std::map<void *, uint64_t> sizes; ///< Device allocations.
};
} // namespace

//===----------------------------------------------------------------------===//
// Checking the artifact before and after dlopen
//===----------------------------------------------------------------------===//

#if defined(__x86_64__)
static constexpr unsigned kHostMachine = EM_X86_64;
static constexpr const char *kHostMachineName = "x86-64";
#elif defined(__aarch64__)
static constexpr unsigned kHostMachine = EM_AARCH64;
static constexpr const char *kHostMachineName = "AArch64";
#else
// Another host: its machine is left to dlopen to check.
static constexpr unsigned kHostMachine = EM_NONE;
static constexpr const char *kHostMachineName = "this host";
#endif

/// Checks that `path` is a regular file holding an ELF64 little-endian
/// shared object for this machine whose program and section header tables
/// and loadable segments all lie within the file, so that dlopen maps only
/// bytes that exist.
static Status checkSharedObject(const std::string &path) {
  Expected<InputFile> file = InputFile::open(path);
  if (!file)
    return file.takeError();
  const std::string notElf =
      path + ": cannot load the artifact: not an ELF shared library (is it "
             "a CPU artifact built by resnetc --target=cpu?)";
  uint64_t size = file->getSize();
  Elf64_Ehdr eh;
  if (size < EI_NIDENT || !file->readAt(0, eh.e_ident, EI_NIDENT) ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return Error(notElf);
  auto truncated = [&](uint64_t needed) {
    return Error(path + ": truncated: the ELF file needs " +
                 std::to_string(needed) + " bytes, it has " +
                 std::to_string(size) + "; recompile or copy it again");
  };
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return Error(path + ": cannot load the artifact: not a 64-bit "
                        "little-endian ELF file; recompile the model with "
                        "resnetc --target=cpu on this machine");
  if (size < sizeof(eh))
    return truncated(sizeof(eh));
  if (Status st = file->readAt(0, &eh, sizeof(eh)); !st)
    return st;
  if (eh.e_type != ET_DYN)
    return Error(path +
                 ": cannot load the artifact: an ELF file but not a "
                 "shared library (e_type " +
                 std::to_string(eh.e_type) +
                 "); compile the model with resnetc --target=cpu -o "
                 "model.so");
  if (kHostMachine != EM_NONE && eh.e_machine != kHostMachine)
    return Error(path +
                 ": cannot load the artifact: a shared library for "
                 "another machine (ELF e_machine " +
                 std::to_string(eh.e_machine) + "), this one is " +
                 kHostMachineName +
                 "; recompile the model with resnetc --target=cpu here");
  // Every table and segment must end within the file. Sizes come from the
  // file, so each sum and product is checked.
  uint64_t needed = sizeof(eh);
  auto extent = [&](uint64_t offset, uint64_t count, uint64_t entSize,
                    const char *what) -> Status {
    uint64_t bytes, end;
    if (__builtin_mul_overflow(count, entSize, &bytes) ||
        __builtin_add_overflow(offset, bytes, &end))
      return Error(path + ": cannot load the artifact: its ELF " + what +
                   " lies beyond any file size; the file is damaged: "
                   "recompile or copy it again");
    needed = std::max(needed, end);
    return Status::success();
  };
  if (eh.e_phnum && eh.e_phentsize != sizeof(Elf64_Phdr))
    return Error(path +
                 ": cannot load the artifact: unexpected ELF program "
                 "header size " +
                 std::to_string(eh.e_phentsize) + "; the file is damaged");
  if (eh.e_shnum && eh.e_shentsize != sizeof(Elf64_Shdr))
    return Error(path +
                 ": cannot load the artifact: unexpected ELF section "
                 "header size " +
                 std::to_string(eh.e_shentsize) + "; the file is damaged");
  if (Status st = extent(eh.e_phoff, eh.e_phnum, sizeof(Elf64_Phdr),
                         "program header table");
      !st)
    return st;
  if (Status st = extent(eh.e_shoff, eh.e_shnum, sizeof(Elf64_Shdr),
                         "section header table");
      !st)
    return st;
  if (needed > size)
    return truncated(needed);
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (Status st = file->readAt(eh.e_phoff + i * sizeof(ph), &ph, sizeof(ph));
        !st)
      return st;
    if (ph.p_type == PT_LOAD)
      if (Status st = extent(ph.p_offset, 1, ph.p_filesz, "segment"); !st)
        return st;
  }
  if (needed > size)
    return truncated(needed);
  return Status::success();
}

std::optional<bool>
resnetc::runtime::hostHasCPUFeature(const std::string &name) {
#if defined(__x86_64__)
  __builtin_cpu_init();
#define RESNETC_FEATURE(F)                                                     \
  if (name == F)                                                               \
    return __builtin_cpu_supports(F) != 0;
  RESNETC_FEATURE("sse4.1")
  RESNETC_FEATURE("sse4.2")
  RESNETC_FEATURE("popcnt")
  RESNETC_FEATURE("avx")
  RESNETC_FEATURE("avx2")
  RESNETC_FEATURE("fma")
  RESNETC_FEATURE("bmi")
  RESNETC_FEATURE("bmi2")
  RESNETC_FEATURE("avx512f")
  RESNETC_FEATURE("avx512dq")
  RESNETC_FEATURE("avx512cd")
  RESNETC_FEATURE("avx512bw")
  RESNETC_FEATURE("avx512vl")
  RESNETC_FEATURE("avx512ifma")
  RESNETC_FEATURE("avx512vbmi")
  RESNETC_FEATURE("avx512vbmi2")
  RESNETC_FEATURE("avx512vnni")
  RESNETC_FEATURE("avx512bitalg")
  RESNETC_FEATURE("avx512vpopcntdq")
  RESNETC_FEATURE("avx512bf16")
#undef RESNETC_FEATURE
#endif
  return std::nullopt;
}

Status resnetc::runtime::checkCPUFeatures(
    const Plan &plan, const std::string &path,
    const std::function<std::optional<bool>(const std::string &)> &has) {
  std::string missing;
  for (const std::string &f : plan.cpuFeatures)
    if (!has(f).value_or(false))
      missing += (missing.empty() ? "" : ", ") + f;
  if (missing.empty())
    return Status::success();
  return Error(path + ": compiled for a CPU with " + missing +
               " (resnetc --cpu=" + plan.cpu +
               "), which this CPU lacks; recompile the model here (the "
               "default --cpu=native) or for a CPU every machine has, such "
               "as --cpu=x86-64-v3 (AVX2)");
}

/// Checks every step of `plan` against `table`, the text of the artifact's
/// `resnetc_kernels` symbol: a JSON object mapping each kernel to the byte
/// sizes of the arguments its compiled function takes (-1 where a size is
/// not static).
static Status checkStepsAgainstKernels(const Plan &plan, const char *table,
                                       const std::string &path) {
  Expected<JsonValue> json = parseJson(table);
  if (!json || !json->is_object())
    return Error(path + ": the kernel table (resnetc_kernels) is not a JSON "
                        "object; recompile the model");
  std::map<std::string, std::vector<int64_t>> kernels;
  for (const auto &[name, sizes] : json->items()) {
    std::vector<int64_t> &out = kernels[name];
    if (!sizes.is_array())
      return Error(path + ": the kernel table's entry for '" + name +
                   "' is not an array of sizes; recompile the model");
    for (const JsonValue &v : sizes) {
      std::optional<int64_t> size = getJsonInteger(v);
      if (!size)
        return Error(path + ": the kernel table's entry for '" + name +
                     "' is not an array of sizes; recompile the model");
      out.push_back(*size);
    }
  }
  for (const PlanEntry &entry : plan.entries)
    for (size_t s = 0; s < entry.steps.size(); ++s) {
      const PlanStep &step = entry.steps[s];
      if (step.library)
        continue; // Carried out by oneDNN, checked when it is created.
      std::string where = path + ": plan: step " + std::to_string(s) + " of '" +
                          entry.name + "' (kernel '" + step.kernel +
                          "', layer '" + step.layer + "')";
      auto it = kernels.find(step.kernel);
      if (it == kernels.end())
        return Error(where + ": the compiled code has no such kernel; the "
                             "plan does not match the code: recompile the "
                             "model");
      const std::vector<int64_t> &sizes = it->second;
      if (sizes.size() != step.args.size())
        return Error(where + " passes " + std::to_string(step.args.size()) +
                     " arguments, but the compiled kernel takes " +
                     std::to_string(sizes.size()) +
                     "; the plan does not match the code: recompile the "
                     "model");
      for (size_t i = 0; i < sizes.size(); ++i) {
        const PlanBuffer &b = plan.buffers[step.args[i]];
        if (sizes[i] >= 0 && sizes[i] != b.bytes)
          return Error(where + ": argument " + std::to_string(i) +
                       " is buffer '" + b.name + "' of " +
                       std::to_string(b.bytes) +
                       " bytes, but the compiled kernel takes " +
                       std::to_string(sizes[i]) +
                       "; the plan does not match the code: recompile the "
                       "model");
      }
    }
  return Status::success();
}

Expected<std::unique_ptr<Executable>> CPUDevice::load(const std::string &path) {
  if (getArtifactDeviceKind(path) == "cuda")
    return Error(path + ": a CUDA artifact; run it on a GPU (--device=cuda) "
                        "or on the simulated GPU (--device=cuda-sim), or "
                        "compile the model with resnetc --target=cpu -o "
                        "model.so to run it on the CPU");
  // A relative path without a slash would make dlopen search the library
  // path instead of opening the file.
  std::string openPath =
      path.find('/') == std::string::npos ? "./" + path : path;
  if (Status st = checkSharedObject(path); !st)
    return st.takeError();
  void *handle = dlopen(openPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    return Error(
        path + ": cannot load the artifact: " + (why ? why : "unknown error") +
        " (is it a CPU artifact built by resnetc --target=cpu?)");
  }
  auto fail =
      [&](std::string message) -> Expected<std::unique_ptr<Executable>> {
    dlclose(handle);
    return Error(std::move(message));
  };
  auto *text = static_cast<const char *>(dlsym(handle, "resnetc_plan"));
  if (!text)
    return fail(path + ": not a resnetc artifact (no resnetc_plan symbol)");
  Expected<Plan> plan = parsePlan(text, path);
  if (!plan)
    return fail(plan.error().message());
  if (plan->target != "cpu")
    return fail(path + ": compiled for target '" + plan->target +
                "', but the CPU device runs 'cpu' artifacts");
  if (plan->precision != "fp32")
    return fail(path + ": plan: precision " + plan->precision +
                " is not supported on the CPU, which runs fp32 plans only");
  for (const PlanBuffer &b : plan->buffers)
    if (b.dtype != DType::F32 &&
        !(b.dtype == DType::I64 &&
          (b.role == BufferRole::Labels || b.role == BufferRole::Correct ||
           b.role == BufferRole::Hyper)))
      return fail(path + ": plan: buffer '" + b.name + "' is " +
                  getDTypeName(b.dtype) +
                  ", but an fp32 plan on the CPU holds F32 buffers (and "
                  "I64 labels, counts and seeds) only");
  if (!plan->findEntry("infer"))
    return fail(path + ": the plan has no 'infer' entry");
  if (Status st = checkCPUFeatures(*plan, path, hostHasCPUFeature); !st)
    return fail(st.message());
  auto *table = static_cast<const char *>(dlsym(handle, "resnetc_kernels"));
  if (!table)
    return fail(path + ": no resnetc_kernels symbol (the argument sizes of "
                       "its kernels): built by an older resnetc? recompile "
                       "the model");
  if (Status st = checkStepsAgainstKernels(*plan, table, path); !st)
    return fail(st.message());
  std::map<std::string, KernelFn> kernels;
  for (const PlanEntry &e : plan->entries)
    for (const PlanStep &s : e.steps) {
      if (s.library || kernels.count(s.kernel))
        continue;
      std::string symbol = s.kernel + "_entry";
      void *fn = dlsym(handle, symbol.c_str());
      if (!fn)
        return fail(path + ": kernel '" + symbol +
                    "' named by the plan is missing");
      kernels[s.kernel] = reinterpret_cast<KernelFn>(fn);
    }
  bool needsOneDNN = false;
  for (const PlanEntry &e : plan->entries)
    for (const PlanStep &s : e.steps)
      needsOneDNN |= s.library.has_value();
  auto executable = std::make_unique<CPUExecutable>(
      path, std::move(*plan), handle, std::move(kernels), pool);
  if (needsOneDNN && !oneDNN && isOneDNNAvailable()) {
    Expected<std::unique_ptr<OneDNNContext>> context =
        OneDNNContext::create(threads);
    if (!context)
      return Error(path + ": " + context.error().message());
    oneDNN = std::move(*context);
  }
  if (Status st = executable->prepareLibraryCalls(oneDNN.get()); !st)
    return st.takeError();
  return std::unique_ptr<Executable>(std::move(executable));
}

Expected<std::unique_ptr<Device>>
resnetc::runtime::createCPUDevice(const DeviceOptions &options) {
  unsigned threads = options.threads;
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  return std::unique_ptr<Device>(new CPUDevice(threads));
}
