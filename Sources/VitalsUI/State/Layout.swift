/// Where the parts of the dashboard go for a terminal size.
public struct Layout: Sendable, Equatable {
    /// The smallest terminal the dashboard draws in; smaller ones get a message.
    public static let minimum = Size(width: 60, height: 15)

    public var header: Rect
    public var tabs: Rect
    public var content: Rect
    public var footer: Rect

    public init(size: Size) {
        header = Rect(x: 0, y: 0, width: size.width, height: 1)
        tabs = Rect(x: 0, y: 1, width: size.width, height: 1)
        content = Rect(x: 0, y: 2, width: size.width, height: size.height - 3)
        footer = Rect(x: 0, y: size.height - 1, width: size.width, height: 1)
    }

    /// The pane whose tab label covers column `x` of the tabs row (` 1 Services `, ` 2 Nodes `, ` 4 Alerts `).
    /// - Parameter firing: the count the Alerts tab shows (its width depends on it).
    /// - Parameter capacity: the services whose advice wants a change, or nil when the Capacity
    ///   tab is not shown (the file has no scaling policy).
    public static func tab(at x: Int, firing: Int = 0, capacity: Int? = nil) -> Pane? {
        var start = 1
        for pane in Pane.shown(capacity: capacity != nil) {
            let count = pane == .alerts && firing > 0 ? " \(firing)" : pane == .capacity && (capacity ?? 0) > 0 ? " \(capacity ?? 0)" : ""
            let width = " \(pane.key) \(pane.rawValue)\(count) ".count
            if x >= start && x < start + width { return pane }
            start += width + 1
        }
        return nil
    }

    /// The screen row of the fault menu's first entry.
    public static func faultMenuTop(items: Int, size: Size) -> Int {
        max(0, (size.height - (items + 4)) / 2) + 2
    }

    public static func fits(_ size: Size) -> Bool { size.width >= minimum.width && size.height >= minimum.height }

    /// The smallest terminal the Services pane becomes an overview in.
    public static let overviewMinimum = Size(width: 160, height: 48)

    /// Where the overview's four parts go in `content`: services (top left, the most room),
    /// recent logs under them, alerts (top right) and locks under them. Each part's first row is
    /// its title.
    public struct Overview: Sendable, Equatable {
        public var services: Rect
        public var logs: Rect
        public var alerts: Rect
        public var locks: Rect

        public init(content: Rect) {
            let leftWidth = max(100, content.width * 3 / 5)
            let rightWidth = content.width - leftWidth - 1
            let servicesHeight = content.height * 3 / 5
            let alertsHeight = content.height / 2
            services = Rect(x: content.x, y: content.y, width: leftWidth, height: servicesHeight)
            logs = Rect(x: content.x, y: content.y + servicesHeight, width: leftWidth, height: content.height - servicesHeight)
            alerts = Rect(x: content.x + leftWidth + 1, y: content.y, width: rightWidth, height: alertsHeight)
            locks = Rect(x: content.x + leftWidth + 1, y: content.y + alertsHeight, width: rightWidth, height: content.height - alertsHeight)
        }
    }
}
