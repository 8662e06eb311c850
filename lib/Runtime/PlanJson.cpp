//===- PlanJson.cpp - The plan's JSON form, declared once -----------------===//
//
// Each plan struct has one mapping function that lists its JSON members in
// order, with each member's kind and checks. The same function writes a
// plan (PlanWriter: the members in that order) and reads one (PlanReader:
// every member checked, the first failure kept with its path, as in
// "model.so: plan: buffers[3].shape: expected an array of integers"), in
// the style of LLVM's YAML I/O `mapping(IO &io, T &t)`. Checks across
// members and structs (bounds within the arena, arguments naming buffers)
// sit in the mapping as `io.check`, which only the reader runs.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Json.h"
#include "resnetc/Runtime/Plan.h"

#include <algorithm>
#include <optional>

using namespace resnetc::runtime;

static const BufferRole kRoles[] = {
    BufferRole::Input,  BufferRole::Output,  BufferRole::Param,
    BufferRole::State,  BufferRole::Derived, BufferRole::Activation,
    BufferRole::Labels, BufferRole::Hyper,   BufferRole::OptimizerState,
    BufferRole::Loss,   BufferRole::Correct, BufferRole::Scratch};

static std::optional<BufferRole> parseBufferRoleName(const std::string &name) {
  for (BufferRole role : kRoles)
    if (name == getBufferRoleName(role))
      return role;
  return std::nullopt;
}

static std::optional<DType> parseDType(const std::string &name) {
  return parseDTypeName(name);
}

/// "0x" and 8 or 16 hexadecimal digits.
static std::string hexBits(uint64_t bits, int digits) {
  static const char *hex = "0123456789abcdef";
  std::string s = "0x";
  for (int i = digits - 1; i >= 0; --i)
    s += hex[(bits >> (4 * i)) & 0xf];
  return s;
}

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
  /// The message for an unknown name.
  std::string (*unknown)(const std::string &);
};

static const EnumNames<BufferRole> kRoleNames = {
    getBufferRoleName, parseBufferRoleName,
    [](const std::string &name) { return "unknown role '" + name + "'"; }};
static const EnumNames<DType> kDTypeNames = {
    getDTypeName, parseDType,
    [](const std::string &name) { return "unknown dtype '" + name + "'"; }};
static const EnumNames<Layout> kLayoutNames = {
    getLayoutName, parseLayoutName, [](const std::string &) {
      return std::string("expected \"nchw\" or \"nhwc\"");
    }};

/// Scalar launch arguments by JSON key; floats are exact bit patterns
/// ("0x3f800000"), so that infinities and every rounding survive.
static const std::pair<LaunchArg::Kind, const char *> kScalarKinds[] = {
    {LaunchArg::Kind::I32, "i32"},
    {LaunchArg::Kind::I64, "i64"},
    {LaunchArg::Kind::F32, "f32"},
    {LaunchArg::Kind::F64, "f64"}};

//===----------------------------------------------------------------------===//
// The two directions
//===----------------------------------------------------------------------===//

namespace {

/// Writes the members a mapping names into a JSON object, in its order.
class PlanWriter {
public:
  explicit PlanWriter(JsonValue &object) : object(&object) {}

  template <class Check = AnyValue>
  void field(const char *key, std::string &v, Check = {}) {
    set(key, v);
  }
  void field(const char *key, int64_t &v, int64_t = 0) { set(key, v); }
  void field(const char *key, bool &v) { set(key, v); }
  void field(const char *key, double &v) { set(key, v); }
  void field(const char *key, std::vector<int64_t> &v) { set(key, v); }
  template <class Check = AnyValue>
  void field(const char *key, std::vector<std::string> &v, Check = {}) {
    set(key, v);
  }
  template <size_t N, class Check>
  void field(const char *key, std::array<int64_t, N> &v, Check) {
    set(key, std::vector<int64_t>(v.begin(), v.end()));
  }
  void oneOf(const char *key, std::string &v,
             std::initializer_list<const char *>) {
    set(key, v);
  }
  template <class E, class Check = AnyValue>
  void named(const char *key, E &v, const EnumNames<E> &names, Check = {}) {
    set(key, names.getName(v));
  }
  /// A member written only when it differs from `absent`.
  template <class E, class Check>
  void optionalNamed(const char *key, E &v, E absent, const EnumNames<E> &names,
                     Check) {
    if (v != absent)
      set(key, names.getName(v));
  }
  void intBits(const char *key, uint64_t &bits, int width) {
    if (width == 32)
      set(key, static_cast<int32_t>(bits));
    else
      set(key, static_cast<int64_t>(bits));
  }
  void floatBits(const char *key, uint64_t &bits, int digits) {
    set(key, hexBits(bits, digits));
  }

  template <class T, class Map>
  void list(const char *key, std::vector<T> &items, Map map) {
    JsonValue array = JsonValue::array();
    for (T &item : items) {
      JsonValue element = JsonValue::object();
      PlanWriter inner(element);
      map(inner, item);
      array.push_back(std::move(element));
    }
    set(key, std::move(array));
  }
  /// A list written only when it is not empty.
  template <class T, class Map>
  void optionalList(const char *key, std::vector<T> &items, Map map) {
    if (!items.empty())
      list(key, items, map);
  }
  /// An object written only when `present`.
  template <class Map>
  void optionalObject(const char *key, bool present, Map map,
                      const char * = nullptr) {
    if (!present)
      return;
    JsonValue element = JsonValue::object();
    PlanWriter inner(element);
    map(inner);
    set(key, std::move(element));
  }

  /// Whether the value has member `key` (for the writer: the mapping's own
  /// choice, passed as `written`).
  bool has(const char *, bool written) const { return written; }
  template <class F> void check(F) {}
  void fail(const std::string &) {}
  void failAt(const char *, const std::string &) {}
  bool failed() const { return false; }

private:
  template <class T> void set(const char *key, T &&value) {
    (*object)[key] = std::forward<T>(value);
  }

  JsonValue *object;
};

/// Reads and checks the members a mapping names from a JSON object. After
/// the first failure every operation does nothing; that failure, with the
/// path of the member, is the result.
class PlanReader {
public:
  PlanReader(const JsonValue &object, const std::string &source)
      : object(&object), prefix(source + ": plan: ") {}

  std::optional<Error> error;

  template <class Check = AnyValue>
  void field(const char *key, std::string &v, Check check = {}) {
    const JsonValue *j = member(key);
    if (!j)
      return;
    if (!j->is_string())
      return failAt(key, "expected a string");
    v = j->get_ref<const std::string &>();
    if (CheckResult wrong = check(v))
      failAt(key, *wrong);
  }
  void field(const char *key, int64_t &v, int64_t min = 0) {
    const JsonValue *j = member(key);
    if (!j)
      return;
    std::optional<int64_t> i = getJsonInteger(*j);
    if (!i || *i < min)
      return failAt(key, "expected an integer >= " + std::to_string(min));
    v = *i;
  }
  void field(const char *key, bool &v) {
    const JsonValue *j = member(key);
    if (!j)
      return;
    if (!j->is_boolean())
      return failAt(key, "expected true or false");
    v = j->get<bool>();
  }
  void field(const char *key, double &v) {
    const JsonValue *j = member(key);
    if (!j)
      return;
    if (!j->is_number())
      return failAt(key, "expected a number");
    v = j->get<double>();
  }
  void field(const char *key, std::vector<int64_t> &v) {
    const JsonValue *j = member(key);
    if (!j)
      return;
    if (!j->is_array())
      return failAt(key, "expected an array of integers");
    v.clear();
    for (const JsonValue &x : *j) {
      std::optional<int64_t> i = getJsonInteger(x);
      if (!i || *i < 0) {
        v.clear();
        return failAt(key, "expected non-negative integers");
      }
      v.push_back(*i);
    }
  }
  /// A list of strings, each checked by `check`.
  template <class Check = AnyValue>
  void field(const char *key, std::vector<std::string> &v, Check check = {}) {
    const JsonValue *j = member(key);
    if (!j)
      return;
    if (!j->is_array())
      return failAt(key, "expected an array of strings");
    v.clear();
    for (const JsonValue &e : *j) {
      if (!e.is_string())
        return failAt(key, "expected an array of strings");
      const std::string &text = e.get_ref<const std::string &>();
      if (CheckResult wrong = check(text))
        return failAt(key, *wrong);
      v.push_back(text);
    }
  }
  /// A fixed number of integers; `check` sees the list as read (of any
  /// length) before it is stored.
  template <size_t N, class Check>
  void field(const char *key, std::array<int64_t, N> &v, Check check) {
    std::vector<int64_t> list;
    field(key, list);
    if (error)
      return;
    if (CheckResult wrong = check(list))
      return failAt(key, *wrong);
    std::copy(list.begin(), list.end(), v.begin());
  }
  void oneOf(const char *key, std::string &v,
             std::initializer_list<const char *> allowed) {
    field(key, v);
    if (error)
      return;
    std::string names;
    for (const char *a : allowed) {
      if (v == a)
        return;
      names += std::string(names.empty() ? "" : ", ") + a;
    }
    failAt(key, "unknown value '" + v + "' (" + names + ")");
  }
  template <class E, class Check = AnyValue>
  void named(const char *key, E &v, const EnumNames<E> &names,
             Check check = {}) {
    std::string name;
    field(key, name);
    if (error)
      return;
    std::optional<E> value = names.parse(name);
    if (!value)
      return failAt(key, names.unknown(name));
    if (CheckResult wrong = check(*value))
      return failAt(key, *wrong);
    v = *value;
  }
  template <class E, class Check>
  void optionalNamed(const char *key, E &v, E, const EnumNames<E> &names,
                     Check check) {
    if (error)
      return;
    const JsonValue *j = getJsonMember(*object, key);
    if (!j)
      return;
    if (!j->is_string())
      return failAt(key, names.unknown(""));
    named(key, v, names, check);
  }
  void intBits(const char *key, uint64_t &bits, int width) {
    const JsonValue *j = member(key);
    if (!j)
      return;
    std::optional<int64_t> i = getJsonInteger(*j);
    if (!i || (width == 32 && (*i < INT32_MIN || *i > INT32_MAX)))
      failAt(key, "expected an integer of that width");
    bits = static_cast<uint64_t>(i.value_or(0));
    if (width == 32)
      bits &= 0xffffffffu;
  }
  void floatBits(const char *key, uint64_t &bits, int digits) {
    const JsonValue *j = member(key);
    if (!j)
      return;
    std::optional<uint64_t> value =
        j->is_string() ? parseHexBits(j->get_ref<const std::string &>(), digits)
                       : std::nullopt;
    if (!value)
      failAt(key, "expected the value's bits as \"0x\" and " +
                      std::to_string(digits) + " hexadecimal digits");
    bits = value.value_or(0);
  }

  template <class T, class Map>
  void list(const char *key, std::vector<T> &items, Map map) {
    const JsonValue *j = member(key);
    if (!j)
      return;
    readList(key, *j, items, map);
  }
  template <class T, class Map>
  void optionalList(const char *key, std::vector<T> &items, Map map) {
    if (error)
      return;
    if (const JsonValue *j = getJsonMember(*object, key))
      readList(key, *j, items, map);
  }
  /// Reads the object `key` when present. With `summary`, any failure in
  /// it reads `key: summary`.
  template <class Map>
  void optionalObject(const char *key, bool, Map map,
                      const char *summary = nullptr) {
    if (error)
      return;
    const JsonValue *j = getJsonMember(*object, key);
    if (!j)
      return;
    if (!j->is_object())
      return failAt(key, summary ? summary : "expected an object");
    PlanReader inner(*j, *this, key);
    map(inner);
    if (inner.error)
      error = summary ? Error(prefix + join(key) + ": " + summary)
                      : std::move(inner.error);
  }

  bool has(const char *key, bool) const {
    return getJsonMember(*object, key) != nullptr;
  }
  /// Runs `f` unless a member has failed.
  template <class F> void check(F f) {
    if (!error)
      f();
  }
  /// Fails at the current object: `path: message` (`message` at the top).
  void fail(const std::string &message) {
    if (!error)
      error = Error(prefix + (path.empty() ? "" : path + ": ") + message);
  }
  /// Fails at member `key`: `path.key: message`.
  void failAt(const char *key, const std::string &message) {
    if (!error)
      error = Error(prefix + join(key) + ": " + message);
  }
  bool failed() const { return error.has_value(); }

private:
  PlanReader(const JsonValue &object, const PlanReader &parent,
             const std::string &name)
      : object(&object), prefix(parent.prefix), path(parent.join(name)) {}

  std::string join(const std::string &key) const {
    return path.empty() ? key : path + "." + key;
  }

  /// The member `key`, or null (failing) when it is missing.
  const JsonValue *member(const char *key) {
    if (error)
      return nullptr;
    const JsonValue *j = getJsonMember(*object, key);
    if (!j)
      failAt(key, "missing");
    return j;
  }

  template <class T, class Map>
  void readList(const char *key, const JsonValue &j, std::vector<T> &items,
                Map map) {
    if (!j.is_array())
      return failAt(key, "expected an array");
    items.clear();
    for (size_t i = 0; i < j.size() && !error; ++i) {
      std::string name = std::string(key) + "[" + std::to_string(i) + "]";
      if (!j[i].is_object())
        return failAt(name.c_str(), "expected an object");
      PlanReader inner(j[i], *this, name);
      T item;
      map(inner, item);
      if (inner.error) {
        error = std::move(inner.error);
        return;
      }
      items.push_back(std::move(item));
    }
  }

  const JsonValue *object;
  std::string prefix, path;
};

} // namespace

//===----------------------------------------------------------------------===//
// The mapping
//===----------------------------------------------------------------------===//

/// A buffer: where it lies in the arena and what it holds. The runtime reads
/// and writes inputs, parameters, state and velocities in the logical order
/// (images, checkpoints); only the kernels' own buffers may be nhwc.
template <class IO>
static void mapBuffer(IO &io, PlanBuffer &b, const Plan &plan) {
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
template <class IO>
static void mapLaunchArg(IO &io, LaunchArg &a, const Plan &plan) {
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
    if (!io.has(key, a.kind == kind))
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
template <class IO>
static void mapLaunch(IO &io, PlanLaunch &l, const Plan &plan) {
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

/// Whether the filter of call `name` (argument 1 of a forward or
/// backward-data call) may be stored in its own layout: oneDNN reorders
/// filters into its own layout anyway.
static bool keepsFilterLayout(const std::string &name) {
  return name == "onednn.conv2d_forward" ||
         name == "onednn.conv2d_backward_data";
}

/// A library call: a known name, its convolution attributes, and as many
/// step arguments as it takes, of rank 4 (bias: rank 1).
template <class IO>
static void mapLibraryCall(IO &io, LibraryCall &c, const PlanStep &step,
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
               !(i == 1 && keepsFilterLayout(c.name)))
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
template <class IO> static void mapStep(IO &io, PlanStep &s, const Plan &plan) {
  io.field("kernel", s.kernel);
  io.field("layer", s.layer);
  io.field("per_image", s.perImage);
  io.field("args", s.args);
  io.check([&] {
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

template <class IO>
static void mapEntry(IO &io, PlanEntry &e, const Plan &plan) {
  io.field("name", e.name);
  io.list("steps", e.steps,
          [&](auto &stepIO, PlanStep &s) { mapStep(stepIO, s, plan); });
}

/// The plan after its format and version.
template <class IO> static void mapPlan(IO &io, Plan &p) {
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
  io.optionalObject(
      "optimizer", p.findEntry("train_step") != nullptr,
      [&](auto &optIO) {
        optIO.field("name", p.optimizer,
                    [](const std::string &n) -> CheckResult {
                      if (n != "sgd" && n != "adamw")
                        return "unknown optimizer '" + n + "' (sgd or adamw)";
                      return std::nullopt;
                    });
        optIO.field("momentum", p.momentum);
        optIO.field("weight_decay", p.weightDecay);
        optIO.field("nesterov", p.nesterov);
        optIO.field("beta1", p.beta1);
        optIO.field("beta2", p.beta2);
        optIO.field("epsilon", p.epsilon);
      },
      /*summary=*/
      "expected name, momentum, weight_decay, nesterov, beta1, "
      "beta2 and epsilon");
  // CPU plans: the CPU the code is for and the extensions it may use.
  io.optionalObject("cpu", !p.cpu.empty(), [&](auto &cpuIO) {
    cpuIO.field("name", p.cpu);
    cpuIO.field(
        "features", p.cpuFeatures, [](const std::string &f) -> CheckResult {
          const std::vector<std::string> &known = getCheckedCPUFeatures();
          if (std::find(known.begin(), known.end(), f) == known.end())
            return "unknown feature '" + f +
                   "'; recompile the model with the matching "
                   "resnetc";
          return std::nullopt;
        });
  });
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

std::string resnetc::runtime::writePlan(const Plan &plan, bool pretty) {
  JsonValue json = JsonValue::object();
  json["format"] = "resnetc-plan";
  json["version"] = plan.version;
  PlanWriter writer(json);
  // The mapping takes the plan by reference for both directions; writing
  // only reads it.
  mapPlan(writer, const_cast<Plan &>(plan));
  return writeJson(json, pretty);
}

Expected<Plan> resnetc::runtime::parsePlan(const std::string &text,
                                           const std::string &source) {
  Expected<JsonValue> json = parseJson(text);
  if (!json)
    return Error(source + ": the embedded plan is not valid JSON: " +
                 json.error().message());
  if (!json->is_object())
    return Error(source + ": plan: expected a JSON object");
  const JsonValue *format = getJsonMember(*json, "format");
  if (!format || !format->is_string() ||
      format->get_ref<const std::string &>() != "resnetc-plan")
    return Error(source + ": not a resnetc artifact (no resnetc-plan)");
  PlanReader reader(*json, source);
  Plan plan;
  reader.field("version", plan.version);
  if (reader.error)
    return *reader.error;
  if (plan.version != kPlanVersion)
    return Error(source + ": plan version " + std::to_string(plan.version) +
                 " is not supported by this runtime, which reads version " +
                 std::to_string(kPlanVersion) +
                 "; recompile the model with the matching resnetc");
  mapPlan(reader, plan);
  if (reader.error)
    return *reader.error;
  return plan;
}
