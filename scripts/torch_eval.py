#!/usr/bin/env python3
"""An independent PyTorch evaluation of a charrnn checkpoint.

    torch_eval.py CHECKPOINT IDS.json --batch-size B --seq-length T

Loads the checkpoint's tensors into torch.nn.LSTM / GRU / RNN + nn.Linear under
PyTorch's own names and scores the token ids in IDS.json (a JSON array) the way
`charrnn eval` and the trainer's validation pass read text: B contiguous
streams of length (n - 1) // B, windows of T, the hidden state carried from
window to window starting at zero, each stream's tail and the characters after
the last stream scored too (see `score`), loss = mean cross-entropy over every
character after the first (nats/char). Prints {"loss": ..., "windows": ..., "characters": ...}.
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
    """Reads IDS.json as `charrnn eval` reads text and prints the loss per
    character over every character after the first: B contiguous streams of
    L = (n - 1) // B (fewer streams when the text is short, one of it all when
    it is shorter than T + 1), windows of T, then each stream's last L mod T
    steps as one shorter window, then the (n - 1) mod B characters after the
    last stream as that stream going on alone. `window_logits(x)` maps one
    window's inputs (rows, steps) to logits (rows, steps, V), carrying its
    recurrent state from call to call; a window of fewer rows goes on with the
    last rows of the state."""
    ids = torch.tensor(json.load(open(args.ids)), dtype=torch.long)
    n = len(ids)
    if n < 2:
        print(f"{name}: fewer than 2 ids, nothing to score", file=sys.stderr)
        sys.exit(1)
    B, T = args.batch_size, args.seq_length
    if (n - 1) // T == 0:
        B, T = 1, n - 1
    B = min(B, (n - 1) // T)
    stream = (n - 1) // B
    whole = stream // T
    windows = [(range(B), k * T, T) for k in range(whole)]        # (streams, first step, steps)
    if stream > whole * T:
        windows.append((range(B), whole * T, stream - whole * T))
    if n - 1 > B * stream:
        windows.append((range(B - 1, B), stream, n - 1 - B * stream))
    total, characters = 0.0, 0
    with torch.no_grad():
        for streams, first, steps in windows:
            starts = [b * stream + first for b in streams]
            x = torch.stack([ids[s:s + steps] for s in starts])          # (rows, steps)
            y = torch.stack([ids[s + 1:s + steps + 1] for s in starts])  # (rows, steps)
            logits = window_logits(x)                                    # (rows, steps, V)
            total += F.cross_entropy(logits.reshape(-1, V), y.reshape(-1), reduction="sum").item()
            characters += x.numel()
    print(json.dumps({"loss": total / characters, "windows": len(windows), "characters": characters}))


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
        rows = x.shape[0]
        if state is not None:  # the last stream going on alone keeps its own state
            state = tuple(s[:, -rows:] for s in state) if isinstance(state, tuple) else state[:, -rows:]
        out, state = rnn(F.one_hot(x, V).float(), state)
        return head(out)

    score("torch_eval", torch, F, args, V, window_logits)


if __name__ == "__main__":
    main()
