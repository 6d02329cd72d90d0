#!/usr/bin/env python3
"""An independent PyTorch evaluation of a layer-normalized charrnn checkpoint.

    torch_eval_layernorm.py CHECKPOINT IDS.json --batch-size B --seq-length T

The equations of issue 12 (charrnn's Sources/RNN/LayerNormCells.swift), written
here from the issue with torch's own F.layer_norm (biased variance, eps 1e-5),
in float64. Per layer, a = W_ih·x + W_hh·h (no biases), LN over each block's H:

    LSTM  i, f, o = σ(LN(a_i)), σ(LN(a_f)), σ(LN(a_o)); g = tanh(LN(a_g))
          c = f⊙c + i⊙g;  h = o ⊙ tanh(LN(c))                  ln blocks i, f, g, o, c
    GRU   r = σ(LN(a_r)), z = σ(LN(a_z)), n = tanh(LN(W_in·x) + r ⊙ LN(W_hn·h))
          h = (1 − z)⊙n + z⊙h                                   ln blocks r, z, n-input, n-hidden
    RNN   h = φ(LN(a))                                           one block

γ and β of the blocks are rnn.ln_weight_l{k} and rnn.ln_bias_l{k}, concatenated
in the order above. Scoring is torch_eval.py's (and `charrnn eval`'s): B
contiguous streams of length (n - 1) // B, windows of T, the state carried from
window to window starting at zero, loss = mean over windows of the mean
cross-entropy. Prints {"loss": ..., "windows": ..., "characters": ...}.
Exits 3 when torch or safetensors cannot be imported, 2 for a checkpoint
without layer normalization (use torch_eval.py).
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
        print(f"torch_eval_layernorm: needs torch and safetensors: {error}", file=sys.stderr)
        sys.exit(3)

    with safe_open(args.checkpoint, "pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k).double() for k in f.keys()}
    cfg = json.loads(meta["config"])
    if not cfg.get("layerNorm", False):
        print("torch_eval_layernorm: not a layer-normalized checkpoint (use torch_eval.py)", file=sys.stderr)
        sys.exit(2)
    V, H, L, cell = cfg["vocabularySize"], cfg["hiddenSize"], cfg["layerCount"], cfg["cell"]
    phi = torch.tanh if cfg.get("activation", "tanh") == "tanh" else torch.relu
    layers = [{name: tensors[f"rnn.{name}_l{k}"] for name in ("weight_ih", "weight_hh", "ln_weight", "ln_bias")}
              for k in range(L)]
    head_w, head_b = tensors["head.weight"], tensors["head.bias"]

    def ln(v, p, block):
        """LN of v (B, H) with block `block` of the layer's γ and β."""
        s = slice(block * H, (block + 1) * H)
        return F.layer_norm(v, (H,), p["ln_weight"][s], p["ln_bias"][s], 1e-5)

    def step(p, x, h, c):
        """One layer, one step: x (B, In), h and c (B, H) -> new h, c."""
        xi, hh = x @ p["weight_ih"].T, h @ p["weight_hh"].T   # (B, G·H) each
        a = xi + hh
        blk = lambda t, j: t[:, j * H:(j + 1) * H]
        if cell == "lstm":
            i = torch.sigmoid(ln(blk(a, 0), p, 0))
            f = torch.sigmoid(ln(blk(a, 1), p, 1))
            g = torch.tanh(ln(blk(a, 2), p, 2))
            o = torch.sigmoid(ln(blk(a, 3), p, 3))
            c = f * c + i * g
            return o * torch.tanh(ln(c, p, 4)), c
        if cell == "gru":
            r = torch.sigmoid(ln(blk(a, 0), p, 0))
            z = torch.sigmoid(ln(blk(a, 1), p, 1))
            n = torch.tanh(ln(blk(xi, 2), p, 2) + r * ln(blk(hh, 2), p, 3))
            return (1 - z) * n + z * h, c
        return phi(ln(a, p, 0)), c

    ids = torch.tensor(json.load(open(args.ids)), dtype=torch.long)
    B, T = args.batch_size, args.seq_length
    stream = (len(ids) - 1) // B
    windows = stream // T
    if windows < 1:
        print("torch_eval_layernorm: too few ids for one window", file=sys.stderr)
        sys.exit(1)
    h = [torch.zeros(B, H, dtype=torch.float64) for _ in range(L)]
    c = [torch.zeros(B, H, dtype=torch.float64) for _ in range(L)]
    total = 0.0
    with torch.no_grad():
        for k in range(windows):
            starts = [b * stream + k * T for b in range(B)]
            x = torch.stack([ids[s:s + T] for s in starts])          # (B, T)
            y = torch.stack([ids[s + 1:s + T + 1] for s in starts])  # (B, T)
            logits = []
            for t in range(T):
                inp = F.one_hot(x[:, t], V).double()                 # (B, V)
                for layer in range(L):
                    h[layer], c[layer] = step(layers[layer], inp, h[layer], c[layer])
                    inp = h[layer]
                logits.append(inp @ head_w.T + head_b)               # (B, V)
            logits = torch.stack(logits, dim=1)                      # (B, T, V)
            total += F.cross_entropy(logits.reshape(-1, V), y.reshape(-1)).item()
    print(json.dumps({"loss": total / windows, "windows": windows, "characters": windows * B * T}))


if __name__ == "__main__":
    main()
