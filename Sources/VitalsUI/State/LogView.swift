import Foundation
import VitalsCore

/// What the Logs pane remembers: whether it follows the newest line, where it is when it does
/// not, the filters, the search, and how long lines are shown.
public struct LogViewState: Sendable, Equatable {
    /// New lines stream in at the bottom; moving up pauses this, `F` resumes it.
    public var follow = true
    /// The sequence of the line at the bottom of the view when not following.
    public var anchor: Int?
    /// The sequence of the selected line when not following.
    public var selected: Int?
    public var minimumLevel = LogLevel.debug
    /// Only these nodes / services; nil for all.
    public var nodes: Set<String>?
    public var services: Set<String>?
    /// What `/` looks for: highlighted, and `n`/`N` jump between matches.
    public var search: LogPattern?
    /// Long lines continue on the next rows instead of being cut.
    public var wrap = false
    /// How many characters of each message are scrolled off to the left.
    public var offset = 0

    public init() {}

    /// The lines shown: the filters, without the search (which highlights, not hides).
    public var query: LogQuery {
        LogQuery(nodes: nodes, services: services, minimumLevel: minimumLevel)
    }

    /// The filters in words, for the pane's header; empty when there are none.
    public var filterWords: [String] {
        var words: [String] = []
        if minimumLevel > .debug { words.append("level ≥ \(minimumLevel.word)") }
        if let nodes { words.append("node " + nodes.sorted().joined(separator: ",")) }
        if let services { words.append("service " + services.sorted().map { $0.isEmpty ? "(none)" : $0 }.joined(separator: ",")) }
        return words
    }
}

extension AppState {
    /// Rows of log lines the Logs pane shows (below its header and histogram strip).
    public var logRows: Int { max(1, Layout(size: size).content.height - LogsPane.headerRows) }

    /// The lines on screen in the Logs pane, oldest first, one per line (wrapping is the pane's).
    public func visibleLogLines(_ logs: any LogSource) -> [LogRecord] {
        let query = logView.query
        if logView.follow || logView.anchor == nil {
            return logs.lines(query, before: nil, limit: logRows)
        }
        // A paused view ends at its anchor: lines that arrive later wait below it.
        let anchor = logView.anchor ?? 0
        return logs.lines(query, before: anchor + 1, limit: logRows)
    }

    /// Takes a key meant for the Logs pane.
    mutating func logAction(_ action: Action, logs: (any LogSource)?) -> Effect? {
        guard let logs else {
            message = "no logs are kept in this view"
            return nil
        }
        let query = logView.query
        switch action {
        case .moveUp, .moveDown, .pageUp, .pageDown, .top:
            moveInLogs(action, logs: logs)
        case .bottom, .followLogs:
            logView.follow = true
            logView.anchor = nil
            logView.selected = nil
            message = "following new lines"
        case .nextMatch, .previousMatch:
            guard let search = logView.search else {
                message = "nothing searched yet: / searches"
                return nil
            }
            var withPattern = query
            withPattern.pattern = search
            let from = logView.selected ?? logs.stats.nextSequence
            var found = action == .nextMatch
                ? logs.lines(withPattern, after: from, limit: 1).first
                : logs.lines(withPattern, before: from, limit: 1).first
            if found == nil {
                // Past the last match: wrap around to the first (or the last), as less and vim do.
                found = action == .nextMatch
                    ? logs.lines(withPattern, after: -1, limit: 1).first
                    : logs.lines(withPattern, before: nil, limit: 1).last
                if let wrapped = found, wrapped.sequence != from {
                    message = action == .nextMatch ? "search wrapped to the first match" : "search wrapped to the last match"
                } else {
                    found = nil
                }
            }
            guard let found else {
                message = "no other match of \(search)"
                return nil
            }
            select(found.sequence, logs: logs)
        case .cycleLogLevel:
            let floors: [LogLevel] = [.debug, .warning, .error]
            let index = floors.firstIndex(of: logView.minimumLevel) ?? 0
            logView.minimumLevel = floors[(index + 1) % floors.count]
            message = logView.minimumLevel == .debug ? "all levels" : "level \(logView.minimumLevel.word) and worse"
            keepSelectionVisible(logs: logs)
        case .toggleNodeFilter, .toggleServiceFilter:
            let line = selectedLogLine(logs)
            if action == .toggleNodeFilter {
                if logView.nodes != nil {
                    logView.nodes = nil
                    message = "every node"
                } else if let line {
                    logView.nodes = [line.node]
                    message = "only \(line.node)"
                }
            } else {
                if logView.services != nil {
                    logView.services = nil
                    message = "every service"
                } else if let line {
                    logView.services = [line.service]
                    message = line.service.isEmpty ? "only lines without a service" : "only \(line.service)"
                }
            }
            keepSelectionVisible(logs: logs)
        case .clearLogFilters:
            logView.minimumLevel = .debug
            logView.nodes = nil
            logView.services = nil
            logView.search = nil
            message = "filters and search cleared"
        case .toggleWrap:
            logView.wrap.toggle()
            logView.offset = 0
            message = logView.wrap ? "long lines wrap" : "long lines are cut (← → scroll)"
        case .scrollLeft:
            logView.offset = max(0, logView.offset - 20)
        case .scrollRight:
            if !logView.wrap { logView.offset += 20 }
        case .startLogSearch:
            // Opens empty: a new search is typed anew (n and N repeat the last one).
            prompt = Prompt(purpose: .logSearch, title: "search (text, or /regex/): ")
        default:
            break
        }
        return nil
    }

    /// A click on row `row` of the lines: selects that line (a double click opens its node).
    /// Wrapped lines take several rows each, so clicks then do nothing (the keys still work).
    mutating func clickLogLine(row: Int, open: Bool, logs: (any LogSource)?, snapshot: ClusterSnapshot) -> Effect? {
        guard let logs, !logView.wrap, row >= 0 else { return nil }
        let lines = visibleLogLines(logs)
        guard lines.indices.contains(row) else { return nil }
        select(lines[row].sequence, logs: logs)
        return open ? reduce(.open, snapshot: snapshot, logs: logs) : nil
    }

    /// The line the cursor is on: the selected one, or the newest when following.
    public func selectedLogLine(_ logs: any LogSource) -> LogRecord? {
        if !logView.follow, let selected = logView.selected {
            return logs.lines(logView.query, before: selected + 1, limit: 1).first
        }
        return logs.lines(logView.query, before: nil, limit: 1).first
    }

    private mutating func moveInLogs(_ action: Action, logs: any LogSource) {
        let query = logView.query
        let rows = logRows
        let visible = visibleLogLines(logs)
        guard let newest = visible.last else { return }
        let current = logView.follow ? newest.sequence : (logView.selected ?? newest.sequence)
        var target: LogRecord?
        switch action {
        case .moveUp: target = logs.lines(query, before: current, limit: 1).first
        case .moveDown: target = logs.lines(query, after: current, limit: 1).first
        case .pageUp: target = logs.lines(query, before: current, limit: rows).first
        case .pageDown: target = logs.lines(query, after: current, limit: rows).last
        case .top: target = logs.lines(query, after: -1, limit: 1).first
        default: break
        }
        guard let target else {
            if action == .moveDown || action == .pageDown {
                logView.follow = true
                logView.anchor = nil
                logView.selected = nil
            }
            return
        }
        select(target.sequence, logs: logs)
    }

    /// Puts the cursor on line `sequence`, scrolling as little as keeps it on screen.
    private mutating func select(_ sequence: Int, logs: any LogSource) {
        let query = logView.query
        if logView.follow || logView.anchor == nil {
            logView.anchor = logs.lines(query, before: nil, limit: 1).first?.sequence
        }
        logView.follow = false
        logView.selected = sequence
        let visible = visibleLogLines(logs)
        if let first = visible.first, let last = visible.last, sequence >= first.sequence, sequence <= last.sequence { return }
        if let last = visible.last, sequence > last.sequence {
            logView.anchor = sequence
        } else {
            // Above the view: the selected line becomes the top row.
            logView.anchor = logs.lines(query, after: sequence - 1, limit: logRows).last?.sequence ?? sequence
        }
    }

    /// After the filters change, keeps the cursor on a line that is still shown.
    private mutating func keepSelectionVisible(logs: any LogSource) {
        guard !logView.follow, let selected = logView.selected else { return }
        let query = logView.query
        if let line = logs.lines(query, before: selected + 1, limit: 1).first ?? logs.lines(query, after: selected, limit: 1).first {
            logView.selected = line.sequence
            logView.anchor = line.sequence
        } else {
            logView.follow = true
            logView.anchor = nil
            logView.selected = nil
        }
    }

    /// Takes the search a person typed.
    mutating func commitLogSearch(_ text: String) {
        guard let pattern = LogPattern(typed: text) else {
            logView.search = nil
            message = "search cleared"
            return
        }
        logView.search = pattern
        message = "searching \(pattern) · n next, N previous"
    }
}
