import NIOHTTP1

/// Every way a request can fail, each with its HTTP status; the body is `{"error": message}`.
public enum APIError: Error, Equatable, Sendable {
    case badRequest(String)              // 400: not JSON, a field of the wrong type, a value out of range, unknown prime characters
    case forbidden(String)               // 403: a browser request from another site's page
    case notFound(String)                // 404: unknown path or model
    case methodNotAllowed(allowed: String)  // 405
    case tooLarge(String)                // 413: body or prime over the limit
    case busy(retryAfter: Int)           // 503: every generation slot and the queue are taken
    case modelOutput(String)             // 500: the model's outputs overflowed (NaN or infinity)

    public var status: HTTPResponseStatus {
        switch self {
        case .badRequest: .badRequest
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .tooLarge: .payloadTooLarge
        case .busy: .serviceUnavailable
        case .modelOutput: .internalServerError
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let m), .forbidden(let m), .notFound(let m), .tooLarge(let m), .modelOutput(let m): m
        case .methodNotAllowed(let allowed): "method not allowed; use \(allowed)"
        case .busy: "every generation slot is busy and the queue is full; retry shortly"
        }
    }
}
