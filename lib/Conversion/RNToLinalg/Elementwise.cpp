//===- Elementwise.cpp - Lowering rn elementwise ops to linalg ------------===//
//
// rn.relu, rn.add and rn.add_relu as single linalg.generic ops, and
// rn.relu_backward (the gradient where the output is positive).
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "resnetc/Conversion/RNToLinalg/RNToLinalg.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"

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

} // namespace

void resnetc::populateRNElementwiseToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReLULowering, AddLowering<rn::AddOp, false>,
               AddLowering<rn::AddReLUOp, true>, ReLUBackwardLowering>(
      patterns.getContext());
}
