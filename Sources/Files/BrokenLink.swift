import Foundation

/// A symbolic link that leads nowhere, in words: `stat` fails on it (ELOOP, ENOENT) while `lstat`
/// finds the link, which `FileManager.fileExists` reports only as "no such file".
public enum BrokenLink {
    /// "a loop of symbolic links" or "a symbolic link to a path that does not exist"; nil when
    /// `path` is not a symbolic link, or resolves.
    public static func problem(_ path: String) -> String? {
        var target = stat(), link = stat()
        guard stat(path, &target) != 0 else { return nil }
        let missing = errno
        guard lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK else { return nil }
        return missing == ELOOP ? "a loop of symbolic links" : "a symbolic link to a path that does not exist"
    }
}
