"""The numbers of docs/axes.md: one KL input of shape (N, T, V) = (2, 3, 4), three divisors.

Run it with NumPy alone (``python docs/examples/axes_example.py``); the doc quotes its output.
The inputs are written out below, not drawn at random, so the numbers can be checked by hand.
"""

import numpy as np

# Targets and predictions: 2 sequences x 3 timesteps x a distribution over 4 classes.
targets = np.array(
    [
        [[0.70, 0.10, 0.10, 0.10], [0.25, 0.25, 0.25, 0.25], [0.10, 0.20, 0.30, 0.40]],
        [[0.05, 0.05, 0.05, 0.85], [0.40, 0.40, 0.10, 0.10], [0.60, 0.20, 0.10, 0.10]],
    ]
)
preds = np.array(
    [
        [[0.40, 0.20, 0.20, 0.20], [0.10, 0.20, 0.30, 0.40], [0.25, 0.25, 0.25, 0.25]],
        [[0.25, 0.25, 0.25, 0.25], [0.10, 0.10, 0.40, 0.40], [0.50, 0.30, 0.10, 0.10]],
    ]
)
N, T, V = targets.shape

# Element terms l[i, t, v] = t log(t / p): KL divergence, no mean taken.
terms = targets * np.log(targets / preds)
total = terms.sum()
per_position = terms.sum(axis=2)  # L[i, t]: the sum over the class axis

print(f"sum of the {terms.size} terms: {total:.4f}")
print(f"per-position sums L[i, t]: {np.round(per_position, 4).tolist()}")
rows = [
    ("all", "N T V", N * T * V, total, "PyTorch KLDivLoss(reduction='mean')"),
    ("samples,positions", "N T", N * T, total, "Keras KLDivergence() (sum_over_batch_size)"),
    ("samples", "N", N, total, "PyTorch KLDivLoss(reduction='batchmean')"),
]

# Position (1, 2) left out two ways: a mask removes it from n; a zero weight keeps its place.
keep = np.ones((N, T))
keep[1, 2] = 0
kept = (per_position * keep).sum()
rows += [
    ("samples,positions --mask", "valid", int(keep.sum()), kept, "Keras, the position masked"),
    ("samples,positions --weights", "N T", N * T, kept, "Keras, the position's sample_weight 0"),
]
for reduce, name, n, numerator, call in rows:
    print(f"{reduce:28} n = {name:5} = {n:2d}  {numerator:.4f} / {n:2d} = {numerator / n:.4f}  {call}")
