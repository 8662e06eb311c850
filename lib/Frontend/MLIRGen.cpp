//===- MLIRGen.cpp - Emitting the rn dialect from a Network ---------------===//
//
// A straight walk over the Network's layers in topological order. Shapes come
// from Sema; the rn verifier re-derives them independently.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Frontend/MLIRGen.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace resnetc;

namespace {
class MLIRGenImpl {
public:
  MLIRGenImpl(MLIRContext &ctx, const Network &net, const SourceManager &sm,
              int64_t batch)
      : ctx(ctx), builder(&ctx), net(net), sm(sm), batch(batch) {}

  OwningOpRef<ModuleOp> run();

private:
  Location fileLoc(SourceLoc l) {
    if (!l.isValid())
      return UnknownLoc::get(&ctx);
    return FileLineColLoc::get(&ctx, sm.getName(l.buffer), l.line, l.col);
  }
  /// The layer's source location, wrapped in a call site for each block
  /// instantiation, and named by the layer path.
  Location layerLoc(const Layer &l) {
    Location loc = fileLoc(l.loc);
    for (SourceLoc site : l.sites)
      loc = CallSiteLoc::get(loc, fileLoc(site));
    return NameLoc::get(StringAttr::get(&ctx, l.path), loc);
  }
  RankedTensorType tensorType(ArrayRef<int64_t> dims, bool withBatch) {
    SmallVector<int64_t> shape;
    if (withBatch)
      shape.push_back(batch);
    shape.append(dims.begin(), dims.end());
    return RankedTensorType::get(shape, builder.getF32Type());
  }
  DenseI64ArrayAttr pair(const Pair &v) {
    return builder.getDenseI64ArrayAttr({v[0], v[1]});
  }

  MLIRContext &ctx;
  OpBuilder builder;
  const Network &net;
  const SourceManager &sm;
  int64_t batch;
};
} // namespace

OwningOpRef<ModuleOp> MLIRGenImpl::run() {
  Location modelLoc = fileLoc(net.layers[0].loc);
  OwningOpRef<ModuleOp> module = ModuleOp::create(modelLoc);
  module->getOperation()->setAttr("rn.model", builder.getStringAttr(net.name));
  module->getOperation()->setAttr("rn.classes",
                                  builder.getI64IntegerAttr(net.classes));
  module->getOperation()->setAttr("rn.input_shape",
                                  builder.getDenseI64ArrayAttr(net.inputShape));
  module->getOperation()->setAttr("rn.batch", builder.getI64IntegerAttr(batch));

  // Signature: the input batch, then every parameter and state tensor in
  // layer order.
  SmallVector<Type> argTypes{tensorType(net.inputShape, true)};
  SmallVector<DictionaryAttr> argAttrs{builder.getDictionaryAttr(
      builder.getNamedAttr(kInputAttrName, builder.getUnitAttr()))};
  SmallVector<Location> argLocs{modelLoc};
  for (const Layer &l : net.layers)
    for (const ParamSpec &p : l.params) {
      argTypes.push_back(tensorType(p.shape, false));
      SmallVector<NamedAttribute> attrs = {
          builder.getNamedAttr(p.trainable ? kParamAttrName : kStateAttrName,
                               builder.getStringAttr(p.name))};
      if (p.zeroInit)
        attrs.push_back(
            builder.getNamedAttr(kZeroInitAttrName, builder.getUnitAttr()));
      argAttrs.push_back(builder.getDictionaryAttr(attrs));
      argLocs.push_back(layerLoc(l));
    }
  Type resultType = tensorType(net.layers[net.output].shape, true);
  auto funcType = builder.getFunctionType(argTypes, {resultType});
  builder.setInsertionPointToEnd(module->getBody());
  auto func = builder.create<func::FuncOp>(modelLoc, "forward", funcType);
  func.setAllArgAttrs(argAttrs);
  Block *entry = func.addEntryBlock();
  for (auto [arg, loc] : llvm::zip(entry->getArguments(), argLocs))
    arg.setLoc(loc);
  builder.setInsertionPointToStart(entry);

  std::vector<Value> values(net.layers.size());
  int64_t dropoutStreams = 0;
  values[0] = entry->getArgument(0);
  unsigned nextArg = 1;
  auto takeParams = [&](const Layer &l) {
    SmallVector<Value> ps;
    for (size_t i = 0; i < l.params.size(); ++i)
      ps.push_back(entry->getArgument(nextArg++));
    return ps;
  };

  for (size_t i = 1; i < net.layers.size(); ++i) {
    const Layer &l = net.layers[i];
    Location loc = layerLoc(l);
    Type type = tensorType(l.shape, true);
    Value in = values[l.operands[0]];
    SmallVector<Value> ps = takeParams(l);
    Value result;
    switch (l.kind) {
    case LayerKind::Conv:
      result = builder.create<rn::Conv2DOp>(
          loc, type, in, ps[0], l.bias ? ps[1] : Value(), pair(l.stride),
          pair(l.padding), pair(l.dilation),
          builder.getI64IntegerAttr(l.groups));
      break;
    case LayerKind::BatchNorm:
      result = builder.create<rn::BatchNormOp>(
          loc, type, in, ps[0], ps[1], ps[2], ps[3],
          builder.getF64FloatAttr(l.eps), builder.getF64FloatAttr(l.momentum));
      break;
    case LayerKind::ReLU:
      result = builder.create<rn::ReLUOp>(loc, type, in);
      break;
    case LayerKind::Dropout:
      // Each dropout layer draws its own mask: its stream is its number.
      result = builder.create<rn::DropoutOp>(
          loc, type, in, builder.getF64FloatAttr(l.rate),
          builder.getI64IntegerAttr(dropoutStreams++));
      break;
    case LayerKind::Add:
      result = builder.create<rn::AddOp>(loc, type, in, values[l.operands[1]]);
      break;
    case LayerKind::MaxPool:
      result = builder.create<rn::MaxPool2DOp>(
          loc, type, in, pair(l.kernel), pair(l.stride), pair(l.padding),
          l.ceilMode ? builder.getUnitAttr() : UnitAttr());
      break;
    case LayerKind::AvgPool:
      result = builder.create<rn::AvgPool2DOp>(
          loc, type, in, pair(l.kernel), pair(l.stride), pair(l.padding),
          l.ceilMode ? builder.getUnitAttr() : UnitAttr(),
          l.countIncludePad ? UnitAttr() : builder.getUnitAttr());
      break;
    case LayerKind::GlobalAvgPool:
      result = builder.create<rn::GlobalAvgPoolOp>(loc, type, in);
      break;
    case LayerKind::Flatten:
      result = builder.create<rn::FlattenOp>(loc, type, in);
      break;
    case LayerKind::Linear:
      result = builder.create<rn::LinearOp>(loc, type, in, ps[0],
                                            l.bias ? ps[1] : Value());
      break;
    case LayerKind::Input:
      result = in;
      break;
    }
    values[i] = result;
  }
  builder.create<func::ReturnOp>(modelLoc, values[net.output]);
  return module;
}

OwningOpRef<ModuleOp> resnetc::mlirGen(MLIRContext &context, const Network &net,
                                       const SourceManager &sm, int64_t batch) {
  return MLIRGenImpl(context, net, sm, batch).run();
}
