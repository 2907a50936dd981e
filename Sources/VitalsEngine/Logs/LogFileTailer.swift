import Foundation
import Synchronization
import VitalsCore

/// Follows log files as `tail -F` does: new lines as they are written; a file renamed away
/// (rotation) is read to its end and the new file at the path is read from its beginning; a
/// file truncated in place is read again from its beginning. Globs are expanded on every poll,
/// so files that appear later are picked up.
final class LogFileTailer: Sendable {
    /// A line read, with the file entry it came from.
    typealias Deliver = @Sendable ([(LogEntry, file: LogFileConfig, path: String)]) -> Void

    /// The most bytes read from one file in one poll (the rest waits for the next).
    static let readLimit = 4 * 1024 * 1024

    private let files: [LogFileConfig]
    private let state = Mutex<[String: Followed]>([:])
    /// Why a file could not be read, by path, for the node view and `vitals validate`.
    let problems = Mutex<[String: String]>([:])

    private struct Followed: @unchecked Sendable {
        var descriptor: Int32
        var device: UInt64
        var inode: UInt64
        var offset: Int64
        var partial: [UInt8] = []
    }

    init(files: [LogFileConfig]) {
        self.files = files
    }

    deinit {
        state.withLock { for followed in $0.values { close(followed.descriptor) } }
    }

    /// Reads what was written since the last poll; the first poll of a file starts at its end
    /// unless the entry says beginning.
    func poll(first: Bool = false, deliver: Deliver) {
        var lines: [(LogEntry, file: LogFileConfig, path: String)] = []
        for file in files {
            for path in Self.expand(file.path) {
                for line in read(path, fromBeginning: file.fromBeginning) {
                    lines.append((PlainLogLine.parse(line[...]), file, path))
                }
            }
        }
        if !lines.isEmpty { deliver(lines) }
    }

    static func expand(_ pattern: String) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else { return [pattern] }
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }
    }

    private func read(_ path: String, fromBeginning: Bool) -> [[UInt8]] {
        var info = stat()
        let exists = stat(path, &info) == 0
        return state.withLock { state -> [[UInt8]] in
            var lines: [[UInt8]] = []
            if var followed = state[path] {
                let rotated = !exists || UInt64(info.st_ino) != followed.inode || UInt64(info.st_dev) != followed.device
                if rotated {
                    // The old file was renamed away (or deleted): finish it, then start the new one.
                    lines += drain(&followed, final: true)
                    close(followed.descriptor)
                    state[path] = nil
                    guard exists else { return lines }
                    if let opened = open(path, at: 0, info: info) {
                        state[path] = opened
                    }
                } else {
                    if Int64(info.st_size) < followed.offset {
                        // Truncated in place (copytruncate): read again from the start.
                        followed.offset = 0
                        followed.partial = []
                        lseek(followed.descriptor, 0, SEEK_SET)
                    }
                    lines += drain(&followed, final: false)
                    state[path] = followed
                    return lines
                }
            } else {
                guard exists else {
                    problems.withLock { $0[path] = "no such file (yet)" }
                    return []
                }
                guard let opened = open(path, at: fromBeginning ? 0 : Int64(info.st_size), info: info) else { return [] }
                state[path] = opened
            }
            if var followed = state[path] {
                lines += drain(&followed, final: false)
                state[path] = followed
            }
            return lines
        }
    }

    private func open(_ path: String, at offset: Int64, info: stat) -> Followed? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            problems.withLock { $0[path] = "cannot open: \(reason)" }
            return nil
        }
        problems.withLock { $0[path] = nil }
        lseek(descriptor, off_t(offset), SEEK_SET)
        return Followed(descriptor: descriptor, device: UInt64(info.st_dev), inode: UInt64(info.st_ino), offset: offset)
    }

    /// Reads to the end of the file (up to the limit) and returns its whole lines; `final`
    /// also returns an unfinished last line.
    private func drain(_ followed: inout Followed, final: Bool) -> [[UInt8]] {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var data = followed.partial
        var total = 0
        while total < Self.readLimit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(followed.descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            data.append(contentsOf: buffer[0..<count])
            total += count
        }
        followed.offset += Int64(total)
        var lines: [[UInt8]] = []
        var start = 0
        while let newline = data[start...].firstIndex(of: 10) {
            if newline > start { lines.append(Array(data[start..<newline])) }
            start = newline + 1
        }
        followed.partial = Array(data[start...])
        // A line with no end in sight is cut rather than held forever.
        if followed.partial.count > JSONLogLine.sizeLimit || (final && !followed.partial.isEmpty) {
            lines.append(followed.partial)
            followed.partial = []
        }
        return lines
    }
}
