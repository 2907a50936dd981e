/// A regular expression compiled to a byte automaton, for searching many stored lines fast: a
/// Thompson NFA over UTF-8 bytes, run as a DFA built lazily (each state set met is given a row
/// of 256 transitions the first time it is needed), one byte per step, no backtracking.
///
/// It takes the common subset: literals, `.`, classes (`[a-z0-9_]`, `[^ ]`, ASCII members),
/// `\d \w \s \D \W \S`, escaped punctuation, `* + ? {n} {n,} {n,m}` (lazy forms too: they match
/// the same lines), groups, `(?:…)`, `|`, and `^`/`$` at the ends of the pattern. Anything else
/// (back-references, look-around, `\b`, Unicode classes) returns nil from `init`, and the caller
/// uses Swift's `Regex` instead. `.` and negated classes match whole UTF-8 characters.
public final class ByteRegex {
    private enum State {
        case bytes(lo: UInt8, hi: UInt8, next: Int)
        case split(Int, Int)
        case jump(Int)
        case match
    }

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

    /// Compiles `pattern`; nil when it uses what this automaton does not do.
    public init?(_ pattern: String, ignoresCase: Bool) {
        var text = Substring(pattern)
        var ignoresCase = ignoresCase
        if text.hasPrefix("(?i)") {
            ignoresCase = true
            text = text.dropFirst(4)
        }
        anchoredStart = text.hasPrefix("^")
        if anchoredStart { text = text.dropFirst() }
        anchoredEnd = text.hasSuffix("$") && !text.hasSuffix("\\$")
        if anchoredEnd { text = text.dropLast() }
        var parser = Parser(characters: Array(text), ignoresCase: ignoresCase)
        guard let tree = parser.parseAlternation(), parser.index == parser.characters.count else { return nil }
        let match = add(.match)
        var end = match
        if anchoredEnd { end = add(.bytes(lo: 10, hi: 10, next: match)) }
        guard let entry = compile(tree, next: end), states.count < 20_000 else { return nil }
        start = entry
        startState = dfaState(closure([Int32(entry)]))
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
        // Unanchored: a match may begin at any byte of the line, so the start joins every state.
        if !anchoredStart, byte != 10 { target = Array(Set(target).union(sets[Int(startState)])).sorted() }
        if byte == 10 && !accepting(target) { target = sets[Int(startState)] }
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
            case .jump(let next):
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
        guard states.count < 20_000 else { return nil }
        switch node {
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
