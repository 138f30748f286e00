"""Contract-suite cases for the EDA, character-noise and nlpaug text augmenters.

The defaults suit the contract test (packaged WordNet, the default English sentences); the nlpaug
adapter is given an explicit, configurable nlpaug class so that its config round-trips.
"""
CASES = {
    "nlpaug": dict(params={"aug": "nlpaug.augmenter.word.RandomWordAug", "aug_params": {"action": "swap"}}),
}
