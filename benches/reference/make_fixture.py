#!/usr/bin/env python3
"""Generate tests/fixtures/minilm_reference.json with sentence-transformers (CPU).

Usage: HF_HUB_OFFLINE=1 VENV/bin/python benches/reference/make_fixture.py [OUT]
"""
import json
import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch
import sentence_transformers
from sentence_transformers import SentenceTransformer

MODEL_DIR = os.path.join(os.environ.get("SEGLENS_MODELS", os.path.expanduser("~/.cache/seglens/models")), "all-MiniLM-L6-v2")
OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/minilm_reference.json"
MAX_SEQ = 128

LONG_REVIEW = (
    "I have been using this blender every single morning for almost three months now, and I "
    "wanted to write a detailed review because so many of the reviews here are either one line "
    "long or clearly written after a single use. First, the packaging: everything arrived well "
    "protected, the jug was wrapped in foam and the base had cardboard corners, so no complaints "
    "there. Setup took about two minutes. The manual is thin but clear, and it includes a few "
    "recipes that are honestly better than I expected. The motor is powerful. It crushes ice "
    "without any trouble and turns frozen berries, spinach, oats and a banana into a smooth "
    "drink in under forty seconds. It is loud, though, really loud, louder than my old one, so "
    "if you live in a small flat and get up before everyone else, keep that in mind. The jug "
    "is glass, which I prefer over plastic because it does not hold smells, but it is heavy "
    "and I can imagine some people finding it awkward to pour with one hand. The lid seals "
    "tightly and has never leaked, even with hot soup, which brings me to my next point: the "
    "soup program works, but it takes a long time and the result is only warm, not hot. I "
    "usually finish it on the stove. Cleaning is easy if you do it right away: a drop of soap, "
    "some warm water, run it for thirty seconds, rinse, done. If you leave it for a few hours, "
    "dried fruit pulp gets stuck under the blades and you will need a brush. The blade assembly "
    "is not removable, which is a small disappointment. After three months I noticed a faint "
    "burning smell once when I ran it continuously for more than two minutes with very thick "
    "nut butter, so I would not recommend using it for that. Customer service answered my email "
    "within a day and told me that it was normal for the motor to heat up under heavy load, "
    "and they were polite about it. Price wise it sits in the middle of the market, and I "
    "think it is fair for what you get. Would I buy it again? Probably yes, mostly because of "
    "the motor and the glass jug, but I would love a quieter version and a removable blade. "
    "Four stars from me, and I will update this review if anything breaks in the next year. "
    "One more thing: the cable is short, about seventy centimetres, so check where your socket "
    "is before you decide where the blender will live on your counter."
)

SENTENCES = [
    "The shoes fell apart after a week.",
    "After only seven days the shoes were falling to pieces.",
    "Delivery was fast and the package arrived in perfect condition.",
    "My order showed up quickly and the box was completely undamaged.",
    "The battery life of this phone is disappointing.",
    "Great value for money, I would definitely buy it again.",
    "The customer support team never answered my emails.",
    "This jacket is warm but the zipper broke on the first day.",
    "Très bien, j'adore ce parfum 😍",
    "ABSOLUTELY TERRIBLE PRODUCT, DO NOT BUY THIS, WASTE OF MONEY!!!",
    "The recipe book has beautiful photos and easy instructions.",
    "Quantum entanglement links the states of two particles.",
    LONG_REVIEW,
    "ok",
]


def main():
    torch.manual_seed(0)
    model = SentenceTransformer(MODEL_DIR, device="cpu")
    model.max_seq_length = MAX_SEQ
    model.eval()

    emb = model.encode(SENTENCES, normalize_embeddings=True, batch_size=64,
                       convert_to_numpy=True, show_progress_bar=False)
    assert emb.shape == (len(SENTENCES), 384), emb.shape

    # Token counts with [CLS]/[SEP] after truncation at MAX_SEQ, using the model's tokenizer.
    tok = model.tokenizer
    enc = tok(SENTENCES, truncation=True, max_length=MAX_SEQ, padding=False)
    token_counts = [len(ids) for ids in enc["input_ids"]]
    untruncated = [len(ids) for ids in tok(SENTENCES, truncation=False)["input_ids"]]
    # Cross-check with sentence-transformers' own tokenize() (what encode() actually feeds)
    feats = model.tokenize(SENTENCES)
    st_counts = feats["attention_mask"].sum(dim=1).tolist()
    assert st_counts == token_counts, (st_counts, token_counts)

    out = {
        "model": "all-MiniLM-L6-v2",
        "max_seq_length": MAX_SEQ,
        "normalize": True,
        "pooling": "mean",
        "generator": {
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
            "device": "cpu",
        },
        "sentences": SENTENCES,
        "token_counts": token_counts,
        "embeddings": [[round(float(x), 7) for x in row] for row in emb],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")

    # Diagnostics to stderr
    sims = emb @ emb.T
    print(f"wrote {OUT}", file=sys.stderr)
    print(f"token_counts={token_counts}", file=sys.stderr)
    print(f"untruncated={untruncated}", file=sys.stderr)
    print(f"norms={np.linalg.norm(emb, axis=1).round(6).tolist()}", file=sys.stderr)
    print(f"long review words={len(LONG_REVIEW.split())}", file=sys.stderr)
    print(f"cos(0,1)={sims[0,1]:.4f} cos(2,3)={sims[2,3]:.4f} cos(0,11)={sims[0,11]:.4f} "
          f"cos(0,2)={sims[0,2]:.4f}", file=sys.stderr)
    print("tokens[8]=", tok.convert_ids_to_tokens(enc["input_ids"][8]), file=sys.stderr)
    print("tokens[13]=", tok.convert_ids_to_tokens(enc["input_ids"][13]), file=sys.stderr)


if __name__ == "__main__":
    main()
