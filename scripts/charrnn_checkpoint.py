"""The model of a charrnn checkpoint's metadata, for the PyTorch scripts.

Format 2 stores the model as `model`, its description in parts
({"input": {...}, "stack": {...}, "head": {...}}); format 1 stored `config`,
a flat object. `model_config` reads either and returns format 1's flat keys
(cell, activation, vocabularySize, hiddenSize, layerCount, dropout,
recurrentDropout, layerNorm), which is what the scripts index.
"""
import json


def model_config(metadata):
    if "model" not in metadata:
        config = json.loads(metadata["config"])
        config.setdefault("layerNorm", False)
        config.setdefault("recurrentDropout", 0)
        return config
    model = json.loads(metadata["model"])
    kinds = (model["input"]["kind"], model["head"]["kind"])
    if kinds != ("one_hot", "next_character"):
        raise ValueError(f"a model with input {kinds[0]!r} and head {kinds[1]!r}: only one_hot and next_character load into nn.RNN + nn.Linear")
    stack = model["stack"]
    return {
        "cell": stack["cell"],
        "activation": stack["activation"],
        "vocabularySize": model["input"]["vocabulary_size"],
        "hiddenSize": stack["hidden_size"],
        "layerCount": stack["layers"],
        "dropout": stack["dropout"],
        "recurrentDropout": stack["recurrent_dropout"],
        "layerNorm": stack["layer_norm"],
    }
