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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
        print(f"torch_eval: needs torch and safetensors: {error}", file=sys.stderr)
        sys.exit(3)

    with safe_open(args.checkpoint, "pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    cfg = json.loads(meta["config"])
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

    ids = torch.tensor(json.load(open(args.ids)), dtype=torch.long)
    B, T = args.batch_size, args.seq_length
    stream = (len(ids) - 1) // B
    windows = stream // T
    if windows < 1:
        print("torch_eval: too few ids for one window", file=sys.stderr)
        sys.exit(1)
    state = None
    total = 0.0
    with torch.no_grad():
        for k in range(windows):
            starts = [b * stream + k * T for b in range(B)]
            x = torch.stack([ids[s:s + T] for s in starts])          # (B, T)
            y = torch.stack([ids[s + 1:s + T + 1] for s in starts])  # (B, T)
            out, state = rnn(F.one_hot(x, V).float(), state)
            logits = head(out)                                       # (B, T, V)
            total += F.cross_entropy(logits.reshape(-1, V), y.reshape(-1)).item()
    print(json.dumps({"loss": total / windows, "windows": windows, "characters": windows * B * T}))


if __name__ == "__main__":
    main()
