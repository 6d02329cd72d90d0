#!/usr/bin/env python3
"""An independent PyTorch evaluation of a charrnn checkpoint.

    torch_eval.py CHECKPOINT IDS.json --batch-size B --seq-length T

Loads the checkpoint's tensors into torch.nn.LSTM / GRU / RNN + nn.Linear under
PyTorch's own names and scores the token ids in IDS.json (a JSON array) the way
`charrnn eval` and the trainer's validation pass read text: B contiguous
streams of length (n - 1) // B, windows of T, the hidden state carried from
window to window starting at zero, loss = mean over windows of the mean
cross-entropy (nats/char). Prints {"loss": ..., "windows": ..., "characters": ...}.
Exits 3 when torch or safetensors cannot be imported.
"""
import argparse
import json
import sys

from charrnn_checkpoint import model_config  # format 1's `config` or format 2's `model`


def arguments_and_torch(name, description):
    """The command line (CHECKPOINT IDS.json --batch-size B --seq-length T) and
    torch, torch.nn.functional, safetensors' safe_open; exits 3 without torch."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("checkpoint")
    ap.add_argument("ids")
    ap.add_argument("--batch-size", type=int, required=True)
    ap.add_argument("--seq-length", type=int, required=True)
    args = ap.parse_args()
    try:
        import torch
        import torch.nn.functional as F
        from safetensors import safe_open
    except ImportError as error:
        print(f"{name}: needs torch and safetensors: {error}", file=sys.stderr)
        sys.exit(3)
    return args, torch, F, safe_open


def score(name, torch, F, args, V, window_logits):
    """Reads IDS.json as `charrnn eval` reads text (B contiguous streams of
    (n - 1) // B, windows of T) and prints the mean over windows of the mean
    cross-entropy. `window_logits(x)` maps one window's inputs (B, T) to logits
    (B, T, V), carrying its recurrent state from call to call."""
    ids = torch.tensor(json.load(open(args.ids)), dtype=torch.long)
    B, T = args.batch_size, args.seq_length
    stream = (len(ids) - 1) // B
    windows = stream // T
    if windows < 1:
        print(f"{name}: too few ids for one window", file=sys.stderr)
        sys.exit(1)
    total = 0.0
    with torch.no_grad():
        for k in range(windows):
            starts = [b * stream + k * T for b in range(B)]
            x = torch.stack([ids[s:s + T] for s in starts])          # (B, T)
            y = torch.stack([ids[s + 1:s + T + 1] for s in starts])  # (B, T)
            logits = window_logits(x)                                # (B, T, V)
            total += F.cross_entropy(logits.reshape(-1, V), y.reshape(-1)).item()
    print(json.dumps({"loss": total / windows, "windows": windows, "characters": windows * B * T}))


def main():
    args, torch, F, safe_open = arguments_and_torch("torch_eval", __doc__.splitlines()[0])
    with safe_open(args.checkpoint, "pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    cfg = model_config(meta)
    V, H, L = cfg["vocabularySize"], cfg["hiddenSize"], cfg["layerCount"]
    if cfg["cell"] == "lstm":
        rnn = torch.nn.LSTM(V, H, L, batch_first=True)
    elif cfg["cell"] == "gru":
        rnn = torch.nn.GRU(V, H, L, batch_first=True)
    else:
        rnn = torch.nn.RNN(V, H, L, nonlinearity=cfg.get("activation", "tanh"), batch_first=True)
    rnn.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("rnn.")}, strict=True)
    head = torch.nn.Linear(H, V)
    head.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("head.")}, strict=True)

    state = None

    def window_logits(x):
        nonlocal state
        out, state = rnn(F.one_hot(x, V).float(), state)
        return head(out)

    score("torch_eval", torch, F, args, V, window_logits)


if __name__ == "__main__":
    main()
