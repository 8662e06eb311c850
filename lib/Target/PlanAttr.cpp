//===- PlanAttr.cpp - The execution plan carried in the IR ----------------===//
//
// See PlanAttr.h. The two attribute IOs of the plan's mapping
// (PlanMapping.h), which the JSON form shares: AttrWriter builds the
// dictionaries, AttrReader reads them back. They differ from the JSON IOs
// where the attribute does: data types are written in lower case, as MLIR
// writes element types (f32, bf16, i64, u8); a step's kernel is a symbol
// reference; a scalar launch argument is `{kind = "i32", bits = N}`; the
// optimizer and the CPU are fields of the plan, not objects (IRForm); and
// the reader runs none of the JSON reader's checks, only that every buffer
// index names a buffer, so that hand-written plans in tests stay short.
// Fields with their default value are left out of a step (no library call,
// no launches) and of a buffer (NCHW layout), as in JSON.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/PlanAttr.h"
#include "resnetc/Runtime/PlanMapping.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;
using namespace resnetc::runtime::planmap;

/// The name of an enumeration's value in the attribute.
template <class E>
static std::string getIRName(E v, const EnumNames<E> &names) {
  if constexpr (std::is_same_v<E, DType>)
    return StringRef(names.getName(v)).lower();
  return names.getName(v);
}

/// The value an enumeration's name in the attribute names, if any.
template <class E>
static std::optional<E> parseIRName(const std::string &name,
                                    const EnumNames<E> &names) {
  if constexpr (std::is_same_v<E, DType>)
    return names.parse(StringRef(name).upper());
  return names.parse(name);
}

//===----------------------------------------------------------------------===//
// Plan -> attribute
//===----------------------------------------------------------------------===//

namespace {
/// Appends the fields a mapping names to a dictionary's attributes.
class AttrWriter {
public:
  AttrWriter(Builder &b, NamedAttrList &attrs) : b(b), attrs(attrs) {}

  template <class Check = AnyValue>
  void field(Key key, std::string &v, Check = {}) {
    set(key, b.getStringAttr(v));
  }
  void field(Key key, int64_t &v, int64_t = 0) {
    set(key, b.getI64IntegerAttr(v));
  }
  void field(Key key, bool &v) { set(key, b.getBoolAttr(v)); }
  void field(Key key, double &v) { set(key, b.getF64FloatAttr(v)); }
  void field(Key key, std::vector<int64_t> &v) {
    set(key, b.getDenseI64ArrayAttr(v));
  }
  template <class Check = AnyValue>
  void field(Key key, std::vector<std::string> &v, Check = {}) {
    SmallVector<Attribute> strings;
    for (const std::string &s : v)
      strings.push_back(b.getStringAttr(s));
    set(key, b.getArrayAttr(strings));
  }
  template <size_t N, class Check>
  void field(Key key, std::array<int64_t, N> &v, Check) {
    set(key, b.getDenseI64ArrayAttr(v));
  }
  void symbol(Key key, std::string &v) {
    set(key, FlatSymbolRefAttr::get(b.getContext(), v));
  }
  void oneOf(Key key, std::string &v, std::initializer_list<const char *>) {
    set(key, b.getStringAttr(v));
  }
  template <class E, class Check = AnyValue>
  void named(Key key, E &v, const EnumNames<E> &names, Check = {}) {
    set(key, b.getStringAttr(getIRName(v, names)));
  }
  template <class E, class Check>
  void optionalNamed(Key key, E &v, E absent, const EnumNames<E> &names,
                     Check) {
    if (v != absent)
      named(key, v, names);
  }
  void intBits(Key key, uint64_t &bits, int) { scalar(key, bits); }
  void floatBits(Key key, uint64_t &bits, int) { scalar(key, bits); }

  template <class T, class Map>
  void list(Key key, std::vector<T> &items, Map map) {
    SmallVector<Attribute> elements;
    for (T &item : items) {
      NamedAttrList element;
      AttrWriter inner(b, element);
      map(inner, item);
      elements.push_back(element.getDictionary(b.getContext()));
    }
    set(key, b.getArrayAttr(elements));
  }
  template <class T, class Map>
  void optionalList(Key key, std::vector<T> &items, Map map) {
    if (!items.empty())
      list(key, items, map);
  }
  template <class Map>
  void optionalObject(Key key, bool present, Map map, const char * = nullptr,
                      IRForm form = IRForm::Nested) {
    if (form == IRForm::FlatAlways || (present && form == IRForm::Flat))
      return map(*this);
    if (!present || form != IRForm::Nested)
      return;
    NamedAttrList object;
    AttrWriter inner(b, object);
    map(inner);
    set(key, object.getDictionary(b.getContext()));
  }

  bool has(Key, bool written) const { return written; }
  bool hasScalar(Key, bool written) const { return written; }
  template <class F> void check(F) {}
  void fail(const std::string &) {}
  void failAt(Key, const std::string &) {}
  bool failed() const { return false; }

private:
  void set(Key key, Attribute value) { attrs.append(key.irName, value); }
  /// `{kind = key, bits = N}`.
  void scalar(Key key, uint64_t bits) {
    attrs.append("kind", b.getStringAttr(key.name));
    attrs.append("bits", b.getI64IntegerAttr(static_cast<int64_t>(bits)));
  }

  Builder &b;
  NamedAttrList &attrs;
};
} // namespace

DictionaryAttr resnetc::getPlanAttr(MLIRContext *ctx, const Plan &plan) {
  Builder b(ctx);
  NamedAttrList attrs;
  AttrWriter writer(b, attrs);
  // The mapping takes the plan by reference for both directions; writing
  // only reads it.
  Plan &p = const_cast<Plan &>(plan);
  writer.field("version", p.version);
  mapPlan(writer, p);
  return attrs.getDictionary(ctx);
}

void resnetc::setPlan(ModuleOp module, const Plan &plan) {
  module->setAttr(kPlanAttrName, getPlanAttr(module.getContext(), plan));
}

//===----------------------------------------------------------------------===//
// Attribute -> plan
//===----------------------------------------------------------------------===//

namespace {
/// What the readers of one plan share: where errors go, and whether one
/// was reported (only the first is).
struct ReadState {
  function_ref<InFlightDiagnostic()> emitError;
  bool failed = false;
};

/// Reads the fields a mapping names from a dictionary; the first malformed
/// field is reported with its path (`rn.plan.entries[1].steps[3].args`), and
/// after it every operation does nothing.
class AttrReader {
public:
  AttrReader(DictionaryAttr dict, std::string path, ReadState &state)
      : dict(dict), path(std::move(path)), state(&state) {}

  template <class Check = AnyValue>
  void field(Key key, std::string &v, Check = {}) {
    if (auto s = get<StringAttr>(key, "must be a string"))
      v = s.str();
  }
  void field(Key key, int64_t &v, int64_t = 0) {
    Attribute a = lookup(key);
    if (!a)
      return;
    auto i = dyn_cast<IntegerAttr>(a);
    if (!i || !i.getType().isInteger(64))
      return failAt(key, "must be an i64 integer");
    v = i.getInt();
  }
  void field(Key key, bool &v) {
    if (auto a = get<BoolAttr>(key, "must be a boolean"))
      v = a.getValue();
  }
  void field(Key key, double &v) {
    Attribute a = lookup(key);
    if (!a)
      return;
    auto f = dyn_cast<FloatAttr>(a);
    if (!f || !f.getType().isF64())
      return failAt(key, "must be an f64 float");
    v = f.getValueAsDouble();
  }
  void field(Key key, std::vector<int64_t> &v) {
    if (auto a = get<DenseI64ArrayAttr>(key, "must be an array<i64>"))
      v.assign(a.asArrayRef().begin(), a.asArrayRef().end());
  }
  template <class Check = AnyValue>
  void field(Key key, std::vector<std::string> &v, Check = {}) {
    auto a = get<ArrayAttr>(key, "must be an array of strings");
    if (!a)
      return;
    v.clear();
    for (Attribute e : a) {
      auto s = dyn_cast<StringAttr>(e);
      if (!s)
        return failAt(key, "must be an array of strings");
      v.push_back(s.str());
    }
  }
  template <size_t N, class Check>
  void field(Key key, std::array<int64_t, N> &v, Check) {
    auto a = get<DenseI64ArrayAttr>(key, "must be an array<i64>");
    if (!a)
      return;
    if (a.size() != static_cast<int64_t>(N))
      return failAt(key, "must have " + std::to_string(N) + " values");
    std::copy(a.asArrayRef().begin(), a.asArrayRef().end(), v.begin());
  }
  void symbol(Key key, std::string &v) {
    if (auto s = get<FlatSymbolRefAttr>(key, "must be a symbol reference"))
      v = s.getValue().str();
  }
  void oneOf(Key key, std::string &v,
             std::initializer_list<const char *> allowed) {
    field(key, v);
    if (failed())
      return;
    std::string names;
    for (const char *a : allowed) {
      if (v == a)
        return;
      names += std::string(names.empty() ? "" : " or ") + "\"" + a + "\"";
    }
    failAt(key, "must be " + names);
  }
  template <class E, class Check = AnyValue>
  void named(Key key, E &v, const EnumNames<E> &names, Check = {}) {
    std::string name;
    field(key, name);
    if (failed())
      return;
    std::optional<E> value = parseIRName(name, names);
    if (!value)
      return failAt(key,
                    std::string("unknown ") + names.noun + " '" + name + "'");
    v = *value;
  }
  template <class E, class Check>
  void optionalNamed(Key key, E &v, E, const EnumNames<E> &names, Check) {
    if (has(key, false))
      named(key, v, names);
  }
  /// The bits of a scalar `{kind = key, bits = N}`, as written.
  void intBits(Key, uint64_t &bits, int) { readBits(bits); }
  void floatBits(Key, uint64_t &bits, int) { readBits(bits); }

  template <class T, class Map>
  void list(Key key, std::vector<T> &items, Map map) {
    auto a = get<ArrayAttr>(key, "must be an array");
    if (!a)
      return;
    items.clear();
    for (auto [i, element] : llvm::enumerate(a)) {
      std::string name =
          std::string(key.irName) + "[" + std::to_string(i) + "]";
      auto d = dyn_cast<DictionaryAttr>(element);
      if (!d)
        return failAt(name.c_str(), "must be a dictionary");
      AttrReader inner(d, join(name.c_str()), *state);
      T item;
      map(inner, item);
      if (failed())
        return;
      items.push_back(std::move(item));
    }
  }
  template <class T, class Map>
  void optionalList(Key key, std::vector<T> &items, Map map) {
    if (has(key, false))
      list(key, items, map);
  }
  template <class Map>
  void optionalObject(Key key, bool, Map map, const char * = nullptr,
                      IRForm form = IRForm::Nested) {
    if (form != IRForm::Nested)
      return map(*this);
    if (!has(key, false))
      return;
    if (auto d = get<DictionaryAttr>(key, "must be a dictionary")) {
      AttrReader inner(d, join(key.irName), *state);
      map(inner);
    }
  }

  bool has(Key key, bool) const {
    return !failed() && dict.get(key.irName) != nullptr;
  }
  /// Whether the scalar's kind is `key`.
  bool hasScalar(Key key, bool) {
    std::string kind;
    field("kind", kind);
    return !failed() && kind == key.name;
  }
  template <class F> void check(F) {}
  void fail(const std::string &message) { report(path, message); }
  void failAt(Key key, const std::string &message) {
    report(join(key.irName), message);
  }
  bool failed() const { return state->failed; }

private:
  std::string join(const char *key) const { return path + "." + key; }

  void report(const std::string &where, const std::string &message) {
    if (failed())
      return;
    state->failed = true;
    state->emitError() << "malformed execution plan: " << where << " "
                       << message;
  }

  /// The field `key`, or null: when missing (failing unless the attribute
  /// may leave it out) or after a failure.
  Attribute lookup(Key key) {
    if (failed())
      return {};
    Attribute a = dict.get(key.irName);
    if (!a && !key.irOptional)
      failAt(key, "is missing");
    return a;
  }

  /// The field `key` as a `T`, or null (failing with `message` when it is
  /// something else).
  template <class T> T get(Key key, const char *message) {
    Attribute a = lookup(key);
    if (!a)
      return {};
    auto t = dyn_cast<T>(a);
    if (!t)
      failAt(key, message);
    return t;
  }

  void readBits(uint64_t &bits) {
    int64_t value = 0;
    field("bits", value);
    bits = static_cast<uint64_t>(value);
  }

  DictionaryAttr dict;
  std::string path;
  ReadState *state;
};
} // namespace

/// Checks that every buffer index of `plan` names a buffer (the input and
/// output may be -1, none).
static LogicalResult
checkBufferIndices(const Plan &plan,
                   function_ref<InFlightDiagnostic()> emitError) {
  auto numBuffers = static_cast<int64_t>(plan.buffers.size());
  auto check = [&](const std::string &where, int64_t b,
                   bool allowNone) -> LogicalResult {
    if ((allowNone && b == -1) || (b >= 0 && b < numBuffers))
      return success();
    emitError() << "malformed execution plan: " << where << " buffer " << b
                << " does not exist";
    return failure();
  };
  if (failed(check("rn.plan.input", plan.input, true)) ||
      failed(check("rn.plan.output", plan.output, true)))
    return failure();
  for (auto [e, entry] : llvm::enumerate(plan.entries)) {
    for (auto [s, step] : llvm::enumerate(entry.steps)) {
      std::string where = "rn.plan.entries[" + std::to_string(e) + "].steps[" +
                          std::to_string(s) + "]";
      for (int64_t b : step.args)
        if (failed(check(where + ".args", b, false)))
          return failure();
      for (const PlanLaunch &launch : step.launches)
        for (const LaunchArg &arg : launch.args)
          if (arg.kind == LaunchArg::Kind::Buffer &&
              failed(check(where + ".launches", arg.buffer, false)))
            return failure();
    }
  }
  return success();
}

FailureOr<Plan>
resnetc::parsePlanAttr(Attribute attr,
                       function_ref<InFlightDiagnostic()> emitError) {
  auto dict = dyn_cast<DictionaryAttr>(attr);
  if (!dict) {
    emitError() << "malformed execution plan: rn.plan must be a dictionary";
    return failure();
  }
  ReadState state{emitError};
  AttrReader reader(dict, "rn.plan", state);
  Plan plan;
  reader.field("version", plan.version);
  mapPlan(reader, plan);
  if (reader.failed() || failed(checkBufferIndices(plan, emitError)))
    return failure();
  return plan;
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
