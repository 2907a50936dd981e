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
}
