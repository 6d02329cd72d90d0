/// Why a `.safetensors` file could not be decoded, encoded, read or written.
///
/// Each description is one line meant for a person. Decoding errors do not name
/// the file (the bytes may not come from one); callers that know it prefix it.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible, Sendable {
    // MARK: Container framing
    /// Fewer than the 8 bytes of the header length.
    case fileTooShort(size: Int)
    /// The header length exceeds `SafeTensorsFile.maximumHeaderLength`.
    case headerTooLarge(length: UInt64)
    /// The header length runs past the end of the file.
    case headerPastEndOfFile(length: UInt64, fileSize: Int)
    /// The header bytes are not valid UTF-8.
    case headerNotUTF8
    /// The header is not valid JSON; `reason` says what was expected where.
    case malformedJSON(reason: String, byteOffset: Int)
    /// The header is valid JSON but not an object.
    case headerNotObject

    // MARK: Header entries
    /// `__metadata__` is not an object of string values.
    case invalidMetadata(reason: String)
    /// A metadata key appears twice.
    case duplicateMetadataKey(String)
    /// A tensor entry is missing a field or has one of the wrong JSON type.
    case invalidEntry(tensor: String, reason: String)
    /// Two tensors (or two entries) have the same name.
    case duplicateTensor(String)
    /// A dtype name the format does not define.
    case unknownDType(tensor: String, dtype: String)
    /// A dtype the format defines but charrnn does not compute in.
    case unsupportedDType(tensor: String, dtype: String)
    /// The element count or byte size of a shape does not fit in an `Int`.
    case shapeOverflow(tensor: String, shape: String)
    /// `data_offsets` spans a different number of bytes than shape × dtype size.
    case sizeMismatch(tensor: String, shape: [Int], dtype: String, expectedBytes: Int, offsetBytes: Int)
    /// `data_offsets` is decreasing or reaches past the end of the byte buffer.
    case offsetsOutOfBuffer(tensor: String, begin: Int, end: Int, bufferSize: Int)
    /// Two tensors share bytes of the buffer.
    case overlappingTensors(String, String)
    /// Bytes of the buffer that no tensor covers (`begin..<end`).
    case uncoveredBytes(begin: Int, end: Int)

    // MARK: Encoding
    /// A tensor's shape does not match its element count (or has a negative dimension).
    case shapeMismatch(tensor: String, shape: [Int], count: Int)
    /// A tensor name the header cannot hold.
    case reservedName(String)

    // MARK: Files
    /// A system call on `path` failed; `message` is the system's explanation.
    case io(path: String, operation: String, message: String)

    public var description: String {
        switch self {
        case .fileTooShort(let size):
            return "file is \(size) byte\(size == 1 ? "" : "s") long, too short for a safetensors header (at least 8 bytes)"
        case .headerTooLarge(let length):
            return "header length \(length) exceeds the limit of \(SafeTensorsFile.maximumHeaderLength) bytes"
        case .headerPastEndOfFile(let length, let fileSize):
            return "header length \(length) runs past the end of the file (\(fileSize) bytes): truncated or not a safetensors file"
        case .headerNotUTF8:
            return "header is not valid UTF-8: not a safetensors file"
        case .malformedJSON(let reason, let offset):
            return "header is not valid JSON: \(reason) at header byte \(offset)"
        case .headerNotObject:
            return "header is not a JSON object"
        case .invalidMetadata(let reason):
            return "__metadata__ is invalid: \(reason)"
        case .duplicateMetadataKey(let key):
            return "__metadata__ lists key \(quoted(key)) twice"
        case .invalidEntry(let tensor, let reason):
            return "tensor \(quoted(tensor)): \(reason)"
        case .duplicateTensor(let name):
            return "tensor \(quoted(name)) appears twice"
        case .unknownDType(let tensor, let dtype):
            return "tensor \(quoted(tensor)) has unknown dtype \(quoted(dtype))"
        case .unsupportedDType(let tensor, let dtype):
            return "tensor \(quoted(tensor)) has dtype \(dtype); charrnn reads F32 only"
        case .shapeOverflow(let tensor, let shape):
            return "tensor \(quoted(tensor)) has shape \(shape), too large to address"
        case .sizeMismatch(let tensor, let shape, let dtype, let expected, let actual):
            return "tensor \(quoted(tensor)) of shape \(shape) and dtype \(dtype) needs \(expected) bytes but its data_offsets span \(actual)"
        case .offsetsOutOfBuffer(let tensor, let begin, let end, let size):
            return "tensor \(quoted(tensor)) has data_offsets [\(begin), \(end)], not a range inside the \(size)-byte data buffer"
        case .overlappingTensors(let a, let b):
            return "tensors \(quoted(a)) and \(quoted(b)) overlap in the data buffer"
        case .uncoveredBytes(let begin, let end):
            return "bytes \(begin)..<\(end) of the data buffer belong to no tensor"
        case .shapeMismatch(let tensor, let shape, let count):
            return "tensor \(quoted(tensor)) has shape \(shape) but \(count) value\(count == 1 ? "" : "s")"
        case .reservedName(let name):
            return "a tensor cannot be named \(quoted(name))"
        case .io(let path, let operation, let message):
            return "cannot \(operation) \(path): \(message)"
        }
    }
}

/// `name` in double quotes with control characters escaped, so that a hostile
/// name cannot break a one-line message.
func quoted(_ name: String) -> String {
    var out = "\""
    for s in name.unicodeScalars.prefix(200) {
        switch s {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if s.value < 0x20 || s.value == 0x7F || (0x80..<0xA0).contains(s.value) || s == "\u{2028}" || s == "\u{2029}" {
                out += "\\u{\(String(s.value, radix: 16, uppercase: true))}"
            } else {
                out.unicodeScalars.append(s)
            }
        }
    }
    if name.unicodeScalars.count > 200 { out += "…" }
    return out + "\""
}
