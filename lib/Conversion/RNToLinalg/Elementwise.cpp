//===- Elementwise.cpp - Lowering rn elementwise ops to linalg ------------===//
//
// rn.relu, rn.add and rn.add_relu as single linalg.generic ops,
// rn.relu_backward (the gradient where the output is positive), and
// rn.dropout_train (its mask drawn from a counter-based hash).
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "resnetc/Conversion/RNToLinalg/RNToLinalg.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace resnetc;

namespace {
struct ReLULowering : OpRewritePattern<rn::ReLUOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::ReLUOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op,
        buildElementwise(rewriter, op.getLoc(), op.getType(), {op.getInput()},
                         [](OpBuilder &b, Location l, ValueRange a) {
                           return buildReLU(b, l, a[0]);
                         }));
    return success();
  }
};

template <typename AddLikeOp, bool WithReLU>
struct AddLowering : OpRewritePattern<AddLikeOp> {
  using OpRewritePattern<AddLikeOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(AddLikeOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), op.getType(),
                             {op.getLhs(), op.getRhs()},
                             [](OpBuilder &b, Location l, ValueRange a) {
                               Value s = b.create<arith::AddFOp>(l, a[0], a[1]);
                               return WithReLU ? buildReLU(b, l, s) : s;
                             }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

struct ReLUBackwardLowering : OpRewritePattern<rn::ReLUBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::ReLUBackwardOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> inputs = {op.getGradOutput(), op.getOutput()};
    if (op.getAddend())
      inputs.push_back(op.getAddend());
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, op.getLoc(), op.getType(), inputs,
                [](OpBuilder &b, Location l, ValueRange a) {
                  Value g = maskedGradient(b, l, a[0], a[1]);
                  return a.size() > 2
                             ? b.create<arith::AddFOp>(l, a[2], g).getResult()
                             : g;
                }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

/// The 32-bit finalizer of rn.dropout_train's hash (RNTrainingOps.td).
static Value mix32(OpBuilder &b, Location l, Value x) {
  auto shiftXor = [&](Value v, int64_t by) {
    return b.create<arith::XOrIOp>(
        l, v,
        b.create<arith::ShRUIOp>(l, v,
                                 b.create<arith::ConstantIntOp>(l, by, 32)));
  };
  auto times = [&](Value v, uint32_t k) {
    return b.create<arith::MulIOp>(
        l, v, b.create<arith::ConstantIntOp>(l, static_cast<int64_t>(k), 32));
  };
  x = shiftXor(x, 16);
  x = times(x, 0x7feb352du);
  x = shiftXor(x, 15);
  x = times(x, 0x846ca68bu);
  return shiftXor(x, 16);
}

struct DropoutTrainLowering : OpRewritePattern<rn::DropoutTrainOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::DropoutTrainOp op,
                                PatternRewriter &rewriter) const override {
    double rate = op.getRate().convertToDouble();
    if (rate == 0) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    unsigned rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap scalar = AffineMap::get(rank, 0, ctx);
    // u >= rate with u = (r >> 8) * 2^-24: (r >> 8) >= ceil(rate * 2^24).
    auto threshold =
        static_cast<int64_t>(std::ceil(rate * static_cast<double>(1 << 24)));
    int64_t stream = static_cast<int64_t>(op.getStream());
    ArrayRef<int64_t> shape = type.getShape();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{type}, ValueRange{op.getInput(), op.getSeed()},
        ValueRange{createEmpty(rewriter, loc, type)},
        ArrayRef<AffineMap>{id, scalar, id},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Type i32 = b.getI32Type();
          auto constant = [&](int64_t v) -> Value {
            return b.create<arith::ConstantIntOp>(l, v, 32);
          };
          Value seed = a[1];
          Value lo = b.create<arith::TruncIOp>(l, i32, seed);
          Value hi = b.create<arith::TruncIOp>(
              l, i32,
              b.create<arith::ShRUIOp>(
                  l, seed, b.create<arith::ConstantIntOp>(l, 32, 64)));
          Value key =
              mix32(b, l,
                    b.create<arith::XOrIOp>(
                        l, lo,
                        mix32(b, l,
                              b.create<arith::XOrIOp>(
                                  l, hi, mix32(b, l, constant(stream))))));
          // The element's row-major index in the logical shape.
          Value index = b.create<linalg::IndexOp>(l, 0);
          for (unsigned d = 1; d < rank; ++d)
            index = b.create<arith::AddIOp>(
                l,
                b.create<arith::MulIOp>(
                    l, index, b.create<arith::ConstantIndexOp>(l, shape[d])),
                b.create<linalg::IndexOp>(l, d));
          Value i = b.create<arith::IndexCastUIOp>(l, i32, index);
          Value r = mix32(
              b, l,
              b.create<arith::AddIOp>(
                  l, mix32(b, l, b.create<arith::XOrIOp>(l, i, key)), key));
          Value keep = b.create<arith::CmpIOp>(
              l, arith::CmpIPredicate::uge,
              b.create<arith::ShRUIOp>(l, r, constant(8)), constant(threshold));
          Type f = a[0].getType();
          Value factor = b.create<arith::SelectOp>(
              l, keep, floatConstant(b, l, f, 1.0 / (1.0 - rate)),
              floatConstant(b, l, f, 0.0));
          b.create<linalg::YieldOp>(
              l, b.create<arith::MulFOp>(l, a[0], factor).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void resnetc::populateRNElementwiseToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReLULowering, AddLowering<rn::AddOp, false>,
               AddLowering<rn::AddReLUOp, true>, ReLUBackwardLowering,
               DropoutTrainLowering>(patterns.getContext());
}
