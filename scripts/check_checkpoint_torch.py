#!/usr/bin/env python3
"""Load a charrnn checkpoint with Python's safetensors and PyTorch.

    check_checkpoint_torch.py CHECKPOINT [--ids 0,1,2] [--values]

Reads the tensors with safetensors.numpy.load_file and the metadata with
safe_open, builds torch.nn.LSTM / GRU / RNN(input_size=V, hidden_size=H,
num_layers=L[, nonlinearity]) and nn.Linear(H, V), loads the "rnn.*" and
"head.*" tensors under PyTorch's own names (prefix stripped, strict), runs a
forward pass on a few one-hot characters and prints one JSON object:

    format, format_version, config, tokenizer, vocabulary_size, training
    parameters   {name: {shape, sum, first[, values]}} read back from the
                 PyTorch modules' state_dict after loading, so they show what
                 PyTorch actually holds under each charrnn name
    extras       {name: {shape, sum, first}} for optim.* / state.* tensors
    input_ids, logits   the forward pass: T rows of V logits

--values adds every parameter value (exact: float32 widened to float64).
Exits 1 with a one-line message on stderr when the file does not load, and 3
when this Python cannot import torch, numpy or safetensors.
"""
import argparse
import json
import sys

from charrnn_checkpoint import model_config  # format 1's `config` or format 2's `model`


def fail(message, status=1):
    print(f"check_checkpoint_torch: {message}", file=sys.stderr)
    sys.exit(status)


def summary(array, with_values=False):
    flat = array.reshape(-1)
    info = {
        "shape": list(array.shape),
        "sum": float(flat.astype("float64").sum()),
        "first": [float(x) for x in flat[:8]],
        "dtype": str(array.dtype),
    }
    if with_values:
        info["values"] = [float(x) for x in flat]
    return info


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--ids", help="comma-separated token ids to feed (default: 0, 1, 2, 3, 0 modulo V)")
    parser.add_argument("--values", action="store_true", help="print every parameter value")
    args = parser.parse_args()

    try:
        import numpy  # noqa: F401  (safetensors.numpy needs it)
        import torch
        from safetensors import safe_open
        from safetensors.numpy import load_file
    except ImportError as error:
        fail(f"needs torch, numpy and safetensors: {error}", status=3)

    try:
        arrays = load_file(args.checkpoint)
        with safe_open(args.checkpoint, framework="np") as f:
            metadata = f.metadata() or {}
    except Exception as error:  # safetensors raises its own error types
        fail(f"{args.checkpoint}: safetensors cannot load it: {error}")

    if metadata.get("format") != "charrnn":
        fail(f"{args.checkpoint}: not a charrnn checkpoint (format {metadata.get('format')!r})")
    config = model_config(metadata)
    vocabulary = json.loads(metadata["vocabulary"])
    V, H, L = config["vocabularySize"], config["hiddenSize"], config["layerCount"]
    if len(vocabulary) != V:
        fail(f"vocabulary has {len(vocabulary)} entries, config says {V}")

    cell = config["cell"]
    if cell == "lstm":
        rnn = torch.nn.LSTM(input_size=V, hidden_size=H, num_layers=L, batch_first=True)
    elif cell == "gru":
        rnn = torch.nn.GRU(input_size=V, hidden_size=H, num_layers=L, batch_first=True)
    elif cell == "rnn":
        rnn = torch.nn.RNN(input_size=V, hidden_size=H, num_layers=L, nonlinearity=config["activation"],
                           batch_first=True)
    else:
        fail(f"unknown cell {cell!r}")
    head = torch.nn.Linear(H, V)

    def state(prefix):
        return {name[len(prefix):]: torch.from_numpy(array.copy())
                for name, array in arrays.items() if name.startswith(prefix)}

    try:
        rnn.load_state_dict(state("rnn."), strict=True)
        head.load_state_dict(state("head."), strict=True)
    except RuntimeError as error:
        fail(f"PyTorch refuses the parameters: {' '.join(str(error).split())}")
    rnn.eval()
    head.eval()

    ids = [int(x) for x in args.ids.split(",")] if args.ids else [i % min(V, 4) for i in range(5)]
    if any(not 0 <= i < V for i in ids):
        fail(f"ids must be in 0..<{V}")
    x = torch.zeros(1, len(ids), V)
    for t, i in enumerate(ids):
        x[0, t, i] = 1.0
    with torch.no_grad():
        output, _ = rnn(x)
        logits = head(output)[0]

    loaded = {f"rnn.{k}": v for k, v in rnn.state_dict().items()}
    loaded.update({f"head.{k}": v for k, v in head.state_dict().items()})
    result = {
        "format": metadata["format"],
        "format_version": metadata.get("format_version"),
        "config": config,
        "tokenizer": json.loads(metadata.get("tokenizer", "null")),
        "vocabulary_size": len(vocabulary),
        "training": {k[len("training."):]: v for k, v in metadata.items() if k.startswith("training.")},
        "parameters": {name: summary(t.detach().numpy(), args.values) for name, t in loaded.items()},
        "extras": {name: summary(a) for name, a in arrays.items()
                   if not name.startswith(("rnn.", "head."))},
        "input_ids": ids,
        "logits": logits.tolist(),
        "torch_version": torch.__version__,
    }
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
