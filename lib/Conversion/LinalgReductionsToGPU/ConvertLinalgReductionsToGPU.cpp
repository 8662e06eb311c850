//===- ConvertLinalgReductionsToGPU.cpp - Block-parallel reductions -------===//
//
// Lowers linalg reductions with few outputs to one gpu.launch block per
// output: threads stride over the reduction domain, then combine their
// partial results by a tree in workgroup memory (see the pass description
// in Conversion/Passes.td).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "llvm/ADT/DenseSet.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <algorithm>

namespace resnetc {
#define GEN_PASS_DEF_CONVERTLINALGREDUCTIONSTOGPU
#include "resnetc/Conversion/Passes.h.inc"
} // namespace resnetc

using namespace mlir;

/// The combining op of each output of `op` when its body is
/// `out_i = combine_i(out_i, term_i)` with `out_i` used nowhere else and
/// `combine_i` associative and commutative with a neutral element; empty
/// otherwise.
static SmallVector<Operation *> matchCombiners(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  SmallVector<Operation *> combiners;
  for (auto [i, yielded] : llvm::enumerate(yield.getOperands())) {
    BlockArgument out = body.getArgument(op.getNumDpsInputs() + i);
    Operation *combiner = yielded.getDefiningOp();
    if (!combiner || combiner->getBlock() != &body || !yielded.hasOneUse() ||
        !out.hasOneUse() || out.getUses().begin()->getOwner() != combiner)
      return {};
    if (!isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp,
             arith::MinimumFOp, arith::MaxNumFOp, arith::MinNumFOp,
             arith::AddIOp, arith::MulIOp, arith::MaxSIOp, arith::MinSIOp,
             arith::MaxUIOp, arith::MinUIOp, arith::AndIOp, arith::OrIOp,
             arith::XOrIOp>(combiner) ||
        !arith::getNeutralElement(combiner))
      return {};
    combiners.push_back(combiner);
  }
  return combiners;
}

/// The buffer a memref value views (through subviews, reshapes, casts).
static Value getRootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// The linalg.fill that initializes `out` right before `op`, with no op in
/// between touching the same buffer (directly or in a region); null if
/// there is none. None of `op`'s inputs may view the same buffer. (Were
/// an input an argument aliasing `out`, the fill would clobber it before
/// the reduction read it; folding the fill only removes that hazard.)
static linalg::FillOp findInitializingFill(linalg::GenericOp op, Value out) {
  Value root = getRootBuffer(out);
  for (Value in : op.getDpsInputs())
    if (isa<MemRefType>(in.getType()) && getRootBuffer(in) == root)
      return nullptr;
  Type element = cast<MemRefType>(out.getType()).getElementType();
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev);
        fill && fill.hasPureBufferSemantics() && fill.getOutputs()[0] == out)
      return fill.getInputs()[0].getType() == element ? fill : nullptr;
    bool touches = false;
    prev->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (isa<MemRefType>(operand.getType()) &&
            getRootBuffer(operand) == root)
          touches = true;
    });
    if (touches)
      return nullptr;
  }
  return nullptr;
}

/// Splits `linear` into the indices of `ranges` (the last one fastest).
static void delinearize(OpBuilder &b, Location loc, Value linear,
                        ArrayRef<unsigned> dims, ArrayRef<int64_t> ranges,
                        SmallVectorImpl<Value> &ivs) {
  Value rest = linear;
  for (unsigned d : llvm::reverse(dims)) {
    Value size = b.create<arith::ConstantIndexOp>(loc, ranges[d]);
    ivs[d] = b.create<arith::RemUIOp>(loc, rest, size);
    rest = b.create<arith::DivUIOp>(loc, rest, size);
  }
}

/// The element of `operand` (a buffer read through `map`, or a scalar) at
/// loop indices `ivs`.
static Value loadAt(OpBuilder &b, Location loc, Value operand, AffineMap map,
                    ArrayRef<Value> ivs) {
  if (!isa<MemRefType>(operand.getType()))
    return operand;
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults())
    indices.push_back(b.create<affine::AffineApplyOp>(
        loc, AffineMap::get(map.getNumDims(), 0, expr), ivs));
  return b.create<memref::LoadOp>(loc, operand, indices);
}

/// A copy of the binary `combiner` applied to (lhs, rhs).
static Value combine(OpBuilder &b, Operation *combiner, Value lhs, Value rhs) {
  Operation *clone = b.clone(*combiner);
  clone->setOperands(ValueRange{lhs, rhs});
  return clone->getResult(0);
}

namespace {
struct ConvertLinalgReductionsToGPU
    : resnetc::impl::ConvertLinalgReductionsToGPUBase<
          ConvertLinalgReductionsToGPU> {
  using ConvertLinalgReductionsToGPUBase::ConvertLinalgReductionsToGPUBase;

  void runOnOperation() override {
    if (threads < 32 || threads > 1024 || !llvm::isPowerOf2_64(threads)) {
      getOperation().emitError(
          "threads per block must be a power of two from 32 to 1024, got ")
          << static_cast<int64_t>(threads);
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> candidates;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op->getParentOfType<gpu::LaunchOp>() ||
          !op.hasPureBufferSemantics() || op.getNumReductionLoops() == 0)
        return;
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      int64_t outputs = 1, terms = 1;
      for (auto [range, type] : llvm::zip(ranges, op.getIteratorTypesArray())) {
        if (ShapedType::isDynamic(range))
          return;
        (type == utils::IteratorType::reduction ? terms : outputs) *= range;
      }
      // One term is no reduction, but without parallel loops either (a
      // sum over a batch of one) nothing else would put the op on the GPU.
      if (outputs < minOutputs &&
          (terms > 1 || op.getNumParallelLoops() == 0) &&
          outputs <= std::numeric_limits<int32_t>::max())
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp candidate : candidates) {
      auto generic = dyn_cast<linalg::GenericOp>(candidate.getOperation());
      if (!generic) {
        rewriter.setInsertionPoint(candidate);
        FailureOr<linalg::GenericOp> generalized =
            linalg::generalizeNamedOp(rewriter, candidate);
        if (failed(generalized))
          continue;
        generic = *generalized;
      }
      SmallVector<Operation *> combiners = matchCombiners(generic);
      if (combiners.empty() || !outputsUseParallelLoops(generic) ||
          hasNestedRegions(generic))
        continue;
      lower(rewriter, generic, combiners);
    }
  }

  /// Whether every output is indexed by each parallel loop exactly once
  /// (and by nothing else), so that each block writes its own elements.
  static bool outputsUseParallelLoops(linalg::GenericOp op) {
    auto iterators = op.getIteratorTypesArray();
    size_t parallel = llvm::count(iterators, utils::IteratorType::parallel);
    for (OpOperand &out : op.getDpsInitsMutable()) {
      llvm::SmallDenseSet<unsigned> dims;
      for (AffineExpr expr : op.getMatchingIndexingMap(&out).getResults()) {
        auto dim = dyn_cast<AffineDimExpr>(expr);
        if (!dim ||
            iterators[dim.getPosition()] != utils::IteratorType::parallel ||
            !dims.insert(dim.getPosition()).second)
          return false;
      }
      if (dims.size() != parallel)
        return false;
    }
    return true;
  }

  /// Whether the body has ops with regions (whose linalg.index would not be
  /// remapped when the body is cloned).
  static bool hasNestedRegions(linalg::GenericOp op) {
    return llvm::any_of(op.getRegion().front(), [](Operation &inner) {
      return inner.getNumRegions() > 0;
    });
  }

  /// The one parallel loop of `op` when the input with the most elements
  /// stores it innermost (channels of an NHWC tensor): the reduction is
  /// then mapped by columns, lanes of a warp on consecutive outputs.
  static std::optional<unsigned> getColumnLoop(linalg::GenericOp op,
                                               ArrayRef<unsigned> parallel) {
    if (parallel.size() != 1)
      return std::nullopt;
    int64_t largest = 0;
    std::optional<unsigned> column;
    for (OpOperand *in : op.getDpsInputOperands()) {
      auto type = dyn_cast<MemRefType>(in->get().getType());
      if (!type || !type.hasStaticShape() || type.getRank() == 0 ||
          type.getNumElements() <= largest)
        continue;
      largest = type.getNumElements();
      AffineMap map = op.getMatchingIndexingMap(in);
      auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
      column = last && last.getPosition() == parallel[0]
                   ? std::optional<unsigned>(parallel[0])
                   : std::nullopt;
    }
    return column;
  }

  /// One thread's fold of the terms start, start + step, ... < terms
  /// (linearized over the `reduction` loops) into one value per output.
  static SmallVector<Value>
  foldTerms(OpBuilder &b, Location loc, linalg::GenericOp op,
            ArrayRef<Operation *> combiners, Value start, Value step,
            int64_t terms, ArrayRef<unsigned> reduction,
            ArrayRef<int64_t> ranges, SmallVectorImpl<Value> &ivs) {
    SmallVector<Value> neutral;
    for (Operation *combiner : combiners)
      neutral.push_back(b.create<arith::ConstantOp>(
          loc, *arith::getNeutralElement(combiner)));
    Value end = b.create<arith::ConstantIndexOp>(loc, terms);
    auto loop = b.create<scf::ForOp>(loc, start, end, step, neutral);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    delinearize(b, loc, loop.getInductionVar(), reduction, ranges, ivs);
    Block &body = op.getRegion().front();
    IRMapping mapping;
    for (OpOperand *in : op.getDpsInputOperands())
      mapping.map(body.getArgument(in->getOperandNumber()),
                  loadAt(b, loc, in->get(), op.getMatchingIndexingMap(in),
                         ivs));
    for (auto [i, acc] : llvm::enumerate(loop.getRegionIterArgs()))
      mapping.map(body.getArgument(op.getNumDpsInputs() + i), acc);
    for (Operation &inner : body.without_terminator()) {
      if (auto idx = dyn_cast<linalg::IndexOp>(inner))
        mapping.map(idx.getResult(), ivs[idx.getDim()]);
      else
        b.clone(inner, mapping);
    }
    SmallVector<Value> next;
    for (Value v : body.getTerminator()->getOperands())
      next.push_back(mapping.lookup(v));
    b.create<scf::YieldOp>(loc, next);
    return loop.getResults();
  }

  /// Combines `partials[stride * t + lane]` for t < count into t = 0, by a
  /// tree (`thread` is this thread's t), with barriers between levels.
  static void reduceTree(OpBuilder &b, Location loc,
                         ArrayRef<BlockArgument> partials,
                         ArrayRef<Operation *> combiners, Value thread,
                         Value lane, int64_t stride, int64_t count) {
    auto index = [&](int64_t v) -> Value {
      return b.create<arith::ConstantIndexOp>(loc, v);
    };
    auto slot = [&](Value t) -> Value {
      Value scaled = b.create<arith::MulIOp>(loc, t, index(stride));
      return lane ? b.create<arith::AddIOp>(loc, scaled, lane) : scaled;
    };
    b.create<gpu::BarrierOp>(loc);
    for (int64_t half = count / 2; half >= 1; half /= 2) {
      Value active = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult,
                                             thread, index(half));
      auto ifOp = b.create<scf::IfOp>(loc, active, /*withElseRegion=*/false);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        Value mineAt = slot(thread);
        Value theirsAt =
            slot(b.create<arith::AddIOp>(loc, thread, index(half)));
        for (auto [partial, combiner] : llvm::zip(partials, combiners)) {
          Value mine = b.create<memref::LoadOp>(loc, partial, mineAt);
          Value theirs = b.create<memref::LoadOp>(loc, partial, theirsAt);
          b.create<memref::StoreOp>(loc, combine(b, combiner, mine, theirs),
                                    partial, mineAt);
        }
      }
      // The last step's result is read by the thread that wrote it.
      if (half > 1)
        b.create<gpu::BarrierOp>(loc);
    }
  }

  /// Writes combine(init, total) to output `i` at `ivs` (its reduction
  /// indices zero): init is the folded fill's value, or the output's own.
  static void writeResult(OpBuilder &b, Location loc, linalg::GenericOp op,
                          unsigned i, Operation *combiner, Value init,
                          Value total, ArrayRef<Value> ivs) {
    Value out = op.getDpsInits()[i];
    AffineMap map = op.getMatchingIndexingMap(op.getDpsInitOperand(i));
    if (init && init.getDefiningOp<arith::ConstantOp>())
      init = b.clone(*init.getDefiningOp())->getResult(0);
    if (!init)
      init = loadAt(b, loc, out, map, ivs);
    Value result = combine(b, combiner, init, total);
    SmallVector<Value> indices;
    for (AffineExpr expr : map.getResults())
      indices.push_back(b.create<affine::AffineApplyOp>(
          loc, AffineMap::get(map.getNumDims(), 0, expr), ivs));
    b.create<memref::StoreOp>(loc, result, out, indices);
  }

  void lower(IRRewriter &b, linalg::GenericOp op,
             ArrayRef<Operation *> combiners) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<unsigned> parallel, reduction;
    int64_t outputs = 1, terms = 1;
    for (auto [d, type] : llvm::enumerate(op.getIteratorTypesArray())) {
      bool isReduction = type == utils::IteratorType::reduction;
      (isReduction ? reduction : parallel).push_back(d);
      (isReduction ? terms : outputs) *= ranges[d];
    }
    SmallVector<Value> outs(op.getDpsInits());
    SmallVector<Value> inits(outs.size());
    for (auto [i, out] : llvm::enumerate(outs))
      if (linalg::FillOp fill = findInitializingFill(op, out)) {
        inits[i] = fill.getInputs()[0];
        b.eraseOp(fill);
      }
    b.setInsertionPoint(op);
    if (std::optional<unsigned> column = getColumnLoop(op, parallel))
      lowerByColumns(b, op, combiners, inits, *column, outputs, terms,
                     reduction, ranges);
    else
      lowerByBlocks(b, op, combiners, inits, parallel, outputs, terms,
                    reduction, ranges);
    b.eraseOp(op);
  }

  /// Workgroup memory of `threads` elements per output.
  SmallVector<Type> getPartialTypes(linalg::GenericOp op) {
    auto workgroup = gpu::AddressSpaceAttr::get(op.getContext(),
                                                gpu::AddressSpace::Workgroup);
    SmallVector<Type> types;
    for (Value out : op.getDpsInits())
      types.push_back(MemRefType::get(
          {threads}, cast<MemRefType>(out.getType()).getElementType(),
          MemRefLayoutAttrInterface(), workgroup));
    return types;
  }

  /// One block per output; its threads stride over the terms.
  void lowerByBlocks(IRRewriter &b, linalg::GenericOp op,
                     ArrayRef<Operation *> combiners, ArrayRef<Value> inits,
                     ArrayRef<unsigned> parallel, int64_t outputs,
                     int64_t terms, ArrayRef<unsigned> reduction,
                     ArrayRef<int64_t> ranges) {
    Location loc = op.getLoc();
    auto index = [&](int64_t v) -> Value {
      return b.create<arith::ConstantIndexOp>(loc, v);
    };
    Value c1 = index(1);
    auto launch = b.create<gpu::LaunchOp>(
        loc, index(outputs), c1, c1, index(threads), c1, c1,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        ValueRange{}, getPartialTypes(op));
    Block &kernel = launch.getBody().front();
    b.setInsertionPointToStart(&kernel);
    Value block = launch.getBlockIds().x, thread = launch.getThreadIds().x;
    ArrayRef<BlockArgument> partials = launch.getWorkgroupAttributions();
    SmallVector<Value> ivs(ranges.size());
    delinearize(b, loc, block, parallel, ranges, ivs);

    // Each thread folds terms thread, thread + threads, ...; a tree over
    // the block's partial results; thread 0 writes.
    SmallVector<Value> folded = foldTerms(b, loc, op, combiners, thread,
                                          index(threads), terms, reduction,
                                          ranges, ivs);
    for (auto [partial, value] : llvm::zip(partials, folded))
      b.create<memref::StoreOp>(loc, value, partial, thread);
    reduceTree(b, loc, partials, combiners, thread, Value(), 1, threads);
    for (unsigned d : reduction)
      ivs[d] = index(0);
    Value first = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, thread,
                                          index(0));
    auto write = b.create<scf::IfOp>(loc, first, /*withElseRegion=*/false);
    b.setInsertionPointToStart(write.thenBlock());
    for (auto [i, combiner] : llvm::enumerate(combiners))
      writeResult(b, loc, op, i, combiner, inits[i],
                  b.create<memref::LoadOp>(loc, partials[i], index(0)), ivs);
    b.setInsertionPointToEnd(&kernel);
    b.create<gpu::TerminatorOp>(loc);
    b.setInsertionPointAfter(launch);
  }

  /// Blocks of kLanes x (threads / kLanes) threads: lanes on consecutive
  /// outputs (coalesced when the input stores the output loop innermost),
  /// rows striding over the terms; the terms are split among `splits`
  /// blocks per tile of outputs, whose partial results a second launch
  /// combines in a fixed order.
  void lowerByColumns(IRRewriter &b, linalg::GenericOp op,
                      ArrayRef<Operation *> combiners, ArrayRef<Value> inits,
                      unsigned column, int64_t outputs, int64_t terms,
                      ArrayRef<unsigned> reduction, ArrayRef<int64_t> ranges) {
    Location loc = op.getLoc();
    auto index = [&](int64_t v) -> Value {
      return b.create<arith::ConstantIndexOp>(loc, v);
    };
    int64_t rows = threads / kLanes;
    int64_t tiles = llvm::divideCeil(outputs, kLanes);
    // At most CUDA's limit of gridDim.y.
    int64_t splits = std::clamp<int64_t>(
        std::min<int64_t>(llvm::divideCeil(minBlocks, tiles),
                          llvm::divideCeil(terms, rows * kMinTerms)),
        1, 65535);
    SmallVector<Value> scratch;
    if (splits > 1)
      for (Value out : op.getDpsInits())
        scratch.push_back(b.create<memref::AllocOp>(
            loc, MemRefType::get(
                     {splits, outputs},
                     cast<MemRefType>(out.getType()).getElementType())));
    Value c1 = index(1);
    auto launch = b.create<gpu::LaunchOp>(
        loc, index(tiles), index(splits), c1, index(kLanes), index(rows), c1,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        ValueRange{}, getPartialTypes(op));
    {
      OpBuilder::InsertionGuard guard(b);
      Block &kernel = launch.getBody().front();
      b.setInsertionPointToStart(&kernel);
      Value lane = launch.getThreadIds().x, row = launch.getThreadIds().y;
      Value output = b.create<arith::AddIOp>(
          loc, b.create<arith::MulIOp>(loc, launch.getBlockIds().x,
                                       index(kLanes)),
          lane);
      ArrayRef<BlockArgument> partials = launch.getWorkgroupAttributions();
      SmallVector<Value> ivs(ranges.size());
      // Lanes past the last output read the last one and write nothing.
      ivs[column] =
          b.create<arith::MinUIOp>(loc, output, index(outputs - 1));
      Value start = b.create<arith::AddIOp>(
          loc, b.create<arith::MulIOp>(loc, launch.getBlockIds().y,
                                       index(rows)),
          row);
      SmallVector<Value> folded =
          foldTerms(b, loc, op, combiners, start, index(splits * rows), terms,
                    reduction, ranges, ivs);
      Value slot = b.create<arith::AddIOp>(
          loc, b.create<arith::MulIOp>(loc, row, index(kLanes)), lane);
      for (auto [partial, value] : llvm::zip(partials, folded))
        b.create<memref::StoreOp>(loc, value, partial, slot);
      reduceTree(b, loc, partials, combiners, row, lane, kLanes, rows);
      for (unsigned d : reduction)
        ivs[d] = index(0);
      Value writes = b.create<arith::AndIOp>(
          loc,
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, row,
                                  index(0)),
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, output,
                                  index(outputs)));
      auto write = b.create<scf::IfOp>(loc, writes, /*withElseRegion=*/false);
      b.setInsertionPointToStart(write.thenBlock());
      for (auto [i, combiner] : llvm::enumerate(combiners)) {
        Value total = b.create<memref::LoadOp>(loc, partials[i], lane);
        if (splits > 1)
          b.create<memref::StoreOp>(
              loc, total, scratch[i],
              ValueRange{launch.getBlockIds().y, output});
        else
          writeResult(b, loc, op, i, combiner, inits[i], total, ivs);
      }
      b.setInsertionPointToEnd(&kernel);
      b.create<gpu::TerminatorOp>(loc);
    }
    b.setInsertionPointAfter(launch);
    if (splits == 1)
      return;

    // One thread per output combines its splits in order.
    auto second = b.create<gpu::LaunchOp>(
        loc, index(llvm::divideCeil(outputs, threads)), c1, c1,
        index(threads), c1, c1);
    {
      OpBuilder::InsertionGuard guard(b);
      Block &kernel = second.getBody().front();
      b.setInsertionPointToStart(&kernel);
      Value output = b.create<arith::AddIOp>(
          loc, b.create<arith::MulIOp>(loc, second.getBlockIds().x,
                                       index(threads)),
          second.getThreadIds().x);
      Value inRange = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult,
                                              output, index(outputs));
      auto ifOp = b.create<scf::IfOp>(loc, inRange, /*withElseRegion=*/false);
      b.setInsertionPointToStart(ifOp.thenBlock());
      SmallVector<Value> ivs(ranges.size());
      ivs[column] = output;
      for (unsigned d : reduction)
        ivs[d] = index(0);
      for (auto [i, combiner] : llvm::enumerate(combiners)) {
        Value first = b.create<memref::LoadOp>(loc, scratch[i],
                                               ValueRange{index(0), output});
        auto loop = b.create<scf::ForOp>(loc, index(1), index(splits),
                                         index(1), ValueRange{first});
        {
          OpBuilder::InsertionGuard inner(b);
          b.setInsertionPointToStart(loop.getBody());
          Value next = b.create<memref::LoadOp>(
              loc, scratch[i], ValueRange{loop.getInductionVar(), output});
          b.create<scf::YieldOp>(
              loc, combine(b, combiner, loop.getRegionIterArgs()[0], next));
        }
        writeResult(b, loc, op, i, combiner, inits[i], loop.getResult(0),
                    ivs);
      }
      b.setInsertionPointToEnd(&kernel);
      b.create<gpu::TerminatorOp>(loc);
    }
    b.setInsertionPointAfter(second);
    for (Value buffer : scratch)
      b.create<memref::DeallocOp>(loc, buffer);
  }

  /// Lanes of a column-mapped block (one warp's width).
  static constexpr int64_t kLanes = 32;
  /// The fewest terms per thread worth a split of its own.
  static constexpr int64_t kMinTerms = 32;
};
} // namespace
