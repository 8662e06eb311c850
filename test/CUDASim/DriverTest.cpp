//===- DriverTest.cpp - The simulated GPU's stand-in driver ---------------===//
//
// The driver functions as the runtime calls them: initialization, modules
// and their errors, memory and copies, lazily executed streams and events,
// launches (both ways of passing parameters) and their checks, graph
// capture and replay, and the sticky error after a fault. Expected values
// are computed here.
//
//===----------------------------------------------------------------------===//

#include "Exports.h"
#include "SimDevice.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace resnetc::cuda;

namespace {

/// y[i] = 2 * x[i] for i < n, one thread per element.
const char *kScale = R"(
.version 8.0
.target sm_80
.address_size 64

.visible .entry scale(
	.param .u64 scale_param_0,
	.param .u64 scale_param_1,
	.param .u32 scale_param_2
)
.maxntid 256, 1, 1
{
	.reg .pred 	%p<2>;
	.reg .b32 	%r<5>;
	.reg .f32 	%f<3>;
	.reg .b64 	%rd<8>;

	ld.param.u64 	%rd1, [scale_param_0];
	ld.param.u64 	%rd2, [scale_param_1];
	ld.param.u32 	%r1, [scale_param_2];
	mov.u32 	%r2, %ctaid.x;
	mov.u32 	%r3, %ntid.x;
	mov.u32 	%r4, %tid.x;
	mad.lo.s32 	%r2, %r2, %r3, %r4;
	setp.ge.s32 	%p1, %r2, %r1;
	@%p1 bra 	$L__BB0_2;
	cvta.to.global.u64 	%rd3, %rd1;
	cvta.to.global.u64 	%rd4, %rd2;
	mul.wide.s32 	%rd5, %r2, 4;
	add.s64 	%rd6, %rd3, %rd5;
	ld.global.f32 	%f1, [%rd6];
	add.rn.f32 	%f2, %f1, %f1;
	add.s64 	%rd7, %rd4, %rd5;
	st.global.f32 	[%rd7], %f2;
$L__BB0_2:
	ret;
}
)";

class DriverTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(cuInit(0), CUDA_SUCCESS);
    ASSERT_EQ(cuDevicePrimaryCtxRetain(&context, 0), CUDA_SUCCESS);
    ASSERT_EQ(cuCtxSetCurrent(context), CUDA_SUCCESS);
    ASSERT_EQ(cuStreamCreate(&stream, kStreamNonBlocking), CUDA_SUCCESS);
  }
  void TearDown() override {
    cuStreamDestroy_v2(stream);
    cuDevicePrimaryCtxRelease_v2(0);
  }

  CUmodule load(const char *text) {
    CUmodule m = nullptr;
    EXPECT_EQ(cuModuleLoadDataEx(&m, text, 0, nullptr, nullptr), CUDA_SUCCESS);
    return m;
  }

  CUcontext context = nullptr;
  CUstream stream = nullptr;
};

TEST_F(DriverTest, DeviceProperties) {
  int count = 0, major = 0, minor = 0, driver = 0;
  EXPECT_EQ(cuDeviceGetCount(&count), CUDA_SUCCESS);
  EXPECT_EQ(count, 1);
  EXPECT_EQ(cuDeviceGetAttribute(
                &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 0),
            CUDA_SUCCESS);
  EXPECT_EQ(cuDeviceGetAttribute(
                &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 0),
            CUDA_SUCCESS);
  EXPECT_EQ(major * 10 + minor, 90);
  EXPECT_EQ(cuDriverGetVersion(&driver), CUDA_SUCCESS);
  EXPECT_EQ(driver, 13000);
  char name[64];
  EXPECT_EQ(cuDeviceGetName(name, sizeof(name), 0), CUDA_SUCCESS);
  EXPECT_STREQ(name, "resnetc simulated GPU (sm_90)");
  CUdevice dev;
  EXPECT_EQ(cuDeviceGet(&dev, 1), CUDA_ERROR_INVALID_DEVICE);
  const char *text = nullptr;
  EXPECT_EQ(cuGetErrorName(CUDA_ERROR_ILLEGAL_ADDRESS, &text), CUDA_SUCCESS);
  EXPECT_STREQ(text, "CUDA_ERROR_ILLEGAL_ADDRESS");
}

TEST_F(DriverTest, ModulesLoadOrSayWhyNot) {
  CUmodule m = load(kScale);
  CUfunction f = nullptr;
  EXPECT_EQ(cuModuleGetFunction(&f, m, "scale"), CUDA_SUCCESS);
  EXPECT_EQ(cuModuleGetFunction(&f, m, "missing"), CUDA_ERROR_NOT_FOUND);
  int threads = 0;
  EXPECT_EQ(
      cuFuncGetAttribute(&threads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f),
      CUDA_SUCCESS);
  EXPECT_EQ(threads, 256);
  EXPECT_EQ(cuModuleUnload(m), CUDA_SUCCESS);

  // Invalid PTX: the JIT's error log says where.
  std::string bad = kScale;
  bad.replace(bad.find("add.rn.f32"), 10, "frob.f32  ");
  char log[512] = {};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log))};
  CUmodule none = nullptr;
  EXPECT_EQ(cuModuleLoadDataEx(&none, bad.c_str(), 2, options, values),
            CUDA_ERROR_INVALID_PTX);
  EXPECT_NE(std::string(log).find("line"), std::string::npos) << log;
  EXPECT_NE(std::string(log).find("frob"), std::string::npos) << log;

  // Hopper-only PTX (sm_90a) loads on this sm_90 device; PTX for a newer
  // architecture does not.
  std::string future = kScale;
  future.replace(future.find("sm_80"), 5, "sm_100");
  EXPECT_EQ(cuModuleLoadDataEx(&none, future.c_str(), 0, nullptr, nullptr),
            CUDA_ERROR_NO_BINARY_FOR_GPU);
}

TEST_F(DriverTest, LaunchesWithEitherParameterForm) {
  CUmodule m = load(kScale);
  CUfunction f = nullptr;
  ASSERT_EQ(cuModuleGetFunction(&f, m, "scale"), CUDA_SUCCESS);
  const unsigned n = 300;
  std::vector<float> host(n), back(n);
  for (unsigned i = 0; i < n; ++i)
    host[i] = 0.5f * i - 7;
  CUdeviceptr x = 0, y = 0;
  ASSERT_EQ(cuMemAlloc_v2(&x, n * 4), CUDA_SUCCESS);
  ASSERT_EQ(cuMemAlloc_v2(&y, n * 4), CUDA_SUCCESS);
  ASSERT_EQ(cuMemcpyHtoDAsync_v2(x, host.data(), n * 4, stream), CUDA_SUCCESS);
  // One pointer per parameter.
  void *params[] = {&x, &y, const_cast<unsigned *>(&n)};
  ASSERT_EQ(cuLaunchKernel(f, 2, 1, 1, 256, 1, 1, 0, stream, params, nullptr),
            CUDA_SUCCESS);
  ASSERT_EQ(cuMemcpyDtoHAsync_v2(back.data(), y, n * 4, stream), CUDA_SUCCESS);
  for (unsigned i = 0; i < n; ++i)
    ASSERT_EQ(back[i], 2 * host[i]) << i;
  // One packed buffer: 8, 8 and 4 bytes.
  struct {
    uint64_t x, y;
    uint32_t n;
  } packed = {y, x, n};
  size_t size = 20;
  void *extra[] = {reinterpret_cast<void *>(kLaunchParamBufferPointer), &packed,
                   reinterpret_cast<void *>(kLaunchParamBufferSize), &size,
                   reinterpret_cast<void *>(kLaunchParamEnd)};
  ASSERT_EQ(cuLaunchKernel(f, 2, 1, 1, 256, 1, 1, 0, stream, nullptr, extra),
            CUDA_SUCCESS);
  ASSERT_EQ(cuMemcpyDtoHAsync_v2(back.data(), x, n * 4, stream), CUDA_SUCCESS);
  for (unsigned i = 0; i < n; ++i)
    ASSERT_EQ(back[i], 4 * host[i]) << i;

  // Launches the kernel cannot take are refused at once.
  size = 16; // a parameter short
  EXPECT_EQ(cuLaunchKernel(f, 2, 1, 1, 256, 1, 1, 0, stream, nullptr, extra),
            CUDA_ERROR_INVALID_VALUE);
  size = 20;
  EXPECT_EQ(cuLaunchKernel(f, 1, 1, 1, 512, 1, 1, 0, stream, nullptr, extra),
            CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES); // over .maxntid 256
  EXPECT_EQ(
      cuLaunchKernel(f, 1, 70000, 1, 256, 1, 1, 0, stream, nullptr, extra),
      CUDA_ERROR_INVALID_VALUE); // grid y over 65535
  EXPECT_EQ(cuStreamSynchronize(stream), CUDA_SUCCESS);
  cuMemFree_v2(x);
  cuMemFree_v2(y);
  cuModuleUnload(m);
}

TEST_F(DriverTest, StreamsRunWhenWaitedFor) {
  CUdeviceptr d = 0;
  ASSERT_EQ(cuMemAlloc_v2(&d, 16), CUDA_SUCCESS);
  void *pinned = nullptr;
  ASSERT_EQ(cuMemAllocHost_v2(&pinned, 16), CUDA_SUCCESS);
  auto *words = static_cast<uint32_t *>(pinned);
  words[0] = 1;
  ASSERT_EQ(cuMemsetD32Async(d, 7, 4, stream), CUDA_SUCCESS);
  ASSERT_EQ(cuMemcpyDtoHAsync_v2(pinned, d, 16, stream), CUDA_SUCCESS);
  // Into pinned memory the copy is asynchronous: nothing arrived yet.
  EXPECT_EQ(words[0], 1u);
  CUevent done = nullptr;
  ASSERT_EQ(cuEventCreate(&done, kEventDisableTiming), CUDA_SUCCESS);
  ASSERT_EQ(cuEventRecord(done, stream), CUDA_SUCCESS);
  ASSERT_EQ(cuEventSynchronize(done), CUDA_SUCCESS);
  EXPECT_EQ(words[3], 7u);

  // A copy from pinned memory reads it when it runs: changing the memory
  // before synchronizing changes what arrives, as on a GPU.
  words[0] = 11;
  ASSERT_EQ(cuMemcpyHtoDAsync_v2(d, pinned, 4, stream), CUDA_SUCCESS);
  words[0] = 12;
  uint32_t result = 0;
  ASSERT_EQ(cuMemcpyDtoHAsync_v2(&result, d, 4, stream), CUDA_SUCCESS);
  EXPECT_EQ(result, 12u); // pageable destination: done on return
  // From pageable memory the data is taken at the call.
  uint32_t pageable = 21;
  ASSERT_EQ(cuMemcpyHtoDAsync_v2(d, &pageable, 4, stream), CUDA_SUCCESS);
  pageable = 22;
  ASSERT_EQ(cuMemcpyDtoHAsync_v2(&result, d, 4, stream), CUDA_SUCCESS);
  EXPECT_EQ(result, 21u);

  // An event orders two streams.
  CUstream other = nullptr;
  ASSERT_EQ(cuStreamCreate(&other, kStreamNonBlocking), CUDA_SUCCESS);
  ASSERT_EQ(cuMemsetD32Async(d, 5, 1, stream), CUDA_SUCCESS);
  ASSERT_EQ(cuEventRecord(done, stream), CUDA_SUCCESS);
  ASSERT_EQ(cuStreamWaitEvent(other, done, 0), CUDA_SUCCESS);
  ASSERT_EQ(cuMemcpyDtoHAsync_v2(&result, d, 4, other), CUDA_SUCCESS);
  EXPECT_EQ(result, 5u);
  cuStreamDestroy_v2(other);
  cuEventDestroy_v2(done);
  cuMemFreeHost(pinned);
  cuMemFree_v2(d);
}

TEST_F(DriverTest, GraphsReplayWhatWasCaptured) {
  CUmodule m = load(kScale);
  CUfunction f = nullptr;
  ASSERT_EQ(cuModuleGetFunction(&f, m, "scale"), CUDA_SUCCESS);
  const unsigned n = 8;
  std::vector<float> host(n, 1.5f), back(n);
  CUdeviceptr x = 0;
  ASSERT_EQ(cuMemAlloc_v2(&x, n * 4), CUDA_SUCCESS);
  ASSERT_EQ(cuMemcpyHtoDAsync_v2(x, host.data(), n * 4, stream), CUDA_SUCCESS);
  ASSERT_EQ(cuStreamSynchronize(stream), CUDA_SUCCESS);
  ASSERT_EQ(cuStreamBeginCapture_v2(stream, CU_STREAM_CAPTURE_MODE_GLOBAL),
            CUDA_SUCCESS);
  void *params[] = {&x, &x, const_cast<unsigned *>(&n)};
  ASSERT_EQ(cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr),
            CUDA_SUCCESS);
  EXPECT_EQ(cuStreamSynchronize(stream), CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
  CUgraph graph = nullptr;
  ASSERT_EQ(cuStreamEndCapture(stream, &graph), CUDA_SUCCESS);
  CUgraphExec exec = nullptr;
  ASSERT_EQ(cuGraphInstantiateWithFlags(&exec, graph, 0), CUDA_SUCCESS);
  ASSERT_EQ(cuGraphDestroy(graph), CUDA_SUCCESS);
  // Captured, not run: x still holds 1.5.
  ASSERT_EQ(cuMemcpyDtoHAsync_v2(back.data(), x, n * 4, stream), CUDA_SUCCESS);
  EXPECT_EQ(back[0], 1.5f);
  ASSERT_EQ(cuGraphLaunch(exec, stream), CUDA_SUCCESS);
  ASSERT_EQ(cuGraphLaunch(exec, stream), CUDA_SUCCESS);
  ASSERT_EQ(cuMemcpyDtoHAsync_v2(back.data(), x, n * 4, stream), CUDA_SUCCESS);
  for (float v : back)
    EXPECT_EQ(v, 6.0f);
  cuGraphExecDestroy(exec);
  cuMemFree_v2(x);
  cuModuleUnload(m);
}

// A fault is sticky, as a GPU context's (the test clears it at the end).
TEST_F(DriverTest, FaultsAreStickyAndNameTheKernel) {
  CUmodule m = load(kScale);
  CUfunction f = nullptr;
  ASSERT_EQ(cuModuleGetFunction(&f, m, "scale"), CUDA_SUCCESS);
  const unsigned n = 64;
  CUdeviceptr x = 0, y = 0;
  ASSERT_EQ(cuMemAlloc_v2(&x, 32 * 4), CUDA_SUCCESS); // too small
  ASSERT_EQ(cuMemAlloc_v2(&y, n * 4), CUDA_SUCCESS);
  std::vector<float> host(32, 1.0f);
  ASSERT_EQ(cuMemcpyHtoDAsync_v2(x, host.data(), 32 * 4, stream), CUDA_SUCCESS);
  void *params[] = {&x, &y, const_cast<unsigned *>(&n)};
  ASSERT_EQ(cuLaunchKernel(f, 1, 1, 1, 64, 1, 1, 0, stream, params, nullptr),
            CUDA_SUCCESS);
  testing::internal::CaptureStderr();
  EXPECT_EQ(cuStreamSynchronize(stream), CUDA_ERROR_ILLEGAL_ADDRESS);
  std::string message = testing::internal::GetCapturedStderr();
  EXPECT_NE(message.find("cuda-sim: error: kernel scale: block (0,0,0), "
                         "thread (32,0,0)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("read of 4 bytes"), std::string::npos) << message;
  // Every later call fails the same way.
  CUdeviceptr more = 0;
  EXPECT_EQ(cuMemAlloc_v2(&more, 16), CUDA_ERROR_ILLEGAL_ADDRESS);
  EXPECT_EQ(cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr),
            CUDA_ERROR_ILLEGAL_ADDRESS);
  // A new process would start afresh; so does the next test.
  resnetc::cudasim::SimDevice::get().stickyError = CUDA_SUCCESS;
  cuMemFree_v2(x);
  cuMemFree_v2(y);
  cuModuleUnload(m);
}

} // namespace
