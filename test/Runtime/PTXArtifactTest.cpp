//===- PTXArtifactTest.cpp - The plan's launches and the PTX framing ------===//

#include "resnetc/Runtime/PTXArtifact.h"

#include <gtest/gtest.h>

using namespace resnetc::runtime;

namespace {

/// A valid one-step CUDA plan: input (2x1x2x2) -> logits (2x3), a scratch
/// buffer, and one launch of `kernel` with the given arguments.
Plan makePlan() {
  Plan plan;
  plan.model = "tiny";
  plan.target = "cuda";
  plan.batch = 2;
  plan.inputShape = {1, 2, 2};
  plan.classes = 3;
  plan.input = 0;
  plan.output = 1;
  plan.buffers = {{"input", BufferRole::Input, DType::F32, {2, 1, 2, 2}, 0, 32},
                  {"logits", BufferRole::Output, DType::F32, {2, 3}, 64, 24},
                  {"s", BufferRole::Scratch, DType::U8, {40}, 128, 40}};
  plan.arenaBytes = 192;
  plan.peakActivationBytes = 128;
  PlanLaunch launch;
  launch.kernel = "k0_kernel";
  launch.grid = {3, 1, 1};
  launch.block = {256, 1, 1};
  LaunchArg in, out, scratch, f, d, i, j;
  in.buffer = 0;
  in.bytes = 32;
  out.buffer = 1;
  out.bytes = 24;
  scratch.buffer = 2;
  scratch.bytes = 40;
  f.kind = LaunchArg::Kind::F32;
  f.bits = 0xff800000u; // -inf
  d.kind = LaunchArg::Kind::F64;
  d.bits = 0x3fb999999999999aull; // 0.1
  i.kind = LaunchArg::Kind::I64;
  i.bits = static_cast<uint64_t>(-5);
  j.kind = LaunchArg::Kind::I32;
  j.bits = 0xfffffffbu; // -5
  launch.args = {in, out, scratch, f, d, i, j};
  PlanStep step;
  step.kernel = "k0";
  step.args = {0, 1};
  step.perImage = false;
  step.launches = {launch};
  plan.entries = {{"infer", {step}}};
  return plan;
}

const char *kPTX = ".version 8.0\n.target sm_90a\n"
                   ".visible .entry k0_kernel(\n"
                   "\t.param .u64 k0_kernel_param_0,\n"
                   "\t.param .u64 k0_kernel_param_1,\n"
                   "\t.param .u64 .ptr .align 1 k0_kernel_param_2,\n"
                   "\t.param .f32 k0_kernel_param_3,\n"
                   "\t.param .f64 k0_kernel_param_4,\n"
                   "\t.param .u64 k0_kernel_param_5,\n"
                   "\t.param .u32 k0_kernel_param_6\n"
                   ")\n{\n\tret;\n}\n";

std::string artifactOf(const Plan &plan) {
  return embedPlanInPTX(writePlan(plan), kPTX);
}

TEST(PTXArtifactTest, LaunchesRoundTripExactly) {
  Plan plan = makePlan();
  Expected<Plan> back = readPTXArtifact(artifactOf(plan), "m.ptx");
  ASSERT_TRUE(back) << back.error().message();
  const PlanLaunch &l = back->entries[0].steps[0].launches.at(0);
  EXPECT_EQ(l.kernel, "k0_kernel");
  EXPECT_EQ(l.grid, (std::array<int64_t, 3>{3, 1, 1}));
  EXPECT_EQ(l.block, (std::array<int64_t, 3>{256, 1, 1}));
  ASSERT_EQ(l.args.size(), 7u);
  EXPECT_EQ(l.args[2].buffer, 2);
  EXPECT_EQ(l.args[2].bytes, 40);
  EXPECT_EQ(l.args[3].kind, LaunchArg::Kind::F32);
  EXPECT_EQ(l.args[3].bits, 0xff800000u);
  EXPECT_EQ(l.args[4].bits, 0x3fb999999999999aull);
  EXPECT_EQ(l.args[5].bits, static_cast<uint64_t>(-5));
  EXPECT_EQ(l.args[6].kind, LaunchArg::Kind::I32);
  EXPECT_EQ(l.args[6].bits, 0xfffffffbu);
  EXPECT_EQ(back->buffers[2].role, BufferRole::Scratch);
}

TEST(PTXArtifactTest, LongPlansSpanManyCommentLines) {
  Plan plan = makePlan();
  for (int i = 0; i < 200; ++i)
    plan.entries[0].steps.push_back(plan.entries[0].steps[0]);
  std::string text = artifactOf(plan);
  EXPECT_GT(std::count(text.begin(), text.end(), '\n'), 20);
  Expected<Plan> back = readPTXArtifact(text, "m.ptx");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->entries[0].steps.size(), 201u);
}

TEST(PTXArtifactTest, EntryParameters) {
  auto params = getPTXEntryParams(kPTX);
  ASSERT_EQ(params.count("k0_kernel"), 1u);
  EXPECT_EQ(params["k0_kernel"],
            (std::vector<std::string>{"u64", "u64", "u64", "f32", "f64", "u64",
                                      "u32"}));
}

/// The error reading `plan` (makePlan() by default) after `edit`, inside
/// the test PTX; empty when it reads.
std::string errorOf(void (*edit)(Plan &), Plan plan = makePlan()) {
  edit(plan);
  Expected<Plan> back = readPTXArtifact(artifactOf(plan), "m.ptx");
  return back ? "" : back.error().message();
}

TEST(PTXArtifactTest, RejectsInconsistentLaunches) {
  EXPECT_EQ(errorOf([](Plan &p) {
              p.entries[0].steps[0].launches[0].kernel = "other";
            }),
            "m.ptx: kernel 'other' named by the plan is not an .entry of the "
            "PTX");
  EXPECT_EQ(errorOf([](Plan &p) {
              p.entries[0].steps[0].launches[0].args.pop_back();
            }),
            "m.ptx: kernel 'k0_kernel' takes 7 parameters, but the plan "
            "passes 6");
  EXPECT_EQ(errorOf([](Plan &p) {
              p.entries[0].steps[0].launches[0].args[3].kind =
                  LaunchArg::Kind::F64;
            }),
            "m.ptx: parameter 3 of kernel 'k0_kernel' is .f32, but the plan "
            "passes f64");
  EXPECT_EQ(errorOf([](Plan &p) {
              p.entries[0].steps[0].launches[0].args[0].bytes = 33;
            }),
            "m.ptx: plan: entries[0].steps[0].launches[0].args[0]: the kernel "
            "accesses 33 bytes of 'input', which has 32");
  EXPECT_EQ(errorOf([](Plan &p) {
              p.entries[0].steps[0].launches[0].block = {1024, 2, 1};
            }),
            "m.ptx: plan: entries[0].steps[0].launches[0].block: more than "
            "1024 threads");
  EXPECT_EQ(errorOf([](Plan &p) {
              p.entries[0].steps[0].launches[0].args[0].buffer = 9;
            }),
            "m.ptx: plan: entries[0].steps[0].launches[0].args[0]: buffer 9 "
            "does not exist");
  EXPECT_EQ(errorOf([](Plan &p) { p.entries[0].steps[0].launches.clear(); }),
            "m.ptx: plan: step 'k0' of 'infer' needs either launches or a "
            "library call");
  EXPECT_EQ(errorOf([](Plan &p) { p.target = "cpu"; }),
            "m.ptx: the plan is for target 'cpu', but the file is PTX");
}

/// makePlan() with its one step turned into a cuDNN forward convolution of
/// buffers (input, scratch as a stand-in 4-D weight, output).
Plan makeLibraryPlan() {
  Plan plan = makePlan();
  plan.buffers[2] = {"w", BufferRole::Param, DType::F32, {1, 1, 2, 2}, 128, 16};
  plan.buffers.push_back(
      {"y", BufferRole::Activation, DType::F32, {2, 1, 1, 1}, 0, 8});
  PlanStep &step = plan.entries[0].steps[0];
  step.launches.clear();
  step.args = {0, 2, 3};
  LibraryCall call;
  call.name = "cudnn.conv2d_forward";
  step.library = call;
  return plan;
}

TEST(PTXArtifactTest, LibraryCallsRoundTrip) {
  Plan plan = makeLibraryPlan();
  plan.entries[0].steps[0].library->strides = {2, 1};
  plan.entries[0].steps[0].library->relu = true;
  plan.entries[0].steps[0].library->mathType = "tensor_op";
  plan.entries[0].steps[0].library->mode = "convolution";
  Expected<Plan> back = readPTXArtifact(artifactOf(plan), "m.ptx");
  ASSERT_TRUE(back) << back.error().message();
  const std::optional<LibraryCall> &call = back->entries[0].steps[0].library;
  ASSERT_TRUE(call);
  EXPECT_EQ(call->name, "cudnn.conv2d_forward");
  EXPECT_EQ(call->strides, (std::array<int64_t, 2>{2, 1}));
  EXPECT_TRUE(call->relu);
  EXPECT_FALSE(call->bias);
  EXPECT_EQ(call->mathType, "tensor_op");
  EXPECT_EQ(call->computeType, "float");
  EXPECT_EQ(call->mode, "convolution");
}

TEST(PTXArtifactTest, LibraryCallsStateHowCuDNNComputes) {
  auto errorOfCall = [](void (*edit)(Plan &)) {
    return errorOf(edit, makeLibraryPlan());
  };
  EXPECT_EQ(errorOfCall([](Plan &p) {
              p.entries[0].steps[0].library->mathType = "default";
            }),
            "m.ptx: plan: entries[0].steps[0].library.math_type: unknown "
            "value 'default' (fma, tensor_op)");
  EXPECT_EQ(errorOfCall([](Plan &p) {
              p.entries[0].steps[0].library->computeType = "half";
            }),
            "m.ptx: plan: entries[0].steps[0].library.compute_type: unknown "
            "value 'half' (float)");
  EXPECT_EQ(errorOfCall([](Plan &p) {
              p.entries[0].steps[0].library->mode = "";
            }),
            "m.ptx: plan: entries[0].steps[0].library.mode: unknown value '' "
            "(cross_correlation, convolution)");
}

TEST(PTXArtifactTest, RejectsInconsistentLibraryCalls) {
  auto errorOfCall = [](void (*edit)(Plan &)) {
    return errorOf(edit, makeLibraryPlan());
  };
  EXPECT_EQ(errorOfCall([](Plan &p) {
              p.entries[0].steps[0].library->name = "cudnn.pool";
            }),
            "m.ptx: plan: entries[0].steps[0].library.name: unknown library "
            "call 'cudnn.pool'");
  EXPECT_EQ(errorOfCall([](Plan &p) {
              p.entries[0].steps[0].library->bias = true;
            }),
            "m.ptx: plan: entries[0].steps[0].library: cudnn.conv2d_forward "
            "takes 4 buffers, the step has 3");
  EXPECT_EQ(errorOfCall([](Plan &p) {
              p.entries[0].steps[0].library->name =
                  "cudnn.conv2d_backward_data";
              p.entries[0].steps[0].library->relu = true;
            }),
            "m.ptx: plan: entries[0].steps[0].library: only the forward "
            "convolution has bias, residual or relu");
  EXPECT_EQ(errorOfCall([](Plan &p) { p.entries[0].steps[0].args[2] = 1; }),
            "m.ptx: plan: entries[0].steps[0].library: argument 2 of "
            "cudnn.conv2d_forward has rank 2");
  EXPECT_EQ(errorOfCall([](Plan &p) {
              p.entries[0].steps[0].library->strides = {0, 1};
            }),
            "m.ptx: plan: entries[0].steps[0].library.strides: expected two "
            "integers >= 1");
  EXPECT_EQ(errorOfCall([](Plan &p) {
              p.entries[0].steps[0].launches =
                  makePlan().entries[0].steps[0].launches;
              p.entries[0].steps[0].launches[0].args[2].bytes = 16;
            }),
            "m.ptx: plan: step 'k0' of 'infer' needs either launches or a "
            "library call");
}

/// makeLibraryPlan() in NHWC: the weight is a derived KRSC copy, the output
/// an NHWC activation; the input stays NCHW (the runtime writes it), so
/// the call reads an NHWC copy of it (buffer 4).
Plan makeNHWCPlan() {
  Plan plan = makeLibraryPlan();
  plan.layout = "nhwc";
  plan.buffers[2].role = BufferRole::Derived;
  plan.buffers[2].layout = Layout::NHWC;
  plan.buffers[3].layout = Layout::NHWC;
  plan.buffers.push_back({"input.nhwc", BufferRole::Activation, DType::F32,
                          {2, 1, 2, 2}, 128 + 64, 32, Layout::NHWC});
  plan.arenaBytes = 256;
  plan.entries[0].steps[0].args = {4, 2, 3};
  return plan;
}

TEST(PTXArtifactTest, LayoutsRoundTrip) {
  Plan plan = makeNHWCPlan();
  Expected<Plan> back = readPTXArtifact(artifactOf(plan), "m.ptx");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->layout, "nhwc");
  EXPECT_EQ(back->buffers[0].layout, Layout::NCHW);
  EXPECT_EQ(back->buffers[2].layout, Layout::NHWC);
  EXPECT_EQ(back->buffers[4].layout, Layout::NHWC);
  // Only non-default layouts are written.
  std::string json = writePlan(plan);
  EXPECT_EQ(json.find("\"layout\":\"nchw\"", json.find("\"buffers\"")),
            std::string::npos);
}

TEST(PTXArtifactTest, RejectsInconsistentLayouts) {
  auto errorOfNHWC = [](void (*edit)(Plan &)) {
    return errorOf(edit, makeNHWCPlan());
  };
  EXPECT_EQ(errorOfNHWC([](Plan &) {}), "");
  EXPECT_EQ(errorOfNHWC([](Plan &p) { p.layout = "chwn"; }),
            "m.ptx: plan: layout: unknown layout 'chwn' (nchw or nhwc)");
  EXPECT_EQ(errorOfNHWC([](Plan &p) { p.buffers[2].layout = Layout::NCHW; }),
            "m.ptx: plan: entries[0].steps[0].library: argument 1 of "
            "cudnn.conv2d_forward is nchw but argument 0 is nhwc; a call's "
            "tensors share one layout");
  EXPECT_EQ(errorOfNHWC([](Plan &p) { p.buffers[0].layout = Layout::NHWC; }),
            "m.ptx: plan: buffers[0]: a buffer of role input must be nchw, "
            "the layout the runtime reads and writes");
  EXPECT_EQ(errorOfNHWC([](Plan &p) { p.layout = "nchw"; }),
            "m.ptx: plan: buffers[2]: an nhwc buffer in a plan of layout "
            "nchw");
  EXPECT_EQ(errorOfNHWC([](Plan &p) { p.buffers[1].layout = Layout::NHWC; }),
            "m.ptx: plan: buffers[1].layout: only a rank-4 buffer can be "
            "nhwc");
}

TEST(PTXArtifactTest, RejectsBadFraming) {
  Expected<std::string> none = extractPlanFromPTX(kPTX, "m.ptx");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(),
            "m.ptx: not a resnetc CUDA artifact (no '// resnetc-plan-begin' "
            "before the PTX)");
  std::string cut = artifactOf(makePlan());
  cut.erase(cut.find(kPTXPlanEnd), std::string(kPTXPlanEnd).size());
  Expected<std::string> unterminated = extractPlanFromPTX(cut, "m.ptx");
  ASSERT_FALSE(unterminated);
  EXPECT_EQ(unterminated.error().message(),
            "m.ptx: the plan's comment lines end without '// "
            "resnetc-plan-end'");
}

TEST(PTXArtifactTest, RejectsMalformedScalars) {
  std::string text = artifactOf(makePlan());
  size_t at = text.find("\"0xff800000\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 12, "\"-inf\"");
  Expected<Plan> back = readPTXArtifact(text, "m.ptx");
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().message(),
            "m.ptx: plan: entries[0].steps[0].launches[0].args[3].f32: "
            "expected the value's bits as \"0x\" and 8 hexadecimal digits");
}

} // namespace
