#!/usr/bin/python3
"""Writes the scikit-learn goldens of gmm's maximum-likelihood fits (reg_covar = 0) on
nearly collinear data, whose covariances are positive definite in float64 but far from
the identity: one component over x1 = x0 + 1e-4 z (d = 2, n = 2000), and two components
each within 1e-4 of a line (d = 3, n = 3000). Each is fitted by scikit-learn's
GaussianMixture from a fixed start, full covariances, reg_covar = 0: once 8 iterations,
the state after every M-step recorded (the layout of ../illcond), and once with tol 1e-3
to convergence, where it stopped recorded (under "tol").

Run it from this folder with Debian's python3-sklearn (1.2) and libopenblas0-pthread:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 make.py
It writes line1.json and lines2.json. Floats are Python's repr: the exact float64 values.
"""
import json
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

ITERATIONS = 8


def line1(rng):
    """One component: x1 = x0 + 1e-4 z; the start off its mean, of unit covariance."""
    x0 = rng.normal(size=2000)
    x = np.stack([x0, x0 + 1e-4 * rng.normal(size=2000)], axis=1)
    return x, [1.0], [[0.3, -0.2]], [[1.0, 1.0]]


def lines2(rng):
    """Two components, each along a line of its own within 1e-4 (every direction), 3000
    samples of which 1800 on the first; the start near each line's middle, of variance 2
    (a power of two: the precision is exact)."""
    dirs = np.array([[1.0, 2.0, 2.0], [2.0, -1.0, 0.5]])
    dirs /= np.linalg.norm(dirs, axis=1)[:, None]
    ctr = np.array([[0.0, 0.0, 0.0], [4.0, 1.0, -3.0]])
    parts = []
    for c, u, n in zip(ctr, dirs, [1800, 1200]):
        t = rng.normal(size=(n, 1)) * 2
        parts.append(c + t * u + 1e-4 * rng.normal(size=(n, 3)))
    x = np.concatenate(parts)
    return x, [0.5, 0.5], [list(ctr[0] + 0.5), list(ctr[1] - 0.5)], [[2.0] * 3, [2.0] * 3]


def model(g):
    return {"weights_": g.weights_.tolist(), "means_": g.means_.tolist(), "covariances_": g.covariances_.tolist()}


def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    for seed, (name, make) in enumerate([("line1", line1), ("lines2", lines2)]):
        rng = np.random.default_rng(360 + seed)
        x, weights, means, var = make(rng)
        cov = np.array([np.diag(v) for v in var])
        prec = np.array([np.diag(1 / np.array(v)) for v in var])
        opts = dict(covariance_type="full", reg_covar=0.0, weights_init=weights, means_init=np.array(means),
                    precisions_init=prec)
        g = GaussianMixture(len(weights), tol=0, warm_start=True, max_iter=1, **opts)
        history = []
        for _ in range(ITERATIONS):
            g.fit(x)
            history.append({**model(g), "lower_bound_": g.lower_bound_, "score_after_call": g.score(x)})
        g = GaussianMixture(len(weights), tol=1e-3, max_iter=100, **opts).fit(x)
        out = {
            "sklearn": sklearn.__version__, "X": x.tolist(), "reg_covar": 0.0, "weights_init": weights, "means_init": means,
            "types": {"full": {"start_covariances": cov.tolist(), "history": history}},
            "tol": {"tol": 1e-3, "n_iter_": g.n_iter_, "converged_": bool(g.converged_),
                    "lower_bound_": g.lower_bound_, "score": g.score(x), **model(g)},
        }
        with open(name + ".json", "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    main()
