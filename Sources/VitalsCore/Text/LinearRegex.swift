import Synchronization

/// A regular expression a user wrote (a check's `body_regex`, an alert matcher's `=~`, a lock's
/// `holder_pattern`), shared between threads and matched in time linear in the text: a
/// `ByteRegex` behind a lock (its DFA grows as it reads). No pattern can make a probe, a rule or
/// a lock read hang, whatever the text it is given.
public final class LinearRegex: Sendable, CustomStringConvertible {
    public let pattern: String
    private let automaton: Mutex<ByteRegex>

    /// - Parameter whole: the text must match whole (`^(?:pattern)$`, Prometheus' matchers);
    ///   otherwise a match anywhere in it will do.
    /// - Throws: `ByteRegex.Refusal` saying why the pattern is not taken.
    public init(_ pattern: String, whole: Bool = false) throws(ByteRegex.Refusal) {
        self.pattern = pattern
        automaton = Mutex(try ByteRegex(pattern, mode: whole ? .whole : .text))
    }

    public var description: String { pattern }

    public func matches(_ text: String) -> Bool { automaton.withLock { $0.matches(text) } }

    /// The first match's group 1, or the whole match when the pattern has no group; nil when
    /// it does not match.
    public func firstCapture(in text: String) -> String? {
        automaton.withLock { $0.capture($0.groupCount > 0 ? 1 : 0, in: text) }
    }

    private static let cache = Mutex<[String: LinearRegex]>([:])

    /// The compiled pattern, compiled once per process (probes run it every interval); nil when
    /// it is not taken (the configuration loader has said why already).
    public static func cached(_ pattern: String) -> LinearRegex? {
        if let found = cache.withLock({ $0[pattern] }) { return found }
        guard let compiled = try? LinearRegex(pattern) else { return nil }
        cache.withLock { cache in
            if cache.count > 1_000 { cache.removeAll() }
            cache[pattern] = compiled
        }
        return compiled
    }
}
