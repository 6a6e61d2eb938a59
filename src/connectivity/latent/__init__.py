"""Two-dimensional latent spaces of MNIST digit pairs (the Lancione chapter), by concept.

* :mod:`.digit_pairs` - the two-digit subsets of the study (and the original code's quirk);
* :mod:`.stacked` - fully connected autoencoders, many trained at once with a masked Adam;
* :mod:`.pca` - PCA in closed form (what the linear autoencoder converges to);
* :mod:`.metrics` - silhouettes, principal angles, Procrustes disparity, regions, code spread;
* :mod:`.collapse` - detecting trainings that collapsed onto an average image;
* :mod:`.vae` - the variational autoencoder of the original ``vae.ipynb``;
* :mod:`.judge` - an MNIST classifier that judges reconstructions ("wrong reconstructions").
"""
