extension Character {
    /// Columns the character takes in a terminal, as ncursesw counts them (the C library's
    /// `wcwidth` of its first scalar, from the generated tables): 2 for East Asian wide and most
    /// emoji, 0 for combining marks and format characters, 1 otherwise.
    public var terminalWidth: Int {
        guard let scalar = unicodeScalars.first else { return 0 }
        let value = scalar.value
        if value >= 0x20 && value < 0x7F { return 1 }
        if Self.contains(Self.zeroWidthRanges, value) { return 0 }
        if Self.contains(Self.wideRanges, value) { return 2 }
        return 1
    }

    /// Whether the C library can print it; one that cannot would make ncurses draw an escape of
    /// its own and shift the row, so the screen shows U+FFFD instead.
    public var isTerminalPrintable: Bool {
        guard let value = unicodeScalars.first?.value else { return false }
        if value >= 0x20 && value < 0x7F { return true }
        return !Self.contains(Self.unprintableRanges, value)
    }

    /// Binary search of sorted, disjoint ranges.
    private static func contains(_ ranges: [ClosedRange<UInt32>], _ value: UInt32) -> Bool {
        var low = 0, high = ranges.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if value < ranges[middle].lowerBound {
                high = middle - 1
            } else if value > ranges[middle].upperBound {
                low = middle + 1
            } else {
                return true
            }
        }
        return false
    }
}

extension String {
    /// Columns the text takes in a terminal.
    public var terminalWidth: Int { reduce(0) { $0 + $1.terminalWidth } }

    /// The text cut to at most `width` columns by taking out its middle (`postgr…primary`), so
    /// names that differ at the end stay apart.
    public func truncatedInTheMiddle(toWidth width: Int) -> String {
        guard terminalWidth > width else { return self }
        guard width >= 5 else { return truncated(toWidth: width) }
        let characters = Array(self)
        var tail: [Character] = []
        var tailWidth = 0
        for character in characters.reversed() {
            if tailWidth + character.terminalWidth > (width - 1) / 2 { break }
            tail.insert(character, at: 0)
            tailWidth += character.terminalWidth
        }
        var head = ""
        var headWidth = 0
        for character in characters {
            if headWidth + character.terminalWidth > width - 1 - tailWidth { break }
            head.append(character)
            headWidth += character.terminalWidth
        }
        return head + "…" + String(tail)
    }

    /// The text cut to at most `width` columns, ending in `…` when it was cut.
    public func truncated(toWidth width: Int) -> String {
        guard width > 0 else { return "" }
        guard terminalWidth > width else { return self }
        var result = ""
        var used = 0
        for character in self {
            let w = character.terminalWidth
            if used + w > width - 1 { break }
            result.append(character)
            used += w
        }
        return result + "…"
    }

    /// The text padded with spaces (or cut) to exactly `width` columns.
    public func padded(toWidth width: Int, alignRight: Bool = false) -> String {
        let cut = truncated(toWidth: width)
        let room = max(0, width - cut.terminalWidth)
        let fill = String(repeating: " ", count: room)
        return alignRight ? fill + cut : cut + fill
    }
}
