//===- CPUConvolutions.cpp - The rn-cpu-convolutions pass -----------------===//
//
// A per-image convolution out[f, oh, ow] = bias[f] + sum_{c,i,j}
// w[f, c, i, j] * xpad[c, oh*s + i*d, ow*s + j*d] becomes, per group:
//
//   for f0 in 0..F/G step Ft, oh in 0..Ho, ow0 in 0..Wo step Wt:
//     acc[k] = bias[f0+k] (k < Ft), one vector<Wt x f32> each
//     for c, i, j:
//       x = the Wt inputs of row oh*s + i*d from column ow0*s + j*d
//           (read contiguously; a stride s > 1 reads (Wt-1)*s+1 values and
//           keeps every s-th with a shuffle)
//       acc[k] = fma(broadcast(w[f0+k, c, i, j]), x, acc[k])
//     acc[k] += residual; acc[k] = max(acc[k], 0) (fused_conv2d epilogue)
//     out[f0+k, oh, ow0 : ow0+Wt] = acc[k]
//
// The Ft x Wt tile stays in vector registers across the whole reduction:
// each input vector feeds Ft fused multiply-adds. The tile is sized by the
// target CPU (CPUFeatures.h): Wt is the largest divisor of Wo up to the
// floats of one vector register (16 with AVX-512, 8 with AVX2), so each
// accumulator is one register, and Ft the largest divisor of the group's
// output channels up to 16 that leaves registers for the input and the
// broadcast weight (12 of AVX2's 16; AVX-512 has 32). Every tile is full
// and every access in bounds.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Target/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

/// Largest divisor of n that is at most limit.
static int64_t largestDivisor(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

namespace {
/// The register budget of one tile.
struct TileLimits {
  int64_t channels; ///< Ft: accumulators.
  int64_t lanes;    ///< Wt: floats per accumulator.
};

struct ConvParams {
  TileLimits limits;
  Value input, weight, bias, residual;
  bool relu;
  int64_t stride, padding, dilation, groups;
  RankedTensorType resultType;
};

/// Zero-pads the spatial dimensions of a 1xCxHxW tensor by `pad`.
static Value padInput(PatternRewriter &b, Location loc, Value input,
                      int64_t pad) {
  if (pad == 0)
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  auto padded = RankedTensorType::get({1, type.getDimSize(1),
                                       type.getDimSize(2) + 2 * pad,
                                       type.getDimSize(3) + 2 * pad},
                                      type.getElementType());
  SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0),
                                   b.getIndexAttr(pad), b.getIndexAttr(pad)};
  Value zero =
      b.create<arith::ConstantOp>(loc, b.getZeroAttr(type.getElementType()));
  return b.create<tensor::PadOp>(loc, padded, input, low, low, zero);
}

/// The indices f0 + k of a tile's Ft output channels, and their
/// accumulators, starting at the bias (or zero).
static void startTile(PatternRewriter &b, Location loc, Value bias, Value f0,
                      int64_t Ft, VectorType vecType,
                      SmallVectorImpl<Value> &channels,
                      SmallVectorImpl<Value> &accs) {
  Value zero = b.create<arith::ConstantOp>(
      loc,
      DenseElementsAttr::get(vecType, b.getZeroAttr(vecType.getElementType())));
  for (int64_t k = 0; k < Ft; ++k) {
    channels.push_back(b.create<arith::AddIOp>(
        loc, f0, b.create<arith::ConstantIndexOp>(loc, k)));
    if (bias) {
      Value v = b.create<tensor::ExtractOp>(loc, bias, ValueRange{channels[k]});
      accs.push_back(b.create<vector::BroadcastOp>(loc, vecType, v));
    } else {
      accs.push_back(zero);
    }
  }
}

/// acc[k] + broadcast(weight(k)) * x for every accumulator.
static SmallVector<Value> fmaStep(PatternRewriter &b, Location loc,
                                  ValueRange accs, Value x,
                                  llvm::function_ref<Value(int64_t)> weight) {
  SmallVector<Value> next;
  for (auto [k, acc] : llvm::enumerate(accs)) {
    Value w = b.create<vector::BroadcastOp>(loc, x.getType(), weight(k));
    next.push_back(b.create<vector::FMAOp>(loc, w, x, acc));
  }
  return next;
}

/// The epilogue: adds the residual (read at index(k)), applies the ReLU, and
/// writes each accumulator into `tile` at index(k). Returns the new tile.
static Value finishTile(PatternRewriter &b, Location loc, ValueRange accs,
                        Value residual, bool relu, Value tile,
                        llvm::function_ref<SmallVector<Value>(int64_t)> index,
                        bool inBounds) {
  auto vecType = cast<VectorType>(accs[0].getType());
  Value zeroF =
      b.create<arith::ConstantOp>(loc, b.getZeroAttr(vecType.getElementType()));
  Value zeroVec = b.create<vector::BroadcastOp>(loc, vecType, zeroF);
  for (auto [k, acc] : llvm::enumerate(accs)) {
    Value v = acc;
    if (residual) {
      Value r = b.create<vector::TransferReadOp>(
          loc, vecType, residual, index(k), zeroF, ArrayRef<bool>{inBounds});
      v = b.create<arith::AddFOp>(loc, v, r);
    }
    if (relu)
      v = b.create<arith::MaximumFOp>(loc, v, zeroVec);
    tile = b.create<vector::TransferWriteOp>(loc, v, tile, index(k),
                                             ArrayRef<bool>{inBounds})
               .getResult();
  }
  return tile;
}

/// Builds the loop nest; returns the output tensor.
static Value buildConv(PatternRewriter &b, Location loc, const ConvParams &p) {
  auto wType = cast<RankedTensorType>(p.weight.getType());
  Type f32 = wType.getElementType();
  int64_t F = wType.getDimSize(0), Cg = wType.getDimSize(1),
          Kh = wType.getDimSize(2), Kw = wType.getDimSize(3);
  int64_t Ho = p.resultType.getDimSize(2), Wo = p.resultType.getDimSize(3);
  int64_t G = p.groups, Fg = F / G, s = p.stride, d = p.dilation;
  int64_t Ft = largestDivisor(Fg, p.limits.channels),
          Wt = largestDivisor(Wo, p.limits.lanes);
  auto vecType = VectorType::get({Wt}, f32);
  auto readType = VectorType::get({(Wt - 1) * s + 1}, f32);

  Value x = padInput(b, loc, p.input, p.padding);
  Value out = b.create<tensor::EmptyOp>(loc, p.resultType.getShape(), f32);
  auto cst = [&](int64_t v) -> Value {
    return b.create<arith::ConstantIndexOp>(loc, v);
  };
  Value c0 = cst(0), c1 = cst(1);
  Value zeroF = b.create<arith::ConstantOp>(loc, b.getZeroAttr(f32));
  SmallVector<int64_t> lanes;
  for (int64_t l = 0; l < Wt; ++l)
    lanes.push_back(l * s);

  // for g, f0, oh, ow0 (all parallel; out is carried).
  auto loopG = b.create<scf::ForOp>(loc, c0, cst(G), c1, ValueRange{out});
  b.setInsertionPointToStart(loopG.getBody());
  Value g = loopG.getInductionVar();
  auto loopF = b.create<scf::ForOp>(loc, c0, cst(Fg), cst(Ft),
                                    ValueRange{loopG.getRegionIterArgs()[0]});
  b.setInsertionPointToStart(loopF.getBody());
  Value f0 = b.create<arith::AddIOp>(
      loc, b.create<arith::MulIOp>(loc, g, cst(Fg)), loopF.getInductionVar());
  auto loopOh = b.create<scf::ForOp>(loc, c0, cst(Ho), c1,
                                     ValueRange{loopF.getRegionIterArgs()[0]});
  b.setInsertionPointToStart(loopOh.getBody());
  Value oh = loopOh.getInductionVar();
  auto loopOw = b.create<scf::ForOp>(loc, c0, cst(Wo), cst(Wt),
                                     ValueRange{loopOh.getRegionIterArgs()[0]});
  b.setInsertionPointToStart(loopOw.getBody());
  Value ow0 = loopOw.getInductionVar();
  SmallVector<Value> fk, accs;
  startTile(b, loc, p.bias, f0, Ft, vecType, fk, accs);

  // Reduction over the group's input channels and the window.
  Value cBase = b.create<arith::MulIOp>(loc, g, cst(Cg));
  auto loopC = b.create<scf::ForOp>(loc, c0, cst(Cg), c1, accs);
  b.setInsertionPointToStart(loopC.getBody());
  Value cl = loopC.getInductionVar();
  Value cIn = b.create<arith::AddIOp>(loc, cBase, cl);
  auto loopI =
      b.create<scf::ForOp>(loc, c0, cst(Kh), c1, loopC.getRegionIterArgs());
  b.setInsertionPointToStart(loopI.getBody());
  Value i = loopI.getInductionVar();
  auto loopJ =
      b.create<scf::ForOp>(loc, c0, cst(Kw), c1, loopI.getRegionIterArgs());
  b.setInsertionPointToStart(loopJ.getBody());
  Value j = loopJ.getInductionVar();
  Value row =
      b.create<arith::AddIOp>(loc, b.create<arith::MulIOp>(loc, oh, cst(s)),
                              b.create<arith::MulIOp>(loc, i, cst(d)));
  Value col =
      b.create<arith::AddIOp>(loc, b.create<arith::MulIOp>(loc, ow0, cst(s)),
                              b.create<arith::MulIOp>(loc, j, cst(d)));
  Value xv = b.create<vector::TransferReadOp>(loc, readType, x,
                                              ValueRange{c0, cIn, row, col},
                                              zeroF, ArrayRef<bool>{true});
  if (s > 1)
    xv = b.create<vector::ShuffleOp>(loc, xv, xv, lanes);
  b.create<scf::YieldOp>(
      loc, fmaStep(b, loc, loopJ.getRegionIterArgs(), xv, [&](int64_t k) {
        return b.create<tensor::ExtractOp>(loc, p.weight,
                                           ValueRange{fk[k], cl, i, j});
      }));
  b.setInsertionPointAfter(loopJ);
  b.create<scf::YieldOp>(loc, loopJ.getResults());
  b.setInsertionPointAfter(loopI);
  b.create<scf::YieldOp>(loc, loopI.getResults());
  b.setInsertionPointAfter(loopC);

  // Epilogue in registers, then one store per output row segment.
  Value tile = finishTile(
      b, loc, loopC.getResults(), p.residual, p.relu,
      loopOw.getRegionIterArgs()[0],
      [&](int64_t k) {
        return SmallVector<Value>{c0, fk[k], oh, ow0};
      },
      /*inBounds=*/true);
  b.create<scf::YieldOp>(loc, tile);
  b.setInsertionPointAfter(loopOw);
  b.create<scf::YieldOp>(loc, loopOw.getResults());
  b.setInsertionPointAfter(loopOh);
  b.create<scf::YieldOp>(loc, loopOh.getResults());
  b.setInsertionPointAfter(loopF);
  b.create<scf::YieldOp>(loc, loopF.getResults());
  b.setInsertionPointAfter(loopG);
  return loopG.getResult(0);
}

/// For narrow outputs (few columns, so few vector lanes in buildConv): the
/// input laid out as col[k, p] = xpad[c, oh*s + i*d, ow*s + j*d] with
/// k = (c, i, j) and p = (oh, ow), then out[f, p] = bias[f] + sum_k
/// w[f, k] * col[k, p] with tiles of Ft output channels x one vector
/// register of positions (the last tile masked). Ungrouped convolutions
/// only.
static Value buildIm2colConv(PatternRewriter &b, Location loc,
                             const ConvParams &p) {
  auto inType = cast<RankedTensorType>(p.input.getType());
  auto wType = cast<RankedTensorType>(p.weight.getType());
  Type f32 = inType.getElementType();
  int64_t C = inType.getDimSize(1);
  int64_t F = wType.getDimSize(0), Kh = wType.getDimSize(2),
          Kw = wType.getDimSize(3);
  int64_t Ho = p.resultType.getDimSize(2), Wo = p.resultType.getDimSize(3);
  int64_t s = p.stride, d = p.dilation;
  int64_t K = C * Kh * Kw, P = Ho * Wo;
  int64_t Ft = largestDivisor(F, p.limits.channels),
          Pt = std::min<int64_t>(P, p.limits.lanes);
  auto vecType = VectorType::get({Pt}, f32);
  MLIRContext *ctx = b.getContext();
  Value x = padInput(b, loc, p.input, p.padding);

  // col[k, p] as a generic over (k, p) reading x at computed indices.
  auto colType = RankedTensorType::get({K, P}, f32);
  Value colInit = b.create<tensor::EmptyOp>(loc, colType.getShape(), f32);
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  Value col =
      b.create<linalg::GenericOp>(
           loc, TypeRange{colType}, ValueRange{}, ValueRange{colInit},
           ArrayRef<AffineMap>{id},
           SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
           [&](OpBuilder &nb, Location l, ValueRange) {
             auto c = [&](int64_t v) -> Value {
               return nb.create<arith::ConstantIndexOp>(l, v);
             };
             Value k = nb.create<linalg::IndexOp>(l, 0);
             Value q = nb.create<linalg::IndexOp>(l, 1);
             Value ch = nb.create<arith::DivUIOp>(l, k, c(Kh * Kw));
             Value rem = nb.create<arith::RemUIOp>(l, k, c(Kh * Kw));
             Value i = nb.create<arith::DivUIOp>(l, rem, c(Kw));
             Value j = nb.create<arith::RemUIOp>(l, rem, c(Kw));
             Value oh = nb.create<arith::DivUIOp>(l, q, c(Wo));
             Value ow = nb.create<arith::RemUIOp>(l, q, c(Wo));
             Value row = nb.create<arith::AddIOp>(
                 l, nb.create<arith::MulIOp>(l, oh, c(s)),
                 nb.create<arith::MulIOp>(l, i, c(d)));
             Value column = nb.create<arith::AddIOp>(
                 l, nb.create<arith::MulIOp>(l, ow, c(s)),
                 nb.create<arith::MulIOp>(l, j, c(d)));
             Value v = nb.create<tensor::ExtractOp>(
                 l, x, ValueRange{c(0), ch, row, column});
             nb.create<linalg::YieldOp>(l, v);
           })
          .getResult(0);

  // The weights as [F, K] and the output (and residual) as [F, P].
  SmallVector<ReassociationIndices> wGroups = {{0}, {1, 2, 3}};
  Value w2 = b.create<tensor::CollapseShapeOp>(loc, p.weight, wGroups);
  SmallVector<ReassociationIndices> oGroups = {{0, 1}, {2, 3}};
  auto flatType = RankedTensorType::get({F, P}, f32);
  Value residual = p.residual ? b.create<tensor::CollapseShapeOp>(
                                     loc, flatType, p.residual, oGroups)
                                    .getResult()
                              : Value();
  Value out = b.create<tensor::EmptyOp>(loc, flatType.getShape(), f32);
  auto cst = [&](int64_t v) -> Value {
    return b.create<arith::ConstantIndexOp>(loc, v);
  };
  Value c0 = cst(0), c1 = cst(1);
  Value zeroF = b.create<arith::ConstantOp>(loc, b.getZeroAttr(f32));
  bool fullTiles = P % Pt == 0;

  auto loopF = b.create<scf::ForOp>(loc, c0, cst(F), cst(Ft), ValueRange{out});
  b.setInsertionPointToStart(loopF.getBody());
  Value f0 = loopF.getInductionVar();
  auto loopP = b.create<scf::ForOp>(loc, c0, cst(P), cst(Pt),
                                    ValueRange{loopF.getRegionIterArgs()[0]});
  b.setInsertionPointToStart(loopP.getBody());
  Value p0 = loopP.getInductionVar();
  SmallVector<Value> fk, accs;
  startTile(b, loc, p.bias, f0, Ft, vecType, fk, accs);
  auto loopK = b.create<scf::ForOp>(loc, c0, cst(K), c1, accs);
  b.setInsertionPointToStart(loopK.getBody());
  Value kk = loopK.getInductionVar();
  Value colv = b.create<vector::TransferReadOp>(
      loc, vecType, col, ValueRange{kk, p0}, zeroF, ArrayRef<bool>{fullTiles});
  b.create<scf::YieldOp>(
      loc, fmaStep(b, loc, loopK.getRegionIterArgs(), colv, [&](int64_t k) {
        return b.create<tensor::ExtractOp>(loc, w2, ValueRange{fk[k], kk});
      }));
  b.setInsertionPointAfter(loopK);
  Value tile = finishTile(
      b, loc, loopK.getResults(), residual, p.relu,
      loopP.getRegionIterArgs()[0],
      [&](int64_t k) {
        return SmallVector<Value>{fk[k], p0};
      },
      fullTiles);
  b.create<scf::YieldOp>(loc, tile);
  b.setInsertionPointAfter(loopP);
  b.create<scf::YieldOp>(loc, loopP.getResults());
  b.setInsertionPointAfter(loopF);
  return b.create<tensor::ExpandShapeOp>(loc, p.resultType, loopF.getResult(0),
                                         oGroups);
}

template <typename ConvOp> struct CPUConvPattern : OpRewritePattern<ConvOp> {
  CPUConvPattern(MLIRContext *ctx, TileLimits limits)
      : OpRewritePattern<ConvOp>(ctx), limits(limits) {}
  TileLimits limits;
  LogicalResult matchAndRewrite(ConvOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    if (type.getDimSize(0) != 1)
      return rewriter.notifyMatchFailure(op, "not a per-image convolution");
    if (!type.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "only fp32 is generated here");
    ArrayRef<int64_t> st = op.getStrides(), pd = op.getPadding(),
                      dl = op.getDilation();
    if (st[0] != st[1] || pd[0] != pd[1] || dl[0] != dl[1])
      return rewriter.notifyMatchFailure(op, "not a square window");
    ConvParams p;
    p.limits = limits;
    p.input = op.getInput();
    p.weight = op.getWeight();
    p.bias = op.getBias();
    p.residual = Value();
    p.relu = false;
    if constexpr (std::is_same_v<ConvOp, rn::FusedConv2DOp>) {
      p.residual = op.getResidual();
      p.relu = op.getRelu();
    }
    p.stride = st[0];
    p.padding = pd[0];
    p.dilation = dl[0];
    p.groups = op.getGroups();
    p.resultType = type;
    bool narrow = type.getDimSize(3) < 12 && p.groups == 1;
    rewriter.replaceOp(op, narrow ? buildIm2colConv(rewriter, op.getLoc(), p)
                                  : buildConv(rewriter, op.getLoc(), p));
    return success();
  }
};
} // namespace

namespace resnetc {
#define GEN_PASS_DEF_RNCPUCONVOLUTIONS
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNCPUConvolutions
    : resnetc::impl::RNCPUConvolutionsBase<RNCPUConvolutions> {
  using RNCPUConvolutionsBase::RNCPUConvolutionsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    RewritePatternSet patterns(&getContext());
    // An accumulator per register; the input vector and the broadcast
    // weight (and the register allocator's slack) take four.
    TileLimits limits{std::clamp<int64_t>(vectorRegisters - 4, 1, 16),
                      std::max<int64_t>(vectorFloats, 1)};
    patterns.add<CPUConvPattern<rn::Conv2DOp>,
                 CPUConvPattern<rn::FusedConv2DOp>>(&getContext(), limits);
    GreedyRewriteConfig config;
    config.enableRegionSimplification = GreedySimplifyRegionLevel::Disabled;
    if (failed(applyPatternsAndFoldGreedily(module, std::move(patterns),
                                            config))) {
      module.emitError("internal error: generating the CPU convolutions did "
                       "not converge");
      return signalPassFailure();
    }
  }
};
} // namespace
