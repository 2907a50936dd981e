/// A terminal colour: the terminal's own default, one of the 256 indexed colours, or 24-bit RGB
/// (which a backend maps down to what the terminal can show).
public enum Color: Sendable, Hashable {
    case `default`
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    /// The eight ANSI names (and `bright-` variants) that themes may use.
    public static let names: [String: Color] = {
        let base = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
        var result: [String: Color] = ["default": .default, "gray": .indexed(8), "grey": .indexed(8)]
        for (index, name) in base.enumerated() {
            result[name] = .indexed(UInt8(index))
            result["bright-\(name)"] = .indexed(UInt8(index + 8))
        }
        return result
    }()

    /// Parses `default`, an ANSI name, `#rrggbb`, or a number 0–255.
    public init?(text: String) {
        let lowered = text.lowercased()
        if let named = Self.names[lowered] {
            self = named
        } else if lowered.hasPrefix("#"), lowered.count == 7, let value = UInt32(lowered.dropFirst(), radix: 16) {
            self = .rgb(UInt8(value >> 16), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF))
        } else if let index = Int(lowered), (0...255).contains(index) {
            self = .indexed(UInt8(index))
        } else {
            return nil
        }
    }
}

/// How a cell is drawn: colours and attributes.
public struct Style: Sendable, Hashable {
    public struct Attributes: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let bold = Attributes(rawValue: 1)
        public static let dim = Attributes(rawValue: 2)
        public static let underline = Attributes(rawValue: 4)
        public static let reverse = Attributes(rawValue: 8)
    }

    public var foreground: Color
    public var background: Color
    public var attributes: Attributes

    public init(foreground: Color = .default, background: Color = .default, attributes: Attributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    public static let plain = Style()

    /// This style with `other`'s background when this one has none.
    public func over(_ other: Style) -> Style {
        var result = self
        if background == .default { result.background = other.background }
        return result
    }
}
