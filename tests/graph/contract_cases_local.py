"""Contract-suite settings for LocalAugmentation: a small CVAE, fitted on the default graph batch."""
CASES = {
    "local_augmentation": dict(params={"hidden_dim": 32, "epochs": 2, "k": 2}, fit=True),
}
