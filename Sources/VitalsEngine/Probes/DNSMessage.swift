import Foundation

/// DNS queries and answers on the wire (RFC 1035), for `dns` checks: one question out, the
/// answer section read back with name compression, the common record types as text.
public enum DNSMessage {
    /// Record types a check can ask for.
    public static let types: [String: UInt16] = ["A": 1, "NS": 2, "CNAME": 5, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33]

    public struct Problem: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// What came back: the response code's name and the answers of the asked type, as text.
    public struct Answer: Equatable, Sendable {
        public var code: String
        public var records: [String]
    }

    /// A query for `name` of `type`, asking for recursion.
    public static func query(id: UInt16, name: String, type: UInt16) throws(Problem) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".", omittingEmptySubsequences: true) {
            let utf8 = Array(label.utf8)
            guard utf8.count <= 63 else { throw Problem(description: "the label '\(label)' is longer than 63 bytes") }
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        guard bytes.count - 12 <= 254 else { throw Problem(description: "the name is longer than 255 bytes") }
        bytes.append(0)
        bytes += [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        return bytes
    }

    /// Reads an answer to the query `id` for records of `type`.
    public static func answer(_ bytes: [UInt8], id: UInt16, type: UInt16) throws(Problem) -> Answer {
        var reader = Reader(bytes: bytes)
        guard bytes.count >= 12 else { throw Problem(description: "an answer of \(bytes.count) bytes is too short") }
        guard reader.u16(at: 0) == id else { throw Problem(description: "the answer is for another query") }
        let flags = reader.u16(at: 2)
        guard flags & 0x8000 != 0 else { throw Problem(description: "not an answer (QR is 0)") }
        let codes = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]
        let rcode = Int(flags & 0x000F)
        let code = rcode < codes.count ? codes[rcode] : "RCODE \(rcode)"
        if flags & 0x0200 != 0 { throw Problem(description: "the answer was truncated (TC): too big for UDP") }
        let questions = Int(reader.u16(at: 4)), answers = Int(reader.u16(at: 6))
        reader.index = 12
        for _ in 0..<questions {
            _ = try reader.name()
            reader.index += 4
        }
        var records: [String] = []
        for _ in 0..<answers {
            _ = try reader.name()
            guard reader.index + 10 <= bytes.count else { throw Problem(description: "an answer record is cut short") }
            let recordType = reader.u16(at: reader.index)
            let length = Int(reader.u16(at: reader.index + 8))
            reader.index += 10
            let end = reader.index + length
            guard end <= bytes.count else { throw Problem(description: "an answer record is cut short") }
            if recordType == type { records.append(try reader.rdata(type: recordType, end: end)) }
            reader.index = end
        }
        return Answer(code: code, records: records)
    }

    struct Reader {
        let bytes: [UInt8]
        var index = 0

        func u16(at offset: Int) -> UInt16 { UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]) }

        /// A name at `index`, following compression pointers (at most 32 of them).
        mutating func name() throws(Problem) -> String {
            var labels: [String] = []
            var position = index
            var jumped = false
            var jumps = 0
            while true {
                guard position < bytes.count else { throw Problem(description: "a name runs past the end") }
                let length = Int(bytes[position])
                if length & 0xC0 == 0xC0 {
                    guard position + 1 < bytes.count, jumps < 32 else { throw Problem(description: "a name's pointers loop or run past the end") }
                    if !jumped { index = position + 2 }
                    position = Int(u16(at: position) & 0x3FFF)
                    jumped = true
                    jumps += 1
                    continue
                }
                if length == 0 {
                    if !jumped { index = position + 1 }
                    return labels.isEmpty ? "." : labels.joined(separator: ".")
                }
                guard position + 1 + length <= bytes.count else { throw Problem(description: "a label runs past the end") }
                labels.append(String(decoding: bytes[(position + 1)...(position + length)], as: UTF8.self))
                position += 1 + length
            }
        }

        mutating func rdata(type: UInt16, end: Int) throws(Problem) -> String {
            switch type {
            case 1:
                guard end - index == 4 else { throw Problem(description: "an A record is not 4 bytes") }
                return bytes[index..<end].map(String.init).joined(separator: ".")
            case 28:
                guard end - index == 16 else { throw Problem(description: "an AAAA record is not 16 bytes") }
                var address = in6_addr()
                withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes[index..<end]) }
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                return String(cString: text)
            case 2, 5:
                return try name()
            case 15:
                let preference = u16(at: index)
                index += 2
                return "\(preference) \(try name())"
            case 33:
                guard end - index >= 7 else { throw Problem(description: "an SRV record is too short") }
                let priority = u16(at: index), weight = u16(at: index + 2), port = u16(at: index + 4)
                index += 6
                return "\(priority) \(weight) \(port) \(try name())"
            case 16:
                var strings: [String] = []
                var position = index
                while position < end {
                    let length = Int(bytes[position])
                    guard position + 1 + length <= end else { throw Problem(description: "a TXT string runs past its record") }
                    strings.append(String(decoding: bytes[(position + 1)..<(position + 1 + length)], as: UTF8.self))
                    position += 1 + length
                }
                return strings.joined()
            default:
                return bytes[index..<end].map { String($0, radix: 16) }.joined(separator: " ")
            }
        }
    }
}
