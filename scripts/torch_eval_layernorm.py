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
window to window starting at zero, every character after the first scored.
Prints {"loss": ..., "windows": ..., "characters": ...}.
Exits 3 when torch or safetensors cannot be imported, 2 for a checkpoint
without layer normalization (use torch_eval.py).
"""
import sys

from charrnn_checkpoint import model_config  # format 1's `config` or format 2's `model`

from torch_eval import arguments_and_torch, score  # the same command line and scoring


def main():
    args, torch, F, safe_open = arguments_and_torch("torch_eval_layernorm", __doc__.splitlines()[0])

    with safe_open(args.checkpoint, "pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k).double() for k in f.keys()}
    cfg = model_config(meta)
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

    h, c = None, None

    def window_logits(x):
        """One window (B, T) → logits (B, T, V), the state carried in h and c."""
        nonlocal h, c
        B, T = x.shape
        if h is None:
            h = [torch.zeros(B, H, dtype=torch.float64) for _ in range(L)]
            c = [torch.zeros(B, H, dtype=torch.float64) for _ in range(L)]
        h, c = [v[-B:] for v in h], [v[-B:] for v in c]  # fewer rows: the last stream going on alone
        logits = []
        for t in range(T):
            inp = F.one_hot(x[:, t], V).double()                     # (B, V)
            for layer in range(L):
                h[layer], c[layer] = step(layers[layer], inp, h[layer], c[layer])
                inp = h[layer]
            logits.append(inp @ head_w.T + head_b)                   # (B, V)
        return torch.stack(logits, dim=1)                            # (B, T, V)

    score("torch_eval_layernorm", torch, F, args, V, window_logits)


if __name__ == "__main__":
    main()
