/// Bits written one field at a time into 64-bit words, and read back the same way.
struct BitBuffer: Sendable, Equatable {
    private(set) var words: [UInt64] = []
    private(set) var count = 0

    mutating func write(_ value: UInt64, bits: Int) {
        guard bits > 0 else { return }
        let value = bits == 64 ? value : value & ((1 << UInt64(bits)) - 1)
        let used = count & 63
        if used == 0 { words.append(0) }
        let free = 64 - used
        if bits <= free {
            words[words.count - 1] |= value << UInt64(free - bits)
        } else {
            words[words.count - 1] |= value >> UInt64(bits - free)
            words.append(value << UInt64(64 - (bits - free)))
        }
        count += bits
    }

    mutating func writeBit(_ bit: Bool) { write(bit ? 1 : 0, bits: 1) }

    /// Bytes held: the words allocated (growth slack included) and the array's header.
    var byteCount: Int { words.capacity * 8 + (words.capacity > 0 ? 32 : 0) }

    struct Reader {
        let buffer: BitBuffer
        var position = 0

        var remaining: Int { buffer.count - position }

        mutating func read(_ bits: Int) -> UInt64 {
            guard bits > 0 else { return 0 }
            let word = position >> 6
            let used = position & 63
            let free = 64 - used
            var value: UInt64
            if bits <= free {
                value = (buffer.words[word] << UInt64(used)) >> UInt64(64 - bits)
            } else {
                let high = (buffer.words[word] << UInt64(used)) >> UInt64(used)
                value = (high << UInt64(bits - free)) | (buffer.words[word + 1] >> UInt64(64 - (bits - free)))
            }
            position += bits
            return value
        }

        mutating func readBit() -> Bool { read(1) == 1 }
    }
}

/// A series' values, compressed as Gorilla (Facebook, VLDB 2015) does: each value XORed with the
/// one before, and only the bits that differ kept — a repeated value costs one bit. Timestamps
/// are not here: every series of one scrape shares its time, kept once per scrape by the store.
public struct ValueStream: Sendable, Equatable {
    private var bits = BitBuffer()
    private var previous: UInt64 = 0
    private var leading = -1
    private var trailing = 0
    public private(set) var count = 0

    public init() {}

    /// Bytes the stream holds.
    public var byteCount: Int { bits.byteCount }

    public mutating func append(_ value: Double) {
        let current = value.bitPattern
        defer {
            previous = current
            count += 1
        }
        guard count > 0 else {
            bits.write(current, bits: 64)
            return
        }
        let xor = current ^ previous
        guard xor != 0 else {
            bits.writeBit(false)
            return
        }
        bits.writeBit(true)
        let newLeading = min(31, xor.leadingZeroBitCount)
        let newTrailing = xor.trailingZeroBitCount
        if leading >= 0, newLeading >= leading, newTrailing >= trailing {
            // Fits the previous window: reuse it.
            bits.writeBit(false)
            bits.write(xor >> UInt64(trailing), bits: 64 - leading - trailing)
        } else {
            bits.writeBit(true)
            let meaningful = 64 - newLeading - newTrailing
            bits.write(UInt64(newLeading), bits: 5)
            bits.write(UInt64(meaningful - 1), bits: 6)
            bits.write(xor >> UInt64(newTrailing), bits: meaningful)
            leading = newLeading
            trailing = newTrailing
        }
    }

    /// Every value, oldest first.
    public var values: [Double] {
        var result: [Double] = []
        result.reserveCapacity(count)
        var reader = BitBuffer.Reader(buffer: bits)
        var value: UInt64 = 0
        var leading = 0, trailing = 0
        for index in 0..<count {
            if index == 0 {
                value = reader.read(64)
            } else if reader.readBit() {
                if reader.readBit() {
                    leading = Int(reader.read(5))
                    let meaningful = Int(reader.read(6)) + 1
                    trailing = 64 - leading - meaningful
                }
                let meaningful = 64 - leading - trailing
                value ^= reader.read(meaningful) << UInt64(trailing)
            }
            result.append(Double(bitPattern: value))
        }
        return result
    }
}
