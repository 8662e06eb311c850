//===- Network.h - A fully instantiated model -------------------*- C++ -*-===//
//
// Sema's output: every block expanded, every argument evaluated, every shape
// inferred. Layers are in topological order; layer 0 is the model input. The
// summary, the parameter table and MLIRGen all read this structure.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_FRONTEND_NETWORK_H
#define RESNETC_FRONTEND_NETWORK_H

#include "resnetc/Frontend/Diagnostics.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace resnetc {

enum class LayerKind {
  Input,
  Conv,
  BatchNorm,
  ReLU,
  Dropout,
  MaxPool,
  AvgPool,
  GlobalAvgPool,
  Flatten,
  Linear,
  Add,
};

/// The `rn` op name a layer kind lowers to (conv2d, batch_norm, ...).
const char *getLayerOpName(LayerKind kind);

/// A window option of a convolution or pooling: {height, width}.
using Pair = std::array<int64_t, 2>;

/// Formats a pair as `3` when both are equal, else `(1, 7)`.
std::string formatPair(const Pair &p);

/// Shape of one image's activation: {C, H, W} or {features}.
using Dims = std::vector<int64_t>;

/// Formats dims as `64x24x24`.
std::string formatDims(const Dims &dims);

/// One learnable parameter or state buffer of a layer.
struct ParamSpec {
  std::string name; ///< Full name: `stage1.block0.conv1.weight`.
  Dims shape;
  bool trainable; ///< false for batch-norm running statistics.
  /// Starts at zero whatever the initialization scheme (zero_init_residual).
  bool zeroInit = false;
};

struct Layer {
  LayerKind kind;
  std::string path;             ///< Layer path, e.g. `stage2.block0.conv1`.
  SourceLoc loc;                ///< Where the layer is written.
  std::vector<SourceLoc> sites; ///< Block instantiation sites, innermost first.
  std::vector<int> operands;    ///< Producer layers (indices).
  Dims shape;                   ///< Output shape of one image.

  // Attributes (meaning depends on kind).
  int64_t features = 0; ///< Conv output channels / linear output features.
  Pair kernel = {0, 0}, stride = {1, 1}, padding = {0, 0}, dilation = {1, 1};
  int64_t groups = 1;
  bool bias = false;
  bool ceilMode = false;       ///< Pooling: PyTorch's ceil_mode.
  bool countIncludePad = true; ///< Average pooling: count_include_pad.
  double eps = 1e-5, momentum = 0.1;
  double rate = 0; ///< Dropout: the probability of zeroing an element.

  int64_t numParams = 0; ///< Trainable parameters.
  int64_t macs = 0;      ///< Multiply-accumulates per image.
  std::vector<ParamSpec> params;
};

struct Network {
  std::string name;
  Dims inputShape;
  int64_t classes = 0;
  std::vector<Layer> layers; ///< layers[0] is the input.
  int output = 0;            ///< Index of the layer producing the logits.

  int64_t totalParams() const;
  int64_t totalMACs() const;
};

} // namespace resnetc

#endif // RESNETC_FRONTEND_NETWORK_H
