import ArgumentParser
import RNN
import Tensor
import Tokenizer
import Training

extension CellKind: ExpressibleByArgument {}
extension RNNActivation: ExpressibleByArgument {}
extension TokenizerMode: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension ClipMode: ExpressibleByArgument {}
extension DocumentMode: ExpressibleByArgument {}
extension LabelledTask: ExpressibleByArgument {}
extension HeadDescription.Pooling: ExpressibleByArgument {}
extension ClassWeighting: ExpressibleByArgument {}
extension AttentionKind: ExpressibleByArgument {}
extension WeightPrecision: ExpressibleByArgument {}

/// The learning-rate schedules a user can name.
enum ScheduleName: String, CaseIterable, ExpressibleByArgument {
    case constant, step, cosine
}
