#!/usr/bin/python3
"""Writes the scikit-learn goldens of gmm's many-feature tests: synthetic mixtures at
d = 8, 16, 39 and 64 and Fisher's iris (d = 4), each fitted by scikit-learn's
GaussianMixture from a fixed start with reg_covar 1e-6, once per covariance type, the state
after every M-step recorded (as ../illcond/make.py does).

Run it from this folder with Debian's python3-sklearn (1.2) and libopenblas0-pthread:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 make.py
It writes one JSON file per data set, without spaces. Floats are Python's repr: the exact
float64 values; the samples are rounded to 4 decimals (iris has 1), which keeps the files
small and changes nothing else.

The synthetic sets are K clusters of correlated features: each cluster's covariance is
L L^T + diag(psi) on d/8 (at least 2) latent factors, its own, every feature then scaled by
a factor from 0.5 to 2. Each centre is drawn at 6/sqrt(2d) of the cluster's width from 0 in
every feature, so that two centres are some 6 widths apart whatever d: the clusters are
well separated, yet at every d some samples share their responsibilities between two
components (most in the diag and spherical fits; the full fits over 39 and 64 features and
the tied fit over 64, whose covariances from a few samples a feature set the clusters far
apart, end with none). So the data are about centred, no cluster more than a few widths
from 0, which keeps scikit-learn itself accurate: its diagonal, spherical and tied M-steps
take raw second moments (E[x^2] - mean^2) and its log-densities X U - mu U, which lose the
digits of (distance from 0 / width)^2, here 1.3 at most. Every type of every set is a
reference: against a double-double EM step from the same state (exactStep in gmm's tests)
scikit-learn's are within 5e-14 (where clusters are narrow next to their distance from 0,
they are not: see ../illcond/make.py).

Iris: sklearn.datasets.load_iris(), the copy shipped with scikit-learn of the measurements
Edgar Anderson took and R. A. Fisher published ("The use of multiple measurements in
taxonomic problems", Annals of Eugenics 7, 1936): 150 flowers, 4 features in cm, as the UCI
Machine Learning Repository gives them (https://archive.ics.uci.edu/dataset/53/iris). The
measurements are in the public domain (UCI lists the data set under CC BY 4.0). Its
clusters are 0.1 to 0.6 cm wide at 0.2 to 7 cm from 0, which costs scikit-learn 2.5 digits
at most (its diagonal, spherical and tied steps are within 3.1e-13 of the double-double
ones); all four types are references.

The start: weights 1/K, means near the clusters' (the synthetic ones rounded to 3 decimals),
and diagonal covariances whose variances are powers of two, so that the precisions
scikit-learn takes are the exact inverses of the covariances gmm takes, for every type
(spherical and tied take the mean of the diagonal variances over the features or over the
components, then round it to a power of two likewise).
"""
import json
import warnings

import numpy as np
import sklearn
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

TYPES = ["full", "diag", "spherical", "tied"]
REG = 1e-6


def synthetic(rng, d, sizes):
    """K = len(sizes) clusters of the given sizes in d correlated features (see above)."""
    k, f = len(sizes), max(2, d // 8)
    scale = 2.0 ** rng.uniform(-1, 1, size=d)
    xs, means, var = [], [], []
    for n in sizes:
        load = 0.5 * rng.normal(size=(d, f))
        psi = rng.uniform(0.2, 1.0, size=d)
        sd = np.sqrt((load ** 2).sum(1) + psi)
        ctr = 6 / np.sqrt(2 * d) * sd * rng.normal(size=d)
        z = rng.normal(size=(n, f))
        xs.append((ctr + z @ load.T + np.sqrt(psi) * rng.normal(size=(n, d))) * scale)
        # The start: the centre moved by half a width per feature, twice the variance.
        means.append((ctr + 0.5 * sd * rng.normal(size=d)) * scale)
        var.append(2 * (sd * scale) ** 2)
    x = np.round(np.concatenate(xs), 4)
    return x, [1 / k] * k, np.round(means, 3), np.array(var)


def iris(rng):
    """Fisher's iris, K = 3: the samples in the file's order, the start means near the three
    species' means, the variances a quarter of the data's."""
    x = load_iris().data
    means = np.array([[5.1, 3.3, 1.6, 0.3], [5.8, 2.9, 4.1, 1.2], [6.7, 3.1, 5.4, 2.1]])
    var = np.tile(x.var(0) / 4, (3, 1))
    return x, [1 / 3] * 3, means, var


def pow2(v):
    return 2.0 ** np.round(np.log2(v))


def start(kind, var):
    """The start of one covariance type: the covariances gmm takes and the precisions
    scikit-learn takes, each the other's inverse exactly (powers of two on a diagonal)."""
    if kind == "full":
        v = pow2(var)
        return np.array([np.diag(r) for r in v]), np.array([np.diag(1 / r) for r in v])
    if kind == "diag":
        v = pow2(var)
        return v, 1 / v
    if kind == "spherical":
        v = pow2(var.mean(1))
        return v, 1 / v
    v = pow2(var.mean(0))
    return np.diag(v), np.diag(1 / v)


def fit(x, kind, weights, means, var, iterations):
    cov, prec = start(kind, var)
    g = GaussianMixture(len(weights), covariance_type=kind, tol=0, reg_covar=REG, weights_init=weights,
                        means_init=means, precisions_init=prec, warm_start=True, max_iter=1)
    history = []
    for _ in range(iterations):
        g.fit(x)
        history.append({"weights_": g.weights_.tolist(), "means_": g.means_.tolist(),
                        "covariances_": g.covariances_.tolist(), "lower_bound_": g.lower_bound_,
                        "score_after_call": g.score(x)})
    return {"start_covariances": cov.tolist(), "history": history}


SETS = {
    "iris4": (iris, 10),
    "synth8": (lambda rng: synthetic(rng, 8, [250, 200, 150, 100]), 10),
    "synth16": (lambda rng: synthetic(rng, 16, [260, 220, 180, 140, 100]), 10),
    "synth39": (lambda rng: synthetic(rng, 39, [300, 240, 180]), 8),
    "synth64": (lambda rng: synthetic(rng, 64, [360, 280]), 8),
}


def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    for seed, (name, (make, iterations)) in enumerate(SETS.items()):
        rng = np.random.default_rng(100 + seed)
        x, weights, means, var = make(rng)
        out = {"sklearn": sklearn.__version__, "X": x.tolist(), "reg_covar": REG, "weights_init": weights,
               "means_init": means.tolist(), "types": {}}
        for kind in TYPES:
            out["types"][kind] = fit(x, kind, weights, means, var, iterations)
        with open(name + ".json", "w") as f:
            json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
