/// Text from outside made safe and visible: bytes that are not UTF-8 become `\xNN`; control
/// characters become their visible pictures (`␛` for ESC), and invisible direction overrides
/// a marked stand-in, so a log line can neither drive the terminal nor lie about what it says.
public enum LogText {
    /// Bytes as text: valid UTF-8 as is, each byte of anything else as `\xNN`.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var result = ""
        var index = bytes.startIndex
        while index < bytes.endIndex {
            // Decode what is valid, escape what is not, so nothing is lost or hidden.
            var end = index + 1
            while end < bytes.endIndex, end - index < 4, String(validating: bytes[index..<end], as: UTF8.self) == nil { end += 1 }
            if let piece = String(validating: bytes[index..<end], as: UTF8.self) {
                result += piece
                index = end
            } else {
                let hex = String(bytes[index], radix: 16, uppercase: false)
                result += "\\x" + (hex.count == 1 ? "0" + hex : hex)
                index += 1
            }
        }
        return result
    }

    /// `text` with every control character replaced by something visible: C0 controls and DEL by
    /// their Unicode control pictures (`␛`, `␇`, `␍`…), C1 controls by `\u{80}`-style escapes,
    /// bidirectional overrides and zero-width characters by `⟦U+202E⟧`. Tabs become a space.
    /// Returns `text` itself when nothing needed replacing.
    public static func visible(_ text: String) -> String {
        var needs = false
        for scalar in text.unicodeScalars where isSuspect(scalar) {
            needs = true
            break
        }
        guard needs else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let value = scalar.value
            switch value {
            case 0x09:
                result.append(" ")
            case 0x00...0x1F:
                result.append(Unicode.Scalar(0x2400 + value) ?? "\u{FFFD}")
            case 0x7F:
                result.append("\u{2421}")
            case 0x80...0x9F:
                result.append(contentsOf: "\\u{\(String(value, radix: 16))}".unicodeScalars)
            case _ where isSuspect(scalar):
                result.append(contentsOf: "⟦U+\(String(value, radix: 16, uppercase: true))⟧".unicodeScalars)
            default:
                result.append(scalar)
            }
        }
        return String(result)
    }

    static func isSuspect(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        // Zero-width characters, direction marks, embeddings, overrides and isolates.
        case 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2069, 0xFEFF: true
        default: false
        }
    }
}
