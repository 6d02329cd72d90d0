/// Why `charrnn bench` could not run a workload (the command reports it as a usage error, as before the module split).
public struct BenchError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
}
