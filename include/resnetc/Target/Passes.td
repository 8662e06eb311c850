//===- Passes.td - The target passes of resnetc ------------*- tablegen -*-===//
//
// The back half of the compiler: from outlined rn kernels to the execution
// plan and the kernels the targets lower. The plan travels on the module as
// the `rn.plan` attribute (PlanAttr.h); each pass below reads it, makes one
// decision and writes it back, so its effect shows in resnet-opt's output.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TARGET_PASSES_TD
#define RESNETC_TARGET_PASSES_TD

include "mlir/Pass/PassBase.td"

def RNBuildPlan : Pass<"rn-build-plan", "::mlir::ModuleOp"> {
  let summary = "Turns the entry functions into the execution plan's steps";
  let description = [{
    Runs after `rn-outline-kernels`: `@forward` (and `@train_step`) are
    sequences of calls to kernels. Each argument of an entry becomes a plan
    buffer named and given a role by its attribute (`rn.input`, `rn.param`,
    `rn.state`, `rn.optimizer_state`, `rn.hyper`, `rn.labels`; parameters and state
    are shared by name between entries), each call a step whose arguments
    are its operands' buffers followed by its results' (new activations,
    the `logits` output, `rn.loss`/`rn.correct` results, or the buffer an
    `rn.update` result overwrites in place). `rn.prepare` kernels form the
    `prepare` entry. On the CPU every step runs once per image
    (`per_image`) but those of `rn.whole_batch` kernels (in `train_step`:
    batch statistics, weight gradients, the loss and the update); of those,
    a kernel of an RN_RowWise op over 65,536 elements or more (the update
    of a large filter) runs once per row of its results (`rows`, and
    `rn.rows` on the kernel), the rows on the CPU's threads. The entry
    functions are then erased: the plan, stored as the module's `rn.plan`
    attribute, refers to the kernels by symbol. Buffers get their offsets later (`rn-assign-buffers`).
    A CPU plan names the CPU its code is generated for (`cpu`, LLVM's name)
    and the instruction set extensions that code may use (`cpu-features`):
    resnet-run refuses the artifact on a CPU that lacks one.

    Before:
    ```mlir
    func.func @forward(%x: tensor<2x3x4x4xf32> {rn.input}, %w: ... {rn.param = "fc.weight"}) -> ... {
      %0 = call @k0_fc(%x, %w) : (...) -> tensor<2x10xf32>
      return %0 : tensor<2x10xf32>
    }
    ```
    After:
    ```mlir
    module attributes {rn.plan = {...,
      buffers = [
        {name = "input", role = "input", ...},
        {name = "fc.weight", role = "param", ...},
        {name = "logits", role = "output", ...}
      ],
      entries = [
        {name = "infer", steps = [
          {args = array<i64: 0, 1, 2>, kernel = @k0_fc, layer = "fc", per_image = true}
        ]}
      ]}}
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "The target the plan is for: cpu (infer runs per image) or cuda">,
    Option<"precision", "precision", "std::string", /*default=*/"\"fp32\"",
           "The plan's precision: fp32, tf32 or bf16">,
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"sgd\"",
           "The optimizer compiled into train_step: sgd or adamw">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0",
           "SGD momentum compiled into train_step">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0.0",
           "Weight decay compiled into train_step (AdamW: decoupled)">,
    Option<"nesterov", "nesterov", "bool", /*default=*/"false",
           "Nesterov momentum compiled into train_step">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9",
           "AdamW's first-moment decay">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999",
           "AdamW's second-moment decay">,
    Option<"epsilon", "epsilon", "double", /*default=*/"1e-8",
           "AdamW's epsilon">,
    Option<"cpu", "cpu", "std::string", /*default=*/"\"\"",
           "CPU plans: the CPU the code is generated for (LLVM's name)">,
    ListOption<"cpuFeatures", "cpu-features", "std::string",
               "CPU plans: the instruction set extensions the code may use "
               "that a CPU can lack (the names resnet-run checks)">,
  ];
}

def RNAssignBuffers : Pass<"rn-assign-buffers", "::mlir::ModuleOp"> {
  let summary = "Lays out the plan's buffers in one arena";
  let description = [{
    Gives every buffer of `rn.plan` its offset: persistent buffers
    (parameters, state, derived tensors, velocities, the input, labels)
    first, then the temporaries of each entry (activations, the output,
    scratch) by liveness over one shared region, first fit: a temporary
    lives from the first step that refers to it (as an argument or in a
    launch) to the last, the output to the end of its entry, and a step's
    new buffers never share memory with its operands. Sets the arena's and
    the activations' peak sizes.

    Before: `{name = "stem.conv", role = "activation", bytes = 4096, offset = 0}`
    After: `{name = "stem.conv", role = "activation", bytes = 4096, offset = 81920}`
  }];
}

def RNSelectLibraryCalls : Pass<"rn-select-library-calls", "::mlir::ModuleOp"> {
  let summary = "Replaces convolution kernels by library calls of the plan";
  let description = [{
    Each kernel whose op is a convolution (`rn.conv2d`, `rn.fused_conv2d`
    with its bias, residual and ReLU epilogue, `rn.conv2d_backward_data`,
    `rn.conv2d_backward_filter`) becomes the library call of its plan steps
    and is erased: no code is generated for it. The library names the calls
    (`<library>.conv2d_forward`, `<library>.conv2d_backward_data`,
    `<library>.conv2d_backward_filter`); the record states every setting
    of the call (strides, padding, dilation, groups, epilogue, math type:
    `fma` for fp32 plans, `tensor_op` otherwise, fp32 accumulation,
    cross-correlation). A kernel's arguments are its op's operands in order;
    the step's are those and the result, the order of every call.

    Before: `{args = array<i64: 0, 1, 2>, kernel = @k0_conv, ...}` and
    `func.func @k0_conv(...) { %0 = rn.conv2d ... }`
    After: `{args = array<i64: 0, 1, 2>, kernel = @k0_conv, library =
    {name = "cudnn.conv2d_forward", strides = array<i64: 1, 1>, ...}, ...}`
    and no `@k0_conv`.
  }];
  let options = [
    Option<"library", "library", "std::string", /*default=*/"\"cudnn\"",
           "The library that carries out the calls (the prefix of their "
           "names)">,
  ];
}

def RNDestinationPassing : Pass<"rn-destination-passing", "::mlir::func::FuncOp"> {
  let summary = "Rewrites each kernel into destination-passing form";
  let description = [{
    A kernel (`rn.kernel`) `(args...) -> results` becomes
    `(args..., outs...) -> outs`: its results are written into the `outs`
    arguments, which the plan's buffers will be. With `per-image`, a kernel
    that is neither `rn.prepare` nor `rn.whole_batch` also takes the image
    index n (a last `index` argument), slices its `rn.activation` operands
    to image n and inserts its results at n; a kernel marked `rn.rows`
    likewise computes row n (slice n of dimension 0) of all its tensor
    operands and results but the rank-0 ones; other kernels still get the
    (unused) n argument, so every CPU entry has one signature.

    Before:
    ```mlir
    func.func private @k0(%x: tensor<2x4xf32> {rn.activation}) -> tensor<2x4xf32> attributes {rn.kernel} {
      %0 = rn.relu %x : tensor<2x4xf32>
      return %0 : tensor<2x4xf32>
    }
    ```
    After (not per image):
    ```mlir
    func.func @k0(%x: tensor<2x4xf32> {rn.activation}, %out: tensor<2x4xf32>) -> tensor<2x4xf32> attributes {rn.kernel} {
      %0 = rn.relu %x : tensor<2x4xf32>
      %1 = bufferization.materialize_in_destination %0 in %out : ...
      return %1 : tensor<2x4xf32>
    }
    ```
  }];
  let options = [
    Option<"perImage", "per-image", "bool", /*default=*/"false",
           "Per-image kernels (all but rn.prepare and rn.whole_batch) "
           "compute image n alone (the CPU's form)">,
  ];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def RNChooseStorage : Pass<"rn-choose-storage", "::mlir::ModuleOp"> {
  let summary = "Chooses how the plan stores its rank-4 temporaries";
  let description = [{
    Every rank-4 f32 activation buffer of `rn.plan` (activations, their
    gradients, convolution weight gradients) is stored in `layout` and,
    with `bf16`, in bf16; the plan's `layout` is set. Those that are filters
    (a result of an op with the trait RN_FilterResults: weight gradients,
    cropped filters) take `filter-layout` where it is given: on the CPU,
    whose library reorders filters itself, OIHW like the parameters, so
    that the optimizer's update reads a parameter and its gradient alike.
    Buffers the runtime reads or writes keep the logical form. Only the plan
    changes: `rn-apply-storage` then retypes the kernels.

    Before: `{dtype = "f32", name = "infer:stem.conv", role = "activation", ...}`
    After (`layout=nhwc bf16=1`): `{dtype = "bf16", layout = "nhwc",
    name = "infer:stem.conv", role = "activation", ...}`
  }];
  let options = [
    Option<"layout", "layout", "std::string", /*default=*/"\"nchw\"",
           "nchw or nhwc">,
    Option<"bf16", "bf16", "bool", /*default=*/"false",
           "Store the temporaries in bf16">,
    Option<"filterLayout", "filter-layout", "std::string", /*default=*/"\"\"",
           "How the temporaries that are filters (rank-4 results of "
           "RN_FilterResults ops: weight gradients, cropped filters) are "
           "stored: nchw (OIHW, as the parameters) or nhwc (OHWI); "
           "default: as `layout`">,
  ];
}

def RNConvertLibraryOperands
    : Pass<"rn-convert-library-operands", "::mlir::ModuleOp"> {
  let summary = "Gives library calls operands stored as their output";
  let description = [{
    A library call takes all its 4-D tensors in the type and layout of its
    output (a temporary, stored as `rn-choose-storage` chose) and its bias
    in that type. An operand stored otherwise (weights, biases, the input)
    is replaced by a copy (`<buffer>[.nhwc][.bf16]`) made by a conversion
    step: a new whole-batch kernel `c<N>_<call's kernel>` marked
    `rn.storage_conversion`. In `infer`, copies of parameters and derived
    weights are persistent (role `derived`) and made once, at the end of
    `prepare`; the others just before the first call of their entry that
    needs them.

    Before: `{args = array<i64: 0, 1, 2>, kernel = @k0, library = {...}}`
    with buffer 1 an NCHW parameter and buffer 2 an NHWC activation.
    After: the step reads buffer 3 (`stem.conv.weight.nhwc`), written by a
    `prepare` step `{args = array<i64: 1, 3>, kernel = @c0_k0, ...}`.
    The new buffers have no offsets yet (`rn-assign-buffers`). With
    `image-index` the conversion kernels take a last `index` argument, as
    every CPU kernel does (the image of a per-image step; unused). With
    `keep-filter-layout` the filter of a forward or backward-data call
    keeps its layout (oneDNN reorders filters into its own layout anyway).
  }];
  let options = [
    Option<"imageIndex", "image-index", "bool", /*default=*/"false",
           "Conversion kernels take the CPU's trailing image index">,
    Option<"keepFilterLayout", "keep-filter-layout", "bool",
           /*default=*/"false",
           "Filters keep their layout (a library that reorders filters "
           "itself: oneDNN)">,
  ];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def RNApplyStorage : Pass<"rn-apply-storage", "::mlir::ModuleOp"> {
  let summary = "Retypes the kernels' arguments to their buffers' storage";
  let description = [{
    Runs on destination-passing kernels. Each argument of a kernel whose
    plan buffer is stored otherwise than the kernel computes (NHWC, bf16)
    takes the stored type; an operand is converted to its logical type
    where it is read (after the per-image slice, if any), a result to the
    stored type where it is written. The conversions are `linalg.generic`s
    that `fuse-storage-conversions` later folds into the kernel's loops.
    Every step running a kernel must store its buffers alike.

    Before: `func.func @k0(%x: tensor<2x4x3x3xf32>, %out: tensor<2x4x3x3xf32>)`
    After (both stored NHWC):
    `func.func @k0(%x: tensor<2x3x3x4xf32>, %out: tensor<2x3x3x4xf32>)`,
    with a permuting `linalg.generic` at each edge.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def RNCopiesToLinalg : Pass<"rn-copies-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Replaces memref.copy by linalg.copy";
  let description = [{
    Bufferization copies strided views (from padding and slicing) with
    `memref.copy`, which would lower to a call into MLIR's runner library.
    As `linalg.copy` they lower to loops like every other kernel body.

    With `collapse-contiguous` (the CPU's), the trailing dimensions that
    are contiguous in both memrefs are collapsed into one first: copying an
    image into its padded buffer is then a loop over rows of W x C floats,
    which LLVM vectorizes, rather than nested short loops, which it unrolls
    and vectorizes along an outer dimension with gathers.

    Before: `memref.copy %a, %b : memref<4xf32> to memref<4xf32>`
    After: `linalg.copy ins(%a : memref<4xf32>) outs(%b : memref<4xf32>)`
  }];
  let options = [
    Option<"collapseContiguous", "collapse-contiguous", "bool",
           /*default=*/"false",
           "Copy the trailing dimensions contiguous in both memrefs as one">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def RNCPUFlattenElementwise
    : Pass<"rn-cpu-flatten-elementwise", "::mlir::ModuleOp"> {
  let summary = "Runs elementwise ops over contiguous buffers as one loop";
  let description = [{
    After bufferization, a `linalg.generic` with parallel loops only whose
    memrefs are all contiguous and indexed in loop order (scalars aside) is
    rewritten over the memrefs collapsed to one dimension. An optimizer's
    update of a 512x512x3x3 filter is then one loop of 2,359,296 elements,
    which LLVM vectorizes with plain loads and stores; as four nested loops
    LLVM unrolled the two 3-long ones and vectorized the channel loop with
    gathers and scatters of stride 9, five times slower.

    Before:
    ```mlir
    linalg.generic {indexing_maps = [#id4, #id4, #scalar4, #id4],
                    iterator_types = ["parallel", "parallel", "parallel",
                                      "parallel"]}
        ins(%p, %g, %lr : memref<8x4x3x3xf32>, memref<8x4x3x3xf32>,
                          memref<f32>)
        outs(%out : memref<8x4x3x3xf32>) { ... }
    ```
    After:
    ```mlir
    %p1 = memref.collapse_shape %p [[0, 1, 2, 3]]
        : memref<8x4x3x3xf32> into memref<288xf32>
    ...
    linalg.generic {indexing_maps = [#id1, #id1, #scalar1, #id1],
                    iterator_types = ["parallel"]}
        ins(%p1, %g1, %lr : memref<288xf32>, memref<288xf32>, memref<f32>)
        outs(%out1 : memref<288xf32>) { ... }
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def RNCPUConvolutions : Pass<"rn-cpu-convolutions", "::mlir::ModuleOp"> {
  let summary = "Generates the CPU's register-blocked convolutions";
  let description = [{
    Rewrites the per-image convolutions of the CPU's kernels
    (`rn.conv2d`, `rn.fused_conv2d` on one image) into loop nests that keep
    a block of outputs in vector registers; the other ops take the shared
    lowering through linalg. The block is sized for the target CPU's
    vector registers (resnetc's `--cpu`): one register per accumulator,
    four left for the input vector, the broadcast weight and the
    allocator (16 x 16 floats with AVX-512's 32 registers of 16 floats, up
    to 12 x 8 with AVX2's 16 of 8).
  }];
  let options = [
    Option<"vectorRegisters", "vector-registers", "int64_t",
           /*default=*/"32", "Vector registers of the target CPU">,
    Option<"vectorFloats", "vector-floats", "int64_t", /*default=*/"16",
           "Floats one vector register holds">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def RNCPULoopOrder : Pass<"rn-cpu-loop-order", "::mlir::func::FuncOp"> {
  let summary = "Orders each linalg.generic's loops for a CPU";
  let description = [{
    The innermost loop of a `linalg.generic` becomes the one that walks the
    innermost stored dimension (of size > 1) of the op's largest operand;
    the other loops keep their order. A CPU then reads and writes
    consecutive floats in the innermost loop, which LLVM vectorizes. A
    reduction loop moves only past parallel loops: every sum is accumulated
    in the same order as before, so the results do not change with the
    layout, bit for bit.

    This matters for channels-innermost (NHWC) temporaries: the ops compute
    on logical NCHW dimensions, and a reduction over the batch and the
    image (batch-norm statistics in training) would otherwise iterate over
    the channels outermost and read every value with a stride of the
    channel count. The GPU keeps `fuse-storage-conversions`' order, in
    which consecutive threads write consecutive outputs.

    A `linalg.fill` of a whole tensor becomes a fill of the tensor
    collapsed to one dimension (one loop), and a `tensor.pad` such a fill
    and a copy of the padded tensor into it: LLVM would otherwise unroll the
    short inner loops of the nest and vectorize an outer one with scatters,
    which is slow to run and, for a max pooling's 1x24x24x64 fill, took
    seconds to compile.

    Before (channel sums of an NHWC tensor; loops c, n, h, w):
    ```mlir
    linalg.generic {indexing_maps = [(c, n, h, w) -> (n, h, w, c),
                                     (c, n, h, w) -> (c)],
                    iterator_types = ["parallel", "reduction", "reduction",
                                      "reduction"]}
    ```
    After (loops n, h, w, c):
    ```mlir
    linalg.generic {indexing_maps = [(n, h, w, c) -> (n, h, w, c),
                                     (n, h, w, c) -> (c)],
                    iterator_types = ["reduction", "reduction", "reduction",
                                      "parallel"]}
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def RNGatherGPUKernels : Pass<"rn-gather-gpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Gathers the outlined GPU kernels into one gpu.module";
  let description = [{
    After `gpu-kernel-outlining`, each launch has its own `gpu.module`.
    Their `gpu.func`s move into one `gpu.module` (the PTX module of the
    artifact), each renamed after the module it came from
    (`<kernel>_kernel[_N]`), and the launches are retargeted.

    Before: `gpu.module @k0_kernel { gpu.func @k0_kernel(...) kernel }` and
    `gpu.launch_func @k0_kernel::@k0_kernel`
    After: `gpu.module @resnetc_kernels { gpu.func @k0_kernel(...) kernel }`
    and `gpu.launch_func @resnetc_kernels::@k0_kernel`
  }];
  let options = [
    Option<"moduleName", "module-name", "std::string",
           /*default=*/"\"resnetc_kernels\"",
           "Name of the gpu.module that holds every kernel">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def RNRecordLaunches : Pass<"rn-record-launches", "::mlir::ModuleOp"> {
  let summary = "Records the GPU launches of each plan step";
  let description = [{
    Each step of `rn.plan` that is not a library call gets the launches of
    its host kernel, in order: each `gpu.launch_func` with its constant grid
    and block sizes and its arguments, which are the step's buffers (or
    views of them that keep their base address), constants (`i32`, `i64`,
    `f32`, `f64`), or scratch buffers that the host kernel allocates, which
    become plan buffers of role `scratch`. Any other host operation is an
    error: the runtime executes launches only.

    After:
    ```mlir
    {args = array<i64: 0, 1>, kernel = @k0, launches = [
      {args = [{buffer = 0 : i64, bytes = 64 : i64}, {buffer = 1 : i64, bytes = 64 : i64} ],
       block = array<i64: 16, 1, 1>, grid = array<i64: 1, 1, 1>, kernel = "k0_kernel"} ], ...}
    ```
  }];
}

def RNSerializePlan : Pass<"rn-serialize-plan", "::mlir::ModuleOp"> {
  let summary = "Writes the plan into the artifact as JSON";
  let description = [{
    The last step of both targets: `rn.plan` is read into the runtime's
    plan (`Runtime/Plan.h`), serialized as the artifact's JSON
    (docs/artifact.md) and stored in a NUL-terminated constant
    `llvm.mlir.global` named `symbol`; the attribute is removed. The CPU
    library exports the global (the runtime finds the plan with dlsym);
    the CUDA target puts its text in the PTX module's leading comments.

    Before: `module attributes {rn.plan = {...}}`
    After: `llvm.mlir.global external constant @resnetc_plan("{\"version\":2,...}\00")`
  }];
  let options = [
    Option<"symbol", "symbol", "std::string", /*default=*/"\"resnetc_plan\"",
           "Name of the global that holds the plan">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // RESNETC_TARGET_PASSES_TD
