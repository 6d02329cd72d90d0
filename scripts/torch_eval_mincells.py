#!/usr/bin/env python3
"""An independent PyTorch evaluation of a minGRU or minLSTM charrnn checkpoint.

    torch_eval_mincells.py CHECKPOINT IDS.json --batch-size B --seq-length T

The cells of Feng et al. 2024 ("Were RNNs All We Needed?"), sequential form, as a
small nn.Module that loads the checkpoint's PyTorch-named tensors
(rnn.weight_ih_l{k} (G·H, In), rnn.bias_ih_l{k} (G·H), head.weight, head.bias):

    minGRU   z = σ(x W_zᵀ + b_z), h̃ = x W_hᵀ + b_h,             h = (1 − z) h + z h̃
    minLSTM  i, f = σ(x W_iᵀ + b_i), σ(x W_fᵀ + b_f), h̃ = x W_hᵀ + b_h,
             h = f/(f + i) · h + i/(f + i) · h̃

Scoring is torch_eval.py's (and `charrnn eval`'s). Prints {"loss": ..., ...}.
Exits 3 when torch or safetensors cannot be imported, 2 for another cell.
"""
import sys

from charrnn_checkpoint import model_config  # format 1's `config` or format 2's `model`
from torch_eval import arguments_and_torch, score  # the same command line and scoring


def main():
    args, torch, F, safe_open = arguments_and_torch("torch_eval_mincells", __doc__.splitlines()[0])
    with safe_open(args.checkpoint, "pt") as f:
        cfg = model_config(f.metadata())
        state = {k: f.get_tensor(k).double() for k in f.keys() if not k.startswith("optim.")}
    if cfg["cell"] not in ("mingru", "minlstm"):
        print("torch_eval_mincells: not a minGRU or minLSTM checkpoint", file=sys.stderr)
        sys.exit(2)

    class MinRNN(torch.nn.Module):
        def __init__(self, cell, V, H, L):
            super().__init__()
            G = 2 if cell == "mingru" else 3
            self.cell, self.H, self.V = cell, H, V
            self.ih = torch.nn.ModuleList(torch.nn.Linear(V if k == 0 else H, G * H) for k in range(L))
            self.head = torch.nn.Linear(H, V)

        def step(self, k, x, h):
            a = self.ih[k](x).split(self.H, dim=1)
            if self.cell == "mingru":
                z = torch.sigmoid(a[0])
                return (1 - z) * h + z * a[1]
            i, f = torch.sigmoid(a[0]), torch.sigmoid(a[1])
            return f / (f + i) * h + i / (f + i) * a[2]

    V, H, L = cfg["vocabularySize"], cfg["hiddenSize"], cfg["layerCount"]
    model = MinRNN(cfg["cell"], V, H, L).double()
    model.load_state_dict({**{f"ih.{k}.weight": state[f"rnn.weight_ih_l{k}"] for k in range(L)},
                           **{f"ih.{k}.bias": state[f"rnn.bias_ih_l{k}"] for k in range(L)},
                           "head.weight": state["head.weight"], "head.bias": state["head.bias"]})
    h = None

    def window_logits(x):
        """One window (B, T) → logits (B, T, V), the state carried in h."""
        nonlocal h
        B, T = x.shape
        if h is None:
            h = [torch.zeros(B, H, dtype=torch.float64) for _ in range(L)]
        h = [v[-B:] for v in h]  # fewer rows: the last stream going on alone
        logits = []
        with torch.no_grad():
            for t in range(T):
                inp = F.one_hot(x[:, t], V).double()
                for k in range(L):
                    h[k] = model.step(k, inp, h[k])
                    inp = h[k]
                logits.append(model.head(inp))
        return torch.stack(logits, dim=1)

    score("torch_eval_mincells", torch, F, args, V, window_logits)


if __name__ == "__main__":
    main()
