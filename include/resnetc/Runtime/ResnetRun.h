//===- ResnetRun.h - The resnet-run tool ------------------------*- C++ -*-===//
//
// resnet-run MODEL [--weights W.safetensors | --init SCHEME --seed N]
//            [--data fashion-mnist:test | --data images.npy [--labels y.npy]]
//            [--limit N] [--batch N] [--threads T] [--logits out.npy]
//            [--predictions out.csv|out.npy] [--save-weights W.safetensors]
//
// Runs inference with a compiled model and prints throughput and, when
// labels are known, accuracy. No MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_RESNETRUN_H
#define RESNETC_RUNTIME_RESNETRUN_H

namespace resnetc::runtime {

/// The resnet-run tool. Returns the process exit code.
int resnetRunMain(int argc, char **argv);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_RESNETRUN_H
