/// A table: a header row and rows of cells, with a selected row and a scroll position.
///
/// Rows are made on demand by `row(index)`, and only for the rows on screen, so a table of
/// 50,000 rows costs what a screenful costs. Columns are as wide as the text on screen needs
/// (between their minimum and maximum); when the terminal is too narrow, names truncate first,
/// then the least needed columns go, and the column that says why is kept to the last.
public struct Table {
    public struct Column {
        public var title: String
        public var alignRight: Bool
        /// The narrowest it is made before it is dropped.
        public var minimum: Int
        /// The widest it grows for its text; nil for the column that says why, which takes what
        /// is left (only one column may).
        public var maximum: Int?
        /// Names give up width first when space is short; other columns keep theirs until dropped.
        public var shrinks: Bool
        /// When even the minimum widths do not fit, columns go from the highest rank down; nil:
        /// never dropped.
        public var dropRank: Int?

        /// A column of exactly `width` (nil: the one that takes what is left), dropped from the
        /// right when space is short.
        public init(_ title: String, width: Int?, alignRight: Bool = false) {
            self.title = title
            self.alignRight = alignRight
            minimum = width ?? 8
            maximum = width
            shrinks = false
            dropRank = width == nil ? nil : 0
        }

        public init(_ title: String, minimum: Int, maximum: Int?, alignRight: Bool = false, shrinks: Bool = false, dropRank: Int? = nil) {
            self.title = title
            self.alignRight = alignRight
            self.minimum = minimum
            self.maximum = maximum
            self.shrinks = shrinks
            self.dropRank = dropRank
        }

        /// A name: as wide as the names on screen up to `maximum`, truncated down to `minimum`
        /// before anything else gives way.
        public static func name(_ title: String, _ range: ClosedRange<Int>) -> Column {
            Column(title, minimum: range.lowerBound, maximum: range.upperBound, shrinks: true)
        }

        /// A value: as wide as its text up to `maximum`; `drop` ranks it for dropping (nil: kept).
        public static func value(_ title: String, _ range: ClosedRange<Int>, right: Bool = false, drop: Int? = nil) -> Column {
            Column(title, minimum: range.lowerBound, maximum: range.upperBound, alignRight: right, dropRank: drop)
        }

        /// The column that says why: everything left over, but never less than `minimum`.
        public static func reason(_ title: String, minimum: Int = 16) -> Column {
            Column(title, minimum: minimum, maximum: nil)
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

    /// Which column the rows are sorted by, and which way: its title is marked.
    public struct SortMark: Sendable, Equatable {
        public var column: String
        public var descending: Bool

        public init(column: String, descending: Bool) {
            self.column = column
            self.descending = descending
        }
    }

    public var columns: [Column]
    public var rowCount: Int
    public var row: (Int) -> [Item]
    public var selected: Int?
    public var scrollTop: Int
    public var sort: SortMark?

    public init(columns: [Column], rowCount: Int, selected: Int?, scrollTop: Int, sort: SortMark? = nil, row: @escaping (Int) -> [Item]) {
        self.columns = columns
        self.rowCount = rowCount
        self.row = row
        self.selected = selected
        self.scrollTop = scrollTop
        self.sort = sort
    }

    /// Draws into `rect`: the header on its first row, rows below.
    public func draw(into screen: inout Screen, rect: Rect, theme: Theme, emptyMessage: String) {
        let visible = max(0, rect.height - 1)
        let top = max(0, min(scrollTop, rowCount - visible))
        let shown = rowCount > 0 ? (top..<min(rowCount, top + visible)).map { (index: $0, items: row($0)) } : []
        let titles = columns.map { column in
            guard let sort, sort.column == column.title else { return column.title }
            return column.title + (sort.descending ? "▼" : "▲")
        }
        var natural = titles.map(\.terminalWidth)
        for (_, items) in shown {
            for (index, item) in items.enumerated() where index < natural.count {
                natural[index] = max(natural[index], item.text.terminalWidth)
            }
        }
        let widths = resolvedWidths(total: rect.width - 1, natural: natural)
        screen.fill(rect, style: theme[.text])
        var x = rect.x + 1
        screen.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), style: theme[.header])
        var titlesEnd = x
        for (index, width) in widths.enumerated() where width > 0 {
            let title = titles[index]
            screen.put(title.padded(toWidth: width, alignRight: columns[index].alignRight), x: x, y: rect.y, style: theme[.header])
            titlesEnd = x + min(width, title.terminalWidth)
            if columns[index].alignRight { titlesEnd = x + width }
            x += width + 1
        }
        guard rowCount > 0 else {
            screen.put(emptyMessage, x: rect.x + 1, y: rect.y + 1, style: theme[.muted], maxWidth: rect.width - 2)
            return
        }
        for (offset, (index, items)) in shown.enumerated() {
            let y = rect.y + 1 + offset
            let isSelected = index == selected
            if isSelected { screen.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), style: theme[.selection]) }
            x = rect.x + 1
            for ((column, width), item) in zip(zip(columns, widths), items) where width > 0 {
                let style = isSelected ? theme[.selection] : item.style
                // Names lose their middle, so `api-gateway-1` and `-2` stay apart: `api-…way-1`.
                let text = column.shrinks ? item.text.truncatedInTheMiddle(toWidth: width) : item.text
                screen.put(text.padded(toWidth: width, alignRight: column.alignRight), x: x, y: y, style: style)
                x += width + 1
            }
        }
        // Where the list is, at the header's right end, only where no title is.
        if rowCount > visible, visible > 0 {
            let note = " \(min(rowCount, top + visible))/\(rowCount) "
            let noteX = rect.maxX - note.count - 1
            if noteX > titlesEnd { screen.put(note, x: noteX, y: rect.y, style: theme[.header]) }
        }
    }

    /// Names are cut to this width before any column is dropped.
    static let readableName = 14

    /// Column widths for `total` columns of space, given the width each column's text wants.
    /// A width of 0 means the column is not drawn.
    func resolvedWidths(total: Int, natural: [Int]? = nil) -> [Int] {
        let natural = natural ?? columns.map { $0.maximum ?? $0.minimum }
        var widths = columns.indices.map { index -> Int in
            let column = columns[index]
            let wanted = max(column.minimum, index < natural.count ? natural[index] : 0)
            return column.maximum.map { min($0, wanted) } ?? wanted
        }
        let reason = columns.firstIndex { $0.maximum == nil }
        // The space needed with the reason column at its minimum (it takes the rest later).
        func needed() -> Int {
            widths.indices.reduce(0) { sum, index in
                guard widths[index] > 0 else { return sum }
                return sum + (index == reason ? columns[index].minimum : widths[index]) + 1
            }
        }
        // Names first, the widest first, down to a width that still reads; then whole columns,
        // the least needed first; then names down to their minimum.
        func shrinkNames(to floor: (Column) -> Int) {
            while needed() > total {
                let candidates = widths.indices.filter { columns[$0].shrinks && widths[$0] > floor(columns[$0]) }
                guard let widest = candidates.max(by: { widths[$0] < widths[$1] }) else { break }
                widths[widest] -= 1
            }
        }
        func drop(ranksFrom lowest: Int) {
            while needed() > total {
                let candidates = widths.indices.filter { widths[$0] > 0 && (columns[$0].dropRank ?? -1) >= lowest }
                guard let least = candidates.max(by: { (columns[$0].dropRank ?? 0, $0) < (columns[$1].dropRank ?? 0, $1) }) else { break }
                widths[least] = 0
            }
        }
        // Rank 1 is for columns worth names cut short: they go last.
        shrinkNames { max($0.minimum, Self.readableName) }
        drop(ranksFrom: 2)
        shrinkNames { $0.minimum }
        drop(ranksFrom: 0)
        if let reason {
            let others = widths.indices.reduce(0) { $0 + ($1 == reason || widths[$1] == 0 ? 0 : widths[$1] + 1) }
            let room = total - others - 1
            widths[reason] = room >= 4 ? room : 0
        } else {
            // Without a reason column, the last one shown gives up what does not fit.
            while needed() > total, let last = widths.lastIndex(where: { $0 > 0 }) {
                widths[last] = max(0, widths[last] - (needed() - total))
            }
        }
        return widths
    }
}
