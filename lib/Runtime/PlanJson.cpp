//===- PlanJson.cpp - The plan's JSON form, declared once -----------------===//
//
// The two JSON IOs of the plan's mapping (PlanMapping.h): the same mapping
// functions write a plan (PlanWriter: the members in the mapping's order)
// and read one (PlanReader: every member checked, the first failure kept
// with its path, as in "model.so: plan: buffers[3].shape: expected an array
// of integers"). Checks across members and structs (bounds within the
// arena, arguments naming buffers) sit in the mapping as `io.check`, which
// only the reader runs.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Json.h"
#include "resnetc/Runtime/PlanMapping.h"

#include <algorithm>
#include <optional>

using namespace resnetc::runtime;
using namespace resnetc::runtime::planmap;

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
  void symbol(const char *key, std::string &v) { set(key, v); }
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
                      const char * = nullptr, IRForm = IRForm::Nested) {
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
  bool hasScalar(const char *, bool written) const { return written; }
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
  void symbol(const char *key, std::string &v) { field(key, v); }
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
                      const char *summary = nullptr, IRForm = IRForm::Nested) {
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
  bool hasScalar(const char *key, bool written) const {
    return has(key, written);
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
