import NIOHTTP1

/// Every way a request can fail, each with its HTTP status; the body is `{"error": message}`.
public enum APIError: Error, Equatable, Sendable {
    case badRequest(String)              // 400: not JSON, a field of the wrong type, a value out of range, unknown prime characters
    case forbidden(String)               // 403: a browser request from another site's page
    case notFound(String)                // 404: unknown path or model
    case methodNotAllowed(allowed: String)  // 405
    case tooLarge(String)                // 413: body or prime over the limit
    case busy(retryAfter: Int)           // 503: every generation slot and the queue are taken
    case stopping                        // 503: the server is stopping (SIGTERM, SIGINT): the connection closes
    case modelOutput(String)             // 500: the model's outputs overflowed (NaN or infinity)
    /// A request that is not HTTP/1.1 charrnn reads: 431 (head over the parser's limit), 501 (a method or a
    /// transfer coding it does not know), 505 (a version), 415 (a content coding), else 400; the connection closes.
    case unreadable(HTTPResponseStatus, String)

    public var status: HTTPResponseStatus {
        switch self {
        case .badRequest: .badRequest
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .tooLarge: .payloadTooLarge
        case .busy, .stopping: .serviceUnavailable
        case .modelOutput: .internalServerError
        case .unreadable(let status, _): status
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let m), .forbidden(let m), .notFound(let m), .tooLarge(let m), .modelOutput(let m), .unreadable(_, let m): m
        case .methodNotAllowed(let allowed): "method not allowed; use \(allowed)"
        case .busy: "every generation slot is busy and the queue is full; retry shortly"
        case .stopping: "the server is stopping"
        }
    }
}
