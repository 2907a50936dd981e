/// A regular expression compiled to a byte automaton: a Thompson NFA over UTF-8 bytes, run as a
/// DFA built lazily (each state set met is given a row of 256 transitions the first time it is
/// needed), one byte per step, no backtracking; and, where the match itself is wanted (its span,
/// its groups), run as a Pike VM over the same states. Either way the time is linear in the text
/// (times the pattern's size), RE2's promise: no pattern and no text can make it hang.
///
/// It takes RE2's syntax less what needs more than an automaton: literals, `.`, classes
/// (`[a-z0-9_]`, `[^ ]`, ASCII members), `\d \w \s \D \W \S`, `\n \t \r`, escaped punctuation,
/// `* + ? {n} {n,} {n,m}` (lazy forms too), groups (capturing, `(?:…)`, `(?P<name>…)`), `|`, `(?i)`
/// at the start, and `^`/`$` at the ends of the pattern. Back-references and look-around (which
/// RE2 refuses too), `\b` and Unicode classes are refused with the reason. `.` and negated classes
/// match whole UTF-8 characters, never a newline.
public final class ByteRegex {
    /// How the text is read.
    public enum Mode: Sendable {
        /// Lines ending with a newline, each matched on its own (the log search).
        case lines
        /// One text; a match anywhere in it; `^` and `$` are its start and end.
        case text
        /// One text that must match whole, as Prometheus' label matchers do.
        case whole
    }

    /// Why a pattern is not taken, and where in it.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// Characters into the pattern.
        public var offset: Int
        public var message: String
        public var description: String { "\(message) (at character \(offset + 1))" }
    }

    private enum State {
        case bytes(lo: UInt8, hi: UInt8, next: Int)
        case split(Int, Int)
        case jump(Int)
        /// Records the position in capture slot `slot`, then goes on.
        case save(slot: Int, next: Int)
        case match
    }

    public let mode: Mode
    /// Capturing groups in the pattern (group 0, the whole match, not counted).
    public private(set) var groupCount = 0
    private var states: [State] = []
    private var start = 0
    private let anchoredStart: Bool
    private let anchoredEnd: Bool

    // The lazy DFA: sets of NFA states, their rows, and which accept.
    private var sets: [[Int32]] = []
    private var setNumbers: [[Int32]: Int32] = [:]
    private var rows: [Int32] = []
    private var accepting: [Bool] = []
    private var startState: Int32 = 0
    private static let stateLimit = 2_000
    /// The most NFA states a pattern may make (`(a{100}){100}` is 10,000).
    static let nfaLimit = 20_000

    /// Compiles `pattern`; nil when it uses what this automaton does not do.
    public convenience init?(_ pattern: String, ignoresCase: Bool) {
        do { try self.init(pattern, ignoresCase: ignoresCase, mode: .lines) } catch { return nil }
    }

    /// Compiles `pattern` to read text as `mode` says.
    /// - Throws: `Refusal` when the pattern is not valid or uses what an automaton cannot do.
    public init(_ pattern: String, ignoresCase: Bool = false, mode: Mode) throws(Refusal) {
        self.mode = mode
        var text = Substring(pattern)
        var ignoresCase = ignoresCase
        var skipped = 0
        if text.hasPrefix("(?i)") {
            ignoresCase = true
            text = text.dropFirst(4)
            skipped = 4
        }
        let startAnchor = text.hasPrefix("^")
        if startAnchor {
            text = text.dropFirst()
            skipped += 1
        }
        let endAnchor = text.hasSuffix("$") && !text.hasSuffix("\\$")
        if endAnchor { text = text.dropLast() }
        anchoredStart = startAnchor || mode == .whole
        anchoredEnd = endAnchor || mode == .whole
        var parser = Parser(characters: Array(text), ignoresCase: ignoresCase, spaceTakesNewline: mode != .lines)
        let parsed = parser.parseAlternation()
        guard let tree = parsed, parser.index == parser.characters.count else {
            var refusal = parser.refusal ?? Refusal(offset: parser.index, message: "unmatched ')'")
            refusal.offset += skipped
            throw refusal
        }
        groupCount = parser.groups
        let match = add(.match)
        var end = add(.save(slot: 1, next: match))
        if anchoredEnd, mode == .lines { end = add(.bytes(lo: 10, hi: 10, next: end)) }
        guard let body = compile(tree, next: end), states.count < Self.nfaLimit else {
            throw Refusal(offset: 0, message: "the pattern is too big for an automaton (its repetitions make over \(Self.nfaLimit) states)")
        }
        start = add(.save(slot: 0, next: body))
        startState = dfaState(closure([Int32(start)]))
    }

    /// Marks a transition into an accepting state in `rows`.
    private static let acceptBit: Int32 = 1 << 30

    /// Finds the lines among `text[from..<to]` (each ending with a newline) that match; calls
    /// `found` with the offset of each matching line's start, in order.
    ///
    /// The inner loop is one table lookup per byte: a transition not built yet (negative) leaves
    /// it to build one; one into an accepting state carries `acceptBit`.
    public func scan(_ text: UnsafeBufferPointer<UInt8>, from: Int, to: Int, found: (Int) -> Void) {
        guard let base = text.baseAddress else { return }
        var state = Int(startState)
        var index = from
        while index < to {
            // Locals inside the closure, written back once: captured variables would live in memory.
            let (stoppedAt, stoppedIn, stop) = rows.withUnsafeBufferPointer { rows -> (Int, Int, Int) in
                var position = index, current = state
                while position < to {
                    let next = Int(rows[current &* 256 &+ Int(base[position])])
                    if next < 0 || next & Int(Self.acceptBit) != 0 { return (position, current, next) }
                    current = next
                    position &+= 1
                }
                return (position, current, -1)
            }
            index = stoppedAt
            state = stoppedIn
            guard index < to else { break }
            var next = Int32(stop)
            if next < 0 { next = step(Int32(state), base[index]) }
            if next & Self.acceptBit != 0 {
                // The line this byte is in matches; its start is after the newline before it.
                var lineStart = index
                while lineStart > from, base[lineStart - 1] != 10 { lineStart -= 1 }
                found(lineStart)
                while index < to, base[index] != 10 { index += 1 }
                index += 1
                state = Int(startState)
            } else {
                state = Int(next)
                index += 1
            }
        }
    }

    /// Whether `line` (without its newline) matches.
    public func matches(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var state = startState
        // The newline after the line is read too: `$` needs it.
        for position in 0...line.count {
            let byte = position < line.count ? line[position] : 10
            var next = rows[Int(state) &* 256 &+ Int(byte)]
            if next < 0 { next = step(state, byte) }
            if next & Self.acceptBit != 0 { return true }
            state = next
        }
        return false
    }

    /// Whether `text` matches, read as `mode` says (`.text` or `.whole`).
    public func matches(text: UnsafeBufferPointer<UInt8>) -> Bool {
        var state = startState
        if !anchoredEnd, accepting[Int(state)] { return true }
        for byte in text {
            var next = rows[Int(state) &* 256 &+ Int(byte)]
            if next < 0 { next = step(state, byte) }
            if next & Self.acceptBit != 0, !anchoredEnd { return true }
            state = next & ~Self.acceptBit
        }
        return accepting[Int(state)]
    }

    /// Whether `text` matches (`.text` or `.whole`).
    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches(text: $0) }
    }

    /// The leftmost match at or after `from` in `text` (`.text` or `.whole`), as RE2 picks it
    /// (alternatives in order, greedy repetitions as long as they can): capture slots, the start
    /// and end offsets of the match and then of each group (-1 for a group that took no part).
    ///
    /// A Pike VM: every NFA state at most once per byte, so the time is linear in the text.
    public func firstMatch(in text: UnsafeBufferPointer<UInt8>, from: Int = 0) -> [Int]? {
        let slotCount = 2 * (groupCount + 1)
        var current: [(state: Int, slots: [Int])] = []
        var next: [(state: Int, slots: [Int])] = []
        // The position each state was last put on a list for: once per list.
        var listed = [Int](repeating: -1, count: states.count)
        var stack: [(state: Int, slots: [Int])] = []
        var matched: [Int]?

        func follow(_ entry: Int, _ slots: [Int], at position: Int, into list: inout [(state: Int, slots: [Int])]) {
            stack.append((entry, slots))
            while let (number, slots) = stack.popLast() {
                guard listed[number] != position else { continue }
                listed[number] = position
                switch states[number] {
                case .jump(let target):
                    stack.append((target, slots))
                case .split(let first, let second):
                    // The first is preferred: popped first.
                    stack.append((second, slots))
                    stack.append((first, slots))
                case .save(let slot, let target):
                    var slots = slots
                    if slot < slotCount { slots[slot] = position }
                    stack.append((target, slots))
                case .bytes, .match:
                    list.append((number, slots))
                }
            }
        }

        var position = from
        while true {
            if matched == nil, !anchoredStart || position == 0 {
                follow(start, [Int](repeating: -1, count: slotCount), at: position, into: &current)
            }
            if current.isEmpty { break }
            for (number, slots) in current {
                switch states[number] {
                case .match:
                    guard !anchoredEnd || position == text.count else { continue }
                    matched = slots
                case .bytes(let lo, let hi, let target):
                    if position < text.count, text[position] >= lo, text[position] <= hi {
                        follow(target, slots, at: position + 1, into: &next)
                    }
                    continue
                default:
                    continue
                }
                // A match: the threads after this one are less preferred.
                break
            }
            guard position < text.count else { break }
            swap(&current, &next)
            next.removeAll(keepingCapacity: true)
            position += 1
        }
        return matched
    }

    /// The spans of the matches in `text`, left to right, none empty (for highlighting).
    public func ranges(in text: String) -> [Range<String.Index>] {
        var text = text
        let spans: [Range<Int>] = text.withUTF8 { bytes in
            var spans: [Range<Int>] = []
            var from = 0
            while from <= bytes.count, spans.count < 1_000, let slots = firstMatch(in: bytes, from: from) {
                if slots[1] > slots[0] {
                    spans.append(slots[0]..<slots[1])
                    from = slots[1]
                } else {
                    from = slots[1] + 1
                }
                if anchoredStart { break }
            }
            return spans
        }
        let utf8 = text.utf8
        return spans.compactMap { span in
            let lower = utf8.index(utf8.startIndex, offsetBy: span.lowerBound)
            let upper = utf8.index(utf8.startIndex, offsetBy: span.upperBound)
            guard let low = lower.samePosition(in: text), let high = upper.samePosition(in: text) else { return nil }
            return low..<high
        }
    }

    /// The text of group `group` of the first match in `text`; nil when there is no match or
    /// the group took no part.
    public func capture(_ group: Int, in text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes in
            guard group <= groupCount, let slots = firstMatch(in: bytes), slots[2 * group] >= 0 else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[slots[2 * group]..<slots[2 * group + 1]]), as: UTF8.self)
        }
    }

    // MARK: - The DFA

    /// Builds the transition of `state` on `byte`: the next state, with `acceptBit` when it accepts.
    private func step(_ state: Int32, _ byte: UInt8) -> Int32 {
        if sets.count >= Self.stateLimit {
            // Too many states met: start the cache again (the current set is kept).
            let current = sets[Int(state)]
            let startSet = sets[Int(startState)]
            sets = []
            setNumbers = [:]
            rows = []
            accepting = []
            startState = dfaState(startSet)
            let again = dfaState(current)
            return step(again, byte)
        }
        var moved: [Int32] = []
        for number in sets[Int(state)] {
            if case .bytes(let lo, let hi, let next) = states[Int(number)], byte >= lo, byte <= hi { moved.append(Int32(next)) }
        }
        var target = closure(moved)
        let endsLine = mode == .lines && byte == 10
        // Unanchored: a match may begin at any byte, so the start joins every state.
        if !anchoredStart, !endsLine { target = Array(Set(target).union(sets[Int(startState)])).sorted() }
        if endsLine && !accepting(target) { target = sets[Int(startState)] }
        let number = dfaState(target)
        let next = accepting[Int(number)] ? number | Self.acceptBit : number
        rows[Int(state) * 256 + Int(byte)] = next
        return next
    }

    private func accepting(_ set: [Int32]) -> Bool {
        set.contains { if case .match = states[Int($0)] { true } else { false } }
    }

    private func dfaState(_ set: [Int32]) -> Int32 {
        if let number = setNumbers[set] { return number }
        let number = Int32(sets.count)
        sets.append(set)
        setNumbers[set] = number
        rows += [Int32](repeating: -1, count: 256)
        accepting.append(accepting(set))
        return number
    }

    /// The states reachable from `from` without reading a byte, sorted.
    private func closure(_ from: [Int32]) -> [Int32] {
        var seen = Set<Int32>()
        var stack = from
        var result: [Int32] = []
        while let number = stack.popLast() {
            guard seen.insert(number).inserted else { continue }
            switch states[Int(number)] {
            case .split(let a, let b):
                stack.append(Int32(a))
                stack.append(Int32(b))
            case .jump(let next), .save(_, let next):
                stack.append(Int32(next))
            case .bytes, .match:
                result.append(number)
            }
        }
        return result.sorted()
    }

    // MARK: - Compiling

    private func add(_ state: State) -> Int {
        states.append(state)
        return states.count - 1
    }

    /// States that match `node` and then go on to `next`; returns the entry.
    private func compile(_ node: Node, next: Int) -> Int? {
        guard states.count < Self.nfaLimit else { return nil }
        switch node {
        case .group(let inner, let number):
            let close = add(.save(slot: 2 * number + 1, next: next))
            guard let body = compile(inner, next: close) else { return nil }
            return add(.save(slot: 2 * number, next: body))
        case .sequence(let ranges):
            var entry = next
            for alternative in ranges.reversed() {
                // One byte position: a choice among ranges.
                var choice: Int?
                for range in alternative {
                    let state = add(.bytes(lo: range.lowerBound, hi: range.upperBound, next: entry))
                    choice = choice.map { add(.split(state, $0)) } ?? state
                }
                guard let choice else { return nil }
                entry = choice
            }
            return entry
        case .concat(let parts):
            var entry = next
            for part in parts.reversed() {
                guard let compiled = compile(part, next: entry) else { return nil }
                entry = compiled
            }
            return entry
        case .alternation(let options):
            var entry: Int?
            for option in options.reversed() {
                guard let compiled = compile(option, next: next) else { return nil }
                entry = entry.map { add(.split(compiled, $0)) } ?? compiled
            }
            return entry ?? next
        case .repeated(let inner, let min, let max):
            var entry = next
            if let max {
                // Optional copies, then the required ones.
                for _ in 0..<(max - min) {
                    guard let body = compile(inner, next: entry) else { return nil }
                    entry = add(.split(body, entry))
                }
            } else {
                // A loop: split into the body (which jumps back) or on.
                let loop = add(.split(0, next))
                guard let body = compile(inner, next: loop) else { return nil }
                states[loop] = .split(body, next)
                entry = loop
            }
            for _ in 0..<min {
                guard let body = compile(inner, next: entry) else { return nil }
                entry = body
            }
            return entry
        case .empty:
            return next
        }
    }
}
