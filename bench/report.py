"""What the CPU benchmarks record and print: the machine they ran on, a
JSON record under bench/results/ and a Markdown table."""

import datetime
import json
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


def write_report(name, script, threads, flags, versions, rows, columns):
    """Writes bench/results/<name>-<date>.json (the machine, the command that
    reproduces the run, `versions` and `rows`) and prints the machine and
    command, then `rows` as a Markdown table of `columns` ((header, key)
    pairs)."""
    info = machine_info()
    env = (f"ONEDNN_MAX_CPU_ISA={info['onednn_max_cpu_isa']} "
           if info["onednn_max_cpu_isa"] else "")
    record = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
              "machine": info, "threads": threads, **versions,
              "command": env + f"/usr/bin/python3 bench/{script} "
                         f"--threads {threads} " + " ".join(flags),
              "results": rows}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(os.path.join(root, "bench", "results"), exist_ok=True)
    path = os.path.join(root, "bench", "results", name + "-" +
                        record["date"].replace(":", "-") + ".json")
    with open(path, "w") as f:
        json.dump(record, f, indent=2)
    print(f"{info['cpu_model']} ({info['isa']}"
          + (f", oneDNN capped at {info['onednn_max_cpu_isa']}"
             if info["onednn_max_cpu_isa"] else "")
          + f"), {threads} threads: {record['command']}\n")
    print("| " + " | ".join(h for h, _ in columns) + " |")
    print("|" + "---|" * len(columns))
    for r in rows:
        print("| " + " | ".join(str(r[k]) for _, k in columns) + " |")
    print(f"\n{path}")
