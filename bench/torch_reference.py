#!/usr/bin/env python3
"""The reference side of `charrnn bench`: the same workloads in PyTorch (CPU) and numpy.

`charrnn bench` runs this script once per workload, in its own process (so that
peak RSS is that workload's), right after measuring charrnn on the same
workload, and prints the ratio. It passes every setting explicitly, so the two
sides cannot drift apart:

    torch_reference.py --kind train --cell lstm --layers 2 --hidden 128 --vocab 65 \\
        --seq 50 --batch 50 --optimizer adam --lr 2e-3 --clip-mode norm --clip 5 \\
        --seconds 10 --threads 2 [--impl torch|numpy]
    torch_reference.py --kind sample --cell lstm --layers 2 --hidden 512 --vocab 65 --seconds 5 --threads 2
    torch_reference.py --kind first-char --checkpoint model.safetensors --threads 2

and reads one JSON line from stdout (chars_per_s, ms_per_iter, peak_rss_mb, ...).

- train (torch): one-hot(V) -> nn.LSTM / nn.GRU / nn.RNN(tanh) -> nn.Linear(H, V) ->
  F.cross_entropy (mean over the B*T characters); B contiguous streams of a
  random token stream, state carried and detached between windows (truncated
  BPTT); zero_grad, backward, clip (clip_grad_norm_ or clip_grad_value_),
  optimizer step (Adam / Adagrad / RMSprop / SGD). PyTorch's defaults
  otherwise (mkldnn enabled: nn.LSTM then runs oneDNN's fused kernel).
  chars/s = B*T * timed iterations / their total time, after warm-up.
- sample (torch): batch 1, one character at a time: model(x, state), softmax of
  logits / 0.8, torch.multinomial; timed in four configurations (threads
  --threads and 1, mkldnn on and off) and the fastest is reported, so that
  the reference is PyTorch at its best, not at its defaults.
- first-char (torch): the time a user waits for the first character of a
  sample: interpreter start, `import torch`, load the charrnn checkpoint with
  safetensors, build the model, feed a newline, sample, print one character.
  The caller times it from process start to the first byte on stdout.
- numpy (--impl numpy): Karpathy's min-char-rnn (vanilla tanh RNN, batch 1,
  one-hot column vectors, per-step np.dot, Adagrad, element-wise clip at 5),
  for train and sample with one layer; it is the "plain Python" baseline.

Derived from the project's reference benchmarks, bench/torch_charrnn.py
(char-rnn's training loop in PyTorch) and bench/min_char_rnn.py (the numpy
transcription of Karpathy's 2015 min-char-rnn gist, BSD licence), both given to
charrnn for its benchmarks; rewritten here so that every setting comes from
`charrnn bench`, and reduced to timing (no corpus, no validation loss).
"""
import argparse
import json
import platform
import resource
import statistics
import sys
import time

# format 1's `config` or format 2's `model`, read as scripts/ reads them
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent / "scripts"))
from charrnn_checkpoint import model_config  # noqa: E402


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def emit(record):
    record["peak_rss_mb"] = round(peak_rss_mb(), 1)
    record["python"] = platform.python_version()
    print(json.dumps(record), flush=True)


def timed_loop(step, seconds, warmup, min_iters=3):
    """Runs step() `warmup` times untimed, then until `seconds` have passed (at least min_iters)."""
    for _ in range(warmup):
        step()
    times = []
    total = 0.0
    while total < seconds or len(times) < min_iters:
        t0 = time.perf_counter()
        step()
        dt = time.perf_counter() - t0
        times.append(dt)
        total += dt
    return times


# MARK: - PyTorch


def torch_model(args, torch, nn):
    class CharRNN(nn.Module):
        def __init__(self):
            super().__init__()
            cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[args.cell]
            kw = dict(nonlinearity="tanh") if args.cell == "rnn" else {}
            self.rnn = cls(args.vocab, args.hidden, num_layers=args.layers, **kw)
            self.head = nn.Linear(args.hidden, args.vocab)

        def forward(self, x, state):  # x: (T, B) int64
            inp = torch.nn.functional.one_hot(x, args.vocab).to(torch.float32)
            out, state = self.rnn(inp, state)
            return self.head(out), state

    return CharRNN()


def zero_state(args, torch, batch):
    z = torch.zeros(args.layers, batch, args.hidden)
    return (z, z.clone()) if args.cell == "lstm" else z


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def torch_train(args):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    B, T, V = args.batch, args.seq, args.vocab
    model = torch_model(args, torch, nn)
    params = list(model.parameters())
    opt = {
        "adam": lambda: torch.optim.Adam(params, lr=args.lr),
        "adagrad": lambda: torch.optim.Adagrad(params, lr=args.lr),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=args.lr, alpha=0.95),
        "sgd": lambda: torch.optim.SGD(params, lr=args.lr, momentum=0.9),
    }[args.optimizer]()
    # B contiguous streams of a random token stream (char-rnn's loader layout).
    stream_len = 200 * T + 1
    data = torch.randint(0, V, (B, stream_len), generator=torch.Generator().manual_seed(1))
    chunks = (stream_len - 1) // T
    state = [zero_state(args, torch, B)]
    chunk = [0]

    def step():
        if chunk[0] == chunks:
            chunk[0] = 0
            state[0] = zero_state(args, torch, B)
        c = chunk[0]
        x = data[:, c * T:(c + 1) * T].t().contiguous()
        y = data[:, c * T + 1:(c + 1) * T + 1].t().contiguous()
        # --bf16: the forward (and so its backward) under PyTorch's bf16 autocast, fp32 weights and optimizer,
        # as ../shared/bench/torch_charrnn.py --bf16 trains; the loss in fp32.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            logits, s = model(x, detach(state[0]))
        state[0] = s
        loss = F.cross_entropy(logits.float().view(-1, V), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip > 0:
            if args.clip_mode == "norm":
                torch.nn.utils.clip_grad_norm_(params, args.clip)
            else:
                torch.nn.utils.clip_grad_value_(params, args.clip)
        opt.step()
        loss.item()
        chunk[0] += 1

    times = timed_loop(step, args.seconds, args.warmup)
    emit(dict(impl="pytorch-bf16" if args.bf16 else "pytorch", version=torch.__version__, threads=torch.get_num_threads(),
              mkldnn=torch.backends.mkldnn.enabled, cpu_capability=torch.backends.cpu.get_cpu_capability(),
              iterations=len(times), seconds=sum(times),
              chars_per_s=B * T * len(times) / sum(times),
              ms_per_iter=statistics.median(times) * 1e3))


def torch_sample(args):
    import torch
    import torch.nn as nn

    torch.manual_seed(1)
    model = torch_model(args, torch, nn).eval()
    best = None
    per_config = max(args.seconds / 4, 0.5)
    for threads in sorted({args.threads, 1}, reverse=True):
        for mkldnn in (True, False):
            torch.set_num_threads(threads)
            torch.backends.mkldnn.enabled = mkldnn
            gen = torch.Generator().manual_seed(1)
            # --bf16: PyTorch's bf16 autocast (bf16 products, fp32 weights), as ../shared/bench/torch_charrnn.py --bf16.
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                state = zero_state(args, torch, 1)
                x = torch.zeros((1, 1), dtype=torch.long)
                count = 0
                for _ in range(20):  # warm-up
                    logits, state = model(x, state)
                t0 = time.perf_counter()
                while True:
                    for _ in range(100):
                        logits, state = model(x, state)
                        probs = torch.softmax(logits[0, 0] / 0.8, dim=-1)
                        x = torch.multinomial(probs, 1, generator=gen).view(1, 1)
                    count += 100
                    dt = time.perf_counter() - t0
                    if dt >= per_config:
                        break
            rate = count / dt
            if best is None or rate > best["chars_per_s"]:
                best = dict(chars_per_s=rate, threads=threads, mkldnn=mkldnn)
    emit(dict(impl="pytorch-bf16" if args.bf16 else "pytorch", version=torch.__version__, chars_per_s=best["chars_per_s"],
              ms_per_iter=1e3 / best["chars_per_s"], threads=best["threads"], mkldnn=best["mkldnn"],
              note="fastest of threads {%d, 1} x mkldnn {on, off}" % args.threads))


def torch_first_char(args):
    # Everything a user of PyTorch waits for before the first character appears.
    import torch
    from safetensors import safe_open

    torch.set_num_threads(args.threads)
    with safe_open(args.checkpoint, framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    config = model_config(meta)
    vocabulary = json.loads(meta["vocabulary"])
    V, H, L, cell = config["vocabularySize"], config["hiddenSize"], config["layerCount"], config["cell"]
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
    kw = dict(nonlinearity=config.get("activation", "tanh")) if cell == "rnn" else {}
    rnn = cls(V, H, num_layers=L, **kw)
    head = torch.nn.Linear(H, V)
    rnn.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("rnn.")})
    head.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("head.")})
    with torch.no_grad():
        start = vocabulary.index("\n") if "\n" in vocabulary else 0
        x = torch.nn.functional.one_hot(torch.tensor([[start]]), V).to(torch.float32)
        out, _ = rnn(x)
        probs = torch.softmax(head(out)[0, 0] / 0.8, dim=-1)
        i = int(torch.multinomial(probs, 1, generator=torch.Generator().manual_seed(1)))
    sys.stdout.write(vocabulary[i])
    sys.stdout.flush()
    sys.stdout.write("\n")


# MARK: - numpy min-char-rnn


def numpy_model(args, batch=1):
    import numpy as np

    if args.cell != "rnn" or args.layers != 1 or batch != 1:
        raise SystemExit("numpy reference: min-char-rnn is a one-layer tanh RNN with batch 1")
    np.random.seed(0)
    H, V = args.hidden, args.vocab
    Wxh = np.random.randn(H, V) * 0.01
    Whh = np.random.randn(H, H) * 0.01
    Why = np.random.randn(V, H) * 0.01
    return np, H, V, Wxh, Whh, Why, np.zeros((H, 1)), np.zeros((V, 1))


def numpy_train(args):
    np, H, V, Wxh, Whh, Why, bh, by = numpy_model(args, args.batch)
    T = args.seq
    data = np.random.randint(0, V, size=200 * T + 1).tolist()
    params = [Wxh, Whh, Why, bh, by]
    mems = [np.zeros_like(p) for p in params]
    pos = [0]
    hprev = [np.zeros((H, 1))]

    def lossFun(inputs, targets, h0):  # min-char-rnn's, verbatim in substance
        xs, hs, ps = {}, {}, {}
        hs[-1] = np.copy(h0)
        loss = 0
        for t in range(len(inputs)):
            xs[t] = np.zeros((V, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
            ys = np.dot(Why, hs[t]) + by
            ps[t] = np.exp(ys) / np.sum(np.exp(ys))
            loss += -np.log(ps[t][targets[t], 0])
        dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
        dbh, dby = np.zeros_like(bh), np.zeros_like(by)
        dhnext = np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = np.copy(ps[t])
            dy[targets[t]] -= 1
            dWhy += np.dot(dy, hs[t].T)
            dby += dy
            dh = np.dot(Why.T, dy) + dhnext
            dhraw = (1 - hs[t] * hs[t]) * dh
            dbh += dhraw
            dWxh += np.dot(dhraw, xs[t].T)
            dWhh += np.dot(dhraw, hs[t - 1].T)
            dhnext = np.dot(Whh.T, dhraw)
        grads = [dWxh, dWhh, dWhy, dbh, dby]
        for d in grads:
            np.clip(d, -args.clip, args.clip, out=d)
        return loss, grads, hs[len(inputs) - 1]

    def step():
        if pos[0] + T + 1 >= len(data):
            pos[0] = 0
            hprev[0] = np.zeros((H, 1))
        p = pos[0]
        _, grads, hprev[0] = lossFun(data[p:p + T], data[p + 1:p + T + 1], hprev[0])
        for param, d, mem in zip(params, grads, mems):
            mem += d * d
            param += -args.lr * d / np.sqrt(mem + 1e-8)
        pos[0] += T

    times = timed_loop(step, args.seconds, args.warmup)
    emit(dict(impl="numpy", version=np.__version__, iterations=len(times), seconds=sum(times),
              chars_per_s=T * len(times) / sum(times), ms_per_iter=statistics.median(times) * 1e3))


def numpy_sample(args):
    np, H, V, Wxh, Whh, Why, bh, by = numpy_model(args)
    h = np.zeros((H, 1))
    x = np.zeros((V, 1))
    x[0] = 1
    count = 0
    t0 = time.perf_counter()
    while True:
        for _ in range(100):  # min-char-rnn's sample(), with temperature 0.8 as the others
            h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
            y = (np.dot(Why, h) + by) / 0.8
            p = np.exp(y) / np.sum(np.exp(y))
            ix = np.random.choice(range(V), p=p.ravel())
            x = np.zeros((V, 1))
            x[ix] = 1
        count += 100
        dt = time.perf_counter() - t0
        if dt >= args.seconds:
            break
    emit(dict(impl="numpy", version=np.__version__, chars_per_s=count / dt, ms_per_iter=1e3 * dt / count))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=["train", "sample", "first-char", "probe"], required=True)
    ap.add_argument("--impl", choices=["torch", "numpy"], default="torch")
    ap.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--vocab", type=int, default=65)
    ap.add_argument("--seq", type=int, default=50)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--optimizer", choices=["adam", "adagrad", "rmsprop", "sgd"], default="adam")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--clip-mode", choices=["norm", "value"], default="norm")
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--checkpoint")
    ap.add_argument("--bf16", action="store_true", help="train and sample: under PyTorch's bf16 autocast")
    args = ap.parse_args()

    if args.kind == "probe":  # what is importable here, for the bench header
        found = {}
        for name in ("torch", "numpy"):
            try:
                found[name] = __import__(name).__version__
            except Exception:  # noqa: BLE001  (any import failure means "not available")
                found[name] = None
        print(json.dumps(found), flush=True)
        return
    if args.impl == "numpy":
        {"train": numpy_train, "sample": numpy_sample}[args.kind](args)
    else:
        {"train": torch_train, "sample": torch_sample, "first-char": torch_first_char}[args.kind](args)


if __name__ == "__main__":
    main()
