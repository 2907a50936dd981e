import Foundation
import Testing
import VitalsCore
import VitalsEngine

/// The byte automaton agrees with Swift's Regex on the patterns people search logs with.
@Suite struct ByteRegexTests {
    static let patterns = [
        "timeout", "time.?out", "[0-9]{4}ms", "\\d+ms$", "^GET /api", "^(GET|POST) /api/(items|cart)", "a|b|zz",
        "db (timeout|refused) after \\d{2,4}ms", "[^ ]+=[^ ]+$", "x*y+z?", "(ab)+c", "\\.json", "caf.", "日本.",
        "[a-f0-9]{12}", "\\w+@\\w+", "\\s\\S\\s", "err(or)?s?:", "(?:slow|fast) request", "^$", "[]a]", "u[0-9]{3,}",
        "user=u1\\d{4}\\b", "(?=x)", "\\1", "a{2,1}", "(unclosed", "Timeout", "(?i)TIMEOUT",
    ]

    /// What the automaton refuses (and the search with it, saying why): word boundaries,
    /// look-ahead, back-references, and patterns that are not valid.
    static let outside: Set<String> = ["user=u1\\d{4}\\b", "(?=x)", "\\1", "a{2,1}", "(unclosed"]

    @Test func theSubsetIsWhatItSays() {
        let refused = Self.patterns.filter { ByteRegex($0, ignoresCase: true) == nil }
        #expect(Set(refused) == Self.outside)
    }

    static func lines() -> [String] {
        var generator = SystemRandomNumberGenerator()
        let words = ["GET", "POST", "/api/items", "/api/cart", "timeout", "Timeout", "time-out", "db", "refused", "after", "200",
                     "1234ms", "12ms", "café", "日本語", "a", "b", "zz", "abab", "c", "user=u12345", "x@y", "key=value", "", " ", "errors:", "slow", "request", "u9999", "]"]
        return (0..<3_000).map { _ in
            (0..<Int.random(in: 0...7, using: &generator)).map { _ in words.randomElement(using: &generator)! }.joined(separator: " ")
        } + ["", "GET /api/items 200 1234ms", "db timeout after 2000ms", "abababc", "k=v"]
    }

    @Test(arguments: patterns)
    func agreesWithSwiftRegex(pattern: String) throws {
        let ignoresCase = !pattern.contains { $0.isUppercase } || pattern.hasPrefix("(?i)")
        guard let automaton = ByteRegex(pattern, ignoresCase: ignoresCase) else {
            // Outside the subset (the search refuses these with the reason) or invalid.
            #expect(Self.outside.contains(pattern), "\(pattern) must compile")
            return
        }
        guard var regex = try? Regex(pattern.hasPrefix("(?i)") ? String(pattern.dropFirst(4)) : pattern) else { return }
        if ignoresCase { regex = regex.ignoresCase() }
        for line in Self.lines() {
            let expected = (try? regex.firstMatch(in: line)) != nil
            let actual = Array(line.utf8).withUnsafeBufferPointer { automaton.matches($0) }
            #expect(actual == expected, "/\(pattern)/ on \"\(line)\"")
            if actual != expected { return }
        }
    }

    @Test func theStoreCountsWhatAPlainScanFinds() {
        let store = LogStore()
        let lines = Self.lines()
        store.append(lines.map { LogStore.Line(LogEntry(message: $0), node: "n") }, received: Date())
        for pattern in ["[0-9]{4}ms", "^(GET|POST) /api/(items|cart)", "\\d+ms$", "time.?out", "(?i)TIMEOUT", "[^ ]+=[^ ]+$", "user=u1\\d{3}"] {
            let ignoresCase = !pattern.contains { $0.isUppercase } || pattern.hasPrefix("(?i)")
            var regex = try! Regex(pattern.hasPrefix("(?i)") ? String(pattern.dropFirst(4)) : pattern)
            if ignoresCase { regex = regex.ignoresCase() }
            let expected = lines.filter { (try? regex.firstMatch(in: $0)) != nil }.count
            #expect(store.count(LogQuery(pattern: .regex(pattern))) == expected, "/\(pattern)/")
        }
    }
}
