extension Screen {
    /// The screen as lines of text (continuation cells of wide characters omitted), for tests and
    /// plain-text captures.
    public var lines: [String] {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width where self[x, y].width != 0 { line.append(self[x, y].character) }
            return line
        }
    }

    /// The screen as one string, lines joined by newlines, trailing spaces kept.
    public var text: String { lines.joined(separator: "\n") }

    /// Where two screens differ, as "(x,y): 'a' != 'b'" lines, for test failure messages.
    public func differences(from other: Screen) -> [String] {
        guard size == other.size else { return ["size \(width)x\(height) != \(other.width)x\(other.height)"] }
        var result: [String] = []
        for y in 0..<height {
            for x in 0..<width where self[x, y].character != other[x, y].character {
                result.append("(\(x),\(y)): '\(self[x, y].character)' != '\(other[x, y].character)'")
            }
        }
        return result
    }
}
