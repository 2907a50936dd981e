/// A table: a header row and rows of cells, with a selected row and a scroll position.
///
/// Rows are made on demand by `row(index)`, and only for the rows on screen, so a table of
/// 50,000 rows costs what a screenful costs.
public struct Table {
    public struct Column {
        public var title: String
        /// Fixed width; `nil` takes what is left (only one column may).
        public var width: Int?
        public var alignRight: Bool

        public init(_ title: String, width: Int?, alignRight: Bool = false) {
            self.title = title
            self.width = width
            self.alignRight = alignRight
        }
    }

    /// One cell's text and its style.
    public struct Item {
        public var text: String
        public var style: Style

        public init(_ text: String, _ style: Style) {
            self.text = text
            self.style = style
        }
    }

    public var columns: [Column]
    public var rowCount: Int
    public var row: (Int) -> [Item]
    public var selected: Int?
    public var scrollTop: Int

    public init(columns: [Column], rowCount: Int, selected: Int?, scrollTop: Int, row: @escaping (Int) -> [Item]) {
        self.columns = columns
        self.rowCount = rowCount
        self.row = row
        self.selected = selected
        self.scrollTop = scrollTop
    }

    /// Draws into `rect`: the header on its first row, rows below.
    public func draw(into screen: inout Screen, rect: Rect, theme: Theme, emptyMessage: String) {
        let widths = resolvedWidths(total: rect.width - 1)
        screen.fill(rect, style: theme[.text])
        var x = rect.x + 1
        screen.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), style: theme[.header])
        for (column, width) in zip(columns, widths) where width > 0 {
            screen.put(column.title.padded(toWidth: width, alignRight: column.alignRight), x: x, y: rect.y, style: theme[.header])
            x += width + 1
        }
        let visible = max(0, rect.height - 1)
        guard rowCount > 0 else {
            screen.put(emptyMessage, x: rect.x + 1, y: rect.y + 1, style: theme[.muted], maxWidth: rect.width - 2)
            return
        }
        let top = max(0, min(scrollTop, rowCount - visible))
        for (offset, index) in (top..<min(rowCount, top + visible)).enumerated() {
            let row = self.row(index)
            let y = rect.y + 1 + offset
            let isSelected = top + offset == selected
            if isSelected { screen.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), style: theme[.selection]) }
            x = rect.x + 1
            for ((column, width), item) in zip(zip(columns, widths), row) where width > 0 {
                let style = isSelected ? theme[.selection] : item.style
                screen.put(item.text.padded(toWidth: width, alignRight: column.alignRight), x: x, y: y, style: style)
                x += width + 1
            }
        }
        if rowCount > visible, visible > 0 {
            let note = " \(min(rowCount, top + visible))/\(rowCount) "
            screen.put(note, x: rect.maxX - note.count - 1, y: rect.y, style: theme[.header])
        }
    }

    /// Column widths for `total` columns of space; fixed columns that do not fit are dropped
    /// from the right, and the flexible column gets the rest.
    func resolvedWidths(total: Int) -> [Int] {
        var widths = columns.map { $0.width ?? 0 }
        var used = columns.indices.reduce(0) { $0 + widths[$1] + 1 }
        var index = columns.count - 1
        while used > total, index >= 0 {
            if columns[index].width != nil, widths[index] > 0 {
                used -= widths[index] + 1
                widths[index] = 0
            }
            index -= 1
        }
        if let flexible = columns.firstIndex(where: { $0.width == nil }) {
            let room = total - used
            widths[flexible] = room >= 8 ? room : 0
        }
        return widths
    }
}
