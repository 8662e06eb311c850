//===- FuseStorageConversions.cpp - Conversions into kernels' loops -------===//
//
// See Passes.td. Storage conversions iterate over logical dimensions with
// permutation maps for the stored orders of their input and result.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace resnetc {
#define GEN_PASS_DEF_FUSESTORAGECONVERSIONS
#include "resnetc/Transforms/Passes.h.inc"
} // namespace resnetc

using namespace mlir;

/// Whether `op` is a storage conversion (see Passes.td).
static bool isStorageConversion(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 || generic.getNumResults() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !isa<RankedTensorType>(generic.getDpsInputs()[0].getType()))
    return false;
  for (AffineMap map : generic.getIndexingMapsArray())
    if (!map.isPermutation())
      return false;
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Value yielded = yield.getValues()[0];
  if (body.getOperations().size() == 1)
    return yielded == body.getArgument(0);
  if (body.getOperations().size() != 2)
    return false;
  Operation *convert = yielded.getDefiningOp();
  return isa_and_nonnull<arith::ExtFOp, arith::TruncFOp>(convert) &&
         convert->getOperand(0) == body.getArgument(0);
}

/// The element conversion of a storage conversion's body, or null.
static Operation *getElementConversion(linalg::GenericOp conversion) {
  Block &body = conversion.getRegion().front();
  return body.getOperations().size() == 2 ? &body.front() : nullptr;
}

/// `convert` (an element conversion) applied to `value`.
static Value convertElement(OpBuilder &b, Operation *convert, Value value) {
  Operation *c = b.clone(*convert);
  c->setOperand(0, value);
  return c->getResult(0);
}

namespace {
/// A named linalg op reading a storage conversion becomes a
/// linalg.generic, which the conversion can then fuse into.
struct GeneralizeConversionReader
    : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (isa<linalg::GenericOp>(op) || !op.hasPureTensorSemantics() ||
        llvm::none_of(op.getDpsInputs(), [](Value v) {
          return isStorageConversion(v.getDefiningOp());
        }))
      return failure();
    return linalg::generalizeNamedOp(rewriter, op);
  }
};

/// pad(conversion(x)) -> conversion(pad(x)): the padding applies to the
/// stored dimensions of x, with the padding value in x's element type.
struct PadStoredTensor : OpRewritePattern<tensor::PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::PadOp pad,
                                PatternRewriter &rewriter) const override {
    auto conversion = pad.getSource().getDefiningOp<linalg::GenericOp>();
    if (!isStorageConversion(conversion) ||
        !pad.getResultType().hasStaticShape())
      return failure();
    Value padValue = pad.getConstantPaddingValue();
    auto constant =
        padValue ? padValue.getDefiningOp<arith::ConstantOp>() : nullptr;
    auto floatValue =
        constant ? dyn_cast<FloatAttr>(constant.getValue()) : nullptr;
    if (!floatValue)
      return failure();
    Value source = conversion.getDpsInputs()[0];
    auto sourceType = cast<RankedTensorType>(source.getType());
    Type sourceElement = sourceType.getElementType();
    AffineMap inMap = conversion.getIndexingMapsArray()[0];
    AffineMap outMap = conversion.getIndexingMapsArray()[1];

    // Padding per logical dimension, then in the input's stored order.
    unsigned rank = outMap.getNumDims();
    SmallVector<OpFoldResult> low = pad.getMixedLowPad(),
                              high = pad.getMixedHighPad();
    SmallVector<OpFoldResult> logicalLow(rank), logicalHigh(rank);
    for (unsigned i = 0; i < rank; ++i) {
      unsigned d = outMap.getDimPosition(i);
      logicalLow[d] = low[i];
      logicalHigh[d] = high[i];
    }
    SmallVector<OpFoldResult> storedLow, storedHigh;
    SmallVector<int64_t> paddedShape;
    RankedTensorType padded = pad.getResultType();
    SmallVector<int64_t> logicalShape(rank);
    for (unsigned i = 0; i < rank; ++i)
      logicalShape[outMap.getDimPosition(i)] = padded.getDimSize(i);
    for (unsigned i = 0; i < rank; ++i) {
      unsigned d = inMap.getDimPosition(i);
      storedLow.push_back(logicalLow[d]);
      storedHigh.push_back(logicalHigh[d]);
      paddedShape.push_back(logicalShape[d]);
    }
    Location loc = pad.getLoc();
    APFloat value = floatValue.getValue();
    bool losesInfo = false;
    value.convert(cast<FloatType>(sourceElement).getFloatSemantics(),
                  APFloat::rmNearestTiesToEven, &losesInfo);
    if (losesInfo)
      return failure(); // the stored type cannot pad with that value
    Value storedPadValue = rewriter.create<arith::ConstantOp>(
        loc, sourceElement, rewriter.getFloatAttr(sourceElement, value));
    auto storedPadded = RankedTensorType::get(paddedShape, sourceElement);
    Value storedPad = rewriter.create<tensor::PadOp>(
        loc, storedPadded, source, storedLow, storedHigh, storedPadValue);
    Value init = rewriter.create<tensor::EmptyOp>(loc, padded.getShape(),
                                                  padded.getElementType());
    auto converted = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{padded}, ValueRange{storedPad}, ValueRange{init},
        conversion.getIndexingMapsArray(), conversion.getIteratorTypesArray());
    rewriter.cloneRegionBefore(conversion.getRegion(), converted.getRegion(),
                               converted.getRegion().end());
    rewriter.replaceOp(pad, converted.getResults());
    return success();
  }
};

/// conversion(reduction) -> the reduction writing the stored order (and a
/// conversion of the element type alone, if any).
struct PermuteReductionOutput : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp conversion,
                                PatternRewriter &rewriter) const override {
    if (!isStorageConversion(conversion))
      return failure();
    auto result = dyn_cast<OpResult>(conversion.getDpsInputs()[0]);
    auto producer =
        result ? dyn_cast<linalg::GenericOp>(result.getOwner()) : nullptr;
    if (!producer || !result.hasOneUse() ||
        producer.getNumReductionLoops() == 0 ||
        !producer.hasPureTensorSemantics())
      return failure();
    AffineMap inMap = conversion.getIndexingMapsArray()[0];
    AffineMap outMap = conversion.getIndexingMapsArray()[1];
    if (inMap == outMap)
      return failure(); // nothing to permute
    unsigned k = result.getResultNumber();
    OpOperand *init = producer.getDpsInitOperand(k);
    AffineMap producerMap = producer.getMatchingIndexingMap(init);
    // out[outMap(l)] = res[inMap(l)] and res[r] is written at
    // r = producerMap(loops): out is written at outMap(inMap^-1(r)).
    AffineMap newMap =
        outMap.compose(inversePermutation(inMap)).compose(producerMap);

    Location loc = producer.getLoc();
    auto resultType = cast<RankedTensorType>(result.getType());
    auto convertedType = cast<RankedTensorType>(conversion.getType(0));
    auto permutedType = RankedTensorType::get(convertedType.getShape(),
                                              resultType.getElementType());
    // The initial value, in the new order.
    rewriter.setInsertionPoint(producer);
    Value newInit;
    Value oldInit = init->get();
    if (auto fill = oldInit.getDefiningOp<linalg::FillOp>();
        fill && fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>()) {
      Value empty = rewriter.create<tensor::EmptyOp>(
          loc, permutedType.getShape(), permutedType.getElementType());
      newInit = rewriter.create<linalg::FillOp>(loc, fill.getInputs()[0], empty)
                    .getResult(0);
    } else if (oldInit.getDefiningOp<tensor::EmptyOp>()) {
      newInit = rewriter.create<tensor::EmptyOp>(loc, permutedType.getShape(),
                                                 permutedType.getElementType());
    } else {
      Value empty = rewriter.create<tensor::EmptyOp>(
          loc, permutedType.getShape(), permutedType.getElementType());
      SmallVector<utils::IteratorType> parallel(inMap.getNumDims(),
                                                utils::IteratorType::parallel);
      newInit = rewriter
                    .create<linalg::GenericOp>(
                        loc, TypeRange{permutedType}, ValueRange{oldInit},
                        ValueRange{empty}, ArrayRef<AffineMap>{inMap, outMap},
                        parallel,
                        [](OpBuilder &b, Location l, ValueRange args) {
                          b.create<linalg::YieldOp>(l, args[0]);
                        })
                    .getResult(0);
    }
    SmallVector<AffineMap> maps = producer.getIndexingMapsArray();
    maps[init->getOperandNumber()] = newMap;
    rewriter.modifyOpInPlace(producer, [&] {
      producer.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
      init->set(newInit);
      result.setType(permutedType);
    });
    Value replacement = result;
    if (Operation *convert = getElementConversion(conversion)) {
      // The element type, converted in the new order.
      rewriter.setInsertionPoint(conversion);
      AffineMap identity = AffineMap::getMultiDimIdentityMap(
          outMap.getNumResults(), rewriter.getContext());
      Value empty = rewriter.create<tensor::EmptyOp>(
          loc, convertedType.getShape(), convertedType.getElementType());
      SmallVector<utils::IteratorType> parallel(identity.getNumDims(),
                                                utils::IteratorType::parallel);
      replacement = rewriter
                        .create<linalg::GenericOp>(
                            loc, TypeRange{convertedType}, ValueRange{result},
                            ValueRange{empty},
                            ArrayRef<AffineMap>{identity, identity}, parallel,
                            [&](OpBuilder &b, Location l, ValueRange args) {
                              b.create<linalg::YieldOp>(
                                  l, convertElement(b, convert, args[0]));
                            })
                        .getResult(0);
    }
    rewriter.replaceOp(conversion, replacement);
    return success();
  }
};

/// tensor.extract(conversion, indices) -> the conversion of
/// tensor.extract(source, permuted indices): a gather (pooling's gradient)
/// reads the stored tensor directly.
struct ExtractFromStoredTensor : OpRewritePattern<tensor::ExtractOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::ExtractOp extract,
                                PatternRewriter &rewriter) const override {
    auto conversion = extract.getTensor().getDefiningOp<linalg::GenericOp>();
    if (!isStorageConversion(conversion))
      return failure();
    AffineMap inMap = conversion.getIndexingMapsArray()[0];
    AffineMap outMap = conversion.getIndexingMapsArray()[1];
    // Result index o holds logical index l = outMap^-1(o); the source
    // index is inMap(l).
    SmallVector<Value> logical(outMap.getNumDims());
    for (auto [i, index] : llvm::enumerate(extract.getIndices()))
      logical[outMap.getDimPosition(i)] = index;
    SmallVector<Value> stored;
    for (unsigned i = 0; i < inMap.getNumResults(); ++i)
      stored.push_back(logical[inMap.getDimPosition(i)]);
    Value value = rewriter.create<tensor::ExtractOp>(
        extract.getLoc(), conversion.getDpsInputs()[0], stored);
    if (Operation *convert = getElementConversion(conversion))
      value = convertElement(rewriter, convert, value);
    rewriter.replaceOp(extract, value);
    return success();
  }
};

/// A conversion that keeps the element type and moves only dimensions of
/// size 1 keeps the order of the elements in memory: a reshape.
struct ConversionAsReshape : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp conversion,
                                PatternRewriter &rewriter) const override {
    if (!isStorageConversion(conversion) || getElementConversion(conversion))
      return failure();
    Value source = conversion.getDpsInputs()[0];
    auto from = cast<RankedTensorType>(source.getType());
    auto to = cast<RankedTensorType>(conversion.getType(0));
    if (!from.hasStaticShape() || !to.hasStaticShape() || from == to)
      return failure();
    AffineMap inMap = conversion.getIndexingMapsArray()[0];
    AffineMap outMap = conversion.getIndexingMapsArray()[1];
    // The logical dimensions of size > 1, in the order each stores them.
    auto order = [](AffineMap map, RankedTensorType type) {
      SmallVector<unsigned> dims;
      for (unsigned i = 0; i < map.getNumResults(); ++i)
        if (type.getDimSize(i) != 1)
          dims.push_back(map.getDimPosition(i));
      return dims;
    };
    if (order(inMap, from) != order(outMap, to))
      return failure();
    Location loc = conversion.getLoc();
    SmallVector<ReassociationIndices> all(1);
    for (int64_t i = 0; i < from.getRank(); ++i)
      all[0].push_back(i);
    auto flat =
        RankedTensorType::get({from.getNumElements()}, from.getElementType());
    Value collapsed =
        rewriter.create<tensor::CollapseShapeOp>(loc, flat, source, all);
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(conversion, to,
                                                       collapsed, all);
    return success();
  }
};

/// A generic whose outputs are all written through one projected
/// permutation iterates over their dimensions first, in their stored order
/// (then over the others): consecutive iterations of the innermost
/// parallel loop write consecutive elements, which is what the GPU
/// mapping needs for coalesced stores.
struct IterateInStoredOrder : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInits() == 0)
      return failure();
    AffineMap map = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false) ||
        llvm::any_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
          return op.getMatchingIndexingMap(&init) != map;
        }))
      return failure();
    SmallVector<unsigned> order;
    llvm::SmallDenseSet<unsigned> seen;
    for (unsigned i = 0; i < map.getNumResults(); ++i) {
      order.push_back(map.getDimPosition(i));
      seen.insert(map.getDimPosition(i));
    }
    for (unsigned d = 0; d < map.getNumDims(); ++d)
      if (!seen.contains(d))
        order.push_back(d);
    bool identity = true;
    for (auto [i, d] : llvm::enumerate(order))
      identity &= i == d;
    if (identity)
      return failure();
    return linalg::interchangeGenericOp(rewriter, op, order);
  }
};

struct FuseStorageConversionsPass
    : resnetc::impl::FuseStorageConversionsBase<FuseStorageConversionsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ConversionAsReshape, ExtractFromStoredTensor,
                 GeneralizeConversionReader, IterateInStoredOrder,
                 PadStoredTensor, PermuteReductionOutput>(&getContext());
    // A conversion is fused into every consumer (recomputed, never stored
    // in the logical form); other producers only into their one consumer.
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *operand) {
          Operation *producer = operand->get().getDefiningOp();
          return isStorageConversion(producer) ||
                 (producer && producer->hasOneUse());
        });
    // An optimization: should the driver not converge, the kernels are
    // still correct, only less fused.
    (void)applyPatternsAndFoldGreedily(getOperation(), std::move(patterns));
  }
};
} // namespace
