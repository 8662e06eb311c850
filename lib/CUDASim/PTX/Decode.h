//===- Decode.h - What a PTX opcode means -----------------------*- C++ -*-===//
//
// Decodes an opcode as written ("ld.global.v2.f32", "setp.gt.u32",
// "fma.rm.f32") into what the parser needs to build an instruction: the
// handler that executes it, its modifiers, and the operands it takes with
// their kinds and types. Opcodes, modifiers and types this interpreter does
// not implement are errors that say which part is unknown.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_CUDASIM_PTX_DECODE_H
#define RESNETC_LIB_CUDASIM_PTX_DECODE_H

#include "IR.h"

#include <string>
#include <string_view>

namespace resnetc::cudasim::ptx {

/// What an operand of an instruction is.
enum class Slot : uint8_t {
  Dst,     ///< A register written (a {..} list for a vector load).
  Src,     ///< A register, special register or immediate read.
  PredDst, ///< A predicate register written.
  PredSrc, ///< A predicate register read.
  Addr,    ///< [reg], [reg+imm], [symbol], [symbol+imm], [imm].
  Label,   ///< A branch target.
  Imm,     ///< An integer constant (a barrier's number).
};

/// The operands and semantics of an opcode.
struct OpSpec {
  Handler fn = nullptr;
  Kind kind = Kind::Op;
  Rnd rnd = Rnd::None;
  bool ftz = false, sat = false;
  uint8_t aux = 0;
  /// Elements of a vector load or store.
  uint8_t count = 1;
  /// The state space of a load or store (ops::Space).
  uint8_t space = 0;
  bool isLoad = false, isStore = false;
  /// A Src operand may name a variable (its address): mov.
  bool symbolSource = false;
  uint8_t numSlots = 0;
  Slot slots[4] = {};
  Ty types[4] = {};
};

/// Decodes `opcode`; false with `error` saying why it is not supported.
bool decodeOpcode(std::string_view opcode, OpSpec &spec, std::string &error);

} // namespace resnetc::cudasim::ptx

#endif // RESNETC_LIB_CUDASIM_PTX_DECODE_H
