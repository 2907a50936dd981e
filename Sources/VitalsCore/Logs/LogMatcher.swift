import Foundation

/// A compiled `LogPattern`: finds it in stored bytes (quickly, without making strings) and in
/// text on screen (for highlights).
///
/// A substring is searched by a vectorised scan, without regard to ASCII case unless it has a
/// capital letter. A regex is searched through the longest literal every match
/// must contain (when it has one): only lines holding that literal are given to the regex engine.
public struct LogMatcher: @unchecked Sendable {
    // `ByteRegex` is not Sendable: its DFA grows as it reads (searches are made one at a time).
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public let pattern: LogPattern
    /// Bytes every match contains, lowercased when `ignoresCase`; empty when there are none.
    public let literal: [UInt8]
    public let ignoresCase: Bool
    /// Whether finding `literal` is the whole test (a substring), or only a hint (a regex).
    public let literalIsExact: Bool
    /// The regex as a byte automaton, reading lines; nil for a substring.
    public let automaton: ByteRegex?
    /// The same, reading one text: where matches are, for highlights (only its states are read).
    private let spans: ByteRegex?
    /// Offsets in `literal` of its two rarest bytes (the same offset twice for one byte).
    private var rarePair: (Int, Int)

    public init(_ pattern: LogPattern) throws(Problem) {
        self.pattern = pattern
        switch pattern {
        case .substring(let text):
            ignoresCase = !text.contains { $0.isUppercase }
            literal = Array((ignoresCase ? Self.asciiLowercased(text) : text).utf8)
            literalIsExact = true
            automaton = nil
            spans = nil
        case .regex(let source):
            ignoresCase = !source.contains { $0.isUppercase } || source.hasPrefix("(?i)")
            do {
                // Linear time whatever the pattern: one typed into the search cannot hang the screen.
                automaton = try ByteRegex(source, ignoresCase: ignoresCase, mode: .lines)
                spans = try ByteRegex(source, ignoresCase: ignoresCase, mode: .text)
            } catch {
                throw Problem(description: "not a regex taken here: \(error)")
            }
            let required = Self.requiredLiteral(source.hasPrefix("(?i)") ? String(source.dropFirst(4)) : source)
            literal = Array((ignoresCase ? Self.asciiLowercased(required) : required).utf8)
            literalIsExact = false
        }
        rarePair = Self.rarePair(literal)
    }

    /// How common a byte is in log text, roughly (higher is commoner).
    static func commonness(_ byte: UInt8) -> Int {
        switch byte | (isASCIILetter(byte) ? 0x20 : 0) {
        case UInt8(ascii: " "): 100
        case UInt8(ascii: "e"), UInt8(ascii: "t"), UInt8(ascii: "a"), UInt8(ascii: "o"), UInt8(ascii: "i"), UInt8(ascii: "n"),
             UInt8(ascii: "s"), UInt8(ascii: "r"): 80
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "="), UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: ":"),
             UInt8(ascii: "."): 70
        case UInt8(ascii: "h"), UInt8(ascii: "l"), UInt8(ascii: "d"), UInt8(ascii: "c"), UInt8(ascii: "u"), UInt8(ascii: "m"): 60
        case UInt8(ascii: "a")...UInt8(ascii: "z"): 40
        case 0x80...0xFF: 20
        default: 30
        }
    }

    /// Picks the literal's two rarest bytes by how often each byte occurs in the text to be
    /// searched (`frequencies`, 256 counts from a sample of it), instead of by the built-in guess.
    public mutating func tune(_ frequencies: [Int]) {
        guard literal.count > 1, frequencies.count == 256 else { return }
        func count(_ byte: UInt8) -> Int {
            ignoresCase && Self.isASCIILetter(byte) ? frequencies[Int(byte | 0x20)] + frequencies[Int(byte & ~0x20)] : frequencies[Int(byte)]
        }
        let ranked = literal.indices.sorted { (count(literal[$0]), $0) < (count(literal[$1]), $1) }
        rarePair = (min(ranked[0], ranked[1]), max(ranked[0], ranked[1]))
    }

    static func rarePair(_ literal: [UInt8]) -> (Int, Int) {
        guard literal.count > 1 else { return (0, 0) }
        let ranked = literal.indices.sorted { (commonness(literal[$0]), $0) < (commonness(literal[$1]), $1) }
        return (min(ranked[0], ranked[1]), max(ranked[0], ranked[1]))
    }

    /// Whether the line `bytes` (one stored message) matches.
    public func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if !literal.isEmpty, find(in: bytes, from: 0) == nil { return false }
        if literalIsExact { return true }
        return automaton?.matches(bytes) ?? false
    }

    /// Where the literal next starts in `haystack` at or after `from`; nil when it does not.
    /// With no literal, every position is a candidate (returns `from`).
    public func find(in haystack: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard from <= haystack.count else { return nil }
        guard !literal.isEmpty else { return from }
        guard let base = haystack.baseAddress, haystack.count - from >= literal.count else { return nil }
        return findPair(base: base, count: haystack.count, from: from, folding: ignoresCase)
    }

    /// Where the pattern matches in `text`, for highlighting.
    public func ranges(in text: String) -> [Range<String.Index>] {
        switch pattern {
        case .substring(let needle):
            guard !needle.isEmpty else { return [] }
            var result: [Range<String.Index>] = []
            var start = text.startIndex
            let options: String.CompareOptions = ignoresCase ? [.caseInsensitive] : []
            while start < text.endIndex, let found = text.range(of: needle, options: options, range: start..<text.endIndex) {
                result.append(found)
                start = found.upperBound
            }
            return result
        case .regex:
            return spans?.ranges(in: text) ?? []
        }
    }

    /// The longest run of plain characters that every match of `pattern` must contain; empty
    /// when the pattern has a top-level alternative or no such run (being cautious is free: an
    /// empty literal only means every line goes to the regex engine).
    static func requiredLiteral(_ pattern: String) -> String {
        let characters = Array(pattern)
        var runs: [String] = []
        var current = ""
        var index = 0
        var depth = 0
        func endRun() {
            if !current.isEmpty { runs.append(current) }
            current = ""
        }
        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            // A character made optional or repeatable by what follows is not required as is.
            let quantified = next.map { "?*{".contains($0) } ?? false
            if depth > 0 {
                if character == "\\" { index += 2; continue }
                if character == "(" { depth += 1 } else if character == ")" { depth -= 1 }
                index += 1
                continue
            }
            switch character {
            case "|":
                return ""
            case "(":
                endRun()
                depth = 1
                index += 1
            case "[":
                endRun()
                // Skip the class; `]` first in it is literal.
                index += 1
                if index < characters.count, characters[index] == "^" { index += 1 }
                if index < characters.count, characters[index] == "]" { index += 1 }
                while index < characters.count, characters[index] != "]" {
                    if characters[index] == "\\" { index += 1 }
                    index += 1
                }
                index += 1
            case "\\":
                guard let escaped = next else { index += 1; continue }
                let afterEscape = index + 2 < characters.count ? characters[index + 2] : nil
                let escapedQuantified = afterEscape.map { "?*{".contains($0) } ?? false
                if escaped.isLetter || escaped.isNumber || escapedQuantified {
                    endRun()  // \d, \w, \b… are classes or anchors, not literals
                } else {
                    current.append(escaped)
                    if afterEscape == "+" { endRun() }
                }
                index += 2
            case "{":
                // A quantifier's bounds are not text.
                endRun()
                while index < characters.count, characters[index] != "}" { index += 1 }
                index += 1
            case ".", "^", "$", "*", "?", "+", "}", ")", "]":
                endRun()
                index += 1
            default:
                if quantified {
                    endRun()
                } else {
                    current.append(character)
                    if next == "+" { endRun() }  // `a+` needs one `a`, but nothing after it is adjacent
                }
                index += 1
            }
        }
        endRun()
        return runs.max { $0.utf8.count < $1.utf8.count } ?? ""
    }

    static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    static func isASCIILetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 97 && (byte | 0x20) <= 122 }

    /// Finds the literal (lowercase, compared without regard to ASCII case when `folding`): 16
    /// bytes at a time, looking for its first two bytes side by side, then comparing the rest.
    private func findPair(base: UnsafePointer<UInt8>, count: Int, from: Int, folding: Bool) -> Int? {
        let needle = literal
        let length = needle.count
        let last = count - length
        guard from <= last else { return nil }
        // Two bytes of the literal that are rare in logs (as memchr's crate does), so the vector
        // test seldom stops: in "trace=abc" those are not the ever-present "tr".
        let (firstOffset, secondOffset) = rarePair
        let first = needle[firstOffset], second = needle[secondOffset]
        // Letters are compared with their 0x20 bit set (lowercase); other bytes exactly.
        let firstMask: UInt8 = folding && Self.isASCIILetter(first) ? 0x20 : 0
        let secondMask: UInt8 = folding && Self.isASCIILetter(second) ? 0x20 : 0
        let firstVector = SIMD16<UInt8>(repeating: first), secondVector = SIMD16<UInt8>(repeating: second)
        let firstOr = SIMD16<UInt8>(repeating: firstMask), secondOr = SIMD16<UInt8>(repeating: secondMask)
        let raw = UnsafeRawPointer(base)
        func verify(_ position: Int) -> Bool {
            var offset = 0
            while offset < length {
                let byte = base[position + offset]
                let want = needle[offset]
                if byte != want && !(folding && Self.isASCIILetter(want) && byte | 0x20 == want) { return false }
                offset += 1
            }
            return true
        }
        var position = from
        // Lanes stand for starts up to position + 15, which must be possible starts.
        while position + 15 <= last {
            let a = raw.loadUnaligned(fromByteOffset: position + firstOffset, as: SIMD16<UInt8>.self) | firstOr
            let b = raw.loadUnaligned(fromByteOffset: position + secondOffset, as: SIMD16<UInt8>.self) | secondOr
            let hits = length > 1 ? (a .== firstVector) .& (b .== secondVector) : a .== firstVector
            if any(hits) {
                for lane in 0..<16 where hits[lane] {
                    if verify(position + lane) { return position + lane }
                }
            }
            position += 16
        }
        while position <= last {
            if verify(position) { return position }
            position += 1
        }
        return nil
    }
}
