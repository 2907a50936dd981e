import Foundation

/// Reads a text file for the loaders, turning every way it can fail into a message a person can
/// act on: a missing file, a folder, no permission, a binary file, bytes that are not UTF-8.
public enum TextFile {
    /// Why a file could not be read as text, with where.
    public struct Problem: Error, Sendable {
        public var diagnostic: Diagnostic
    }

    /// Files larger than this are refused before they are read: a cluster file or a theme is a
    /// few kilobytes, a generated fleet a few megabytes.
    public static let sizeLimit = 64 * 1024 * 1024

    public static func read(_ path: String) -> Result<String, Problem> {
        func problem(_ message: String, line: Int = 1, column: Int = 1) -> Result<String, Problem> {
            .failure(Problem(diagnostic: Diagnostic(SourceLocation(file: path, line: line, column: column), message)))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return problem("no such file")
        }
        if isDirectory.boolValue { return problem("this is a folder, not a file") }
        // Opening a named pipe waits for a writer, maybe forever: only regular files are read.
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            let kind = switch status.st_mode & S_IFMT {
            case S_IFIFO: "a named pipe (FIFO)"
            case S_IFSOCK: "a socket"
            case S_IFCHR, S_IFBLK: "a device"
            default: "not a regular file"
            }
            return problem("this is \(kind), not a file; save the text to a file and give that")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return problem("cannot open the file: \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: sizeLimit + 1) ?? Data()
        } catch {
            return problem("cannot read the file: \(String(cString: strerror(errno)))")
        }
        if data.count > sizeLimit { return problem("the file is larger than \(sizeLimit / 1024 / 1024) MB; is it the right file?") }
        var line = 1, column = 1
        var index = data.startIndex
        while index < data.endIndex {
            let byte = data[index]
            if byte == 0 { return problem("this is a binary file (a NUL byte), not YAML text", line: line, column: column) }
            let length = utf8SequenceLength(data, at: index)
            if length == 0 {
                return problem(String(format: "the file is not UTF-8 text: byte 0x%02X cannot start or continue a character", byte), line: line, column: column)
            }
            if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
            index += length
        }
        return .success(String(decoding: data, as: UTF8.self))
    }

    /// The length of the valid UTF-8 sequence starting at `index`, or 0 when it is not one.
    private static func utf8SequenceLength(_ data: Data, at index: Data.Index) -> Int {
        let first = data[index]
        let length: Int
        switch first {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return 0
        }
        guard data.endIndex - index >= length else { return 0 }
        for offset in 1..<length where data[index + offset] & 0xC0 != 0x80 { return 0 }
        let second = data[index + 1]
        // Overlong forms, surrogates and code points past U+10FFFF.
        if first == 0xE0 && second < 0xA0 { return 0 }
        if first == 0xED && second > 0x9F { return 0 }
        if first == 0xF0 && second < 0x90 { return 0 }
        if first == 0xF4 && second > 0x8F { return 0 }
        return length
    }
}
