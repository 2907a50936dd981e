import CZlib

/// Inflates a gzip body, refusing to grow past `limit` bytes (a small body that inflates to
/// gigabytes is an attack, not an exposition).
enum Gzip {
    enum Failure: Error, CustomStringConvertible {
        case tooLarge(Int)
        case corrupt(String)

        var description: String {
            switch self {
            case .tooLarge(let limit): "gzip body inflates past \(limit / 1_048_576) MB"
            case .corrupt(let why): "gzip body cannot be read: \(why)"
            }
        }
    }

    static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    static func inflate(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("zlib would not start")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var status: Int32 = Z_OK
        var input = input
        try input.withUnsafeMutableBufferPointer { (source: inout UnsafeMutableBufferPointer<UInt8>) throws(Failure) in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return target.count - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw .corrupt(stream.msg.map { String(cString: $0) } ?? "error \(status)")
                }
                output.append(contentsOf: chunk[0..<produced])
                guard output.count <= limit else { throw .tooLarge(limit) }
                if produced == 0 && stream.avail_in == 0 && status != Z_STREAM_END { throw .corrupt("the body ends too early") }
            } while status != Z_STREAM_END
        }
        return output
    }
}
