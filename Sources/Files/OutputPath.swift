#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What stands at a path a command is told to write (`plot -o`, `viz -o`, `bench --results`), looked at
/// before anything is written. Pages and plots are written atomically, a temporary file renamed over the
/// path: that replaces whatever is there. Over a regular file that is the point; over a device, a FIFO or
/// a socket it would put a regular file in its place (as root, `-o /dev/full` would replace the device),
/// and over a symbolic link it would replace the link while the file it points to stays as it was.
public enum OutputPath {
    /// Why `path` cannot be written as a new or replaced regular file, in words, or nil: nothing there,
    /// a regular file, or a directory (whose refusal the write itself explains with an example name).
    public static func problem(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }  // nothing there (or not reachable: the write says why)
        switch info.st_mode & S_IFMT {
        case S_IFREG, S_IFDIR: return nil
        case S_IFLNK: return "it is a symbolic link; give the path of the file it points to, or another name"
        default: return notRegular(info.st_mode)
        }
    }

    private static func notRegular(_ mode: mode_t) -> String {
        "it is \((FileError.Kind(nonRegular: mode) ?? .other).rawValue); charrnn writes regular files only"
    }

    /// Why `path` cannot take appended lines (`bench --results`), or nil: appending follows a symbolic
    /// link to a regular file, and creates the file when it is missing (its folder must exist).
    public static func appendProblem(_ path: String) -> String? {
        var info = stat()
        if stat(path, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFDIR { return "it is a directory; give a file name such as \(path)/bench.jsonl" }
            if FileError.Kind(nonRegular: info.st_mode) != nil { return notRegular(info.st_mode) }
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0o644)
        if fd < 0 { return FileError.reason(errno) }
        close(fd)
        return nil
    }
}
