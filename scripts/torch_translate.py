#!/usr/bin/env python3
"""An independent PyTorch reading of a charrnn translation checkpoint (train --task translate).

    torch_translate.py CHECKPOINT SOURCES.txt [MAX_LENGTH]

Loads the tensors named in docs/checkpoint-format.md into two torch.nn.LSTM /
GRU / RNN modules (encoder.* and decoder.*, the names without the prefix), the
attention weight (general attention only), the combine layer and the head
(nn.Linear each), in float64, and decodes each line of SOURCES.txt greedily:

    e_1…e_S, state = encoder(one_hot(source))            the decoder starts from the encoder's final state
    d_t = decoder(one_hot(y_{t-1}), state)                y_0 = <s>
    score_s = d_t · k_s / √H,  k_s = e_s (dot) or attention.weight @ e_s (general)
    α = softmax(score),  ctx = Σ_s α_s e_s
    h̃ = tanh(combine([ctx; d_t])),  logits = head(h̃),  y_t = argmax (the lowest id among equals)

until </s> or MAX_LENGTH characters (default 500). Each Python character of a
line is looked up in the checkpoint's vocabulary (charrnn's graphemes are
Python's characters for the tests' text); a line with a character the model
never saw, or an empty line, gives null. Prints one JSON object:
{"translations": [{"text": …, "log_prob": Σ log p (with </s> when finished), "finished": …} | null, …]}.

Exits 3 when torch or safetensors cannot be imported.
"""
import json
import math
import sys


def modules(model, tensors, torch):
    stack = model["stack"]
    if stack["layer_norm"]:
        raise SystemExit("torch_translate: layer-normalized cells are not PyTorch's nn.LSTM/GRU/RNN")
    V, H, L = model["input"]["vocabulary_size"], stack["hidden_size"], stack["layers"]

    def rnn(prefix):
        if stack["cell"] == "lstm":
            m = torch.nn.LSTM(V, H, L, batch_first=True)
        elif stack["cell"] == "gru":
            m = torch.nn.GRU(V, H, L, batch_first=True)
        elif stack["cell"] == "rnn":
            m = torch.nn.RNN(V, H, L, nonlinearity=stack.get("activation", "tanh"), batch_first=True)
        else:
            raise SystemExit(f"torch_translate: cell {stack['cell']!r} has no PyTorch module here")
        m.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}, strict=True)
        return m.double().eval()

    def linear(prefix, n_in, n_out, bias=True):
        m = torch.nn.Linear(n_in, n_out, bias=bias)
        m.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}, strict=True)
        return m.double()

    attention = linear("attention.", H, H, bias=False) if model["attention"] == "general" else None
    return rnn("encoder."), rnn("decoder."), attention, linear("combine.", 2 * H, H), linear("head.", H, V)


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    try:
        import torch
        import torch.nn.functional as F
        from safetensors import safe_open
    except ImportError as error:
        print(f"torch_translate: needs torch and safetensors: {error}", file=sys.stderr)
        sys.exit(3)
    with safe_open(sys.argv[1], "pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    model = json.loads(meta["model"])
    if "attention" not in model:
        raise SystemExit("torch_translate: not a translation model")
    max_length = int(sys.argv[3]) if len(sys.argv) == 4 else 500
    vocabulary = json.loads(meta["vocabulary"])
    index = {token: i for i, token in enumerate(vocabulary)}
    start, end = index["<s>"], index["</s>"]
    V, H = model["input"]["vocabulary_size"], model["stack"]["hidden_size"]
    encoder, decoder, attention, combine, head = modules(model, tensors, torch)
    text = open(sys.argv[2], encoding="utf-8", newline="").read()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    results = []
    with torch.no_grad():
        for line in lines:
            if not line or any(c not in index for c in line):
                results.append(None)
                continue
            e, state = encoder(F.one_hot(torch.tensor([[index[c] for c in line]]), V).double())   # (1, S, H)
            e = e[0]
            keys = attention(e) if attention is not None else e                                  # (S, H)
            previous, ids, log_prob, finished = start, [], 0.0, False
            for _ in range(max_length + 1):
                d, state = decoder(F.one_hot(torch.tensor([[previous]]), V).double(), state)
                d = d[0, 0]                                                                       # (H)
                alpha = torch.softmax(keys @ d / math.sqrt(H), 0)                                 # (S)
                context = alpha @ e                                                               # (H)
                logp = torch.log_softmax(head(torch.tanh(combine(torch.cat([context, d])))), 0)  # (V)
                choice = int(torch.argmax(logp))
                log_prob += float(logp[choice])
                if choice == end:
                    finished = True
                    break
                if len(ids) == max_length:
                    log_prob -= float(logp[choice])   # a cut output counts its characters only
                    break
                ids.append(choice)
                previous = choice
            results.append({"text": "".join(vocabulary[i] for i in ids), "log_prob": log_prob, "finished": finished})
    print(json.dumps({"translations": results}))


if __name__ == "__main__":
    main()
