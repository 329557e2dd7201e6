#!/usr/bin/env python3
"""Throughput benchmark of sentence-transformers (PyTorch CPU) for all-MiniLM-L6-v2.

Usage: HF_HUB_OFFLINE=1 VENV/bin/python benches/reference/bench_st.py TEXTS.txt \
           [--threads 2] [--batch 64] [--max-seq 128] [--repeat 3]
Prints one JSON line on stdout.
"""
import argparse
import json
import os
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("texts")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--max-seq", type=int, default=128)
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--model", default=os.path.join(os.environ.get("SEGLENS_MODELS", os.path.expanduser("~/.cache/seglens/models")), "all-MiniLM-L6-v2"))
args = ap.parse_args()

# Must be set before torch is imported.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = str(args.threads)
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

torch.set_num_threads(args.threads)

with open(args.texts, encoding="utf-8") as f:
    texts = [line.rstrip("\n") for line in f if line.strip()]

model = SentenceTransformer(args.model, device="cpu")
model.max_seq_length = args.max_seq
model.eval()

# Real (non-pad) tokens after truncation, including [CLS]/[SEP].
enc = model.tokenizer(texts, truncation=True, max_length=args.max_seq, padding=False)
real_tokens = sum(len(ids) for ids in enc["input_ids"])

# Warm-up.
with torch.inference_mode():
    model.encode(texts[:256], batch_size=args.batch, show_progress_bar=False)

times = []
cpu_times = []  # process CPU seconds per run; ~threads x wall when the machine is otherwise idle
with torch.inference_mode():
    for _ in range(args.repeat):
        c0 = time.process_time()
        t0 = time.perf_counter()
        model.encode(texts, batch_size=args.batch, show_progress_bar=False)
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
        print(f"run: {times[-1]:.3f}s wall, {cpu_times[-1]:.3f}s cpu", file=sys.stderr)

best = min(times)
print(json.dumps({
    "impl": "sentence-transformers",
    "torch": torch.__version__,
    "threads": args.threads,
    "batch": args.batch,
    "max_seq": args.max_seq,
    "texts": len(texts),
    "tokens": real_tokens,
    "best_s": round(best, 4),
    "all_s": [round(t, 4) for t in times],
    "all_cpu_s": [round(t, 4) for t in cpu_times],
    "texts_per_s": round(len(texts) / best, 2),
    "tokens_per_s": round(real_tokens / best, 1),
}))
