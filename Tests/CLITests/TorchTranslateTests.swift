import Foundation
import Testing

/// Translation checkpoints trained through the binary, read by an independent PyTorch module
/// (scripts/torch_translate.py: two nn.LSTM / GRU / RNN, nn.Linear for attention, combine and head,
/// float64): its greedy decoding writes the same text as `charrnn translate`, with the same
/// log-probability. Not the only check: EncoderDecoderTests checks the gradients against finite
/// differences, TranslateCLITests what the commands print.
@Suite(.enabled(if: TorchPython.available,
                "\(TorchPython.path) cannot import torch and safetensors (make torch-venv, or set CHARRNN_PYTHON)"))
struct TorchTranslateTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/torch_translate.py").path

    @Test(arguments: zip(["lstm", "gru", "rnn", "lstm"], ["general", "general", "dot", "dot"]))
    func greedyDecodingAgrees(cell: String, attention: String) throws {
        let sources = ToyPairs.pairs.map(\.source)
        try inTextTree(["pairs.tsv": Array(ToyPairs.tsv.utf8), "sources.txt": Array(sources.map { $0 + "\n" }.joined().utf8)]) { dir in
            let train = try Binary.run(["train", "pairs.tsv", "--task", "translate", "--model", cell, "--attention", attention,
                                        "--layers", "2", "--max-iters", "40", "--checkpoint-dir", "run"] + ToyPairs.model, in: dir)
            #expect(train.status == 0, "\(train.stderr)")
            let ours = try Binary.run(["translate", "--checkpoint", "run/latest.safetensors", "--json", "--max-length", "12", "sources.txt"], in: dir)
            #expect(ours.status == 0, "\(ours.stderr)")
            let printed = try ours.stdout.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            let r = try runProcess(TorchPython.path, [Self.script, dir.appendingPathComponent("run/latest.safetensors").path,
                                                      dir.appendingPathComponent("sources.txt").path, "12"])
            #expect(r.status == 0, "\(r.stderr)")
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let theirs = try #require(answer["translations"] as? [[String: Any]])
            #expect(printed.count == sources.count && theirs.count == sources.count)
            var largest = 0.0, same = 0
            for (line, (mine, torch)) in zip(printed, theirs).enumerated() {
                #expect(mine["translation"] as? String == torch["text"] as? String, "line \(line + 1): \(mine) vs \(torch)")
                #expect(mine["finished"] as? Bool == torch["finished"] as? Bool, "line \(line + 1)")
                if mine["translation"] as? String == torch["text"] as? String {
                    same += 1
                    largest = max(largest, abs((mine["log_prob"] as? Double ?? 0) - (torch["log_prob"] as? Double ?? 1)))
                }
            }
            #expect(largest < 1e-4, "\(cell)/\(attention): largest log-probability difference \(largest)")
            print("torch agreement: translate \(cell) \(attention), 2 layers: \(same) of \(sources.count) texts equal, "
                  + "max |log p_charrnn − log p_torch| = \(largest)")
        }
    }
}
