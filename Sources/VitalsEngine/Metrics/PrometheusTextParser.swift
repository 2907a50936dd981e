/// One sample from a Prometheus text exposition.
public struct MetricSample: Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var value: Double
    public var timestampMs: Int64?

    public init(name: String, labels: [String: String] = [:], value: Double, timestampMs: Int64? = nil) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestampMs = timestampMs
    }
}

/// A line of an exposition that could not be read, and why.
public struct PrometheusParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var reason: String

    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// Parses the Prometheus text exposition format (version 0.0.4), working on UTF-8 bytes.
///
/// Comments (`# HELP`, `# TYPE`, others) are skipped. A malformed line is reported with its
/// position; `parse` stops at the first one, `parseLenient` skips it and keeps going.
public enum PrometheusTextParser {
    public static func parse(_ text: String) throws(PrometheusParseError) -> [MetricSample] {
        var samples: [MetricSample] = []
        var firstError: PrometheusParseError?
        forEachLine(text) { result in
            switch result {
            case .success(let sample): samples.append(sample)
            case .failure(let error): firstError = firstError ?? error
            }
            return firstError == nil
        }
        if let firstError { throw firstError }
        return samples
    }

    /// Parses every good line and returns the bad ones alongside.
    public static func parseLenient(_ text: String) -> (samples: [MetricSample], errors: [PrometheusParseError]) {
        var samples: [MetricSample] = []
        var errors: [PrometheusParseError] = []
        forEachLine(text) { result in
            switch result {
            case .success(let sample): samples.append(sample)
            case .failure(let error): errors.append(error)
            }
            return true
        }
        return (samples, errors)
    }

    private static func forEachLine(_ text: String, _ body: (Result<MetricSample, PrometheusParseError>) -> Bool) {
        var text = text
        text.withUTF8 { bytes in
            var lineNumber = 0
            var start = 0
            while start < bytes.count {
                lineNumber += 1
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
                var cursor = LineCursor(bytes: bytes, index: start, end: end, line: lineNumber, lineStart: start)
                cursor.skipSpaces()
                if !cursor.atEnd && cursor.peek != UInt8(ascii: "#") {
                    let result: Result<MetricSample, PrometheusParseError>
                    result = Result { () throws(PrometheusParseError) -> MetricSample in try cursor.sample() }
                    if !body(result) { return }
                }
                start = end + 1
            }
        }
    }
}

/// Reads one sample line.
private struct LineCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int
    var end: Int
    let line: Int
    let lineStart: Int

    var atEnd: Bool { index >= end }
    var peek: UInt8 { bytes[index] }

    mutating func skipSpaces() {
        while index < end && (bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") || bytes[index] == UInt8(ascii: "\r")) {
            index += 1
        }
    }

    func fail(_ reason: String) -> PrometheusParseError {
        PrometheusParseError(line: line, column: index - lineStart + 1, reason: reason)
    }

    static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
    }

    static func isNameByte(_ byte: UInt8) -> Bool { isNameStart(byte) || (byte >= 0x30 && byte <= 0x39) }

    mutating func name(allowColon: Bool) throws(PrometheusParseError) -> String {
        let start = index
        guard !atEnd, Self.isNameStart(peek), allowColon || peek != UInt8(ascii: ":") else {
            throw fail(atEnd ? "expected a name, found end of line" : "expected a name")
        }
        while !atEnd && Self.isNameByte(peek) && (allowColon || peek != UInt8(ascii: ":")) { index += 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    mutating func sample() throws(PrometheusParseError) -> MetricSample {
        let metric = try name(allowColon: true)
        var labels: [String: String] = [:]
        if !atEnd && peek == UInt8(ascii: "{") {
            index += 1
            skipSpaces()
            while !atEnd && peek != UInt8(ascii: "}") {
                let label = try name(allowColon: false)
                skipSpaces()
                guard !atEnd, peek == UInt8(ascii: "=") else { throw fail("expected '=' after label \(label)") }
                index += 1
                skipSpaces()
                let value = try quoted()
                if labels.updateValue(value, forKey: label) != nil { throw fail("label \(label) appears twice") }
                skipSpaces()
                if !atEnd && peek == UInt8(ascii: ",") {
                    index += 1
                    skipSpaces()
                } else if atEnd || peek != UInt8(ascii: "}") {
                    throw fail("expected ',' or '}' in labels")
                }
            }
            guard !atEnd else { throw fail("labels are not closed with '}'") }
            index += 1
        }
        guard !atEnd, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") else {
            throw fail(atEnd ? "missing value" : "expected a space before the value")
        }
        skipSpaces()
        let value = try number()
        skipSpaces()
        var timestamp: Int64?
        if !atEnd {
            let start = index
            if peek == UInt8(ascii: "-") { index += 1 }
            while !atEnd && peek >= 0x30 && peek <= 0x39 { index += 1 }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let parsed = Int64(text) else { index = start; throw fail("bad timestamp") }
            timestamp = parsed
            skipSpaces()
            guard atEnd else { throw fail("unexpected text after the timestamp") }
        }
        return MetricSample(name: metric, labels: labels, value: value, timestampMs: timestamp)
    }

    mutating func quoted() throws(PrometheusParseError) -> String {
        guard !atEnd, peek == UInt8(ascii: "\"") else { throw fail("expected '\"' to open a label value") }
        index += 1
        var result: [UInt8] = []
        while true {
            guard !atEnd else { throw fail("label value is not closed with '\"'") }
            let byte = peek
            index += 1
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                guard !atEnd else { throw fail("label value ends inside an escape") }
                let escaped = peek
                index += 1
                switch escaped {
                case UInt8(ascii: "n"): result.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "\\"): result.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\""): result.append(UInt8(ascii: "\""))
                default: result.append(UInt8(ascii: "\\")); result.append(escaped)
                }
            } else {
                result.append(byte)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    mutating func number() throws(PrometheusParseError) -> Double {
        let start = index
        while !atEnd && peek != UInt8(ascii: " ") && peek != UInt8(ascii: "\t") && peek != UInt8(ascii: "\r") { index += 1 }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard let value = Double(text) else {
                index = start
                throw fail(text.isEmpty ? "missing value" : "bad value '\(text.prefix(40))'")
            }
            return value
        }
    }
}
