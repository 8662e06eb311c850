//===- Plan.cpp - The execution plan carried by every artifact ------------===//
//
// The names of the plan's enumerations and its look-ups. Its JSON form, with
// every check the runtime relies on (bounds, indices, version), is in
// PlanJson.cpp.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Plan.h"

#include <algorithm>

using namespace resnetc::runtime;

const char *resnetc::runtime::getBufferRoleName(BufferRole role) {
  switch (role) {
  case BufferRole::Input:
    return "input";
  case BufferRole::Output:
    return "output";
  case BufferRole::Param:
    return "param";
  case BufferRole::State:
    return "state";
  case BufferRole::Derived:
    return "derived";
  case BufferRole::Activation:
    return "activation";
  case BufferRole::Labels:
    return "labels";
  case BufferRole::Hyper:
    return "hyper";
  case BufferRole::OptimizerState:
    return "optimizer_state";
  case BufferRole::Loss:
    return "loss";
  case BufferRole::Scratch:
    return "scratch";
  case BufferRole::Correct:
    return "correct";
  }
  return "?";
}

const PlanEntry *Plan::findEntry(const std::string &name) const {
  for (const PlanEntry &e : entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

const char *resnetc::runtime::getLayoutName(Layout layout) {
  return layout == Layout::NHWC ? "nhwc" : "nchw";
}

std::optional<Layout>
resnetc::runtime::parseLayoutName(const std::string &name) {
  if (name == "nchw")
    return Layout::NCHW;
  if (name == "nhwc")
    return Layout::NHWC;
  return std::nullopt;
}

static const char *const kLibraryCalls[] = {
    "cudnn.conv2d_forward",         "cudnn.conv2d_backward_data",
    "cudnn.conv2d_backward_filter", "onednn.conv2d_forward",
    "onednn.conv2d_backward_data",  "onednn.conv2d_backward_filter"};

const std::vector<std::string> &resnetc::runtime::getCheckedCPUFeatures() {
  static const std::vector<std::string> names = {"sse4.1",
                                                 "sse4.2",
                                                 "popcnt",
                                                 "avx",
                                                 "avx2",
                                                 "fma",
                                                 "bmi",
                                                 "bmi2",
                                                 "avx512f",
                                                 "avx512dq",
                                                 "avx512cd",
                                                 "avx512bw",
                                                 "avx512vl",
                                                 "avx512ifma",
                                                 "avx512vbmi",
                                                 "avx512vbmi2",
                                                 "avx512vnni",
                                                 "avx512bitalg",
                                                 "avx512vpopcntdq",
                                                 "avx512bf16"};
  return names;
}

bool resnetc::runtime::isForwardConvolution(const std::string &name) {
  return name == "cudnn.conv2d_forward" || name == "onednn.conv2d_forward";
}

const char *resnetc::runtime::getConvolutionLibrary(const std::string &target) {
  return target == "cuda" ? "cudnn" : "onednn";
}

bool resnetc::runtime::isKnownLibraryCall(const std::string &name) {
  return std::find(std::begin(kLibraryCalls), std::end(kLibraryCalls), name) !=
         std::end(kLibraryCalls);
}
