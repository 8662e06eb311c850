# -*- Python -*-
# lit configuration of the resnetc test suite.

import os
import subprocess

import lit.formats
import lit.util
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "RESNETC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".rn", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "unit", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.resnetc_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%models", os.path.join(config.resnetc_src_root, "models")))
config.substitutions.append(("%srcroot", config.resnetc_src_root))
config.substitutions.append(("%objroot", config.resnetc_obj_root))
config.substitutions.append(("%llvm_tools_dir", config.llvm_tools_dir))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.resnetc_tools_dir, append_path=True)

tools = ["resnetc", "resnet-opt", "resnet-run"]
llvm_config.add_tool_substitutions(tools, [config.resnetc_tools_dir])

# PyTorch oracle tests use Debian's python3 with python3-torch and
# python3-torchvision (installed by scripts/install-deps.sh).
python = "/usr/bin/python3"
# Inserted first: lit.llvm's default %python (the interpreter running lit)
# would otherwise win, and it may lack torch.
config.substitutions.insert(0, ("%python", python))
try:
    subprocess.run([python, "-c", "import torch, torchvision"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config.available_features.add("torch")
except (OSError, subprocess.CalledProcessError):
    lit_config.warning("PyTorch (python3-torch, python3-torchvision) not found: "
                       "the oracle tests are skipped")

# oneDNN's convolutions on the CPU (resnetc built with libdnnl-dev).
if config.resnetc_onednn == "ON":
    config.available_features.add("onednn")

if config.resnetc_sanitize in ("ON", "1", "TRUE", "True", "on"):
    config.available_features.add("sanitizer")
    # MLIR's shared libraries are not instrumented; leaks inside them are not ours.
    config.environment["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"

# The slow tier (RESNETC_SLOW_TESTS=1): tests that take minutes, such as
# every model on the simulated GPU.
if os.environ.get("RESNETC_SLOW_TESTS") == "1":
    config.available_features.add("slow")

# The CUDA toolkit's ptxas checks the PTX of the CUDA target (no GPU needed).
ptxas = "/usr/local/cuda/bin/ptxas"
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
else:
    lit_config.warning(ptxas + " not found: the PTX tests are skipped")
