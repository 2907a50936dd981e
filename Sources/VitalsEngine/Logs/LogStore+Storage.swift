import Foundation
import VitalsCore

/// Names (nodes, services) as small numbers for the columns.
struct NameTable {
    var names: [String] = []
    var numbers: [String: UInt16] = [:]

    /// The name's number; past 65,000 names every new one shares the last number.
    mutating func number(_ name: String) -> UInt16 {
        if let number = numbers[name] { return number }
        guard names.count < 65_000 else {
            if names.count == 65_000 { names.append("(other)") }
            return UInt16(names.count - 1)
        }
        let number = UInt16(names.count)
        names.append(name)
        numbers[name] = number
        return number
    }
}

/// Lines in one-second slots over the last minute, for the per-minute rates.
struct MinuteCounter {
    var seconds = [Int64](repeating: -1, count: 60)
    var counts = [LogStore.Rates](repeating: .init(), count: 60)

    mutating func add(_ level: LogLevel, at second: Int64) {
        let slot = Int(second.magnitude % 60)
        if seconds[slot] != second {
            seconds[slot] = second
            counts[slot] = .init()
        }
        counts[slot].lines += 1
        if level >= .error { counts[slot].errors += 1 } else if level == .warning { counts[slot].warnings += 1 }
    }

    func total(at second: Int64) -> LogStore.Rates {
        var result = LogStore.Rates()
        for slot in 0..<60 where seconds[slot] > second - 60 && seconds[slot] <= second {
            result.lines += counts[slot].lines
            result.warnings += counts[slot].warnings
            result.errors += counts[slot].errors
        }
        return result
    }
}

struct Chunk {
    var firstSequence: Int
    var text: [UInt8] = []
    var starts: [UInt32] = []
    var received: [Int64] = []
    var times: [Int64] = []
    var nodes: [UInt16] = []
    var services: [UInt16] = []
    var levels: [UInt8] = []
    var flags: [UInt8] = []
    /// Which levels occur (bit per level) and which nodes (bit per node number modulo 64).
    var levelBits: UInt8 = 0
    var nodeBits: UInt64 = 0

    init(firstSequence: Int) {
        self.firstSequence = firstSequence
        text.reserveCapacity(LogStore.chunkBytes + 4096)
    }

    var count: Int { starts.count }
    var bytes: Int { text.count + count * LogStore.overheadPerLine }

    func messageRange(_ index: Int) -> Range<Int> {
        let start = Int(starts[index])
        let end = index + 1 < starts.count ? Int(starts[index + 1]) - 1 : text.count - 1
        return start..<end
    }
}

struct Storage {
    var chunks: [Chunk] = []
    /// How often each byte occurs in a sample of the newest lines, and when it was counted.
    var frequencies: [Int] = []
    var frequenciesAt = -1
    var nextSequence = 0
    var lineCount = 0
    var bytes = 0
    var dropped = 0
    var unclaimed = 0
    var unparsed = 0
    var newest: Int64?
    var nodes = NameTable()
    var services = NameTable()
    var counters: [UInt32: MinuteCounter] = [:]
    var changedNodes = Set<UInt16>()

    mutating func append(_ line: LogStore.Line, text: [UInt8], received: Int64) {
        if chunks.isEmpty || chunks[chunks.count - 1].text.count >= LogStore.chunkBytes || chunks[chunks.count - 1].count >= LogStore.chunkLines {
            chunks.append(Chunk(firstSequence: nextSequence))
        }
        let node = nodes.number(line.node)
        let service = services.number(line.entry.service ?? "")
        let level = line.entry.level
        var flags = LogRecord.Flags()
        if line.entry.isTruncated { flags.insert(.truncated) }
        if line.entry.parseError != nil { flags.insert(.unparsed); unparsed += 1 }
        if line.unclaimed { flags.insert(.unclaimed); unclaimed += 1 }
        let last = chunks.count - 1
        let before = chunks[last].bytes
        chunks[last].starts.append(UInt32(chunks[last].text.count))
        chunks[last].text.append(contentsOf: text)
        chunks[last].text.append(10)
        chunks[last].received.append(received)
        // A line's own time is believed within a day of its arrival; else its arrival is shown.
        let own = line.entry.time.flatMap { abs($0 - received) < 86_400_000 ? $0 : nil } ?? received
        chunks[last].times.append(own)
        chunks[last].nodes.append(node)
        chunks[last].services.append(service)
        chunks[last].levels.append(level.rawValue)
        chunks[last].flags.append(flags.rawValue)
        chunks[last].levelBits |= 1 << level.rawValue
        chunks[last].nodeBits |= 1 << UInt64(node % 64)
        bytes += chunks[last].bytes - before
        lineCount += 1
        nextSequence += 1
        newest = max(newest ?? received, received)
        counters[UInt32(node) << 16 | UInt32(service), default: MinuteCounter()].add(level, at: received / 1000)
        changedNodes.insert(node)
    }

    mutating func evict(toFit limit: Int) {
        while bytes > limit, chunks.count > 1 {
            let oldest = chunks.removeFirst()
            bytes -= oldest.bytes
            lineCount -= oldest.count
            dropped += oldest.count
        }
        // Counters of (node, service) pairs silent for a minute are forgotten.
        if counters.count > 4096, let newest {
            counters = counters.filter { $0.value.seconds.max() ?? 0 > newest / 1000 - 60 }
        }
    }

    /// The plan made ready for this store: its name filters resolved to numbers, and its literal
    /// search aimed at the bytes rarest in the stored text.
    mutating func tuned(_ plan: LogStore.Plan) -> LogStore.Plan {
        var tuned = plan
        if let wanted = plan.query.nodes {
            tuned.nodeAllowed = nodes.names.map { wanted.contains($0) }
            for name in wanted { if let number = nodes.numbers[name] { tuned.nodeBits |= 1 << UInt64(number % 64) } }
        }
        tuned.serviceAllowed = plan.query.services.map { wanted in services.names.map { wanted.contains($0) } }
        if let matcher = plan.matcher {
            func named(_ names: [String]) -> [Bool]? {
                let hits = names.map { name in
                    var name = name
                    return name.withUTF8 { matcher.matches($0) }
                }
                return hits.contains(true) ? hits : nil
            }
            tuned.namedNodes = named(nodes.names)
            tuned.namedServices = named(services.names)
        }
        guard plan.matcher.map({ $0.literal.count > 2 }) == true, let newest = chunks.last else { return tuned }
        // Counted again after every 64 Ki new lines: what is rare changes slowly.
        if frequencies.isEmpty || nextSequence - frequenciesAt > 65_536 {
            var counts = [Int](repeating: 0, count: 256)
            for byte in newest.text.prefix(64 * 1024) { counts[Int(byte)] += 1 }
            frequencies = counts
            frequenciesAt = nextSequence
        }
        tuned.matcher?.tune(frequencies)
        return tuned
    }

    /// Whether anything in `chunk` can match, from what it holds as a whole.
    func mayMatch(_ chunk: Chunk, _ plan: LogStore.Plan) -> Bool {
        guard chunk.count > 0 else { return false }
        if chunk.received[chunk.count - 1] < plan.since || chunk.received[0] > plan.until {
            // Arrival times only grow within a chunk unless the clock stepped back; then look inside.
            if chunk.received[0] <= chunk.received[chunk.count - 1] { return false }
        }
        if chunk.levelBits >> plan.query.minimumLevel.rawValue == 0 { return false }
        if plan.nodeAllowed != nil, plan.nodeBits & chunk.nodeBits == 0 { return false }
        return true
    }

    /// Indices of the lines of `chunk` in `range` that match, ascending.
    func matches(in chunk: Chunk, _ plan: LogStore.Plan, range: Range<Int>) -> [Int] {
        guard !range.isEmpty else { return [] }
        let nodeAllowed = plan.nodeAllowed, serviceAllowed = plan.serviceAllowed
        let minimum = plan.query.minimumLevel.rawValue
        func passes(_ index: Int) -> Bool {
            if chunk.levels[index] < minimum { return false }
            if let nodeAllowed, !nodeAllowed[Int(chunk.nodes[index])] { return false }
            if let serviceAllowed, !serviceAllowed[Int(chunk.services[index])] { return false }
            let time = chunk.received[index]
            return time >= plan.since && time <= plan.until
        }
        var result: [Int] = []
        guard let matcher = plan.matcher else {
            for index in range where passes(index) { result.append(index) }
            return result
        }
        chunk.text.withUnsafeBufferPointer { text in
            if let automaton = matcher.automaton, matcher.literal.count < 3 {
                // No literal worth looking for first: the automaton reads every byte once.
                var line = range.lowerBound
                let from = Int(chunk.starts[range.lowerBound])
                let to = range.upperBound < chunk.count ? Int(chunk.starts[range.upperBound]) : text.count
                automaton.scan(text, from: from, to: to) { offset in
                    while line + 1 < range.upperBound, Int(chunk.starts[line + 1]) <= offset { line += 1 }
                    if passes(line) { result.append(line) }
                }
                return
            }
            if matcher.literal.isEmpty {
                for index in range where passes(index) {
                    let line = chunk.messageRange(index)
                    if matcher.matches(UnsafeBufferPointer(rebasing: text[line])) { result.append(index) }
                }
                return
            }
            // One pass over the chunk's bytes for the literal; each hit names its line.
            var position = Int(chunk.starts[range.lowerBound])
            let end = range.upperBound < chunk.count ? Int(chunk.starts[range.upperBound]) : text.count
            let bounded = UnsafeBufferPointer(rebasing: text[0..<end])
            var line = range.lowerBound
            while let hit = matcher.find(in: bounded, from: position) {
                // The line the hit is in: the last start at or before it.
                while line + 1 < range.upperBound, Int(chunk.starts[line + 1]) <= hit { line += 1 }
                if passes(line) {
                    if matcher.literalIsExact || matcher.matches(UnsafeBufferPointer(rebasing: text[chunk.messageRange(line)])) {
                        result.append(line)
                    }
                }
                line += 1
                guard line < range.upperBound else { break }
                position = Int(chunk.starts[line])
            }
        }
        // Lines of a node or service the pattern names match too, in order with the rest.
        if plan.namedNodes != nil || plan.namedServices != nil {
            let named = range.filter { index in
                (plan.namedNodes?[Int(chunk.nodes[index])] == true || plan.namedServices?[Int(chunk.services[index])] == true) && passes(index)
            }
            if !named.isEmpty { result = Array(Set(result).union(named)).sorted() }
        }
        return result
    }

    func record(_ chunk: Chunk, _ index: Int) -> LogRecord {
        let range = chunk.messageRange(index)
        let message = chunk.text.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
        return LogRecord(
            sequence: chunk.firstSequence + index,
            time: Date(timeIntervalSince1970: Double(chunk.times[index]) / 1000),
            received: Date(timeIntervalSince1970: Double(chunk.received[index]) / 1000),
            node: nodes.names[Int(chunk.nodes[index])], service: services.names[Int(chunk.services[index])],
            level: LogLevel(rawValue: chunk.levels[index]) ?? .info, message: message,
            flags: LogRecord.Flags(rawValue: chunk.flags[index])
        )
    }
}
