/// Reads a plain text log line as programs commonly write them: an optional timestamp
/// (RFC 3339), an optional level word (`ERROR`, `[warn]`, `level=info`), an optional
/// `service:` tag, then the message. A line starting with `{` is read as JSON.
public enum PlainLogLine {
    public static func parse(_ line: ArraySlice<UInt8>) -> LogEntry {
        var bytes = line
        var truncated = false
        if bytes.count > JSONLogLine.sizeLimit {
            bytes = bytes.prefix(JSONLogLine.sizeLimit)
            truncated = true
        }
        while let last = bytes.last, last == 10 || last == 13 { bytes.removeLast() }
        if bytes.first == UInt8(ascii: "{") {
            let json = JSONLogLine.parse(bytes)
            if json.parseError == nil {
                var entry = json
                entry.isTruncated = entry.isTruncated || truncated
                return entry
            }
        }
        var entry = LogEntry(message: "", isTruncated: truncated)
        var rest = bytes
        let stamp = LogTime.length(rfc3339: rest)
        if stamp > 0 {
            entry.time = LogTime.milliseconds(rfc3339: rest.prefix(stamp))
            rest = rest.dropFirst(stamp)
            rest = rest.drop { $0 == 32 }
        }
        if let (level, length) = levelWord(rest) {
            entry.level = level
            rest = rest.dropFirst(length).drop { $0 == 32 }
        }
        if let colon = rest.prefix(48).firstIndex(of: UInt8(ascii: ":")), colon > rest.startIndex,
           colon + 1 == rest.endIndex || rest[colon + 1] == 32,
           rest[rest.startIndex..<colon].allSatisfy(isTagByte) {
            entry.service = LogText.decode(rest[rest.startIndex..<colon])
            rest = rest[(colon + 1)...].drop { $0 == 32 }
        }
        entry.message = LogText.decode(rest)
        return entry
    }

    /// A level as the first word: `ERROR`, `[ERROR]`, `<error>`, `level=error`, `ERROR:`.
    static func levelWord(_ bytes: ArraySlice<UInt8>) -> (LogLevel, Int)? {
        var word = bytes.prefix { $0 != 32 }
        let length = word.count
        guard length > 0, length <= 16 else { return nil }
        if word.starts(with: "level=".utf8) { word = word.dropFirst(6) }
        word = word.drop { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "<") }
        while let last = word.last, last == UInt8(ascii: "]") || last == UInt8(ascii: ">") || last == UInt8(ascii: ":") { word.removeLast() }
        // A single letter is too easily a word of the message; only whole words count here.
        guard word.count >= 3, let text = String(validating: word, as: UTF8.self), let level = LogLevel(word: text) else { return nil }
        return (level, length)
    }

    static func isTagByte(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/")
            || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
    }
}
