#!/usr/bin/env python3
"""charrnn serve's POST /v1/completions and GET /v1/models through OpenAI's own Python client.

    check_openai_client.py --base-url http://127.0.0.1:PORT/v1 --model NAME --prompt TEXT

Checks, each against the server's other answers: a completion (text, finish_reason, usage);
the same request streamed gives the same text; n = 2 gives choice 1 = the request with seed + 1;
a stop string ends the text before it; a bad request raises the client's BadRequestError;
models.list() names the model. Prints "ok" at the end; exits 1 with the failed check otherwise.
"""
import argparse
import sys

import openai


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompt", required=True)
    args = ap.parse_args()
    client = openai.OpenAI(base_url=args.base_url, api_key="not-needed", max_retries=0, timeout=60)

    def check(ok, what):
        if not ok:
            print("FAILED: " + what)
            sys.exit(1)

    ids = [m.id for m in client.models.list()]
    check(args.model in ids, f"models.list() names {args.model}: {ids}")
    check(client.models.retrieve(args.model).id == args.model, "models.retrieve() finds the model")

    one = client.completions.create(model=args.model, prompt=args.prompt, max_tokens=60, seed=11, temperature=0.9)
    c = one.choices[0]
    check(one.object == "text_completion" and len(one.choices) == 1 and c.index == 0, f"one choice: {one}")
    # (characters are grapheme clusters: a family emoji is one, five code points in Python's len)
    check(c.finish_reason == "length" and 0 < len(c.text), f"finish_reason length: {c!r}")
    check(one.usage.completion_tokens == 60 and one.usage.prompt_tokens == len(args.prompt)
          and one.usage.total_tokens == 60 + len(args.prompt), f"usage counts characters: {one.usage}")

    streamed = ""
    finish = None
    for chunk in client.completions.create(model=args.model, prompt=args.prompt, max_tokens=60, seed=11, temperature=0.9,
                                           stream=True):
        streamed += chunk.choices[0].text
        finish = chunk.choices[0].finish_reason or finish
    check(streamed == c.text and finish == "length", f"streamed {streamed!r} ({finish}) == {c.text!r}")

    chunks = list(client.completions.create(model=args.model, prompt=args.prompt, max_tokens=60, seed=11, temperature=0.9,
                                            stream=True, stream_options={"include_usage": True}))
    check(chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 60, f"include_usage ends with the usage: {chunks[-1]}")
    check("".join(x.choices[0].text for x in chunks[:-1]) == c.text, "the text of a stream with include_usage")

    two = client.completions.create(model=args.model, prompt=args.prompt, max_tokens=60, seed=11, temperature=0.9, n=2)
    later = client.completions.create(model=args.model, prompt=args.prompt, max_tokens=60, seed=12, temperature=0.9)
    check([x.index for x in two.choices] == [0, 1], f"n = 2: indices {[x.index for x in two.choices]}")
    check(two.choices[0].text == c.text and two.choices[1].text == later.choices[0].text,
          f"n = 2: choice 0 = seed 11, choice 1 = seed 12: {two.choices}")

    # A stop string: an ASCII letter of the text past its start stops it there, and is not returned.
    stop = next(ch for ch in c.text[3:] if ch.isascii() and ch.isalpha())
    stopped = client.completions.create(model=args.model, prompt=args.prompt, max_tokens=60, seed=11, temperature=0.9, stop=stop)
    s = stopped.choices[0]
    check(s.finish_reason == "stop" and s.text == c.text[:c.text.index(stop)], f"stop {stop!r}: {s!r} vs {c.text!r}")
    streamed_stop = "".join(ch.choices[0].text for ch in client.completions.create(
        model=args.model, prompt=args.prompt, max_tokens=60, seed=11, temperature=0.9, stop=[stop], stream=True))
    check(streamed_stop == s.text, f"streamed with stop: {streamed_stop!r} vs {s.text!r}")
    several = client.completions.create(model=args.model, prompt=args.prompt, max_tokens=60, seed=11, temperature=0.9,
                                        stop=["\u2603\u2603", stop, "\u2603"])
    check(several.choices[0].text == s.text, f"stop as a list of three: {several.choices[0]!r} vs {s.text!r}")

    try:
        client.completions.create(model=args.model, prompt=args.prompt, max_tokens=-1)
        check(False, "max_tokens -1 was accepted")
    except openai.BadRequestError as e:
        check("max_tokens" in str(e) and e.body.get("param") == "max_tokens", f"the error names max_tokens: {e}")
    try:
        client.completions.create(model="no-such-model", prompt=args.prompt, max_tokens=3)
        check(False, "an unknown model was accepted")
    except openai.NotFoundError as e:
        check("no-such-model" in str(e), f"the error names the model: {e}")
    try:
        client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": args.prompt}])
        check(False, "chat completions were answered")
    except openai.NotFoundError as e:
        check("/v1/completions" in str(e), f"the 404 points at /v1/completions: {e}")
    print("ok")


if __name__ == "__main__":
    main()
