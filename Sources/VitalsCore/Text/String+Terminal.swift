extension String {
    /// The text with every control character (C0, DEL, C1, and the escape that starts terminal
    /// sequences) replaced by a visible stand-in, so text from the network can never drive a terminal.
    ///
    /// Tabs become a space; newlines become `⏎` so one-line views stay on one line.
    public var sanitizedForTerminal: String {
        var result = String.UnicodeScalarView()
        var changed = false
        for scalar in unicodeScalars {
            switch scalar.value {
            case 0x09:
                result.append(" "); changed = true
            case 0x0A:
                result.append("⏎"); changed = true
            case 0x00...0x1F, 0x7F...0x9F:
                result.append("\u{FFFD}"); changed = true
            case 0x200B...0x200F, 0x202A...0x202E, 0x2066...0x2069:
                // Zero-width and bidirectional controls would make the screen lie about what it shows.
                result.append("\u{FFFD}"); changed = true
            default:
                result.append(scalar)
            }
        }
        return changed ? String(result) : self
    }
}

extension String {
    /// Like `sanitizedForTerminal`, but keeps line breaks: for reports of several lines.
    public var sanitizedForTerminalKeepingLines: String {
        split(separator: "\n", omittingEmptySubsequences: false).map { String($0).sanitizedForTerminal }.joined(separator: "\n")
    }
}
