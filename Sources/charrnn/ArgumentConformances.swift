import ArgumentParser
import RNN
import Tokenizer
import Training

extension CellKind: @retroactive ExpressibleByArgument {}
extension RNNActivation: @retroactive ExpressibleByArgument {}
extension TokenizerMode: @retroactive ExpressibleByArgument {}
extension OptimizerKind: @retroactive ExpressibleByArgument {}
extension ClipMode: @retroactive ExpressibleByArgument {}

/// The learning-rate schedules a user can name.
enum ScheduleName: String, CaseIterable, ExpressibleByArgument {
    case constant, step, cosine
}
