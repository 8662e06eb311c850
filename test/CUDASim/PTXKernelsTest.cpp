//===- PTXKernelsTest.cpp - The interpreter on resnetc's own PTX ----------===//
//
// Parses every artifact in $RESNETC_PTX_DIR (default /tmp/allptx, skipped
// when absent) and runs real kernels from them on synthetic buffers,
// comparing with what the kernels compute written in plain C++.
//
//===----------------------------------------------------------------------===//

#include "PTXPlan.h"
#include "PTXTestSupport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

using namespace resnetc::cudasim;
using namespace resnetc::cudasim::ptx;
using namespace resnetc::cudasim::ptx::test;

namespace {

std::string artifactDir() {
  const char *dir = std::getenv("RESNETC_PTX_DIR");
  return dir ? dir : "/tmp/allptx";
}

std::vector<std::string> artifacts() {
  std::vector<std::string> files;
  std::string dir = artifactDir();
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 4 && name.substr(name.size() - 4) == ".ptx")
        files.push_back(dir + "/" + name);
    }
    closedir(d);
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(PTXKernelsTest, EveryArtifactParses) {
  std::vector<std::string> files = artifacts();
  if (files.empty())
    GTEST_SKIP() << "no artifacts in " << artifactDir();
  std::set<std::string> instructions;
  size_t kernels = 0;
  for (const std::string &file : files) {
    std::string text = readFile(file);
    std::string error;
    std::unique_ptr<Module> m = Module::parse(text, error);
    ASSERT_TRUE(m) << file << ": " << error;
    EXPECT_EQ(m->getVersion(), 80) << file;
    kernels += m->getKernelNames().size();
    for (const std::string &i : m->getInstructions())
      instructions.insert(i);
  }
  std::cout << files.size() << " artifacts, " << kernels << " kernels, "
            << instructions.size() << " distinct instructions\n";
}

/// A parsed artifact and its plan, loaded once per test binary.
struct Artifact {
  std::unique_ptr<Module> module;
  Plan plan;
};
const Artifact *load(const std::string &name) {
  static std::map<std::string, std::unique_ptr<Artifact>> cache;
  auto &slot = cache[name];
  if (!slot) {
    std::string text = readFile(artifactDir() + "/" + name);
    if (text.empty())
      return nullptr;
    auto a = std::make_unique<Artifact>();
    std::string error;
    a->module = Module::parse(text, error);
    EXPECT_TRUE(a->module) << name << ": " << error;
    if (!a->module)
      return nullptr;
    EXPECT_TRUE(readPlan(text, a->plan, error)) << name << ": " << error;
    slot = std::move(a);
  }
  return slot.get();
}

#define LOAD_OR_SKIP(var, name)                                                \
  const Artifact *var = load(name);                                            \
  if (!var)                                                                    \
    GTEST_SKIP() << name << " not found in " << artifactDir();

std::vector<float> randomFloats(size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

/// The buffer passed as argument `arg` of launch `launch` of a step
/// (buffer names are not unique: a gradient has its tensor's name).
int argOf(const Artifact *a, const std::string &entry, const std::string &step,
          size_t launch, size_t arg) {
  const PlanStep *s = a->plan.step(entry, step);
  EXPECT_TRUE(s) << "no step " << step;
  if (!s || launch >= s->launches.size() ||
      arg >= s->launches[launch].args.size())
    return -1;
  return s->launches[launch].args[arg].buffer;
}

/// prepare folds each batch norm into the convolution before it: weights
/// scaled by gamma / sqrt(var + eps), bias beta - mean * that. The kernels
/// compute exactly this sequence of fp32 operations, so the results match
/// bit for bit.
TEST(PTXKernelsTest, PrepareFoldsBatchNorm) {
  LOAD_OR_SKIP(a, "fmnist_resnet_small.fp32.cudnn.sm_80.ptx");
  PlanRunner r(*a->module, a->plan);
  auto arg = [&](size_t launch, size_t i) {
    return argOf(a, "prepare", "k0_stem_conv1", launch, i);
  };
  int w = arg(0, 0), g = arg(0, 1), v = arg(0, 2), w2 = arg(0, 3),
      b = arg(1, 1), m = arg(1, 2), b2 = arg(1, 4);
  ASSERT_EQ(arg(1, 3), v);
  std::vector<float> W = randomFloats(144, -1, 1, 1),
                     G = randomFloats(16, 0.5, 2, 2),
                     B = randomFloats(16, -1, 1, 3),
                     M = randomFloats(16, -1, 1, 4),
                     V = randomFloats(16, 0, 3, 5);
  r.write(w, W);
  r.write(g, G);
  r.write(b, B);
  r.write(m, M);
  r.write(v, V);
  ASSERT_EQ(r.runStep("prepare", "k0_stem_conv1"), "");
  std::vector<float> W2 = r.read<float>(w2), B2 = r.read<float>(b2);
  const float eps = 1e-5f;
  for (int i = 0; i < 144; ++i) {
    int c = i / 9;
    EXPECT_EQ(W2[i], W[i] * (G[c] / std::sqrt(V[c] + eps))) << i;
  }
  for (int c = 0; c < 16; ++c)
    EXPECT_EQ(B2[c], B[c] - M[c] * (G[c] / std::sqrt(V[c] + eps))) << c;
}

/// Training batch norm + ReLU over an NHWC [2, 16, 14, 14] tensor in four
/// launches (per-block partial sums in f64 reduced in shared memory with
/// bar.sync, their reduction, the statistics and running averages, the
/// normalization), against the same computed in double.
TEST(PTXKernelsTest, BatchNormTrainingForward) {
  LOAD_OR_SKIP(a, "fmnist_resnet_small.fp32.cudnn.sm_80.ptx");
  PlanRunner r(*a->module, a->plan);
  const int N = 2, C = 16, HW = 196;
  auto arg = [&](size_t launch, size_t i) {
    return argOf(a, "train_step", "t1_stem_relu1", launch, i);
  };
  int x = arg(0, 0), rm = arg(2, 2), rv = arg(2, 3), mean = arg(2, 4),
      invstd = arg(2, 5), g = arg(3, 3), b = arg(3, 4), y = arg(3, 5);
  std::vector<float> X = randomFloats(N * C * HW, -2, 3, 7),
                     G = randomFloats(C, 0.5, 2, 8),
                     B = randomFloats(C, -1, 1, 9),
                     RM = randomFloats(C, -1, 1, 10),
                     RV = randomFloats(C, 0.5, 2, 11);
  r.write(x, X);
  r.write(g, G);
  r.write(b, B);
  r.write(rm, RM);
  r.write(rv, RV);
  ASSERT_EQ(r.runStep("train_step", "t1_stem_relu1"), "");
  std::vector<float> Y = r.read<float>(y), Mean = r.read<float>(mean),
                     Inv = r.read<float>(invstd), RM2 = r.read<float>(rm),
                     RV2 = r.read<float>(rv);
  for (int c = 0; c < C; ++c) {
    double s = 0, s2 = 0;
    for (int i = 0; i < N * HW; ++i) {
      double v = X[i * C + c];
      s += v;
      s2 += v * v;
    }
    double mu = s / (N * HW), var = s2 / (N * HW) - mu * mu;
    double inv = 1 / std::sqrt(var + 1e-5);
    EXPECT_NEAR(Mean[c], mu, 1e-6) << c;
    EXPECT_NEAR(Inv[c], inv, 1e-5 * inv) << c;
    EXPECT_NEAR(RM2[c], 0.9 * RM[c] + 0.1 * mu, 1e-6) << c;
    EXPECT_NEAR(RV2[c], 0.9 * RV[c] + 0.1 * var * (N * HW) / (N * HW - 1), 1e-5)
        << c;
    for (int i = 0; i < N * HW; ++i) {
      double ref = std::max(0.0, (X[i * C + c] - mu) * inv * G[c] + B[c]);
      EXPECT_NEAR(Y[i * C + c], ref, 1e-5 * (1 + std::fabs(ref)))
          << "element " << i << " channel " << c;
    }
  }
}

/// The inference head: global average pooling (three launches, reductions
/// in shared memory), flatten, and the linear layer, on NHWC [2, 64, 4, 4].
TEST(PTXKernelsTest, InferenceHead) {
  LOAD_OR_SKIP(a, "fmnist_resnet_small.fp32.cudnn.sm_80.ptx");
  PlanRunner r(*a->module, a->plan);
  const int N = 2, C = 64, HW = 16, K = 10;
  int x = argOf(a, "infer", "k18_head_global_avgpool1", 0, 0),
      b = argOf(a, "infer", "k20_head_linear1", 0, 0),
      w = argOf(a, "infer", "k20_head_linear1", 1, 1),
      logits = argOf(a, "infer", "k20_head_linear1", 1, 2);
  std::vector<float> X = randomFloats(N * C * HW, 0, 2, 12),
                     W = randomFloats(K * C, -0.5, 0.5, 13),
                     B = randomFloats(K, -1, 1, 14);
  r.write(x, X);
  r.write(w, W);
  r.write(b, B);
  for (const char *step :
       {"k18_head_global_avgpool1", "k19_head_flatten1", "k20_head_linear1"})
    ASSERT_EQ(r.runStep("infer", step), "") << step;
  std::vector<float> L = r.read<float>(logits);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      double ref = B[k];
      for (int c = 0; c < C; ++c) {
        double avg = 0;
        for (int i = 0; i < HW; ++i)
          avg += X[(n * HW + i) * C + c];
        ref += W[k * C + c] * (avg / HW);
      }
      EXPECT_NEAR(L[n * K + k], ref, 1e-5) << n << "," << k;
    }
}

/// The loss (mean softmax cross-entropy and the correct count) and its
/// gradient with respect to the logits.
TEST(PTXKernelsTest, SoftmaxCrossEntropy) {
  LOAD_OR_SKIP(a, "fmnist_resnet_small.fp32.cudnn.sm_80.ptx");
  PlanRunner r(*a->module, a->plan);
  const int N = 2, K = 10;
  int logits = argOf(a, "train_step", "t21", 4, 4),
      labels = argOf(a, "train_step", "t21", 4, 3),
      loss = argOf(a, "train_step", "t21", 4, 5),
      correct = argOf(a, "train_step", "t21", 4, 6),
      grad = argOf(a, "train_step", "t22", 3, 4);
  ASSERT_EQ(argOf(a, "train_step", "t22", 3, 0), logits);
  std::vector<float> L = randomFloats(N * K, -4, 4, 15);
  std::vector<int64_t> Y = {3, 7};
  L[0 * K + 3] = 6; // Image 0 is classified right, image 1 wrong.
  r.write(logits, L);
  r.write(labels, Y);
  ASSERT_EQ(r.runStep("train_step", "t21"), "");
  ASSERT_EQ(r.runStep("train_step", "t22"), "");
  double total = 0;
  int right = 0;
  std::vector<double> G(N * K);
  for (int n = 0; n < N; ++n) {
    double mx = -1e30, sum = 0;
    int best = 0;
    for (int k = 0; k < K; ++k) {
      mx = std::max<double>(mx, L[n * K + k]);
      if (L[n * K + k] > L[n * K + best])
        best = k;
    }
    for (int k = 0; k < K; ++k)
      sum += std::exp(L[n * K + k] - mx);
    total += std::log(sum) + mx - L[n * K + Y[n]];
    right += best == Y[n];
    for (int k = 0; k < K; ++k)
      G[n * K + k] = (std::exp(L[n * K + k] - mx) / sum - (k == Y[n])) / N;
  }
  EXPECT_NEAR(r.read<float>(loss)[0], total / N, 1e-5);
  EXPECT_EQ(r.read<int64_t>(correct)[0], right);
  std::vector<float> Grad = r.read<float>(grad);
  for (int i = 0; i < N * K; ++i)
    EXPECT_NEAR(Grad[i], G[i], 1e-6) << i;
}

/// float to bf16, rounding to nearest even, by choosing the nearer of the
/// two bf16 values around x (an implementation independent of the
/// interpreter's bit manipulation).
uint16_t bf16Nearest(float x) {
  if (std::isnan(x))
    return 0x7fff;
  uint32_t u = floatToBits(x);
  uint16_t down = uint16_t(u >> 16), up = uint16_t(down + 1);
  if ((u & 0xffff) == 0)
    return down;
  double dx = x, dd = bitsToFloat(uint32_t(down) << 16),
         du = (up & 0x7f80) == 0x7f80 && (down & 0x7fff) == 0x7f7f
                  ? std::ldexp(std::copysign(1.0, dx), 128)
                  : double(bitsToFloat(uint32_t(up) << 16));
  double ed = std::fabs(dx - dd), eu = std::fabs(du - dx);
  if (ed < eu)
    return down;
  if (eu < ed)
    return up;
  return (down & 1) ? up : down;
}

/// Conversion of the input images to bf16 (sm_90a), special values
/// included.
TEST(PTXKernelsTest, ConvertsToBF16) {
  LOAD_OR_SKIP(a, "fmnist_resnet_small.bf16.cudnn.sm_90a.ptx");
  PlanRunner r(*a->module, a->plan);
  int in = argOf(a, "infer", "c0_k1_stem_relu1", 0, 0),
      out = argOf(a, "infer", "c0_k1_stem_relu1", 0, 1);
  std::vector<float> X = randomFloats(2 * 28 * 28, -10, 10, 16);
  const uint32_t special[] = {0x3f808000, 0x3f818000, 0x3f80c000, 0x3f807fff,
                              0xbf808000, 0xbf818000, 0x7f7fffff, 0x7f7f8000,
                              0x7f7f7fff, 0x7f800000, 0xff800000, 0x7fc00001,
                              0x00000001, 0x80008000, 0x00018000, 0x80000000};
  for (size_t i = 0; i < sizeof(special) / 4; ++i)
    X[i * 37] = bitsToFloat(special[i]);
  r.write(in, X);
  ASSERT_EQ(r.runStep("infer", "c0_k1_stem_relu1"), "");
  std::vector<uint16_t> Y = r.read<uint16_t>(out);
  for (size_t i = 0; i < X.size(); ++i)
    EXPECT_EQ(Y[i], bf16Nearest(X[i])) << i << ": " << X[i];
}

/// add.rn.bf16 (gradient accumulation) and mul.rn.bf16 (average pooling's
/// gradient) on sm_90a.
TEST(PTXKernelsTest, BF16Arithmetic) {
  LOAD_OR_SKIP(a, "fmnist_resnet_small.bf16.cudnn.sm_90a.ptx");
  PlanRunner r(*a->module, a->plan);
  std::mt19937 rng(17);
  auto randomBF16 = [&](size_t n) {
    std::vector<uint16_t> v(n);
    std::uniform_real_distribution<float> d(-4, 4);
    for (uint16_t &x : v)
      x = bf16Nearest(d(rng));
    return v;
  };
  int s = argOf(a, "train_step", "t36_stage3_block0_conv1", 0, 0),
      acc = argOf(a, "train_step", "t36_stage3_block0_conv1", 0, 1),
      sum = argOf(a, "train_step", "t36_stage3_block0_conv1", 0, 2);
  std::vector<uint16_t> A = randomBF16(3136), B = randomBF16(3136);
  // Sums exactly halfway between two bf16 values, both ways.
  A[0] = 0x3f80, B[0] = 0x3b80; // 1 + 2^-8: ties to 1.
  A[1] = 0x3f81, B[1] = 0x3b80; // 1 + 2^-7 + 2^-8: ties to 1 + 2^-6.
  r.write(s, A);
  r.write(acc, B);
  ASSERT_EQ(r.runStep("train_step", "t36_stage3_block0_conv1"), "");
  std::vector<uint16_t> Sum = r.read<uint16_t>(sum);
  auto value = [](uint16_t b) { return bitsToFloat(uint32_t(b) << 16); };
  EXPECT_EQ(Sum[0], 0x3f80);
  EXPECT_EQ(Sum[1], 0x3f82);
  for (int i = 0; i < 3136; ++i)
    EXPECT_EQ(Sum[i], bf16Nearest(float(double(value(A[i])) + value(B[i]))))
        << i;

  int dy = argOf(a, "train_step", "t26_head_global_avgpool1", 0, 0),
      dx = argOf(a, "train_step", "t26_head_global_avgpool1", 0, 1);
  std::vector<uint16_t> D = randomBF16(128);
  r.write(dy, D);
  ASSERT_EQ(r.runStep("train_step", "t26_head_global_avgpool1"), "");
  std::vector<uint16_t> DX = r.read<uint16_t>(dx);
  for (int n = 0; n < 2; ++n)
    for (int hw = 0; hw < 16; ++hw)
      for (int c = 0; c < 64; ++c)
        EXPECT_EQ(DX[(n * 16 + hw) * 64 + c],
                  bf16Nearest(value(D[n * 64 + c]) / 16))
            << n << "," << hw << "," << c;
}

/// Throughput on a large launch of a real elementwise kernel: ResNet-50's
/// stem batch norm + ReLU in training (NHWC [2, 64, 112, 112], 1.6 million
/// threads), after the statistics launches before it. Prints the
/// interpreter's rate in thread-instructions per second.
TEST(PTXKernelsTest, ElementwiseThroughput) {
  LOAD_OR_SKIP(a, "resnet50.fp32.cudnn.sm_80.ptx");
  PlanRunner r(*a->module, a->plan);
  const PlanStep *step = a->plan.step("train_step", "t1_stem_relu1");
  ASSERT_TRUE(step);
  ASSERT_EQ(step->launches.size(), 4u);
  const int C = 64, NHW = 2 * 112 * 112;
  auto arg = [&](size_t launch, size_t i) {
    return argOf(a, "train_step", "t1_stem_relu1", launch, i);
  };
  int x = arg(0, 0), y = arg(3, 5);
  std::vector<float> X = randomFloats(size_t(C) * NHW, -2, 2, 18);
  r.write(x, X);
  r.write(arg(2, 2), std::vector<float>(C, 0.0f));
  r.write(arg(2, 3), std::vector<float>(C, 1.0f));
  r.write(arg(3, 3), std::vector<float>(C, 1.0f));
  r.write(arg(3, 4), std::vector<float>(C, 0.0f));
  for (int l = 0; l < 3; ++l) {
    RunStats stats;
    auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(r.run(step->launches[l], &stats), "");
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::cout << step->launches[l].kernel << ": " << stats.threadInstructions
              << " thread-instructions in " << seconds << " s ("
              << stats.threadInstructions / seconds / 1e6 << " M/s)\n";
  }
  RunStats stats;
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(r.run(step->launches[3], &stats), "");
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  double rate = stats.threadInstructions / seconds;
  std::cout << step->launches[3].kernel << " (elementwise, " << stats.blocks
            << " blocks): " << stats.threadInstructions
            << " thread-instructions in " << seconds << " s (" << rate / 1e6
            << " M/s)\n";
  // Spot-check the result: with mean ~0, invstd ~1, gamma 1, beta 0 the
  // output is ReLU of the normalized input.
  std::vector<float> Y = r.read<float>(y);
  std::vector<float> Mean = r.read<float>(arg(2, 4)),
                     Inv = r.read<float>(arg(2, 5));
  for (size_t i = 0; i < Y.size(); i += 9973) {
    int c = int(i % C);
    float ref = std::max(0.0f, (X[i] - Mean[c]) * Inv[c]);
    EXPECT_NEAR(Y[i], ref, 1e-5 * (1 + std::fabs(ref))) << i;
  }
  // A generous floor, so that a loaded machine does not fail the test.
  EXPECT_GT(rate, 10e6);
}

//===----------------------------------------------------------------------===//
// Whole models
//===----------------------------------------------------------------------===//

/// A tensor N x C x H x W in double precision.
struct Tensor {
  int n = 0, c = 0, h = 0, w = 0;
  std::vector<double> v;
  Tensor(int n, int c, int h, int w)
      : n(n), c(c), h(h), w(w), v(size_t(n) * c * h * w) {}
  double &at(int i, int j, int y, int x) {
    return v[((size_t(i) * c + j) * h + y) * w + x];
  }
  double at(int i, int j, int y, int x) const {
    return v[((size_t(i) * c + j) * h + y) * w + x];
  }
};

using Params = std::map<std::string, std::vector<float>>;

Tensor convolution(const Tensor &x, const std::vector<float> &weight, int k,
                   int size, int stride, int pad) {
  Tensor y(x.n, k, (x.h + 2 * pad - size) / stride + 1,
           (x.w + 2 * pad - size) / stride + 1);
  for (int i = 0; i < x.n; ++i)
    for (int o = 0; o < k; ++o)
      for (int oy = 0; oy < y.h; ++oy)
        for (int ox = 0; ox < y.w; ++ox) {
          double sum = 0;
          for (int ci = 0; ci < x.c; ++ci)
            for (int r = 0; r < size; ++r)
              for (int q = 0; q < size; ++q) {
                int iy = oy * stride - pad + r, ix = ox * stride - pad + q;
                if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w)
                  continue;
                sum += x.at(i, ci, iy, ix) *
                       weight[((size_t(o) * x.c + ci) * size + r) * size + q];
              }
          y.at(i, o, oy, ox) = sum;
        }
  return y;
}

/// Batch norm with the running statistics (inference) or the batch's
/// (training, which also returns the batch means in `means`).
void batchNorm(Tensor &x, Params &p, const std::string &name, bool train,
               std::vector<double> *means = nullptr) {
  const std::vector<float> &g = p[name + ".weight"], &b = p[name + ".bias"],
                           &rm = p[name + ".running_mean"],
                           &rv = p[name + ".running_var"];
  for (int j = 0; j < x.c; ++j) {
    double mean = rm[j], var = rv[j];
    if (train) {
      double s = 0, s2 = 0, count = double(x.n) * x.h * x.w;
      for (int i = 0; i < x.n; ++i)
        for (int y = 0; y < x.h; ++y)
          for (int z = 0; z < x.w; ++z) {
            s += x.at(i, j, y, z);
            s2 += x.at(i, j, y, z) * x.at(i, j, y, z);
          }
      mean = s / count;
      var = s2 / count - mean * mean;
      if (means)
        means->push_back(mean);
    }
    double scale = g[j] / std::sqrt(var + 1e-5);
    for (int i = 0; i < x.n; ++i)
      for (int y = 0; y < x.h; ++y)
        for (int z = 0; z < x.w; ++z)
          x.at(i, j, y, z) = (x.at(i, j, y, z) - mean) * scale + b[j];
  }
}

void relu(Tensor &x) {
  for (double &v : x.v)
    v = std::max(v, 0.0);
}

/// fmnist_resnet_small: a 3x3/2 stem, three stages of one basic block (16,
/// 32, 64 channels; the last two with stride 2 and a 1x1 projection),
/// global average pooling and a linear layer. Returns the logits and the
/// pooled features.
std::vector<double> fmnistForward(Params &p, bool train,
                                  std::vector<double> &features,
                                  std::vector<double> *stemMeans = nullptr) {
  Tensor x(2, 1, 28, 28);
  for (size_t i = 0; i < x.v.size(); ++i)
    x.v[i] = p["input"][i];
  x = convolution(x, p["stem.conv1.weight"], 16, 3, 2, 1);
  batchNorm(x, p, "stem.bn1", train, stemMeans);
  relu(x);
  const int channels[] = {16, 32, 64}, strides[] = {1, 2, 2};
  for (int s = 0; s < 3; ++s) {
    std::string b = "stage" + std::to_string(s + 1) + ".block0.";
    Tensor y =
        convolution(x, p[b + "conv1.weight"], channels[s], 3, strides[s], 1);
    batchNorm(y, p, b + "bn1", train);
    relu(y);
    y = convolution(y, p[b + "conv2.weight"], channels[s], 3, 1, 1);
    batchNorm(y, p, b + "bn2", train);
    Tensor shortcut = x;
    if (s > 0) {
      shortcut = convolution(x, p[b + "shortcut.conv1.weight"], channels[s], 1,
                             strides[s], 0);
      batchNorm(shortcut, p, b + "shortcut.bn1", train);
    }
    for (size_t i = 0; i < y.v.size(); ++i)
      y.v[i] += shortcut.v[i];
    relu(y);
    x = y;
  }
  features.assign(2 * 64, 0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 64; ++j) {
      for (int y = 0; y < x.h; ++y)
        for (int z = 0; z < x.w; ++z)
          features[i * 64 + j] += x.at(i, j, y, z);
      features[i * 64 + j] /= x.h * x.w;
    }
  std::vector<double> logits(2 * 10);
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 10; ++k) {
      double sum = p["head.linear1.bias"][k];
      for (int j = 0; j < 64; ++j)
        sum += p["head.linear1.weight"][k * 64 + j] * features[i * 64 + j];
      logits[i * 10 + k] = sum;
    }
  return logits;
}

/// Fills the buffers a run needs (the input, parameters, statistics,
/// velocities, labels, learning rate) and returns their values by name.
Params initialize(const Artifact *a, PlanRunner &r, unsigned seed) {
  std::mt19937 rng(seed);
  Params p;
  for (size_t b = 0; b < a->plan.buffers.size(); ++b) {
    const PlanBuffer &buffer = a->plan.buffers[b];
    const std::string &name = buffer.name;
    size_t n = buffer.bytes / 4;
    auto uniform = [&](double lo, double hi) {
      std::uniform_real_distribution<float> d{float(lo), float(hi)};
      std::vector<float> v(n);
      for (float &x : v)
        x = d(rng);
      return v;
    };
    std::vector<float> v;
    if (buffer.role == "input") {
      v = uniform(0, 1);
    } else if (buffer.role == "param" &&
               name.find("weight") != std::string::npos &&
               buffer.shape.size() > 1) {
      size_t fanIn = n / buffer.shape[0];
      v = uniform(-1 / std::sqrt(double(fanIn)), 1 / std::sqrt(double(fanIn)));
    } else if (buffer.role == "param") {
      v = name.find("weight") != std::string::npos ? uniform(0.5, 1.5)
                                                   : uniform(-0.2, 0.2);
    } else if (buffer.role == "state") {
      v = name.find("running_var") != std::string::npos ? uniform(0.5, 1.5)
                                                        : uniform(-0.2, 0.2);
    } else if (buffer.role == "optimizer_state") {
      v.assign(n, 0.0f);
    } else if (buffer.role == "hyper") {
      v.assign(n, 0.1f);
    } else if (buffer.role == "labels") {
      r.write(int(b), std::vector<int64_t>{3, 7});
      continue;
    } else {
      continue;
    }
    r.write(int(b), v);
    p[name] = v;
  }
  return p;
}

int bufferNamed(const Artifact *a, const std::string &name) {
  int b = a->plan.find(name);
  EXPECT_GE(b, 0) << name;
  return b;
}

/// The whole of fmnist_resnet_small (every convolution a generated kernel)
/// through the interpreter: prepare and infer against the network computed
/// in double precision, then a training step against the loss, the batch
/// statistics and the SGD update of the linear layer computed likewise.
void runWholeModel(const Artifact *a, double tolerance,
                   double updateTolerance) {
  PlanRunner r(*a->module, a->plan);
  Params p = initialize(a, r, 19);
  RunStats stats;
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(r.runEntry("prepare", &stats), "");
  ASSERT_EQ(r.runEntry("infer", &stats), "");
  std::vector<double> features;
  std::vector<double> want = fmnistForward(p, /*train=*/false, features);
  std::vector<float> logits = r.read<float>(bufferNamed(a, "logits"));
  for (int i = 0; i < 20; ++i)
    EXPECT_NEAR(logits[i], want[i], tolerance * (1 + std::fabs(want[i])))
        << "logit " << i;

  ASSERT_EQ(r.runEntry("train_step", &stats), "");
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::cout << "prepare, infer and train_step: " << stats.threadInstructions
            << " thread-instructions in " << seconds << " s ("
            << stats.threadInstructions / seconds / 1e6 << " M/s)\n";
  std::vector<double> stemMeans;
  Params before = p;
  want = fmnistForward(p, /*train=*/true, features, &stemMeans);
  const int64_t labels[] = {3, 7};
  double loss = 0;
  int correct = 0;
  std::vector<double> dlogits(20);
  for (int i = 0; i < 2; ++i) {
    double mx =
        *std::max_element(want.begin() + i * 10, want.begin() + i * 10 + 10);
    double sum = 0;
    for (int k = 0; k < 10; ++k)
      sum += std::exp(want[i * 10 + k] - mx);
    loss += (std::log(sum) + mx - want[i * 10 + labels[i]]) / 2;
    int best = int(
        std::max_element(want.begin() + i * 10, want.begin() + i * 10 + 10) -
        (want.begin() + i * 10));
    correct += best == labels[i];
    for (int k = 0; k < 10; ++k)
      dlogits[i * 10 + k] =
          (std::exp(want[i * 10 + k] - mx) / sum - (k == labels[i])) / 2;
  }
  EXPECT_NEAR(r.read<float>(bufferNamed(a, "train_step:t21.0"))[0], loss,
              tolerance * (1 + loss));
  EXPECT_EQ(r.read<int64_t>(bufferNamed(a, "train_step:t21.1"))[0], correct);
  // SGD without momentum or weight decay: p -= lr * gradient.
  std::vector<float> bias = r.read<float>(bufferNamed(a, "head.linear1.bias")),
                     weight =
                         r.read<float>(bufferNamed(a, "head.linear1.weight"));
  for (int k = 0; k < 10; ++k) {
    double g = dlogits[k] + dlogits[10 + k];
    EXPECT_NEAR(bias[k], before["head.linear1.bias"][k] - 0.1 * g,
                updateTolerance)
        << k;
    for (int j = 0; j < 64; ++j) {
      double gw = dlogits[k] * features[j] + dlogits[10 + k] * features[64 + j];
      EXPECT_NEAR(weight[k * 64 + j],
                  before["head.linear1.weight"][k * 64 + j] - 0.1 * gw,
                  updateTolerance)
          << k << "," << j;
    }
  }
  // Running statistics: 0.9 * old + 0.1 * the batch's.
  std::vector<float> rm =
      r.read<float>(bufferNamed(a, "stem.bn1.running_mean"));
  for (int j = 0; j < 16; ++j)
    EXPECT_NEAR(rm[j],
                0.9 * before["stem.bn1.running_mean"][j] + 0.1 * stemMeans[j],
                updateTolerance)
        << j;
  // Every other parameter moved too (each received a gradient).
  for (const auto &[name, values] : before) {
    const PlanBuffer &b = a->plan.buffers[bufferNamed(a, name)];
    if (b.role != "param")
      continue;
    std::vector<float> now = r.read<float>(bufferNamed(a, name));
    EXPECT_NE(now, values) << name << " did not change";
  }
}

TEST(PTXKernelsTest, WholeModelFP32) {
  LOAD_OR_SKIP(a, "fmnist_resnet_small.fp32.generated.sm_80.ptx");
  runWholeModel(a, 1e-4, 1e-5);
}

/// bf16 activations (sm_90a, bf16 arithmetic): the same within bf16's
/// precision.
TEST(PTXKernelsTest, WholeModelBF16) {
  LOAD_OR_SKIP(a, "fmnist_resnet_small.bf16.generated.sm_90a.ptx");
  runWholeModel(a, 5e-2, 5e-4);
}

} // namespace
