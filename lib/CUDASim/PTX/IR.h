//===- IR.h - The decoded form of a PTX module ------------------*- C++ -*-===//
//
// What the parser produces and the interpreter runs. Each kernel's
// instructions are decoded once into a compact array: per instruction, the
// handler that executes it over a set of threads (chosen by opcode, types
// and modifiers), its operands resolved to rows of the register file
// (registers, special registers and immediates alike), its address offset
// and its branch target as an instruction index. The register file of a
// thread block is structure-of-arrays: row r holds register r of every
// thread, one 64-bit lane per thread.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_CUDASIM_PTX_IR_H
#define RESNETC_LIB_CUDASIM_PTX_IR_H

#include "PTX.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace resnetc::cudasim::ptx {

/// A PTX fundamental type.
enum class Ty : uint8_t {
  None,
  Pred,
  B8,
  B16,
  B32,
  B64,
  U8,
  U16,
  U32,
  U64,
  S8,
  S16,
  S32,
  S64,
  BF16,
  F32,
  F64,
};

/// Bytes of a value of `t` (a predicate counts as 1).
unsigned tySize(Ty t);
bool isSignedTy(Ty t);
bool isUnsignedTy(Ty t);
bool isBitsTy(Ty t);
bool isFloatTy(Ty t);
/// ".u32" for Ty::U32.
const char *tyName(Ty t);
/// The type named by ".u32" and so on, or Ty::None.
Ty parseTy(std::string_view name);

/// Rounding modifiers: to a float (.rn .rz .rm .rp) or to an integral
/// value (.rni .rzi .rmi .rpi).
enum class Rnd : uint8_t { None, RN, RZ, RM, RP, RNI, RZI, RMI, RPI };

struct Exec;
struct Inst;
struct Lanes;

/// Executes one instruction for a set of threads; false after recording a
/// fault.
using Handler = bool (*)(Exec &, const Inst &, const Lanes &);

/// What the scheduler does with an instruction: run its handler, or change
/// the control flow of the threads executing it.
enum class Kind : uint8_t { Op, Bra, Ret, Bar };

/// Special registers, each a row of the register file.
enum Special : uint8_t {
  TidX,
  TidY,
  TidZ,
  NTidX,
  NTidY,
  NTidZ,
  CtaIdX,
  CtaIdY,
  CtaIdZ,
  NCtaIdX,
  NCtaIdY,
  NCtaIdZ,
  NumSpecials,
};

/// One decoded instruction.
struct Inst {
  Handler fn = nullptr;
  /// An address's offset (or a shared variable's address plus offset), a
  /// parameter's offset, a barrier's number.
  int64_t imm = 0;
  /// Operand rows. Arithmetic: d, a, b, c. Loads: destinations from 0 and
  /// the address's base in 4; stores: sources from 0 and the base in 4.
  uint32_t op[5] = {};
  /// A branch's target instruction.
  uint32_t target = 0;
  /// The guard predicate's row, when `guarded`.
  uint32_t guard = 0;
  /// The source line, and the index of the opcode's text in the kernel's
  /// opcode list (for messages).
  uint32_t line = 0;
  uint16_t text = 0;
  Kind kind = Kind::Op;
  bool guarded = false, guardNeg = false;
  Rnd rnd = Rnd::None;
  bool ftz = false, sat = false;
  /// Elements of a vector load or store (1 otherwise).
  uint8_t count = 1;
  /// A state space or operation detail a handler needs.
  uint8_t aux = 0;
};

/// A `.shared` variable of a kernel, at its offset in the block's shared
/// memory.
struct SharedVar {
  std::string name;
  uint32_t offset = 0, size = 0, align = 1;
};

/// A decoded kernel.
struct Kernel::Impl {
  std::string name;
  std::vector<KernelParam> params;
  unsigned paramBytes = 0;
  /// Static shared variables (the kernel's own and the module's it uses),
  /// laid out from offset 0; the dynamic shared memory follows at
  /// `dynamicOffset`.
  std::vector<SharedVar> shared;
  unsigned staticShared = 0, dynamicOffset = 0;
  std::string dynamicName;
  std::array<unsigned, 3> maxntid = {0, 0, 0}, reqntid = {0, 0, 0};

  std::vector<Inst> code;
  std::vector<std::string> opcodes; ///< Inst::text indexes this.

  /// Rows of the register file: registers [0, numRegs), the special
  /// registers [specialBase, specialBase + NumSpecials), then one row per
  /// distinct immediate (constants[i] at constantBase + i).
  uint32_t numRegs = 0, specialBase = 0, constantBase = 0;
  std::vector<uint64_t> constants;
  /// Which special registers the kernel reads (bit per Special).
  uint32_t specialsUsed = 0;

  uint32_t rows() const {
    return constantBase + static_cast<uint32_t>(constants.size());
  }
  /// The shared variable containing `offset`, or null.
  const SharedVar *findShared(uint64_t offset) const;
};

/// A parsed module.
struct Module::Impl {
  int version = 0;
  std::string target;
  std::vector<std::unique_ptr<Kernel>> kernels;
  std::map<std::string, size_t, std::less<>> byName;
  std::set<std::string> instructions;
};

} // namespace resnetc::cudasim::ptx

#endif // RESNETC_LIB_CUDASIM_PTX_IR_H
