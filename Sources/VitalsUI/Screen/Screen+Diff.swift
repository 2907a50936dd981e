extension Screen {
    /// A run of changed cells on one row that share a style, ready to be written in one call.
    public struct Run: Sendable, Equatable {
        public var x: Int
        public var y: Int
        public var text: String
        public var style: Style

        public init(x: Int, y: Int, text: String, style: Style) {
            self.x = x
            self.y = y
            self.text = text
            self.style = style
        }
    }

    /// The runs that turn `previous` into this screen. With no previous screen (or a different
    /// size) every cell is a change.
    public func changes(from previous: Screen?) -> [Run] {
        let full = previous?.size != size
        var runs: [Run] = []
        for y in 0..<height {
            var x = 0
            while x < width {
                let cell = self[x, y]
                let changed = full || previous.map { $0[x, y] != cell } ?? true
                guard changed, cell.width != 0 else {
                    x += 1
                    continue
                }
                // Start a run and extend it over following changed cells of the same style.
                var text = String(cell.character)
                let start = x
                x += max(1, Int(cell.width))
                while x < width {
                    let next = self[x, y]
                    if next.width == 0 { x += 1; continue }
                    let nextChanged = full || previous.map { $0[x, y] != next } ?? true
                    guard nextChanged, next.style == cell.style else { break }
                    text.append(next.character)
                    x += max(1, Int(next.width))
                }
                runs.append(Run(x: start, y: y, text: text, style: cell.style))
            }
        }
        return runs
    }
}
