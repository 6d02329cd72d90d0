#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The regular files a path names: the path itself when it is a file, or every
/// regular file below it when it is a directory, in a fixed order.
///
/// A directory's entries are taken in byte order of their names, and a
/// subdirectory's files come where its name sorts (depth first), so the order
/// depends neither on the file system nor on the locale. Symbolic links are
/// followed. Below a directory, entries whose names start with "." are left
/// out (hidden files, and hidden directories with everything in them), and so
/// are FIFOs, sockets and devices; each is counted. A link that leads back to
/// a directory being walked (a loop), a broken link, an entry that cannot be
/// read and one whose name is not valid UTF-8 (it cannot be named in a
/// `String`) are errors that name the entry.
public struct DirectoryWalk: Sendable {
    /// Regular files, in walk order.
    public private(set) var files: [String] = []
    /// Entries left out because their names start with "." (a hidden directory counts once).
    public private(set) var hidden = 0
    /// FIFOs, sockets and devices left out.
    public private(set) var notRegular = 0
    /// Whether the path named a directory (else it named a file, the one in `files`).
    public private(set) var isDirectory = false

    /// Walks `path`. A file named directly is taken whatever its name; a FIFO,
    /// socket or device named directly is an error, as `RegularFile` says.
    public init(path: String) throws(FileError) {
        var info = stat()
        try DirectoryWalk.status(path, &info)
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            isDirectory = true
            try walk(path, identity: FileIdentity(info), ancestors: [])
        case S_IFREG: files = [path]
        default: throw .notRegular(path: path, kind: FileError.Kind(nonRegular: info.st_mode) ?? .other)
        }
    }

    private mutating func walk(_ directory: String, identity: FileIdentity, ancestors: [FileIdentity]) throws(FileError) {
        let ancestors = ancestors + [identity]
        for name in try DirectoryWalk.sortedNames(in: directory) {
            if name.hasPrefix(".") { hidden += 1; continue }
            let child = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            var info = stat()
            try DirectoryWalk.status(child, &info)
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let id = FileIdentity(info)
                if ancestors.contains(id) { throw .symbolicLinkLoop(path: child) }
                try walk(child, identity: id, ancestors: ancestors)
            case S_IFREG: files.append(child)
            default: notRegular += 1
            }
        }
    }

    /// `stat`, with a broken symbolic link told apart from a missing file.
    private static func status(_ path: String, _ info: inout stat) throws(FileError) {
        guard stat(path, &info) != 0 else { return }
        let code = errno
        var link = stat()
        if code == ENOENT, lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK {
            throw .unreadable(path: path, reason: "it is a symbolic link to nothing (a broken link)")
        }
        throw FileError(path: path, errno: code)
    }

    /// The names in `directory` (without "." and ".."), in byte order.
    private static func sortedNames(in directory: String) throws(FileError) -> [String] {
        guard let stream = opendir(directory) else { throw FileError(path: directory, errno: errno) }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw FileError(path: directory, errno: errno) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        return try names.map { (name) throws(FileError) -> String in
            if let valid = String(validating: name, as: UTF8.self) { return valid }
            // Decoded with U+FFFD, the name would name another file, which "does not exist"; a hidden one is
            // left out anyway. Argument checking refuses such names too (CharRNN.invalidArgument).
            let escaped = escapingInvalidUTF8(name)
            if name.first == 0x2E { return escaped }
            let path = directory.hasSuffix("/") ? directory + escaped : directory + "/" + escaped
            throw .unreadable(path: path, reason: "its name is not valid UTF-8; rename it (charrnn reads file names as UTF-8)")
        }
    }

    /// `bytes` as text, each byte that is not part of valid UTF-8 written `\xNN`, as a shell's `$'…'` would.
    static func escapingInvalidUTF8(_ bytes: [UInt8]) -> String {
        var text = "", parser = Unicode.UTF8.ForwardParser(), iterator = bytes.makeIterator(), offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                text.unicodeScalars.append(Unicode.UTF8.decode(encoded))
                offset += encoded.count
            case .error(let length):
                for byte in bytes[offset..<offset + length] { text += "\\x" + String(byte, radix: 16, uppercase: true) }
                offset += length
            case .emptyInput:
                return text
            }
        }
    }
}

/// A file's device and inode: the same directory reached by two paths.
private struct FileIdentity: Equatable, Sendable {
    let device: UInt64, inode: UInt64
    init(_ info: stat) {
        device = UInt64(truncatingIfNeeded: info.st_dev)
        inode = UInt64(truncatingIfNeeded: info.st_ino)
    }
}
