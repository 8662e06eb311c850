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
  case BufferRole::Velocity:
    return "velocity";
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

static const char *const kLibraryCalls[] = {"cudnn.conv2d_forward",
                                            "cudnn.conv2d_backward_data",
                                            "cudnn.conv2d_backward_filter"};

bool resnetc::runtime::isKnownLibraryCall(const std::string &name) {
  return std::find(std::begin(kLibraryCalls), std::end(kLibraryCalls),
                   name) != std::end(kLibraryCalls);
}

