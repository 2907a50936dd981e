import VitalsCore

/// A position and size on the screen, in cells.
public struct Rect: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

}

/// Terminal dimensions.
public struct Size: Sendable, Equatable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// One cell: a character, its display width, and its style.
///
/// A wide character occupies its cell and a continuation cell (width 0) to its right.
public struct Cell: Sendable, Equatable {
    public var character: Character
    public var width: UInt8
    public var style: Style

    public init(_ character: Character, width: UInt8 = 1, style: Style = .plain) {
        self.character = character
        self.width = width
        self.style = style
    }

    public static let blank = Cell(" ")
    static let continuation = Cell(" ", width: 0)
}

/// A grid of cells that panes draw into; a terminal backend shows it, a test reads it as text.
///
/// Every write is clipped to the grid and every string is made safe for a terminal first, so no
/// drawing code can put a control character on the screen.
public struct Screen: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: fill, count: self.width * self.height)
    }

    public var size: Size { Size(width: width, height: height) }
    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Fills `rect` with spaces in `style`.
    public mutating func fill(_ rect: Rect, style: Style) {
        let cell = Cell(" ", style: style)
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) { self[x, y] = cell }
        }
    }

    /// Writes `text` from (x, y), clipped to `maxWidth` columns and the screen.
    /// - Returns: the column after the last cell written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height else { return x }
        let limit = min(width, x + (maxWidth ?? width))
        var column = x
        for original in text.sanitizedForTerminal {
            let character: Character = original.isTerminalPrintable ? original : "\u{FFFD}"
            let w = character.terminalWidth
            if w == 0 { continue }
            if column + w > limit { break }
            if column >= 0 {
                clearWide(at: column, y: y)
                self[column, y] = Cell(character, width: UInt8(w), style: style)
                if w == 2 {
                    clearWide(at: column + 1, y: y)
                    self[column + 1, y] = Cell(" ", width: 0, style: style)
                }
            }
            column += w
        }
        return column
    }

    /// Before overwriting a cell, blank the other half of a wide character it belongs to.
    private mutating func clearWide(at x: Int, y: Int) {
        let cell = self[x, y]
        if cell.width == 2, x + 1 < width {
            self[x + 1, y] = Cell(" ", style: cell.style)
        } else if cell.width == 0, x > 0, self[x - 1, y].width == 2 {
            self[x - 1, y] = Cell(" ", style: self[x - 1, y].style)
        }
    }

    /// Draws a single-line box around `rect` with an optional title.
    public mutating func box(_ rect: Rect, style: Style, title: String? = nil, titleStyle: Style? = nil) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let horizontal = String(repeating: "─", count: rect.width - 2)
        put("┌" + horizontal + "┐", x: rect.x, y: rect.y, style: style)
        put("└" + horizontal + "┘", x: rect.x, y: rect.maxY - 1, style: style)
        for y in rect.y + 1..<rect.maxY - 1 {
            put("│", x: rect.x, y: y, style: style)
            put("│", x: rect.maxX - 1, y: y, style: style)
        }
        if let title, rect.width > 6 {
            put(" \(title) ", x: rect.x + 2, y: rect.y, style: titleStyle ?? style, maxWidth: rect.width - 4)
        }
    }
}
