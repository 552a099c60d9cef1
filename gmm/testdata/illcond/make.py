#!/usr/bin/python3
"""Writes the scikit-learn goldens of gmm's exact-moments tests: ill-conditioned synthetic
data, each fitted by scikit-learn's GaussianMixture for 8 iterations from a fixed start,
once per covariance type, the state after every M-step recorded.

Run it from this folder with Debian's python3-sklearn (1.2) and libopenblas0-pthread:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 make.py
It writes one JSON file per data set. Floats are Python's repr: the exact float64 values.

scikit-learn takes full covariances about each component's new mean, but its diagonal,
spherical and tied M-steps from raw second moments (E[x^2] - mean^2): where a cluster is
narrow next to its distance from 0 they cancel (at an offset of 1e8 its diagonal and tied
fits fail, "ill-defined empirical covariance"; a cluster 1e-3 wide at 100 loses 10
digits). Its log-densities take X U - mu U, which cancels likewise: at an offset of 1e8
with spreads of 0.01, its responsibilities are off by 1e-7. So only its full fits are
goldens for the offset and jump data, at an offset of 1e4, where it keeps 1e-10; all
four types are for correlated30, whose clusters are as wide as their distance from 0.
"""
import json
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

ITERATIONS = 8
TYPES = ["full", "diag", "spherical", "tied"]


def correlated30(rng):
    """d = 30, features from 1e-3 to 4e3, driven by 5 latent factors: 394 samples, and a
    cluster of 6 (d/5) far along the factors, which component 1 takes alone."""
    d, f = 30, 5
    scale = 10.0 ** (-3 + 6.6 * np.arange(d) / (d - 1))
    load = rng.normal(size=(d, f))
    z = rng.normal(size=(400, f))
    z[394:] += 4.0
    x = (1.0 + 0.2 * z @ load.T + 0.01 * rng.normal(size=(400, d))) * scale
    c0 = x[:394].mean(0)
    c1 = x[394:].mean(0) * 0.9 + c0 * 0.1
    var = [(0.3 * scale) ** 2, (0.3 * scale) ** 2]
    return x, [0.5, 0.5], [c0, c1], var, 1e-6


def offset3(rng):
    """d = 3 at an offset of 1e4, spreads of 0.01, 1 and 100, three clusters."""
    ctr = np.array([[0, 0, 0], [0.05, 3, -300], [-0.04, -2, 400]]) + 1e4
    sd = np.array([0.01, 1.0, 100.0])
    x = np.concatenate([c + sd * rng.normal(size=(n, 3)) for c, n in zip(ctr, [300, 200, 100])])
    means = ctr + np.array([0.01, 0.5, 50.0])
    var = [sd ** 2 * 4] * 3
    return x, [0.4, 0.3, 0.3], list(means), var, 1e-9


def jump(rng, d):
    """Two clusters, at -1000 (width 1) and at 100 (width 1e-3): component 1 starts at 60,
    wide, takes the narrow cluster alone and moves 40000 of its widths in one step."""
    ctr = np.array([[-1000.0] * d, [100.0] * d])
    x = np.concatenate([ctr[0] + rng.normal(size=(300, d)), ctr[1] + 1e-3 * rng.normal(size=(200, d))])
    means = [ctr[0], np.full(d, 60.0)]
    var = [np.ones(d), np.full(d, 400.0)]
    return x, [0.5, 0.5], means, var, 1e-9


def start(kind, means, var):
    """The start of one covariance type: the covariances gmm takes and the precisions
    scikit-learn takes, each the other's inverse to an ulp (diagonal)."""
    var = np.array(var)
    if kind == "full":
        cov = np.array([np.diag(v) for v in var])
        prec = np.array([np.diag(1 / v) for v in var])
    elif kind == "diag":
        cov, prec = var, 1 / var
    elif kind == "spherical":
        cov = var.mean(1)
        prec = 1 / cov
    else:
        cov = np.diag(var.mean(0))
        prec = np.diag(1 / var.mean(0))
    return cov, prec


def fit(x, kind, weights, means, var, reg):
    cov, prec = start(kind, means, var)
    g = GaussianMixture(len(weights), covariance_type=kind, tol=0, reg_covar=reg, weights_init=weights,
                        means_init=np.array(means), precisions_init=prec, warm_start=True, max_iter=1)
    history = []
    for _ in range(ITERATIONS):
        g.fit(x)
        history.append({"weights_": g.weights_.tolist(), "means_": g.means_.tolist(),
                        "covariances_": g.covariances_.tolist(), "lower_bound_": g.lower_bound_,
                        "score_after_call": g.score(x)})
    return {"start_covariances": cov.tolist(), "history": history}


def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    sets = {"correlated30": (correlated30, TYPES), "offset3": (offset3, ["full"]),
            "jump2": (lambda rng: jump(rng, 2), ["full"]), "jump1": (lambda rng: jump(rng, 1), ["full"])}
    for seed, (name, (make, kinds)) in enumerate(sets.items()):
        rng = np.random.default_rng(seed)
        x, weights, means, var, reg = make(rng)
        out = {"sklearn": sklearn.__version__, "X": x.tolist(), "reg_covar": reg, "weights_init": weights,
               "means_init": [list(m) for m in means], "types": {}}
        for kind in kinds:
            out["types"][kind] = fit(x, kind, weights, means, var, reg)
        with open(name + ".json", "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    main()
