"""Benchmark ktensor against PyTorch and Keras 3 / TensorFlow, measured in the same run.

    python bench/run.py [--quick] [--only NAME[,NAME]] [--json out.json] [--verbose]

Workloads (one module each in bench/): mlp_step, convnet_step, fit_epoch, sgemm, overhead, memory,
embedding_step, augment, norm_pool, conv, lstm_step, and gpu (only
when a CUDA device is visible). Prints a table as rows complete and writes JSON
(default bench/results.json). A ktensor failure shows as an error in its cell; the peers
still run.
"""
import argparse
import importlib
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness  # noqa: E402  (sets the quiet TF environment before anything imports TF)
from _harness import FRAMEWORKS, Context, import_ktensor, peer_status  # noqa: E402

WORKLOADS = ("mlp_step", "convnet_step", "fit_epoch", "sgemm", "overhead", "memory", "embedding_step", "augment",
             "norm_pool", "conv", "lstm_step", "gpu")
COLUMNS = (("workload", 40), ("unit", 9)) + tuple((f, 13) for f in FRAMEWORKS) + (("ratio", 0),)


def fmt(v, width):
    if isinstance(v, float):
        text = f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    else:
        text = "-" if v is None else str(v)
    return text if len(text) <= width else text[:width - 1] + "~"


def ratios(row):
    """{peer: ktensor value / peer value} for each peer of the row where both are numbers."""
    kt = row.values.get("ktensor")
    if not isinstance(kt, float):
        return {}
    return {p: kt / row.values[p] for p in row.ratio_vs
            if isinstance(row.values.get(p), float) and row.values[p] != 0}


def print_row(cells):
    print(" ".join(fmt(c, w).ljust(w) if w else fmt(c, 999) for c, (_, w) in zip(cells, COLUMNS)),
          flush=True)


def versions():
    out = {"python": platform.python_version()}
    for name in ("numpy", "torch", "tensorflow", "keras", "ktensor"):
        try:
            out[name] = importlib.import_module(name).__version__
        except Exception as e:
            out[name] = f"unavailable ({type(e).__name__})"
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats and steps")
    p.add_argument("--only", help="comma-separated workloads: " + ", ".join(WORKLOADS))
    p.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "results.json"))
    p.add_argument("--verbose", action="store_true", help="print tracebacks of failed cells")
    args = p.parse_args()
    load_before = os.getloadavg()[0]  # read before this process loads the frameworks
    _harness.VERBOSE = args.verbose

    selected = WORKLOADS if not args.only else tuple(args.only.split(","))
    unknown = [w for w in selected if w not in WORKLOADS]
    if unknown:
        p.error(f"unknown workload(s) {unknown}; choose from {', '.join(WORKLOADS)}")

    # ktensor first: torch ships its own libgomp.so.1, and whichever is loaded first serves both; with torch's,
    # ktensor's OpenMP kernels (and torch's own matmul) ran several times slower on this machine.
    try:
        import_ktensor()
    except Exception as e:
        print(f"ktensor: import failed ({type(e).__name__}: {e}); its cells will show errors")
    for peer, reason in peer_status().items():
        if reason:
            print(f"{peer}: skipped ({reason})")

    gpu = importlib.import_module("gpu").available() if "gpu" in selected else False
    ctx = Context(quick=args.quick)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.machine(),
            "cpus": os.cpu_count(), "quick": args.quick, "gpu": gpu, "versions": versions(),
            "load_before": load_before}
    print(f"cpus={meta['cpus']} quick={args.quick} gpu={gpu} "
          + " ".join(f"{k}={v}" for k, v in meta["versions"].items()))
    if meta["load_before"] > 0.5 * meta["cpus"]:
        print(f"warning: load average {meta['load_before']:.1f} on {meta['cpus']} cpus; "
              "other processes are busy and the figures will be noisy")
    print("ratio = ktensor value / peer value; unit 'ms', 'us/op', 'MiB': lower is better\n")
    print_row([name for name, _ in COLUMNS])

    results, t0 = [], time.perf_counter()
    for name in selected:
        if name == "gpu" and not gpu:
            print("gpu: skipped (no CUDA device visible to ktensor or torch)")
            continue
        for row in importlib.import_module(name).rows(ctx):
            ratio_text = ", ".join(f"{r:.2f}x {p}" for p, r in ratios(row).items()) or "-"
            print_row([row.workload, row.unit] + [row.values.get(f) for f in FRAMEWORKS]
                      + [ratio_text])
            results.append({"workload": row.workload, "unit": row.unit,
                            "higher_is_better": row.higher_is_better, "values": row.values,
                            "ratio": ratios(row)})
    meta["seconds"] = round(time.perf_counter() - t0, 1)
    meta["load_after"] = os.getloadavg()[0]
    errors = {}  # full text of the errors the table cut short, each listed once
    for r in results:
        for fw, v in r["values"].items():
            if isinstance(v, str) and v.startswith("error"):
                errors.setdefault(f"{fw}: {v}", []).append(r["workload"])
    if errors:
        print("\nerrors:")
        for err, where in errors.items():
            print(f"  {err}\n    in {len(where)} row(s), first: {where[0]}")
    print(f"\n{meta['seconds']} s; results written to {args.json}")
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
