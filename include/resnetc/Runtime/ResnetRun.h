//===- ResnetRun.h - The resnet-run tool ------------------------*- C++ -*-===//
//
// resnet-run MODEL [--device cpu|cuda|cuda-sim] [--weights W | --init S]
//            [--data fashion-mnist:test | --data images.npy [--labels y.npy]]
//            [--train --epochs N --checkpoint DIR [--resume]] [outputs...]
//
// Runs inference or training with a compiled model on the CPU, a GPU or the
// simulated GPU, and prints throughput and, when labels are known, accuracy.
// No MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_RESNETRUN_H
#define RESNETC_RUNTIME_RESNETRUN_H

namespace resnetc::runtime {

/// The resnet-run tool. Returns the process exit code.
int resnetRunMain(int argc, char **argv);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_RESNETRUN_H
