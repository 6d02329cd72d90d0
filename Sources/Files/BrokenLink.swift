import Foundation

/// A symbolic link that leads nowhere: `stat` fails on it (ELOOP, ENOENT) while `lstat` finds the
/// link, which `FileManager.fileExists` reports only as "no such file".
public enum BrokenLink: Sendable, CustomStringConvertible {
    case loop          // ELOOP
    case dangling      // its target is not there

    /// What `path` is, when it is a symbolic link that does not resolve; nil otherwise.
    public init?(_ path: String) {
        var target = stat(), link = stat()
        guard stat(path, &target) != 0 else { return nil }
        let missing = errno
        guard lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK else { return nil }
        self = missing == ELOOP ? .loop : .dangling
    }

    public var description: String {
        switch self {
        case .loop: "a loop of symbolic links"
        case .dangling: "a symbolic link to a path that does not exist"
        }
    }
}
