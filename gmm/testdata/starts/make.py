#!/usr/bin/python3
"""Writes the scikit-learn goldens of gmm's starts (init_params): for blobs in one and two
dimensions and every covariance type, the start GaussianMixture makes (max_iter=0,
reg_covar 1e-6, random_state 0) of each kind, with what it made it from, so that gmm's
M-step from the same responsibilities can be held to it:

- kmeans: KMeans(n_clusters=K, n_init=1, random_state=0)'s labels and centres, which
  GaussianMixture's own k-means draws alike; and a start with means_init and
  precisions_init over them (a start given in part);
- k-means++: the indices kmeans_plusplus(X, K, random_state=0) chooses;
- random: the responsibilities RandomState(0).uniform(size=(n, K)), normalised;
- the fit from the kmeans start with the default tol: n_iter_, converged_, lower_bound_
  and its parameters, which gmm's own k-means start reaches on these well-separated blobs;
- Lloyd's iterations from given centres (KMeans(init=centres, n_init=1)): labels, centres
  and n_iter_, on the blobs, from centres of which one is far from every sample (its
  cluster empty, relocated), and on uniform data where the centres settle slowly.

Run it from this folder with Debian's python3-sklearn (1.2) and libopenblas0-pthread:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 make.py
It writes starts.json. Floats are Python's repr: the exact float64 values.
"""
import json
import warnings

import numpy as np
import sklearn
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

TYPES = ["full", "diag", "spherical", "tied"]
K = 3


def blobs(rng, d):
    ctr = np.array([[0.0, 0.0], [6.0, 1.0], [12.0, 6.0]])[:, :d]
    sd = np.array([[1.0, 0.5], [0.7, 1.2], [0.6, 0.6]])[:, :d]
    return np.concatenate([c + s * rng.normal(size=(n, d)) for c, s, n in zip(ctr, sd, [250, 200, 150])])


def model(g):
    return {"weights_": g.weights_.tolist(), "means_": g.means_.tolist(), "covariances_": g.covariances_.tolist()}


def start(x, kind, init, **kw):
    g = GaussianMixture(K, covariance_type=kind, init_params=init, random_state=0, max_iter=0, **kw).fit(x)
    return {**model(g), "precisions_": g.precisions_.tolist(), "precisions_cholesky_": g.precisions_cholesky_.tolist()}


def partial(x, kind, **kw):
    """The start given in part: scikit-learn 1.2's fit with max_iter=0 fails when given
    precisions_init (it keeps no covariances_ to return), so its initialisation is run
    alone, as fit runs it."""
    g = GaussianMixture(K, covariance_type=kind, random_state=0, **kw)
    g._check_parameters(x)
    g._initialize_parameters(x, np.random.RandomState(0))
    return {"weights_": g.weights_.tolist(), "means_": g.means_.tolist()}


def lloyd(x, init):
    km = KMeans(len(init), init=init, n_init=1).fit(x)
    return {"init": init.tolist(), "labels_": km.labels_.tolist(), "cluster_centers_": km.cluster_centers_.tolist(),
            "n_iter_": km.n_iter_}


def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    rng = np.random.default_rng(3600)
    sets = []
    for d in [1, 2]:
        x = blobs(rng, d)
        n = len(x)
        km = KMeans(K, n_init=1, random_state=0).fit(x)
        _, idx = kmeans_plusplus(x, K, random_state=0)
        resp = np.random.RandomState(0).uniform(size=(n, K))
        resp /= resp.sum(axis=1)[:, None]
        means_init = np.array([[0.5, 0.5], [5.0, 0.0], [11.0, 5.0]])[:, :d]
        types = {}
        for kind in TYPES:
            prec_init = {"full": np.array([np.eye(d) * 2.0] * K), "tied": np.eye(d) * 2.0,
                         "diag": np.full((K, d), 2.0), "spherical": np.full(K, 2.0)}[kind]
            fit = GaussianMixture(K, covariance_type=kind, random_state=0).fit(x)
            types[kind] = {
                "kmeans": start(x, kind, "kmeans"),
                "kmeans_partial": {"means_init": means_init.tolist(), "precisions_init": prec_init.tolist(),
                                   **partial(x, kind, means_init=means_init, precisions_init=prec_init)},
                "k-means++": start(x, kind, "k-means++"),
                "random": start(x, kind, "random"),
                "fit": {"n_iter_": fit.n_iter_, "converged_": bool(fit.converged_), "lower_bound_": fit.lower_bound_,
                        **model(fit)},
            }
        far = np.concatenate([x[:2], np.full((1, d), 100.0)])
        uniform = rng.uniform(size=(400, d))
        sets.append({
            "X": x.tolist(), "kmeans_labels_": km.labels_.tolist(), "kmeans_centers_": km.cluster_centers_.tolist(),
            "kmeans_plusplus_indices": idx.tolist(), "random_resp": resp.tolist(), "types": types,
            "lloyd": [dict(lloyd(x, x[:K]), X=None), dict(lloyd(x, far), X=None),
                      dict(lloyd(uniform, uniform[:4]), X=uniform.tolist())],
        })
    with open("starts.json", "w") as f:
        json.dump({"sklearn": sklearn.__version__, "reg_covar": 1e-6, "sets": sets}, f)


if __name__ == "__main__":
    main()
