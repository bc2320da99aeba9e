"""Networks of the papers: noise injection, the MNIST / CIFAR-10 CNNs, the SZT MLPs."""
