//===- Npy.h - Reading and writing NumPy .npy files -------------*- C++ -*-===//
//
// The NumPy array file format: the magic string "\x93NUMPY", a version
// (1.0: 2-byte header length; 2.0: 4-byte header length), and an ASCII
// Python dict literal such as
//
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//
// padded with spaces and a newline, followed by the data. Supported dtypes
// are '<f4' (F32), '<f2' (F16), '<i8' (I64), '<i4' (I32) and '|u1' (U8), in
// C order only. The writer produces the same bytes as numpy.save: version
// 1.0 unless the header needs 2.0, header padded to a multiple of 64 bytes.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_NPY_H
#define RESNETC_RUNTIME_NPY_H

#include "resnetc/Runtime/Status.h"
#include "resnetc/Runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace resnetc::runtime {

/// Reads and validates a .npy file. With `accepted`, an array of any other
/// dtype (supported or not) is refused with one message naming the dtypes
/// accepted, in numpy's words ("expected float32 ('<f4')").
Expected<HostTensor> readNpy(const std::string &path,
                             const std::vector<DType> &accepted = {});

/// Parses a .npy file held in memory; `displayName` starts every error
/// message. `accepted` is as for readNpy.
Expected<HostTensor> parseNpy(const uint8_t *data, size_t size,
                              const std::string &displayName,
                              const std::vector<DType> &accepted = {});

/// How numpy names `dtype`, with its descr: "float32 ('<f4')".
std::string getNpyTypeName(DType dtype);

/// The bytes of a .npy file holding `tensor`. Fails for BF16, which NumPy
/// cannot represent, and for inconsistent tensors.
Expected<std::vector<uint8_t>> serializeNpy(const HostTensor &tensor,
                                            const std::string &displayName);

/// Writes `tensor` to `path` atomically (see writeFileAtomically).
Status writeNpy(const std::string &path, const HostTensor &tensor);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_NPY_H
