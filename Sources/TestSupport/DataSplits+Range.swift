import Tokenizer

extension DataSplits {
    /// The range of one split.
    public func range(of split: SplitKind) -> Range<Int> {
        switch split {
        case .training: return train
        case .validation: return validation
        case .test: return test
        }
    }
}
