//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
//
// The header dict is parsed by a small recursive-descent parser that accepts
// exactly the Python literals a .npy header can hold (strings, True/False,
// tuples of integers) instead of evaluating anything. See Npy.h.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Npy.h"

#include "resnetc/Runtime/FileIO.h"

#include <algorithm>
#include <cstring>
#include <optional>

using namespace resnetc::runtime;

static const char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicSize = 6;
/// numpy's ARRAY_ALIGN and GROWTH_AXIS_MAX_DIGITS (numpy/lib/format.py).
static constexpr size_t kArrayAlign = 64;
static constexpr size_t kGrowthAxisMaxDigits = 21;

/// The numpy `descr` of a dtype; null for BF16.
static const char *getNpyDescr(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "<f4";
  case DType::F16:
    return "<f2";
  case DType::I64:
    return "<i8";
  case DType::I32:
    return "<i4";
  case DType::U8:
    return "|u1";
  case DType::BF16:
    return nullptr;
  }
  return nullptr;
}

static std::optional<DType> parseNpyDescr(const std::string &descr) {
  for (DType d : {DType::F32, DType::F16, DType::I64, DType::I32, DType::U8})
    if (descr == getNpyDescr(d))
      return d;
  if (descr == "<u1")
    return DType::U8;
  return std::nullopt;
}

std::string resnetc::runtime::getNpyTypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "float32 ('<f4')";
  case DType::F16:
    return "float16 ('<f2')";
  case DType::I64:
    return "int64 ('<i8')";
  case DType::I32:
    return "int32 ('<i4')";
  case DType::U8:
    return "uint8 ('|u1')";
  case DType::BF16:
    return "bfloat16 (which numpy lacks)";
  }
  return "?";
}

/// "float32 ('<f4')", "int64 ('<i8') or int32 ('<i4')".
static std::string describeAccepted(const std::vector<DType> &accepted) {
  std::string s;
  for (size_t i = 0; i < accepted.size(); ++i)
    s += (i == 0                     ? ""
          : i + 1 == accepted.size() ? " or "
                                     : ", ") +
         getNpyTypeName(accepted[i]);
  return s;
}

/// Formats a shape the way Python prints a tuple: `()`, `(5,)`, `(2, 3)`.
static std::string formatTuple(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

namespace {

/// The value of one header key.
struct HeaderValue {
  enum class Kind { String, Bool, Tuple } kind = Kind::String;
  std::string string;
  bool boolean = false;
  std::vector<int64_t> tuple;
};

/// Parser of the header dict. Errors give the byte offset in the header.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text(text) {}

  /// Parses the dict into (key, value) pairs; the dict may be followed only
  /// by whitespace.
  bool parse(std::vector<std::pair<std::string, HeaderValue>> &out) {
    skipSpace();
    if (!expect('{'))
      return false;
    while (true) {
      skipSpace();
      if (peek() == '}') {
        ++pos;
        break;
      }
      std::string key;
      if (!parseString(key))
        return false;
      skipSpace();
      if (!expect(':'))
        return false;
      skipSpace();
      HeaderValue value;
      if (!parseValue(value))
        return false;
      out.emplace_back(std::move(key), std::move(value));
      skipSpace();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      if (!expect('}'))
        return false;
      break;
    }
    skipSpace();
    if (pos != text.size())
      return fail("unexpected characters after the dict");
    return true;
  }

  const std::string &getError() const { return error; }

private:
  std::string_view text;
  size_t pos = 0;
  std::string error;

  char peek() const { return pos < text.size() ? text[pos] : '\0'; }

  bool fail(const std::string &what) {
    error = "byte " + std::to_string(pos) + " of the header: " + what;
    return false;
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool expect(char c) {
    if (peek() != c || pos >= text.size())
      return fail(std::string("expected '") + c + "'");
    ++pos;
    return true;
  }

  bool parseString(std::string &out) {
    char quote = peek();
    if (quote != '\'' && quote != '"')
      return fail("expected a quoted string");
    ++pos;
    while (pos < text.size() && text[pos] != quote) {
      if (text[pos] == '\\' || text[pos] == '\n')
        return fail("unsupported character in string");
      out += text[pos++];
    }
    if (pos >= text.size())
      return fail("unterminated string");
    ++pos;
    return true;
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  bool parseInt(int64_t &out) {
    if (!isDigit(peek()))
      return fail("expected a non-negative integer");
    size_t start = pos;
    out = 0;
    while (isDigit(peek())) {
      int digit = text[pos] - '0';
      if (out > (INT64_MAX - digit) / 10) {
        pos = start;
        return fail("integer is too large");
      }
      out = out * 10 + digit;
      ++pos;
    }
    if (peek() == 'L') // Written by Python 2.
      ++pos;
    return true;
  }

  bool parseValue(HeaderValue &value) {
    char c = peek();
    if (c == '\'' || c == '"') {
      value.kind = HeaderValue::Kind::String;
      return parseString(value.string);
    }
    if (text.substr(pos, 4) == "True") {
      pos += 4;
      value.kind = HeaderValue::Kind::Bool;
      value.boolean = true;
      return true;
    }
    if (text.substr(pos, 5) == "False") {
      pos += 5;
      value.kind = HeaderValue::Kind::Bool;
      value.boolean = false;
      return true;
    }
    if (c == '(') {
      size_t start = pos;
      ++pos;
      value.kind = HeaderValue::Kind::Tuple;
      bool trailingComma = false;
      while (true) {
        skipSpace();
        if (peek() == ')') {
          ++pos;
          break;
        }
        int64_t dim;
        if (!parseInt(dim))
          return false;
        value.tuple.push_back(dim);
        skipSpace();
        trailingComma = false;
        if (peek() == ',') {
          ++pos;
          trailingComma = true;
          continue;
        }
        if (!expect(')'))
          return false;
        break;
      }
      // In Python `(3)` is an integer, not a tuple.
      if (value.tuple.size() == 1 && !trailingComma) {
        pos = start;
        return fail("expected a tuple, found a parenthesized integer");
      }
      return true;
    }
    if (c == '[')
      return fail("structured dtypes are not supported");
    return fail("expected a string, True, False or a tuple");
  }
};

} // namespace

Expected<HostTensor>
resnetc::runtime::parseNpy(const uint8_t *data, size_t size,
                           const std::string &file,
                           const std::vector<DType> &accepted) {
  if (size < kMagicSize || std::memcmp(data, kMagic, kMagicSize) != 0)
    return Error(file + ": not a .npy file (bad magic string)");
  if (size < 10)
    return Error(file + ": file is truncated in the .npy preamble");
  unsigned major = data[6], minor = data[7];
  std::string version = std::to_string(major) + "." + std::to_string(minor);
  if (!((major == 1 || major == 2) && minor == 0))
    return Error(file + ": unsupported .npy format version " + version +
                 " (supported: 1.0 and 2.0)");
  size_t lengthSize = major == 1 ? 2 : 4;
  size_t headerStart = 8 + lengthSize;
  if (size < headerStart)
    return Error(file + ": file is truncated in the .npy preamble");
  uint64_t headerLength = 0;
  for (size_t i = lengthSize; i-- > 0;)
    headerLength = (headerLength << 8) | data[8 + i];
  if (headerLength > size - headerStart)
    return Error(file + ": header length " + std::to_string(headerLength) +
                 " exceeds the file size (" + std::to_string(size) + " bytes)");
  std::string_view header(reinterpret_cast<const char *>(data) + headerStart,
                          static_cast<size_t>(headerLength));
  for (char c : header)
    if (static_cast<unsigned char>(c) >= 0x80 || c == '\0')
      return Error(file + ": header contains a non-ASCII byte");

  std::vector<std::pair<std::string, HeaderValue>> items;
  HeaderParser parser(header);
  if (!parser.parse(items))
    return Error(file + ": malformed header dict: " + parser.getError());

  const HeaderValue *descr = nullptr, *fortran = nullptr, *shape = nullptr;
  for (const auto &[key, value] : items) {
    const HeaderValue **slot = key == "descr"           ? &descr
                               : key == "fortran_order" ? &fortran
                               : key == "shape"         ? &shape
                                                        : nullptr;
    if (!slot)
      return Error(file + ": header has an unexpected key '" + key + "'");
    if (*slot)
      return Error(file + ": header repeats the key '" + key + "'");
    *slot = &value;
  }
  for (auto [value, name] :
       {std::pair{descr, "descr"}, std::pair{fortran, "fortran_order"},
        std::pair{shape, "shape"}})
    if (!value)
      return Error(file + ": header lacks the key '" + name + "'");
  if (descr->kind != HeaderValue::Kind::String)
    return Error(file + ": 'descr' is not a string");
  if (fortran->kind != HeaderValue::Kind::Bool)
    return Error(file + ": 'fortran_order' is not True or False");
  if (shape->kind != HeaderValue::Kind::Tuple)
    return Error(file + ": 'shape' is not a tuple of integers");

  std::optional<DType> dtype = parseNpyDescr(descr->string);
  if (!accepted.empty() &&
      (!dtype ||
       std::find(accepted.begin(), accepted.end(), *dtype) == accepted.end()))
    return Error(file + ": the array's dtype is '" + descr->string +
                 "'; expected " + describeAccepted(accepted));
  if (!dtype) {
    if (!descr->string.empty() && descr->string[0] == '>')
      return Error(file + ": big-endian dtype '" + descr->string +
                   "' is not supported");
    return Error(file + ": unsupported dtype '" + descr->string +
                 "' (supported: <f4, <f2, <i8, <i4, |u1)");
  }
  if (fortran->boolean)
    return Error(file + ": arrays in Fortran order are not supported "
                        "(fortran_order is True); save a C-ordered array");

  uint64_t dataStart = headerStart + headerLength;
  uint64_t dataSize = size - dataStart;
  Expected<int64_t> expected = checkedByteSize(*dtype, shape->tuple);
  if (!expected)
    return expected.takeError().withPrefix(file);
  if (static_cast<uint64_t>(*expected) != dataSize)
    return Error(file + ": data is " + std::to_string(dataSize) +
                 " bytes but shape " + formatTuple(shape->tuple) + " of '" +
                 descr->string + "' needs " + std::to_string(*expected) +
                 (dataSize < static_cast<uint64_t>(*expected)
                      ? " (the file is truncated)"
                      : ""));

  HostTensor tensor;
  tensor.dtype = *dtype;
  tensor.shape = shape->tuple;
  tensor.bytes.assign(data + dataStart, data + size);
  return tensor;
}

Expected<HostTensor>
resnetc::runtime::readNpy(const std::string &path,
                          const std::vector<DType> &accepted) {
  Expected<std::vector<uint8_t>> bytes = readFileBytes(path);
  if (!bytes)
    return bytes.takeError();
  return parseNpy(bytes->data(), bytes->size(), path, accepted);
}

/// The magic, version, header length and padded header, as numpy.save
/// writes them.
static std::string makeNpyPreamble(const char *descr,
                                   const std::vector<int64_t> &shape) {
  std::string dict =
      std::string("{'descr': '") + descr +
      "', 'fortran_order': False, 'shape': " + formatTuple(shape) + ", }";
  if (!shape.empty()) {
    size_t digits = std::to_string(shape[0]).size();
    dict.append(
        kGrowthAxisMaxDigits > digits ? kGrowthAxisMaxDigits - digits : 0, ' ');
  }
  for (unsigned major : {1u, 2u}) {
    size_t lengthSize = major == 1 ? 2 : 4;
    size_t hlen = dict.size() + 1; // With the final newline.
    size_t padding =
        kArrayAlign - (kMagicSize + 2 + lengthSize + hlen) % kArrayAlign;
    uint64_t total = hlen + padding;
    if (major == 1 && total > 0xffff)
      continue;
    std::string out(kMagic, kMagicSize);
    out += static_cast<char>(major);
    out += '\0';
    for (size_t i = 0; i < lengthSize; ++i)
      out += static_cast<char>((total >> (8 * i)) & 0xff);
    out += dict;
    out.append(padding, ' ');
    out += '\n';
    return out;
  }
  return std::string();
}

static Expected<std::string> prepareNpy(const HostTensor &tensor,
                                        const std::string &file) {
  const char *descr = getNpyDescr(tensor.dtype);
  if (!descr)
    return Error(file + ": dtype " + getDTypeName(tensor.dtype) +
                 " has no NumPy equivalent");
  Expected<int64_t> size = checkedByteSize(tensor.dtype, tensor.shape);
  if (!size)
    return size.takeError().withPrefix(file);
  if (static_cast<uint64_t>(*size) != tensor.bytes.size())
    return Error(
        file + ": tensor holds " + std::to_string(tensor.bytes.size()) +
        " bytes but shape " + formatShape(tensor.shape) + " of " +
        getDTypeName(tensor.dtype) + " needs " + std::to_string(*size));
  return makeNpyPreamble(descr, tensor.shape);
}

Expected<std::vector<uint8_t>>
resnetc::runtime::serializeNpy(const HostTensor &tensor,
                               const std::string &displayName) {
  Expected<std::string> preamble = prepareNpy(tensor, displayName);
  if (!preamble)
    return preamble.takeError();
  std::vector<uint8_t> out(preamble->begin(), preamble->end());
  out.insert(out.end(), tensor.bytes.begin(), tensor.bytes.end());
  return out;
}

Status resnetc::runtime::writeNpy(const std::string &path,
                                  const HostTensor &tensor) {
  Expected<std::string> preamble = prepareNpy(tensor, path);
  if (!preamble)
    return preamble.takeError();
  return writeFileAtomically(path,
                             {{preamble->data(), preamble->size()},
                              {tensor.bytes.data(), tensor.bytes.size()}});
}
