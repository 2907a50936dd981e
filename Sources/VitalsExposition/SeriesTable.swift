import Foundation

/// Interns series identities: each distinct `name{labels}` text gets a small number once, and a
/// scrape that meets the same series again finds it by hashing its bytes, with no `String` and no
/// `Dictionary` made. Keys live back to back in one byte arena; lookups are open addressing.
///
/// Identity is the series' text as the exposition writes it (name and label block, byte for
/// byte): an exporter writes its labels in the same order every time, so one text is one series.
public struct SeriesTable: Sendable {
    /// Where an interned key sits in the arena, and the parts of it.
    struct Entry: Sendable {
        var offset: Int
        var length: Int
        var nameLength: Int
        var hash: UInt64
    }

    private(set) var arena: [UInt8] = []
    private(set) var entries: [Entry] = []
    var buckets: [Int32]
    var mask: Int

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        buckets = Array(repeating: -1, count: size)
        mask = size - 1
    }

    /// How many series are interned.
    public var count: Int { entries.count }

    /// Bytes the table holds (arena, entries and buckets), for a self-stats line.
    public var memoryBytes: Int {
        arena.capacity + entries.capacity * MemoryLayout<Entry>.stride + buckets.count * MemoryLayout<Int32>.stride
    }

    /// The number of the series whose text is `key` (the first `nameLength` bytes its name),
    /// interning it when new.

    public mutating func intern(_ key: UnsafeRawBufferPointer, nameLength: Int) -> Int32 {
        intern(key, nameLength: nameLength, hash: Self.hash(key))
    }

    /// `intern` with the key's `hash` already computed.
    mutating func intern(_ key: UnsafeRawBufferPointer, nameLength: Int, hash: UInt64) -> Int32 {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let id = buckets[slot]
            if id < 0 { break }
            if matches(Int(id), key, hash) { return id }
            slot = (slot + 1) & mask
        }
        let id = Int32(entries.count)
        entries.append(Entry(offset: arena.count, length: key.count, nameLength: nameLength, hash: hash))
        arena.append(contentsOf: key)
        buckets[slot] = id
        if entries.count * 2 > buckets.count { grow() }
        return id
    }


    func matches(_ id: Int, _ key: UnsafeRawBufferPointer, _ hash: UInt64) -> Bool {
        let entry = entries[id]
        guard entry.hash == hash, entry.length == key.count else { return false }
        return arena.withUnsafeBytes { stored in
            memcmp(stored.baseAddress! + entry.offset, key.baseAddress!, key.count) == 0
        }
    }

    /// Forgets the series interned from number `count` on (a scrape refused whole).
    public mutating func truncate(to count: Int) {
        guard count < entries.count else { return }
        let arenaEnd = count == 0 ? 0 : entries[count - 1].offset + entries[count - 1].length
        entries.removeSubrange(count...)
        arena.removeSubrange(arenaEnd...)
        rehash(size: buckets.count)
    }

    /// A table of only the series `keep` says, in their order; `mapping[old]` is each one's new
    /// number, -1 for those left out. The rest are forgotten: a churning target's dead series.
    public func keeping(_ keep: (Int32) -> Bool) -> (table: SeriesTable, mapping: [Int32]) {
        var kept = SeriesTable(capacity: 16)
        var mapping = [Int32](repeating: -1, count: entries.count)
        arena.withUnsafeBytes { stored in
            for (id, entry) in entries.enumerated() where keep(Int32(id)) {
                let key = UnsafeRawBufferPointer(rebasing: stored[entry.offset..<entry.offset + entry.length])
                mapping[id] = kept.intern(key, nameLength: entry.nameLength, hash: entry.hash)
            }
        }
        return (kept, mapping)
    }

    private mutating func grow() { rehash(size: buckets.count * 2) }

    private mutating func rehash(size: Int) {
        buckets = Array(repeating: -1, count: size)
        mask = size - 1
        for (id, entry) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.hash) & mask
            while buckets[slot] >= 0 { slot = (slot + 1) & mask }
            buckets[slot] = Int32(id)
        }
    }

    /// The metric name of series `id` (from inside the braces when it is quoted there).
    public func name(_ id: Int32) -> String {
        let entry = entries[Int(id)]
        guard entry.nameLength == 0 else {
            return String(decoding: arena[entry.offset..<entry.offset + entry.nameLength], as: UTF8.self)
        }
        return Self.parseLabelBlock(Array(arena[entry.offset..<entry.offset + entry.length])).quotedName ?? ""
    }

    /// The labels of series `id`, decoded (escapes undone) on demand.
    public func labels(_ id: Int32) -> [String: String] {
        let entry = entries[Int(id)]
        return Self.parseLabelBlock(Array(arena[entry.offset + entry.nameLength..<entry.offset + entry.length])).labels
    }

    /// `{a="x",b="y\"z"}` → ["a": "x", "b": "y\"z"], and a quoted metric name standing alone as
    /// the first item (`{"my.metric", a="x"}`). The block was checked when it was parsed.
    static func parseLabelBlock(_ block: [UInt8]) -> (quotedName: String?, labels: [String: String]) {
        var labels: [String: String] = [:]
        var quotedName: String?
        var index = 1
        func skipBlanks() { while index < block.count, block[index] == UInt8(ascii: " ") || block[index] == UInt8(ascii: "\t") { index += 1 } }
        func quoted() -> String {
            index += 1
            var value: [UInt8] = []
            while index < block.count, block[index] != UInt8(ascii: "\"") {
                if block[index] == UInt8(ascii: "\\"), index + 1 < block.count {
                    value.append(block[index + 1] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : block[index + 1])
                    index += 2
                } else {
                    value.append(block[index])
                    index += 1
                }
            }
            index += 1
            return String(decoding: value, as: UTF8.self)
        }
        while true {
            skipBlanks()
            guard index < block.count, block[index] != UInt8(ascii: "}") else { break }
            var name: String
            if block[index] == UInt8(ascii: "\"") {
                name = quoted()
            } else {
                let start = index
                while index < block.count, block[index] != UInt8(ascii: "="), block[index] != UInt8(ascii: " ") { index += 1 }
                name = String(decoding: block[start..<index], as: UTF8.self)
            }
            skipBlanks()
            if index < block.count, block[index] == UInt8(ascii: "=") {
                index += 1
                skipBlanks()
                labels[name] = quoted()
            } else {
                quotedName = name
            }
            skipBlanks()
            if index < block.count, block[index] == UInt8(ascii: ",") { index += 1 }
        }
        return (quotedName, labels)
    }

    /// A fast 64-bit hash of bytes, eight at a time (a multiply-and-fold mix).

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            h = (h ^ word).multipliedFullWidth(by: 0xBF58_476D_1CE4_E5B9).low &+ (h >> 29)
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }
}
