//===- SafeTensors.cpp - Reading and writing .safetensors files -----------===//
//
// The header is validated completely (and the data section's layout checked)
// before any tensor memory is allocated; only then are the tensors' bytes
// copied or read. See SafeTensors.h for the format.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/SafeTensors.h"

#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/Json.h"

#include <algorithm>
#include <cstring>

using namespace resnetc::runtime;

const HostTensor *SafeTensorsFile::find(const std::string &name) const {
  for (const auto &entry : tensors)
    if (entry.first == name)
      return &entry.second;
  return nullptr;
}

namespace {

/// One validated header entry.
struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin;
  uint64_t end;
};

/// A validated header.
struct Layout {
  std::vector<Entry> entries; ///< In header order.
  SafeTensorsMetadata metadata;
};

} // namespace

static std::string quote(const std::string &name) { return "'" + name + "'"; }

static std::string describeKind(const JsonValue &value) {
  return (value.is_array() || value.is_object() ? "an " : "a ") +
         std::string(value.type_name());
}

static std::string formatOffsets(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

/// Checks the 8-byte length prefix against the file size; returns N.
static Expected<uint64_t> checkHeaderLength(const uint8_t *prefix,
                                            uint64_t fileSize,
                                            const std::string &file) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | prefix[i];
  if (n > kSafeTensorsMaxHeaderSize)
    return Error(file + ": header length " + std::to_string(n) +
                 " exceeds the limit of " +
                 std::to_string(kSafeTensorsMaxHeaderSize) + " bytes");
  if (n > fileSize - 8)
    return Error(file + ": header length " + std::to_string(n) +
                 " exceeds the file size (" + std::to_string(fileSize) +
                 " bytes)");
  return n;
}

/// Reads a JSON array of non-negative integers into `out`.
static bool getNonNegativeInts(const JsonValue &value,
                               std::vector<int64_t> &out) {
  if (!value.is_array())
    return false;
  for (const JsonValue &item : value) {
    std::optional<int64_t> i = getJsonInteger(item);
    if (!i || *i < 0)
      return false;
    out.push_back(*i);
  }
  return true;
}

static Expected<Entry> parseEntry(const std::string &name,
                                  const JsonValue &value, uint64_t dataSize,
                                  const std::string &file) {
  std::string where = file + ": tensor " + quote(name) + ": ";
  if (!value.is_object())
    return Error(where + "entry is " + describeKind(value) +
                 ", expected an object");
  Entry entry;
  entry.name = name;

  const JsonValue *dtype = getJsonMember(value, "dtype");
  if (!dtype)
    return Error(where + "missing 'dtype'");
  if (!dtype->is_string())
    return Error(where + "'dtype' is " + describeKind(*dtype) +
                 ", expected a string");
  const std::string &dtypeName = dtype->get_ref<const std::string &>();
  std::optional<DType> parsed = parseDTypeName(dtypeName);
  if (!parsed)
    return Error(where + "unsupported dtype " + quote(dtypeName) +
                 " (supported: " + getSupportedDTypeNames() + ")");
  entry.dtype = *parsed;

  const JsonValue *shape = getJsonMember(value, "shape");
  if (!shape)
    return Error(where + "missing 'shape'");
  if (!getNonNegativeInts(*shape, entry.shape))
    return Error(where +
                 "'shape' must be an array of non-negative integers, "
                 "got " +
                 writeJson(*shape));

  const JsonValue *offsets = getJsonMember(value, "data_offsets");
  if (!offsets)
    return Error(where + "missing 'data_offsets'");
  std::vector<int64_t> range;
  if (!getNonNegativeInts(*offsets, range) || range.size() != 2)
    return Error(where +
                 "'data_offsets' must be an array of two "
                 "non-negative integers, got " +
                 writeJson(*offsets));
  entry.begin = static_cast<uint64_t>(range[0]);
  entry.end = static_cast<uint64_t>(range[1]);
  std::string offsetText = formatOffsets(entry.begin, entry.end);
  if (entry.begin > entry.end)
    return Error(where + "data_offsets " + offsetText +
                 " are reversed (begin > end)");
  if (entry.end > dataSize)
    return Error(where + "data_offsets " + offsetText +
                 " extend past the end of the data section (" +
                 std::to_string(dataSize) + " bytes)");

  Expected<int64_t> bytes = checkedByteSize(entry.dtype, entry.shape);
  if (!bytes)
    return bytes.takeError().withPrefix(file + ": tensor " + quote(name));
  if (static_cast<uint64_t>(*bytes) != entry.end - entry.begin)
    return Error(where + "data_offsets " + offsetText + " do not match shape " +
                 formatShape(entry.shape) + " of " + getDTypeName(entry.dtype) +
                 " (" + std::to_string(*bytes) + " bytes)");
  return entry;
}

static Expected<Layout> parseHeader(std::string_view header, uint64_t dataSize,
                                    const std::string &file) {
  Expected<JsonValue> json = parseJson(header);
  if (!json)
    return json.takeError().withPrefix(file + ": header is not valid JSON");
  if (!json->is_object())
    return Error(file + ": header is " + describeKind(*json) +
                 ", expected an object");

  Layout layout;
  for (const auto &[key, value] : json->items()) {
    if (key == "__metadata__") {
      if (!value.is_object())
        return Error(file + ": '__metadata__' is " + describeKind(value) +
                     ", expected an object mapping strings to strings");
      for (const auto &[metaKey, metaValue] : value.items()) {
        if (!metaValue.is_string())
          return Error(file + ": '__metadata__' entry " + quote(metaKey) +
                       " is " + describeKind(metaValue) +
                       ", expected a string");
        layout.metadata.emplace_back(metaKey,
                                     metaValue.get<std::string>());
      }
      continue;
    }
    Expected<Entry> entry = parseEntry(key, value, dataSize, file);
    if (!entry)
      return entry.takeError();
    layout.entries.push_back(entry.take());
  }

  // The tensors must tile the data section: no overlaps, no holes, nothing
  // after the last one (the reference implementation rejects all three).
  std::vector<const Entry *> byOffset;
  for (const Entry &e : layout.entries)
    byOffset.push_back(&e);
  std::stable_sort(
      byOffset.begin(), byOffset.end(), [](const Entry *a, const Entry *b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
      });
  uint64_t covered = 0;
  const Entry *previous = nullptr;
  for (const Entry *e : byOffset) {
    if (e->begin < covered)
      return Error(file + ": tensors " + quote(previous->name) +
                   " (data_offsets " +
                   formatOffsets(previous->begin, previous->end) + ") and " +
                   quote(e->name) + " (data_offsets " +
                   formatOffsets(e->begin, e->end) + ") overlap");
    if (e->begin > covered)
      return Error(file + ": data bytes [" + std::to_string(covered) + ", " +
                   std::to_string(e->begin) +
                   ") are not covered by any tensor (the next tensor is " +
                   quote(e->name) + ")");
    covered = e->end;
    if (e->end > e->begin)
      previous = e;
  }
  if (covered != dataSize)
    return Error(file + ": data section is " + std::to_string(dataSize) +
                 " bytes but the tensors cover only the first " +
                 std::to_string(covered));
  return layout;
}

Expected<SafeTensorsFile>
resnetc::runtime::parseSafeTensors(const uint8_t *data, size_t size,
                                   const std::string &displayName) {
  if (size < 8)
    return Error(displayName + ": file is too short (" + std::to_string(size) +
                 " bytes) to hold the 8-byte header length");
  Expected<uint64_t> n = checkHeaderLength(data, size, displayName);
  if (!n)
    return n.takeError();
  uint64_t dataStart = 8 + *n;
  std::string_view header(reinterpret_cast<const char *>(data) + 8,
                          static_cast<size_t>(*n));
  Expected<Layout> layout = parseHeader(header, size - dataStart, displayName);
  if (!layout)
    return layout.takeError();

  SafeTensorsFile result;
  result.metadata = std::move(layout->metadata);
  for (Entry &e : layout->entries) {
    HostTensor t;
    t.dtype = e.dtype;
    t.shape = std::move(e.shape);
    t.bytes.assign(data + dataStart + e.begin, data + dataStart + e.end);
    result.tensors.emplace_back(std::move(e.name), std::move(t));
  }
  return result;
}

Expected<SafeTensorsFile>
resnetc::runtime::readSafeTensors(const std::string &path) {
  Expected<InputFile> file = InputFile::open(path);
  if (!file)
    return file.takeError();
  uint64_t size = file->getSize();
  if (size < 8)
    return Error(path + ": file is too short (" + std::to_string(size) +
                 " bytes) to hold the 8-byte header length");
  uint8_t prefix[8];
  if (Status st = file->readAt(0, prefix, 8); !st)
    return st.takeError();
  Expected<uint64_t> n = checkHeaderLength(prefix, size, path);
  if (!n)
    return n.takeError();
  std::string header(static_cast<size_t>(*n), '\0');
  if (Status st = file->readAt(8, header.data(), header.size()); !st)
    return st.takeError();
  uint64_t dataStart = 8 + *n;
  Expected<Layout> layout = parseHeader(header, size - dataStart, path);
  if (!layout)
    return layout.takeError();

  SafeTensorsFile result;
  result.metadata = std::move(layout->metadata);
  for (Entry &e : layout->entries) {
    HostTensor t;
    t.dtype = e.dtype;
    t.shape = std::move(e.shape);
    t.bytes.resize(static_cast<size_t>(e.end - e.begin));
    if (Status st =
            file->readAt(dataStart + e.begin, t.bytes.data(), t.bytes.size());
        !st)
      return st.takeError();
    result.tensors.emplace_back(std::move(e.name), std::move(t));
  }
  return result;
}

namespace {
/// A header ready to write, and the order in which the data follows it.
struct PreparedHeader {
  std::string text; ///< JSON plus the space padding.
  std::vector<size_t> order;
};
} // namespace

static Expected<PreparedHeader>
prepareHeader(const NamedTensors &tensors, const SafeTensorsMetadata &metadata,
              const std::string &file) {
  PreparedHeader prepared;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto &[name, tensor] = tensors[i];
    if (name.empty())
      return Error(file + ": tensor " + std::to_string(i) +
                   " has an empty name");
    if (name == "__metadata__")
      return Error(file + ": '__metadata__' cannot be used as a tensor name");
    Expected<int64_t> size = checkedByteSize(tensor.dtype, tensor.shape);
    if (!size)
      return size.takeError().withPrefix(file + ": tensor " + quote(name));
    if (static_cast<uint64_t>(*size) != tensor.bytes.size())
      return Error(file + ": tensor " + quote(name) + " holds " +
                   std::to_string(tensor.bytes.size()) + " bytes but shape " +
                   formatShape(tensor.shape) + " of " +
                   getDTypeName(tensor.dtype) + " needs " +
                   std::to_string(*size));
    prepared.order.push_back(i);
  }
  // Like the reference implementation, lay the tensors out sorted by name.
  std::stable_sort(
      prepared.order.begin(), prepared.order.end(),
      [&](size_t a, size_t b) { return tensors[a].first < tensors[b].first; });
  for (size_t i = 1; i < prepared.order.size(); ++i)
    if (tensors[prepared.order[i]].first ==
        tensors[prepared.order[i - 1]].first)
      return Error(file + ": tensor " +
                   quote(tensors[prepared.order[i]].first) +
                   " appears more than once");

  JsonValue header = JsonValue::object();
  if (!metadata.empty()) {
    JsonValue meta = JsonValue::object();
    for (const auto &[key, value] : metadata) {
      if (meta.contains(key))
        return Error(file + ": metadata key " + quote(key) +
                     " appears more than once");
      meta[key] = value;
    }
    header["__metadata__"] = std::move(meta);
  }
  uint64_t offset = 0;
  for (size_t index : prepared.order) {
    const auto &[name, tensor] = tensors[index];
    uint64_t end = offset + tensor.bytes.size();
    JsonValue entry = JsonValue::object();
    entry["dtype"] = getDTypeName(tensor.dtype);
    entry["shape"] = tensor.shape;
    entry["data_offsets"] = {offset, end};
    // Names are unique (checked above): append without a lookup.
    header.get_ref<JsonValue::object_t &>().emplace_back(name,
                                                         std::move(entry));
    offset = end;
  }
  prepared.text = writeJson(header);
  // Pad with spaces so that the data section starts 8-byte aligned.
  prepared.text.append((8 - prepared.text.size() % 8) % 8, ' ');
  return prepared;
}

static void encodeLength(uint64_t n, uint8_t out[8]) {
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<uint8_t>(n >> (8 * i));
}

Expected<std::vector<uint8_t>>
resnetc::runtime::serializeSafeTensors(const NamedTensors &tensors,
                                       const SafeTensorsMetadata &metadata,
                                       const std::string &displayName) {
  Expected<PreparedHeader> header =
      prepareHeader(tensors, metadata, displayName);
  if (!header)
    return header.takeError();
  uint8_t prefix[8];
  encodeLength(header->text.size(), prefix);
  std::vector<uint8_t> out(prefix, prefix + 8);
  out.insert(out.end(), header->text.begin(), header->text.end());
  for (size_t index : header->order)
    out.insert(out.end(), tensors[index].second.bytes.begin(),
               tensors[index].second.bytes.end());
  return out;
}

Status resnetc::runtime::writeSafeTensors(const std::string &path,
                                          const NamedTensors &tensors,
                                          const SafeTensorsMetadata &metadata) {
  Expected<PreparedHeader> header = prepareHeader(tensors, metadata, path);
  if (!header)
    return header.takeError();
  uint8_t prefix[8];
  encodeLength(header->text.size(), prefix);
  std::vector<ByteChunk> chunks = {{prefix, 8},
                                   {header->text.data(), header->text.size()}};
  for (size_t index : header->order) {
    const auto &bytes = tensors[index].second.bytes;
    chunks.push_back({bytes.data(), bytes.size()});
  }
  return writeFileAtomically(path, chunks);
}
