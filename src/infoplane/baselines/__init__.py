"""The four earlier information-plane analyses, reproduced on the SZT 12-bit task (and MNIST).

    szt_runs   train one SZT network (tanh / ReLU, float / quantised / noisy), or one of the
               MNIST networks of Saxe et al. and Lorenzen et al., with
               :func:`infoplane.train.train`, capturing every layer on the evaluation set
               (SZT: all 4096 inputs; MNIST: a fixed subset of the test images)
    planes     per-run, per-epoch, per-layer I(X;T) and I(T;Y) by a registry estimator
               (binning, KDE bounds, exact discrete counts), X uniform over the inputs
    goldfeld   sample propagation through a noisy network, and the single noisy neuron
    (aggregation over seeds and the sanity flags: infoplane.tables, infoplane.flags)

Every experiment of ``experiments/`` is: train (several seeds) -> planes -> summary -> figures.
"""
