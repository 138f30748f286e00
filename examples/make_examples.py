"""Regenerate the small example files in this folder (deterministic; no downloads).

    python examples/make_examples.py
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

HERE = Path(__file__).parent

REVIEWS = [
    ("The battery lasts all day and the screen is bright and sharp.", "positive"),
    ("Shipping took three weeks and the box arrived badly damaged.", "negative"),
    ("I love how quietly this little fan runs at night.", "positive"),
    ("The instructions were confusing and two screws were missing.", "negative"),
    ("Great value for the price, I would happily buy it again.", "positive"),
    ("It stopped working after a week and support never answered.", "negative"),
    ("The fabric feels soft and the colours stayed bright after washing.", "positive"),
    ("Far too loud, and the handle broke on the first day.", "negative"),
    ("Setup was quick and the app connected without any trouble.", "positive"),
    ("The coffee tastes burnt no matter which setting I choose.", "negative"),
    ("My children play with this puzzle every single evening.", "positive"),
    ("The zipper jammed constantly and the seams started to tear.", "negative"),
    ("Excellent sound quality for such a small and light speaker.", "positive"),
    ("The description promised leather but the material is cheap plastic.", "negative"),
    ("Comfortable shoes that fit perfectly right out of the box.", "positive"),
    ("The lid does not seal, so everything in the bag leaked.", "negative"),
]


def main() -> None:
    pd.DataFrame(REVIEWS, columns=["text", "label"]).to_csv(HERE / "reviews.csv", index=False)

    from sklearn.datasets import load_diabetes

    d = load_diabetes(as_frame=True)
    df = d.frame.iloc[:120].round(5)
    df.to_csv(HERE / "diabetes.csv", index=False)

    rng = np.random.default_rng(0)
    n, c, t = 24, 2, 96
    labels = np.arange(n) % 2
    steps = rng.normal(size=(n, c, t)) * 0.3
    phase = np.linspace(0, 4 * np.pi, t)
    x = np.cumsum(steps, axis=-1) + labels[:, None, None] * np.sin(phase)[None, None, :]
    np.savez(HERE / "series.npz", x=x.astype(np.float32), y=labels.astype(np.int64))

    g = torch.Generator().manual_seed(0)
    graphs = []
    for i in range(6):
        nodes = 8 + 2 * i
        ring = torch.stack([torch.arange(nodes), (torch.arange(nodes) + 1) % nodes])
        ei = torch.cat([ring, ring.flip(0)], dim=1)
        graphs.append({"x": torch.rand(nodes, 4, generator=g), "edge_index": ei, "y": torch.tensor([i % 2])})
    torch.save(graphs, HERE / "graphs.pt")


if __name__ == "__main__":
    main()
