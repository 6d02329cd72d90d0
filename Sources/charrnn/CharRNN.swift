import ArgumentParser
import Foundation

@main
struct CharRNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charrnn",
        abstract: "Character-level RNN / LSTM / GRU text generation.",
        discussion: """
            Train a model on any UTF-8 text file, then sample text that reads like it:

              charrnn train corpus.txt
              charrnn sample --temp 0.8
            """,
        version: "0.1.0",
        subcommands: [
            TrainCommand.self,
            SampleCommand.self,
            EvalCommand.self,
            InfoCommand.self,
            VocabCommand.self,
            PlotCommand.self,
            VizCommand.self,
            BenchCommand.self,
        ])
}
