# Times scikit-learn's GaussianMixture an iteration on the shapes that `go run ./tools/peers
# -write DIR` writes: (fit of 11 iterations - fit of 1) / 10, each the median of three, from
# the same start as gmmsimd's (weights 1/K, the given means, unit precisions), tol 0. The
# start is given whole; init_params="random" keeps scikit-learn from running k-means first
# for responsibilities that the given start then replaces.
#   python3 sklearn_peer.py DIR NAME
import sys, time, warnings
import numpy as np
from sklearn.mixture import GaussianMixture

warnings.filterwarnings("ignore")  # ConvergenceWarning: tol 0 never converges
folder, name = sys.argv[1], sys.argv[2]
cov, k, d, n = name.split("_")
k, d, n = int(k[1:]), int(d[1:]), int(n[1:])
x = np.fromfile("%s/%s.x" % (folder, name), dtype="<f8").reshape(n, d)
means = np.fromfile("%s/%s.means" % (folder, name), dtype="<f8").reshape(k, d)
prec = np.stack([np.eye(d)] * k) if cov == "full" else np.ones((k, d))


def fit(iters):
    ts = []
    for _ in range(3):
        g = GaussianMixture(n_components=k, covariance_type=cov, max_iter=iters, tol=0, reg_covar=1e-6,
                            weights_init=np.full(k, 1.0 / k), means_init=means, precisions_init=prec,
                            init_params="random")
        t0 = time.perf_counter()
        g.fit(x)
        ts.append(time.perf_counter() - t0)
    return sorted(ts)[1]


one, eleven = fit(1), fit(11)
print("%s: %.4f s an iteration (fit of 1: %.4f s, of 11: %.4f s)" % (name, (eleven - one) / 10, one, eleven))
