//===- SemaTest.cpp - Unit tests of model instantiation -------------------===//

#include "resnetc/Frontend/Frontend.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace resnetc;

namespace {

/// One front-end run over a model text.
struct Analysis {
  FrontendSession session;
  std::optional<Network> net;
  bool parsed = false;

  explicit Analysis(const std::string &text, const SemaLimits &limits = {}) {
    parsed = session.parse("t.rn", text);
    if (parsed)
      net = session.analyze(limits);
  }

  const std::vector<Diagnostic> &diags() {
    return session.getDiagnostics().getDiagnostics();
  }
  std::string rendered() {
    std::ostringstream os;
    session.getDiagnostics().print(os);
    return os.str();
  }
  /// The layer with the given path, or a test failure.
  const Layer &layer(const std::string &path) {
    for (const Layer &l : net->layers)
      if (l.path == path)
        return l;
    ADD_FAILURE() << "no layer " << path;
    static Layer none;
    return none;
  }
  bool hasLayer(const std::string &path) {
    for (const Layer &l : net->layers)
      if (l.path == path)
        return true;
    return false;
  }
  /// Names of all parameters and state tensors, in argument order.
  std::vector<std::string> paramNames() {
    std::vector<std::string> out;
    for (const Layer &l : net->layers)
      for (const ParamSpec &p : l.params)
        out.push_back(p.name);
    return out;
  }
};

/// A model with the given stem (after `input` and `classes`) and the
/// standard head.
std::string model(const std::string &body, const std::string &input = "3x8x8",
                  int classes = 2) {
  return "model m {\n  input " + input + "\n  classes " +
         std::to_string(classes) + "\n" + body +
         "\n  head { global_avgpool flatten linear(classes) }\n}\n";
}

/// Expects the text to fail Sema with exactly one error; returns it.
Diagnostic semaError(Analysis &r) {
  EXPECT_TRUE(r.parsed) << r.rendered();
  EXPECT_FALSE(r.net.has_value());
  EXPECT_EQ(r.diags().size(), 1u) << r.rendered();
  if (r.diags().empty())
    return Diagnostic{Severity::Error, SourceLoc(), "<no error>", {}};
  return r.diags()[0];
}

#define ASSERT_VALID(run) ASSERT_TRUE((run).net.has_value()) << (run).rendered()

} // namespace

//===----------------------------------------------------------------------===//
// Parameter counts computed by hand
//===----------------------------------------------------------------------===//

TEST(SemaTest, TinyModel) {
  FrontendSession s;
  ASSERT_TRUE(s.parse("t.rn", "model m { input 3x8x8 classes 2 head { "
                              "global_avgpool flatten linear(classes) } }"));
  auto net = s.analyze();
  ASSERT_TRUE(net.has_value());
  EXPECT_EQ(net->totalParams(), 3 * 2 + 2);
}

TEST(SemaTest, ConvWithoutBias) {
  Analysis r(model("  stem { conv(4, kernel=3) }"));
  ASSERT_VALID(r);
  const Layer &c = r.layer("stem.conv1");
  EXPECT_EQ(c.kind, LayerKind::Conv);
  EXPECT_EQ(c.shape, (Dims{4, 6, 6}));
  EXPECT_EQ(c.numParams, 4 * 3 * 3 * 3);
  EXPECT_EQ(c.macs, 4 * 3 * 3 * 3 * 6 * 6);
  EXPECT_FALSE(c.bias);
  ASSERT_EQ(c.params.size(), 1u);
  EXPECT_EQ(c.params[0].name, "stem.conv1.weight");
  EXPECT_EQ(c.params[0].shape, (Dims{4, 3, 3, 3}));
  EXPECT_TRUE(c.params[0].trainable);
  // 108 conv weights + linear 4*2 + 2.
  EXPECT_EQ(r.net->totalParams(), 108 + 10);
  EXPECT_EQ(r.net->totalMACs(), 108 * 36 + 8);
}

TEST(SemaTest, ConvBiasFromModelSettingAndOption) {
  Analysis r(
      model("  conv_bias true\n  stem { conv(4, kernel=1) conv(4, kernel=1, "
            "bias=false) }"));
  ASSERT_VALID(r);
  EXPECT_TRUE(r.layer("stem.conv1").bias);
  EXPECT_EQ(r.layer("stem.conv1").numParams, 4 * 3 + 4);
  EXPECT_EQ(r.layer("stem.conv1").params.size(), 2u);
  EXPECT_EQ(r.layer("stem.conv1").params[1].name, "stem.conv1.bias");
  EXPECT_FALSE(r.layer("stem.conv2").bias);
  EXPECT_EQ(r.layer("stem.conv2").numParams, 4 * 4);
  // MACs never count the bias.
  EXPECT_EQ(r.layer("stem.conv1").macs, 4 * 3 * 8 * 8);
}

TEST(SemaTest, BatchNormParametersAndState) {
  Analysis r(model("  stem { conv(5, kernel=1) bn }"));
  ASSERT_VALID(r);
  const Layer &bn = r.layer("stem.bn1");
  EXPECT_EQ(bn.numParams, 10);
  EXPECT_EQ(bn.macs, 0);
  ASSERT_EQ(bn.params.size(), 4u);
  EXPECT_EQ(bn.params[0].name, "stem.bn1.weight");
  EXPECT_EQ(bn.params[1].name, "stem.bn1.bias");
  EXPECT_EQ(bn.params[2].name, "stem.bn1.running_mean");
  EXPECT_EQ(bn.params[3].name, "stem.bn1.running_var");
  EXPECT_TRUE(bn.params[0].trainable);
  EXPECT_TRUE(bn.params[1].trainable);
  EXPECT_FALSE(bn.params[2].trainable);
  EXPECT_FALSE(bn.params[3].trainable);
  for (const ParamSpec &p : bn.params)
    EXPECT_EQ(p.shape, (Dims{5}));
  EXPECT_DOUBLE_EQ(bn.eps, 1e-5);
  EXPECT_DOUBLE_EQ(bn.momentum, 0.1);
}

TEST(SemaTest, BatchNormSettings) {
  Analysis r(model("  bn_eps 0.001\n  bn_momentum 0\n  stem { bn bn(eps=0.5, "
                   "momentum=1) }"));
  ASSERT_VALID(r);
  EXPECT_DOUBLE_EQ(r.layer("stem.bn1").eps, 1e-3);
  EXPECT_DOUBLE_EQ(r.layer("stem.bn1").momentum, 0.0);
  EXPECT_DOUBLE_EQ(r.layer("stem.bn2").eps, 0.5);
  EXPECT_DOUBLE_EQ(r.layer("stem.bn2").momentum, 1.0);
}

TEST(SemaTest, LinearWithAndWithoutBias) {
  Analysis r("model m { input 4x2x2 classes 3 head { flatten linear(5) "
             "linear(classes, bias=false) } }");
  ASSERT_VALID(r);
  EXPECT_EQ(r.layer("head.flatten1").shape, (Dims{16}));
  EXPECT_EQ(r.layer("head.linear1").numParams, 16 * 5 + 5);
  EXPECT_EQ(r.layer("head.linear1").macs, 80);
  EXPECT_EQ(r.layer("head.linear1").params[0].shape, (Dims{5, 16}));
  EXPECT_EQ(r.layer("head.linear2").numParams, 15);
  EXPECT_EQ(r.layer("head.linear2").params.size(), 1u);
  EXPECT_EQ(r.net->totalParams(), 85 + 15);
  EXPECT_EQ(r.net->output, static_cast<int>(r.net->layers.size()) - 1);
}

TEST(SemaTest, GroupedConvolution) {
  Analysis r(model("  stem { conv(8, kernel=1) conv(16, kernel=3, padding=1, "
                   "groups=4) conv(8, kernel=3, padding=1, groups=8) }"));
  ASSERT_VALID(r);
  const Layer &g = r.layer("stem.conv2");
  EXPECT_EQ(g.groups, 4);
  EXPECT_EQ(g.params[0].shape, (Dims{16, 2, 3, 3}));
  EXPECT_EQ(g.numParams, 16 * 2 * 9);
  EXPECT_EQ(g.macs, 16 * 2 * 9 * 8 * 8);
  // Eight groups of two input channels.
  EXPECT_EQ(r.layer("stem.conv3").params[0].shape, (Dims{8, 2, 3, 3}));
}

TEST(SemaTest, PoolingShapes) {
  Analysis r(model("  stem { maxpool(3, stride=2, padding=1) avgpool(2) "
                   "maxpool(1) }",
                   "3x9x9"));
  ASSERT_VALID(r);
  EXPECT_EQ(r.layer("stem.maxpool1").shape, (Dims{3, 5, 5}));
  // avgpool's stride defaults to its kernel, like PyTorch.
  EXPECT_EQ(r.layer("stem.avgpool1").shape, (Dims{3, 2, 2}));
  EXPECT_EQ(r.layer("stem.avgpool1").stride, (Pair{2, 2}));
  EXPECT_EQ(r.layer("stem.maxpool2").shape, (Dims{3, 2, 2}));
  EXPECT_EQ(r.layer("stem.maxpool1").numParams, 0);
  EXPECT_EQ(r.layer("stem.maxpool1").macs, 0);
}

TEST(SemaTest, DilatedConvolution) {
  Analysis r(model("  stem { conv(2, kernel=3, dilation=2) conv(2, kernel=3, "
                   "dilation=2, padding=2) }",
                   "1x9x9"));
  ASSERT_VALID(r);
  EXPECT_EQ(r.layer("stem.conv1").shape, (Dims{2, 5, 5}));
  EXPECT_EQ(r.layer("stem.conv2").shape, (Dims{2, 5, 5}));
  EXPECT_EQ(r.layer("stem.conv1").dilation, (Pair{2, 2}));
}

TEST(SemaTest, NonSquareWindows) {
  // PyTorch's (height, width) pairs; an integer stands for both.
  Analysis r(model("  let k = (1, 7)\n"
                   "  stem { conv(4, kernel=k, padding=(0, 3)) "
                   "conv(4, kernel=(3, 1), stride=(2, 1), dilation=(2, 1)) "
                   "maxpool((3, 2), stride=(1, 2), padding=(1, 0)) "
                   "avgpool((2, 1)) }",
                   "3x9x10"));
  ASSERT_VALID(r);
  const Layer &c1 = r.layer("stem.conv1");
  EXPECT_EQ(c1.kernel, (Pair{1, 7}));
  EXPECT_EQ(c1.padding, (Pair{0, 3}));
  EXPECT_EQ(c1.stride, (Pair{1, 1}));
  EXPECT_EQ(c1.shape, (Dims{4, 9, 10}));
  EXPECT_EQ(c1.params[0].shape, (Dims{4, 3, 1, 7}));
  EXPECT_EQ(c1.macs, 4 * 3 * 7 * 9 * 10);
  // (9 - 2*(3-1) - 1) / 2 + 1 = 3 rows, 10 columns.
  EXPECT_EQ(r.layer("stem.conv2").shape, (Dims{4, 3, 10}));
  EXPECT_EQ(r.layer("stem.conv2").params[0].shape, (Dims{4, 4, 3, 1}));
  EXPECT_EQ(r.layer("stem.maxpool1").shape, (Dims{4, 3, 5}));
  // The stride defaults to the kernel, per dimension.
  EXPECT_EQ(r.layer("stem.avgpool1").stride, (Pair{2, 1}));
  EXPECT_EQ(r.layer("stem.avgpool1").shape, (Dims{4, 1, 5}));
}

TEST(SemaTest, NetworkStructure) {
  Analysis r(model("  stem { conv(4, kernel=1) relu }"));
  ASSERT_VALID(r);
  const Network &n = *r.net;
  EXPECT_EQ(n.name, "m");
  EXPECT_EQ(n.classes, 2);
  EXPECT_EQ(n.inputShape, (Dims{3, 8, 8}));
  ASSERT_EQ(n.layers.size(), 6u);
  EXPECT_EQ(n.layers[0].kind, LayerKind::Input);
  EXPECT_EQ(n.layers[0].path, "input");
  for (size_t i = 1; i < n.layers.size(); ++i) {
    ASSERT_EQ(n.layers[i].operands.size(), 1u);
    EXPECT_EQ(n.layers[i].operands[0], static_cast<int>(i) - 1);
  }
  EXPECT_EQ(n.output, 5);
  EXPECT_EQ(n.layers[5].shape, (Dims{2}));
  EXPECT_EQ(n.layers[1].loc.line, 4u);
  EXPECT_EQ(n.layers[1].loc.col, 10u);
  EXPECT_TRUE(n.layers[1].sites.empty());
}

TEST(SemaTest, ParameterNamesAreUnique) {
  Analysis r(model("  stem { conv(8, kernel=3, padding=1) bn relu }\n"
                   "  stages bottleneck(groups=2) [(2, 8), (2, 16)]",
                   "3x16x16"));
  ASSERT_VALID(r);
  std::vector<std::string> names = r.paramNames();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  EXPECT_TRUE(r.hasLayer("stage1.block0.shortcut.conv1"));
  EXPECT_TRUE(r.hasLayer("stage1.block0.shortcut.bn1"));
  EXPECT_TRUE(r.hasLayer("stage2.block1.conv3"));
  EXPECT_TRUE(r.hasLayer("stage2.block1.add"));
}

//===----------------------------------------------------------------------===//
// Channel inference and stages
//===----------------------------------------------------------------------===//

TEST(SemaTest, ChannelsAreInferredFromTheInput) {
  Analysis r(
      model("  stem { conv(6, kernel=1) bn conv(10, kernel=1) }", "5x4x4"));
  ASSERT_VALID(r);
  EXPECT_EQ(r.layer("stem.conv1").params[0].shape, (Dims{6, 5, 1, 1}));
  EXPECT_EQ(r.layer("stem.bn1").params[0].shape, (Dims{6}));
  EXPECT_EQ(r.layer("stem.conv2").params[0].shape, (Dims{10, 6, 1, 1}));
  EXPECT_EQ(r.layer("head.linear1").params[0].shape, (Dims{2, 10}));
}

TEST(SemaTest, StagesStrideRules) {
  // The first stage defaults to stride 1, later stages to stride 2; only the
  // first block of a stage gets the stage's stride.
  Analysis r(model("  stem { conv(4, kernel=1) }\n"
                   "  stages basic [(2, 4), (2, 8), (2, 16, 1), (1, 16, 4)]",
                   "3x32x32"));
  ASSERT_VALID(r);
  EXPECT_EQ(r.layer("stage1.block0.conv1").stride, (Pair{1, 1}));
  EXPECT_EQ(r.layer("stage1.block1.conv1").shape, (Dims{4, 32, 32}));
  EXPECT_FALSE(r.hasLayer("stage1.block0.shortcut.conv1"));
  EXPECT_EQ(r.layer("stage2.block0.conv1").stride, (Pair{2, 2}));
  EXPECT_EQ(r.layer("stage2.block0.conv1").shape, (Dims{8, 16, 16}));
  EXPECT_EQ(r.layer("stage2.block1.conv1").stride, (Pair{1, 1}));
  EXPECT_EQ(r.layer("stage2.block0.shortcut.conv1").stride, (Pair{2, 2}));
  EXPECT_FALSE(r.hasLayer("stage2.block1.shortcut.conv1"));
  // An explicit stride of 1: only the channels change.
  EXPECT_EQ(r.layer("stage3.block0.conv1").stride, (Pair{1, 1}));
  EXPECT_EQ(r.layer("stage3.block1.add").shape, (Dims{16, 16, 16}));
  EXPECT_EQ(r.layer("stage3.block0.shortcut.conv1").stride, (Pair{1, 1}));
  // An explicit stride of 4 on a one-block stage.
  EXPECT_EQ(r.layer("stage4.block0.add").shape, (Dims{16, 4, 4}));
}

TEST(SemaTest, StageNumberingContinuesAcrossStagesItems) {
  Analysis r(
      model("  stages basic [(1, 4)]\n  stages basic [(1, 8)]", "3x8x8"));
  ASSERT_VALID(r);
  EXPECT_TRUE(r.hasLayer("stage1.block0.add"));
  // The second 'stages' continues with stage 2 and its default stride 2.
  EXPECT_EQ(r.layer("stage2.block0.add").shape, (Dims{8, 4, 4}));
}

TEST(SemaTest, StageArgumentsReachEveryBlock) {
  Analysis r(model("  stages basic(proj_bn=false) [(1, 4), (2, 8)]"));
  ASSERT_VALID(r);
  EXPECT_TRUE(r.hasLayer("stage1.block0.shortcut.conv1"));
  EXPECT_FALSE(r.hasLayer("stage1.block0.shortcut.bn1"));
  EXPECT_FALSE(r.hasLayer("stage2.block0.shortcut.bn1"));
}

TEST(SemaTest, BottleneckWidths) {
  // width = channels * width_per_group / 64 * groups, expansion 4.
  Analysis r(model(
      "  stages bottleneck(groups=32, width_per_group=4) [(1, 64)]", "64x8x8"));
  ASSERT_VALID(r);
  EXPECT_EQ(r.layer("stage1.block0.conv1").shape[0], 128);
  EXPECT_EQ(r.layer("stage1.block0.conv2").groups, 32);
  EXPECT_EQ(r.layer("stage1.block0.conv2").params[0].shape,
            (Dims{128, 4, 3, 3}));
  EXPECT_EQ(r.layer("stage1.block0.conv3").shape[0], 256);
  EXPECT_EQ(r.layer("stage1.block0.shortcut.conv1").shape, (Dims{256, 8, 8}));
}

TEST(SemaTest, ResNet18ParameterCount) {
  Analysis r("model resnet18 {\n"
             "  input 3x224x224\n  classes 1000\n"
             "  stem { conv(64, kernel=7, stride=2, padding=3) bn relu "
             "maxpool(3, stride=2, padding=1) }\n"
             "  stages basic [(2, 64), (2, 128), (2, 256), (2, 512)]\n"
             "  head { global_avgpool flatten linear(classes) }\n}\n");
  ASSERT_VALID(r);
  EXPECT_EQ(r.net->totalParams(), 11689512);
  EXPECT_EQ(r.net->totalMACs(), 1814073344);
}

//===----------------------------------------------------------------------===//
// Blocks: parameters, defaults, scopes
//===----------------------------------------------------------------------===//

TEST(SemaTest, BlockParameterDefaultsAndBinding) {
  Analysis r("block b(channels, mult = 2, width = channels * mult, "
             "keep = in_channels) {\n"
             "  main { conv(width, kernel=1) conv(keep, kernel=1) }\n"
             "}\n" +
             model("  stem { b(4) b(4, 3) b(channels=2, width=5) b(6, keep=3, "
                   "mult=1) }",
                   "3x4x4"));
  ASSERT_VALID(r);
  // b(4): width 8; keep = in_channels = 3.
  EXPECT_EQ(r.layer("stem.b1.conv1").shape[0], 8);
  EXPECT_EQ(r.layer("stem.b1.conv2").shape[0], 3);
  // b(4, 3): width 12.
  EXPECT_EQ(r.layer("stem.b2.conv1").shape[0], 12);
  // Keyword arguments: width given, mult defaulted.
  EXPECT_EQ(r.layer("stem.b3.conv1").shape[0], 5);
  // Keyword arguments in any order after positional ones.
  EXPECT_EQ(r.layer("stem.b4.conv1").shape[0], 6);
  EXPECT_EQ(r.layer("stem.b4.conv2").shape[0], 3);
}

TEST(SemaTest, BlockInputVariables) {
  Analysis r(
      "block probe(x) {\n"
      "  main { conv(in_channels * 10 + in_height, kernel=1) "
      "conv(in_width, kernel=1) }\n"
      "  shortcut { conv(in_width, kernel=1) }\n"
      "}\n"
      "block flat(x) { main { linear(in_features * 2) linear(in_features) "
      "} }\n"
      "model m { input 3x5x7 classes 7 stem { probe(0) } head { "
      "global_avgpool flatten flat(0) } }");
  ASSERT_VALID(r);
  EXPECT_EQ(r.layer("stem.probe1.conv1").shape[0], 35);
  EXPECT_EQ(r.layer("stem.probe1.conv2").shape[0], 7);
  EXPECT_EQ(r.layer("head.flat1.linear1").shape, (Dims{14}));
  EXPECT_EQ(r.layer("head.flat1.add").shape, (Dims{7}));
}

TEST(SemaTest, LetsAndIfsInsideBlocks) {
  Analysis r("block b(channels, deep = false) {\n"
             "  let half = channels / 2\n"
             "  main {\n"
             "    conv(half, kernel=1)\n"
             "    if deep { let extra = 3 conv(half + extra, kernel=1) }\n"
             "    else if channels > 8 { relu } else { bn }\n"
             "    conv(channels, kernel=1)\n"
             "  }\n"
             "}\n" +
             model("  stem { conv(8, kernel=1) b(8) b(8, deep=true) conv(16, "
                   "kernel=1) b(16) }",
                   "3x4x4"));
  ASSERT_VALID(r);
  EXPECT_EQ(r.layer("stem.b1.conv1").shape[0], 4);
  EXPECT_TRUE(r.hasLayer("stem.b1.bn1"));
  EXPECT_EQ(r.layer("stem.b2.conv2").shape[0], 7);
  EXPECT_FALSE(r.hasLayer("stem.b2.bn1"));
  EXPECT_TRUE(r.hasLayer("stem.b3.relu1"));
}

TEST(SemaTest, IdentityAddAndOutSection) {
  Analysis r(
      "block res(c) { main { conv(c, kernel=3, padding=1) } out { relu } }\n" +
      model("  stem { conv(4, kernel=1) res(4) }"));
  ASSERT_VALID(r);
  const Layer &add = r.layer("stem.res1.add");
  EXPECT_EQ(add.kind, LayerKind::Add);
  ASSERT_EQ(add.operands.size(), 2u);
  // main path result, then the shortcut (the block input, stem.conv1).
  EXPECT_EQ(r.net->layers[add.operands[0]].path, "stem.res1.conv1");
  EXPECT_EQ(r.net->layers[add.operands[1]].path, "stem.conv1");
  const Layer &out = r.layer("stem.res1.relu1");
  EXPECT_EQ(r.net->layers[out.operands[0]].path, "stem.res1.add");
  EXPECT_EQ(add.numParams, 0);
}

TEST(SemaTest, EmptyMainPathAddsTheInputToItself) {
  Analysis r("block twice(c) { main { } }\n" +
             model("  stem { conv(4, kernel=1) twice(0) }"));
  ASSERT_VALID(r);
  const Layer &add = r.layer("stem.twice1.add");
  EXPECT_EQ(add.operands[0], add.operands[1]);
}

TEST(SemaTest, InstantiationSitesAreRecorded) {
  Analysis r("block inner(c) { main { conv(c, kernel=1) } }\n"
             "block outer(channels, stride = 1) { main { inner(channels) } "
             "shortcut { conv(channels, kernel=1) } }\n" +
             model("  stem { conv(4, kernel=1) }\n  stages outer [(1, 4)]"));
  ASSERT_VALID(r);
  const Layer &l = r.layer("stage1.block0.inner1.conv1");
  ASSERT_EQ(l.sites.size(), 2u);
  // Innermost first: inner(c) inside outer, then the stage in the model.
  EXPECT_EQ(l.sites[0].line, 2u);
  EXPECT_EQ(l.sites[0].col, 44u);
  EXPECT_EQ(l.sites[1].line, 7u);
  EXPECT_EQ(l.loc.line, 1u);
  EXPECT_EQ(l.loc.col, 25u);
}

TEST(SemaTest, BoundedRecursion) {
  Analysis r("block stack(c, n) { main { conv(c, kernel=1) if n > 1 { "
             "stack(c, n - 1) } } }\n" +
             model("  stem { conv(4, kernel=1) stack(4, 5) }"));
  ASSERT_VALID(r);
  EXPECT_TRUE(r.hasLayer("stem.stack1.stack1.stack1.stack1.stack1.conv1"));
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

TEST(SemaTest, IntegerArithmetic) {
  // Each expression gives the channel count of one convolution.
  Analysis r(
      model("  stem { conv(-7 / 2 + 10, kernel=1) conv(-7 % 3, kernel=1) "
            "conv(7 % -3 + 5, kernel=1) conv(7 / 2, kernel=1) "
            "conv(2 + 3 * 4 - 1, kernel=1) conv((2 + 3) * 4, kernel=1) }"));
  ASSERT_VALID(r);
  EXPECT_EQ(r.layer("stem.conv1").shape[0], 6); // floor(-3.5) = -4
  EXPECT_EQ(r.layer("stem.conv2").shape[0], 2); // sign of the divisor
  EXPECT_EQ(r.layer("stem.conv3").shape[0], 3); // 7 % -3 = -2
  EXPECT_EQ(r.layer("stem.conv4").shape[0], 3);
  EXPECT_EQ(r.layer("stem.conv5").shape[0], 13);
  EXPECT_EQ(r.layer("stem.conv6").shape[0], 20);
}

TEST(SemaTest, BooleanLogicShortCircuits) {
  // The right operand is not evaluated when the left decides, so an unknown
  // name there is not an error.
  Analysis r(
      model("  stem { if true or nonsense { relu } if false and nonsense { "
            "bn } if not (1 < 2) { bn } else { relu } }"));
  ASSERT_VALID(r);
  EXPECT_TRUE(r.hasLayer("stem.relu1"));
  EXPECT_TRUE(r.hasLayer("stem.relu2"));
  EXPECT_FALSE(r.hasLayer("stem.bn1"));
}

TEST(SemaTest, FloatsAndMixedComparisons) {
  Analysis r(
      model("  stem { if 2 * 0.5 == 1 and 3 > 2.5 and 1.5 != 1 { relu } }\n"
            "  bn_eps 1 / 2000.0"));
  ASSERT_VALID(r);
  EXPECT_TRUE(r.hasLayer("stem.relu1"));
}

TEST(SemaTest, FloatOptionsAcceptIntegers) {
  Analysis r(model("  stem { bn(eps=1) }"));
  ASSERT_VALID(r);
  EXPECT_DOUBLE_EQ(r.layer("stem.bn1").eps, 1.0);
}

//===----------------------------------------------------------------------===//
// Errors: each gives exactly one diagnostic at the right place
//===----------------------------------------------------------------------===//

TEST(SemaTest, ExpressionErrors) {
  struct Case {
    const char *let;
    const char *message;
    uint32_t col;
  } cases[] = {
      {"1099511627776 * 1099511627776", "integer overflow in expression", 25},
      {"-1099511627776 * 1099511627776", "integer overflow in expression", 26},
      {"1 / 0", "division by zero", 13},
      {"1 % (2 - 2)", "remainder by zero", 13},
      {"1.5 / 0", "division by zero", 15},
      {"1e300 * 1e300", "number is out of range", 17},
      {"1.5 % 1", "operator '%' needs integers", 15},
      {"nothing", "unknown name 'nothing'", 11},
      {"-false", "'-' needs a number, found a boolean", 11},
      {"true + true", "operator '+' cannot combine a boolean and a boolean",
       16},
      {"true < false", "operator '<' cannot combine a boolean and a boolean",
       16},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.let);
    Analysis r(model(std::string("  let x = ") + c.let));
    Diagnostic d = semaError(r);
    EXPECT_EQ(d.message, c.message);
    EXPECT_EQ(d.loc.line, 4u);
    EXPECT_EQ(d.loc.col, c.col);
  }
}

TEST(SemaTest, TypeNamesInMessagesUseTheRightArticle) {
  Analysis r(model("  stem { if 1 { relu } }"));
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.message, "'if' condition must be a boolean, found an integer");
}

TEST(SemaTest, UnknownNameSuggestions) {
  Analysis r("block b(channels) { main { conv(chanels, kernel=1) } }\n" +
             model("  stem { b(4) }"));
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.message, "unknown name 'chanels'; did you mean 'channels'?");
  EXPECT_EQ(d.loc.line, 1u);
  EXPECT_EQ(d.loc.col, 33u);
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_EQ(d.notes[0].message, "in stem.b1 (block 'b') instantiated here");
  EXPECT_EQ(d.notes[0].loc.line, 5u);
}

TEST(SemaTest, LayerErrors) {
  struct Case {
    const char *stem;
    const char *message;
    uint32_t col;
  } cases[] = {
      {"rleu", "unknown layer or block 'rleu'; did you mean 'relu'?", 10},
      {"conv(4)",
       "'conv' needs 'kernel' (e.g. conv(64, kernel=3, stride=1, "
       "padding=1))",
       10},
      {"conv(4, kernal=3)",
       "'conv' has no option 'kernal'; did you mean 'kernel'? (options: "
       "channels, kernel, stride, padding, dilation, groups, bias)",
       18},
      {"conv(4, kernel=3, kernel=1)",
       "option 'kernel' of 'conv' is given twice", 28},
      {"conv(4, kernel=true)",
       "option 'kernel' of 'conv' must be an integer or a pair (height, "
       "width), found a boolean",
       18},
      {"conv(0, kernel=1)", "conv channels must be positive, got 0", 15},
      {"conv(4, kernel=1, padding=-1)",
       "conv padding must be non-negative, got -1", 28},
      {"conv(1048577, kernel=1)",
       "conv channels 1048577 is too large (at most 1048576)", 15},
      {"conv(4, kernel=9)",
       "conv kernel 9 does not fit in its input 3x8x8 with padding 0", 10},
      {"conv(4, kernel=3, groups=2)",
       "input channels (3) do not divide into 2 groups", 28},
      {"maxpool(3, padding=2)",
       "maxpool padding 2 is more than half the kernel 3 (PyTorch rejects "
       "this too)",
       21},
      {"relu(1)", "too many arguments for 'relu' (it takes 0; e.g. relu)", 15},
      {"linear(4)",
       "'linear' needs a flat input, but its input is 3x8x8 (add 'flatten' "
       "before it, usually after 'global_avgpool')",
       10},
      {"add",
       "'add' is not a layer: a block adds its 'main' and 'shortcut' "
       "paths itself",
       10},
      {"bn(momentum=-1)", "bn momentum must be in [0, 1]", 13},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.stem);
    Analysis r(model(std::string("  stem { ") + c.stem + " }"));
    Diagnostic d = semaError(r);
    EXPECT_EQ(d.message, c.message);
    EXPECT_EQ(d.loc.line, 4u);
    EXPECT_EQ(d.loc.col, c.col);
  }
}

TEST(SemaTest, ModelErrors) {
  struct Case {
    const char *text;
    const char *message;
    uint32_t line, col;
  } cases[] = {
      {"",
       "no model in this file (define one with 'model NAME { input ... "
       "classes ... }')",
       1, 1},
      {"model m { classes 2 }",
       "model 'm' has no input shape (add e.g. 'input 3x224x224' as its first "
       "line)",
       1, 1},
      {"model m { input 3x8x8 head { flatten } }",
       "model 'm' does not say how many classes it predicts (add e.g. "
       "'classes 10')",
       1, 1},
      {"model m { input 3x8x8 classes 2 }",
       "model 'm' has no layers (add 'stem', 'stages' and 'head')", 1, 1},
      {"model m { input 3x8x8 input 3x8x8 }", "'input' is given twice", 1, 23},
      {"model m { input 3x8 }",
       "input shape must be CxHxW (three sizes, e.g. 1x96x96), got 2 sizes", 1,
       17},
      {"model m { stem { relu } input 3x8x8 }",
       "the model's 'input' must be given before its layers (e.g. 'input "
       "3x224x224')",
       1, 11},
      {"model m { input 3x8x8 classes 0 }", "classes must be positive, got 0",
       1, 31},
      {"model m { input 3x8x8 classes 2 stages basci [(1, 4)] }",
       "unknown block 'basci'; did you mean 'basic'? (blocks: basic, "
       "bottleneck, resnext, preact_basic, preact_bottleneck)",
       1, 40},
      {"model m { input 3x8x8 classes 2 stem { conv(4, kernel=1) } }",
       "the model ends with 4x8x8 but its output must be the 2 class logits", 1,
       33},
      {"model a { } model b { }", "only one model per file is supported", 1,
       13},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    Analysis r(c.text);
    Diagnostic d = semaError(r);
    EXPECT_EQ(d.message, c.message);
    EXPECT_EQ(d.loc.line, c.line);
    EXPECT_EQ(d.loc.col, c.col);
  }
}

TEST(SemaTest, SettingGivenTwiceIsAnError) {
  Analysis r("model m { input 3x8x8 classes 2 classes 3 head { global_avgpool "
             "flatten linear(classes) } }");
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.message, "'classes' is given twice");
  EXPECT_EQ(d.loc.col, 33u);
}

TEST(SemaTest, BlockDefinitionErrors) {
  struct Case {
    const char *text;
    const char *message;
    uint32_t line, col;
    size_t notes;
  } cases[] = {
      {"block b(c) { main { } }\nblock b(c) { main { } }\nmodel m { }",
       "block 'b' is already defined", 2, 1, 1},
      {"block basic(c) { main { } }\nmodel m { }",
       "block 'basic' is already defined as a built-in block (choose another "
       "name)",
       1, 1, 1},
      {"block bn(c) { main { } }\nmodel m { }",
       "block 'bn' has the name of a built-in layer", 1, 1, 0},
      {"block b(c, d, c) { main { } }\nmodel m { }",
       "parameter 'c' is declared twice", 1, 15, 0},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    Analysis r(c.text);
    Diagnostic d = semaError(r);
    EXPECT_EQ(d.message, c.message);
    EXPECT_EQ(d.loc.line, c.line);
    EXPECT_EQ(d.loc.col, c.col);
    EXPECT_EQ(d.notes.size(), c.notes);
  }
}

TEST(SemaTest, BlockArgumentErrors) {
  const std::string b = "block b(c, s = 1) { main { conv(c, kernel=1, "
                        "stride=s) } shortcut { conv(c, kernel=1, stride=s) } "
                        "}\n";
  struct Case {
    const char *stem;
    const char *message;
  } cases[] = {
      {"b", "block 'b' needs an argument for 'c'"},
      {"b(1, 2, 3)", "too many arguments for block 'b'"},
      {"b(4, t=2)", "block 'b' has no parameter 't'"},
      {"b(4, c=2)", "parameter 'c' of block 'b' is given twice"},
      {"b(s=2, 4)", "positional argument after a keyword argument"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.stem);
    Analysis r(b + model(std::string("  stem { ") + c.stem + " }"));
    Diagnostic d = semaError(r);
    // Starts with the message (a suggestion may follow).
    EXPECT_EQ(d.message.rfind(c.message, 0), 0u) << d.message;
    EXPECT_EQ(d.loc.line, 5u);
  }
}

TEST(SemaTest, StagesErrors) {
  struct Case {
    const char *stages;
    const char *message;
  } cases[] = {
      {"basic(false) [(1, 4)]",
       "arguments of a 'stages' block must be named (e.g. 'groups=32')"},
      {"basic(stride=2) [(1, 4)]",
       "'stride' is set per stage by the list '(blocks, channels[, stride])'"},
      {"basic [(0, 4)]",
       "number of blocks in a stage must be between 1 and 10000, got 0"},
      {"basic [(1, 4, 0)]", "stage stride must be positive, got 0"},
      {"basic [(1, -4)]", "stage channels must be positive, got -4"},
      {"basic [(true, 4)]",
       "number of blocks must be an integer, found a boolean"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.stages);
    Analysis r(model(std::string("  stages ") + c.stages));
    Diagnostic d = semaError(r);
    EXPECT_EQ(d.message, c.message);
    EXPECT_EQ(d.loc.line, 4u);
  }
}

TEST(SemaTest, StagesBlockNeedsChannelsAndStride) {
  Analysis r("block plain(c) { main { relu } }\n" +
             model("  stages plain [(1, 4)]"));
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.message,
            "block 'plain' cannot be used in 'stages': it has no parameter "
            "'channels' (stages pass 'channels' and 'stride' to every block)");
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_EQ(d.notes[0].message, "block 'plain' is defined here");
}

TEST(SemaTest, ErrorsInsidePreludeBlocksPointAtTheUser) {
  Analysis r(model("  stages resnext(groups=3) [(1, 16)]"));
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.message, "input channels (16) do not divide into 3 groups");
  // Reported at the stage, in the user's file ...
  EXPECT_EQ(r.session.getSourceManager().getName(d.loc.buffer), "t.rn");
  EXPECT_EQ(d.loc.line, 4u);
  EXPECT_EQ(d.loc.col, 29u);
  // ... with a note into the prelude, then where the input comes from.
  ASSERT_EQ(d.notes.size(), 2u);
  EXPECT_EQ(d.notes[0].message,
            "inside built-in block 'resnext' (defined in the prelude)");
  EXPECT_EQ(r.session.getSourceManager().getName(d.notes[0].loc.buffer),
            "<prelude>");
  EXPECT_EQ(d.notes[1].message,
            "the input (16x8x8) comes from stage1.block0.relu1");
}

TEST(SemaTest, FlatInputToSpatialLayer) {
  Analysis r(model("  stem { flatten relu bn }"));
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.message,
            "'bn' needs a CxHxW input, but its input is flat (192 features)");
  EXPECT_EQ(d.loc.col, 23u);
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_EQ(d.notes[0].message, "the input comes from stem.relu1 here");
  EXPECT_EQ(d.notes[0].loc.col, 18u);
}

//===----------------------------------------------------------------------===//
// Residual adds
//===----------------------------------------------------------------------===//

TEST(SemaTest, ResidualChannelMismatchWithIdentityShortcut) {
  Analysis r("block b(c) {\n  main { conv(c, kernel=1) }\n}\n" +
             model("  stem { b(6) }", "3x8x8"));
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.message, "residual add in stem.b1 (block 'b') has mismatched "
                       "shapes: the main path gives 6x8x8 but the shortcut "
                       "gives 3x8x8");
  EXPECT_EQ(d.loc.line, 7u);
  EXPECT_EQ(d.loc.col, 10u);
  ASSERT_EQ(d.notes.size(), 3u);
  EXPECT_EQ(d.notes[0].message, "the main path ends with stem.b1.conv1 (6x8x8) "
                                "here");
  EXPECT_EQ(d.notes[0].loc.line, 2u);
  EXPECT_EQ(d.notes[1].message, "the shortcut is the identity here: it passes "
                                "the block input (3x8x8) through unchanged");
  EXPECT_EQ(d.notes[1].loc.line, 1u); // no shortcut section: the block
  EXPECT_EQ(d.notes[2].message, "a projection shortcut 'conv(6, kernel=1, "
                                "stride=1)' followed by 'bn' would make the "
                                "shapes match");
}

TEST(SemaTest, ResidualSpatialMismatchSuggestsTheStride) {
  Analysis r("block b(c) {\n  main { conv(c, kernel=3, stride=4, padding=1) }\n"
             "  shortcut { conv(c, kernel=1) }\n}\n" +
             model("  stem { b(6) }", "3x16x16"));
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.message, "residual add in stem.b1 (block 'b') has mismatched "
                       "shapes: the main path gives 6x4x4 but the shortcut "
                       "gives 6x16x16");
  ASSERT_EQ(d.notes.size(), 3u);
  EXPECT_EQ(d.notes[1].message,
            "the shortcut ends with stem.b1.shortcut.conv1 (6x16x16) here");
  EXPECT_EQ(d.notes[1].loc.line, 3u);
  EXPECT_EQ(d.notes[2].message, "a projection shortcut 'conv(6, kernel=1, "
                                "stride=4)' followed by 'bn' would make the "
                                "shapes match");
  EXPECT_EQ(d.notes[2].loc.line, 3u); // at the shortcut section
}

TEST(SemaTest, ResidualMismatchWithoutPossibleProjection) {
  Analysis r("block b(c) { main { conv(c, kernel=2) } }\n" +
             model("  stem { b(3) }", "3x8x8"));
  Diagnostic d = semaError(r);
  EXPECT_NE(d.message.find("main path gives 3x7x7 but the shortcut gives "
                           "3x8x8"),
            std::string::npos);
  EXPECT_EQ(d.notes.size(), 2u); // no projection can give 7 from 8
}

TEST(SemaTest, ResidualMismatchWithEmptyMainPath) {
  Analysis r("block b(c) { main { } shortcut { conv(c, kernel=1) } }\n" +
             model("  stem { b(5) }"));
  Diagnostic d = semaError(r);
  ASSERT_GE(d.notes.size(), 2u);
  EXPECT_EQ(d.notes[0].message,
            "the main path is empty and passes the block input through");
}

TEST(SemaTest, ResidualMismatchOfFlatShapes) {
  Analysis r(
      "block fc(n) { main { linear(n) } }\n"
      "model m { input 3x8x8 classes 2 head { global_avgpool flatten fc(4) "
      "linear(classes) } }");
  Diagnostic d = semaError(r);
  EXPECT_NE(d.message.find("main path gives 4"), std::string::npos);
  EXPECT_EQ(d.notes.size(), 2u); // no conv projection for flat shapes
}

TEST(SemaTest, ResidualMismatchInStageReportsTheStage) {
  Analysis r(
      "block b(channels, stride = 1) { main { conv(channels, kernel=3, "
      "stride=stride, padding=1) } shortcut { if in_channels != channels "
      "{ conv(channels, kernel=1) } } }\n" +
      model("  stages b [(1, 4), (1, 8)]", "3x8x8"));
  Diagnostic d = semaError(r);
  EXPECT_NE(d.message.find("residual add in stage2.block0 (block 'b')"),
            std::string::npos);
  EXPECT_NE(d.message.find("the main path gives 8x4x4 but the shortcut gives "
                           "8x8x8"),
            std::string::npos);
  EXPECT_EQ(d.loc.line, 5u);
  EXPECT_EQ(d.loc.col, 21u); // the second stage
}

TEST(SemaTest, ResidualMismatchInNestedBlockHasInstantiationNote) {
  Analysis r(
      "block inner(c) { main { conv(c, kernel=1) } }\n"
      "block outer(c) { main { inner(c) } shortcut { conv(c, kernel=1) } "
      "}\n" +
      model("  stem { outer(4) }"));
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.loc.line, 2u);
  EXPECT_EQ(d.loc.col, 25u);
  ASSERT_FALSE(d.notes.empty());
  EXPECT_EQ(d.notes[0].message,
            "in stem.outer1 (block 'outer') instantiated here");
}

//===----------------------------------------------------------------------===//
// Limits
//===----------------------------------------------------------------------===//

TEST(SemaTest, LayerLimit) {
  SemaLimits limits;
  limits.maxLayers = 10;
  Analysis r(
      model("  stem { relu relu relu relu relu relu relu relu relu relu }"),
      limits);
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.message, "model has more than 10 layers");
}

TEST(SemaTest, BlocksPerStageLimit) {
  SemaLimits limits;
  limits.maxBlocksPerStage = 3;
  Analysis ok(model("  stages basic [(3, 3)]"), limits);
  ASSERT_VALID(ok);
  Analysis r(model("  stages basic [(4, 3)]"), limits);
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.message,
            "number of blocks in a stage must be between 1 and 3, got 4");
}

TEST(SemaTest, InstantiationDepthLimit) {
  const std::string stack = "block stack(c, n) { main { relu if n > 1 { "
                            "stack(c, n - 1) } } }\n";
  SemaLimits limits;
  limits.maxInstantiationDepth = 4;
  Analysis ok(stack + model("  stem { stack(0, 4) }"), limits);
  ASSERT_VALID(ok);
  Analysis r(stack + model("  stem { stack(0, 5) }"), limits);
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.message,
            "blocks are nested too deeply (is block 'stack' using itself?)");
}

TEST(SemaTest, DefaultInstantiationDepthAllowsSixteenLevels) {
  const std::string stack = "block stack(c, n) { main { relu if n > 1 { "
                            "stack(c, n - 1) } } }\n";
  Analysis ok(stack + model("  stem { stack(0, 16) }"));
  ASSERT_VALID(ok);
  Analysis r(stack + model("  stem { stack(0, 17) }"));
  semaError(r);
}

TEST(SemaTest, ActivationLimit) {
  Analysis r(model("  stem { conv(1048576, kernel=1, padding=100) }", "1x8x8"));
  Diagnostic d = semaError(r);
  EXPECT_EQ(d.message, "activation 1048576x208x208 is too large for one image "
                       "(at most 2^34 elements)");
}

TEST(SemaTest, TotalMACsNeverOverflow) {
  // Each path needs just under 2^63 MACs; the sum must be rejected, not
  // wrapped to a negative count.
  Analysis r("block twin(c) { main { conv(1, kernel=32, padding=46000) } "
             "shortcut { conv(1, kernel=32, padding=46000) } }\n" +
             model("  stem { twin(1) }", "1048576x1x1"));
  // (Summing the layers' MACs of the accepted network would overflow, so
  // the test does not call totalMACs().)
  EXPECT_FALSE(r.net.has_value())
      << "a model with more than 2^63 MACs was accepted";
  EXPECT_EQ(r.diags().size(), 1u);
}

//===----------------------------------------------------------------------===//
// Built-in blocks
//===----------------------------------------------------------------------===//

TEST(SemaTest, ResNeXtWithFractionalBottleneckMultiplier) {
  // d2l's ResNeXtBlock uses round(channels * bot_mul) bottleneck channels.
  Analysis r(
      model("  stages resnext(groups=4, bot_mul=0.25) [(1, 16)]", "16x8x8"));
  ASSERT_VALID(r);
  EXPECT_EQ(r.layer("stage1.block0.conv1").shape[0], 4);
}

TEST(SemaTest, PreactivationBlocksHaveNoOutSection) {
  Analysis r(model("  stages preact_basic [(1, 4)]"));
  ASSERT_VALID(r);
  const Layer &add = r.layer("stage1.block0.add");
  // The add is followed directly by the head.
  EXPECT_EQ(r.layer("head.global_avgpool1").operands[0],
            static_cast<int>(&add - &r.net->layers[0]));
  EXPECT_TRUE(r.hasLayer("stage1.block0.bn1"));
  EXPECT_EQ(r.layer("stage1.block0.bn1").params[0].shape, (Dims{3}));
}

//===----------------------------------------------------------------------===//
// editDistance
//===----------------------------------------------------------------------===//

TEST(SemaTest, EditDistance) {
  EXPECT_EQ(editDistance("", ""), 0u);
  EXPECT_EQ(editDistance("relu", "relu"), 0u);
  EXPECT_EQ(editDistance("", "abc"), 3u);
  EXPECT_EQ(editDistance("abc", ""), 3u);
  EXPECT_EQ(editDistance("rleu", "relu"), 2u);
  EXPECT_EQ(editDistance("kernal", "kernel"), 1u);
  EXPECT_EQ(editDistance("basci", "basic"), 2u);
  EXPECT_EQ(editDistance("conv", "conv2d"), 2u);
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(editDistance("abc", "cba"), editDistance("cba", "abc"));
}
