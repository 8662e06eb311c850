"""What the benchmarks record about the machine they ran on."""

import os
import platform


def machine_info():
    """The CPU's model name and widest vector ISA, the core count, and the
    ISA limit oneDNN was given (ONEDNN_MAX_CPU_ISA, which both resnetc's
    runtime and Debian's PyTorch honour: they share Debian's libdnnl)."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
                if model and flags:
                    break
    except OSError:
        pass
    isa = ("AVX-512" if "avx512f" in flags else
           "AVX2" if "avx2" in flags else
           "AVX" if "avx" in flags else "SSE")
    return {"cpu_model": model, "isa": isa, "cpu_count": os.cpu_count(),
            "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", "")}
