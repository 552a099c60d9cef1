#!/usr/bin/python3
"""Writes the scikit-learn goldens of gmm's Tol rule: blobs fitted by scikit-learn's
GaussianMixture from a fixed start with tol > 0, once per covariance type, and where it
stopped: its n_iter_ (M-steps), converged_, lower_bound_ and final parameters.

Run it from this folder with Debian's python3-sklearn (1.2) and libopenblas0-pthread:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 make.py
It writes tol.json. Floats are Python's repr: the exact float64 values. The clusters are
about as wide as their distance from 0, where scikit-learn's raw-moment M-steps (diag,
spherical, tied) keep their digits.
"""
import json
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

TYPES = ["full", "diag", "spherical", "tied"]


def blobs(rng, centres, n, sd):
    k, d = centres.shape
    return np.concatenate([c + sd * rng.normal(size=(n // k, d)) for c in centres])


def start(kind, k, d, var):
    """Covariances gmm takes and precisions scikit-learn takes, each the other's inverse
    exactly (var a power of two)."""
    if kind == "full":
        return np.array([np.eye(d) * var] * k), np.array([np.eye(d) / var] * k)
    if kind == "diag":
        return np.full((k, d), var), np.full((k, d), 1 / var)
    if kind == "spherical":
        return np.full(k, var), np.full(k, 1 / var)
    return np.eye(d) * var, np.eye(d) / var


def fit(x, kind, means, var, tol):
    k, d = means.shape
    cov, prec = start(kind, k, d, var)
    g = GaussianMixture(k, covariance_type=kind, tol=tol, reg_covar=1e-6, max_iter=500,
                        weights_init=np.full(k, 1 / k), means_init=means, precisions_init=prec)
    g.fit(x)
    return {"tol": tol, "start_covariances": cov.tolist(), "n_iter_": g.n_iter_, "converged_": bool(g.converged_),
            "lower_bound_": g.lower_bound_, "weights_": g.weights_.tolist(), "means_": g.means_.tolist(),
            "covariances_": g.covariances_.tolist()}


def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    rng = np.random.default_rng(36)
    sets = []
    c3 = np.array([[0.0, 0.0], [3.0, 1.0], [-1.0, 3.0]])
    x3 = blobs(rng, c3, 3000, 0.8)
    c4 = rng.normal(size=(4, 5)) * 2
    x4 = blobs(rng, c4, 3200, 1.0)
    for name, x, centres, tol in [("3 blobs, d = 2", x3, c3, 1e-3), ("4 blobs, d = 5", x4, c4, 1e-4)]:
        means = centres + 0.7  # a start off the blobs' centres
        sets.append({"name": name, "X": x.tolist(), "means_init": means.tolist(),
                     "types": {kind: fit(x, kind, means, 2.0, tol) for kind in TYPES}})
    with open("tol.json", "w") as f:
        json.dump({"sklearn": sklearn.__version__, "sets": sets}, f)


if __name__ == "__main__":
    main()
