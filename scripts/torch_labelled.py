#!/usr/bin/env python3
"""An independent PyTorch reading of a charrnn checkpoint trained on labelled texts.

    torch_labelled.py classify CHECKPOINT LINES.txt
    torch_labelled.py generate CHECKPOINT DATA.tsv

Loads the checkpoint's tensors into torch.nn.LSTM / GRU / RNN (the names
without "rnn.") and nn.Linear (without "head."), in float64, and reads UTF-8
text: each Python character is looked up in the checkpoint's vocabulary, one
the model never saw is left out. (Python's characters are charrnn's
graphemes only for text without combining sequences, such as the tests'; a
checkpoint with a folding vocabulary, <unk>, is refused.)

- classify: one text per line of LINES.txt. Each is cut to the run's
  --max-chars and run alone from the zero state; the head reads the top
  layer's state after the last step (pooling "last") or the mean of its
  states over the text's steps ("mean"); a text with nothing left gets
  head(0) = head.bias, as `charrnn classify` answers it. Prints one JSON
  object: {"labels": [...], "probabilities": [[p_0, …, p_K-1], …]}.
- generate: label<TAB>text per line of DATA.tsv (the label is ignored by an
  unconditioned model). Each text is framed <s> text </s>; the model reads
  <s> text (cut to --max-chars steps), each step's input the character's
  one-hot vector followed by the label's, [e_char (V) ; e_label (C)], for a
  one_hot_and_label model, and predicts text </s> (cut likewise). Prints
  {"texts": [{"log_probabilities": [...], "nats": N, "steps": S}, …]}: log p
  of each next character, their negated sum and their count.

Exits 3 when torch or safetensors cannot be imported.
"""
import json
import sys


def load(path, torch, safe_open):
    """(description, tensors, options, metadata) of the checkpoint."""
    with safe_open(path, "pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    if "model" not in meta:
        raise SystemExit("torch_labelled: a format-1 checkpoint has no labelled model")
    model = json.loads(meta["model"])
    options = json.loads(meta.get("training.options", "{}"))
    return model, tensors, options, meta


def build(model, tensors, torch):
    """nn.LSTM / GRU / RNN over the input's width, and the head's nn.Linear, with the checkpoint's weights."""
    stack, head, inp = model["stack"], model["head"], model["input"]
    if stack["layer_norm"]:
        raise SystemExit("torch_labelled: layer-normalized cells are not PyTorch's nn.LSTM/GRU/RNN")
    width = inp["vocabulary_size"] + (inp.get("label_count", 0) if inp["kind"] == "one_hot_and_label" else 0)
    H, L = stack["hidden_size"], stack["layers"]
    if stack["cell"] == "lstm":
        rnn = torch.nn.LSTM(width, H, L, batch_first=True)
    elif stack["cell"] == "gru":
        rnn = torch.nn.GRU(width, H, L, batch_first=True)
    elif stack["cell"] == "rnn":
        rnn = torch.nn.RNN(width, H, L, nonlinearity=stack.get("activation", "tanh"), batch_first=True)
    else:
        raise SystemExit(f"torch_labelled: cell {stack['cell']!r} has no PyTorch module here")
    rnn.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("rnn.")}, strict=True)
    linear = torch.nn.Linear(H, head["output_size"])
    linear.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("head.")}, strict=True)
    rnn.eval()
    return rnn.double(), linear.double()


def read_lines(path):
    """The file's lines without their "\n" or "\r\n" (a last empty line is no line), as charrnn reads them."""
    text = open(path, encoding="utf-8", newline="").read()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def encoder(meta):
    """text -> ids in the checkpoint's vocabulary, leaving out characters it does not hold."""
    if "vocabulary_folding" in meta:
        raise SystemExit("torch_labelled: a folding vocabulary (<unk>) is not read here")
    index = {token: i for i, token in enumerate(json.loads(meta["vocabulary"]))}
    return lambda text: [index[c] for c in text if c in index]


def classify(model, tensors, options, texts, names, torch, F):
    if model["head"]["kind"] != "classifier":
        raise SystemExit("torch_labelled: classify needs a classifier head")
    rnn, head = build(model, tensors, torch)
    V, H = model["input"]["vocabulary_size"], model["stack"]["hidden_size"]
    cap = options.get("maxTextLength") or 500
    pooling = model["head"].get("pooling", "last")
    rows = []
    with torch.no_grad():
        for ids in texts:
            ids = ids[:cap]
            if not ids:
                pooled = torch.zeros(H, dtype=torch.float64)
            else:
                x = F.one_hot(torch.tensor([ids]), V).double()     # (1, n, V)
                out, _ = rnn(x)                                     # (1, n, H): the top layer after each step
                pooled = out[0, -1] if pooling == "last" else out[0].mean(0)
            rows.append(torch.softmax(head(pooled), -1).tolist())
    print(json.dumps({"labels": names, "probabilities": rows}))


def generate(model, tensors, options, items, meta, torch, F):
    if model["head"]["kind"] != "next_character":
        raise SystemExit("torch_labelled: generate needs a next_character head")
    rnn, head = build(model, tensors, torch)
    inp = model["input"]
    V = inp["vocabulary_size"]
    conditioned = inp["kind"] == "one_hot_and_label"
    C = inp.get("label_count", 0)
    vocabulary = json.loads(meta["vocabulary"])
    start, end = vocabulary.index("<s>"), vocabulary.index("</s>")
    cap = options.get("maxTextLength") or 500
    results = []
    with torch.no_grad():
        for item in items:
            framed = [start] + item["ids"] + [end]
            x_ids, y_ids = framed[:-1][:cap], framed[1:][:cap]
            x = F.one_hot(torch.tensor([x_ids]), V).double()                       # (1, n, V)
            if conditioned:
                label = F.one_hot(torch.tensor([item["label"]]), C).double()       # (1, C)
                x = torch.cat([x, label[:, None, :].expand(1, len(x_ids), C)], -1)  # (1, n, V + C)
            out, _ = rnn(x)
            logp = torch.log_softmax(head(out[0]), -1)                            # (n, V)
            chosen = logp[torch.arange(len(y_ids)), torch.tensor(y_ids)]
            results.append({"log_probabilities": chosen.tolist(), "nats": -chosen.sum().item(), "steps": len(y_ids)})
    print(json.dumps({"texts": results}))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("classify", "generate"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    try:
        import torch
        import torch.nn.functional as F
        from safetensors import safe_open
    except ImportError as error:
        print(f"torch_labelled: needs torch and safetensors: {error}", file=sys.stderr)
        sys.exit(3)
    model, tensors, options, meta = load(sys.argv[2], torch, safe_open)
    encode = encoder(meta)
    lines = read_lines(sys.argv[3])
    names = json.loads(meta["labels"]) if "labels" in meta else []
    if sys.argv[1] == "classify":
        classify(model, tensors, options, [encode(line) for line in lines], names, torch, F)
    else:
        items = []
        for line in lines:
            label, text = line.split("\t", 1)
            items.append({"ids": encode(text), "label": names.index(label) if names else 0})
        generate(model, tensors, options, items, meta, torch, F)


if __name__ == "__main__":
    main()
