import Foundation
import VitalsCore

/// The whole screen as a pure function of (snapshot, state, theme, size): status bar, tabs, the
/// current pane or node detail, footer, and any overlay on top.
public enum DashboardView {
    public static func render(
        snapshot: ClusterSnapshot, state: AppState, theme: Theme, timeZone: TimeZone = .current, fill: Cell = .blank,
        logs: (any LogSource)? = nil
    ) -> Screen {
        var screen = Screen(width: state.size.width, height: state.size.height, fill: fill)
        guard Layout.fits(state.size) else {
            drawTooSmall(into: &screen, theme: theme)
            return screen
        }
        let layout = Layout(size: state.size)
        screen.fill(layout.content, style: theme[.text])
        drawHeader(into: &screen, rect: layout.header, snapshot: snapshot, state: state, theme: theme, timeZone: timeZone)
        drawTabs(into: &screen, rect: layout.tabs, state: state, theme: theme, firing: snapshot.alertCounts.firing, capacity: snapshot.capacityChanges)
        if let connection = state.connection {
            // Over the tabs, where the eye goes first: the panes below keep their last data,
            // which must not pass for live.
            screen.fill(layout.tabs, style: theme[.error])
            let text = " ✗ \(connection)" + (snapshot.generation > 0 ? " · data as of \(Format.clock(snapshot.time, timeZone: timeZone))" : "")
            screen.put(text, x: layout.tabs.x, y: layout.tabs.y, style: theme[.error], maxWidth: layout.tabs.width)
        }
        if state.detail != nil {
            NodeDetailPane.draw(into: &screen, rect: layout.content, snapshot: snapshot, state: state, theme: theme, timeZone: timeZone)
        } else {
            switch state.pane {
            case .services where state.showsOverview:
                drawOverview(into: &screen, content: layout.content, snapshot: snapshot, state: state, theme: theme, logs: logs, timeZone: timeZone)
            case .services: ServicesPane.draw(into: &screen, rect: layout.content, snapshot: snapshot, state: state, theme: theme)
            case .nodes: NodesPane.draw(into: &screen, rect: layout.content, snapshot: snapshot, state: state, theme: theme)
            case .alerts: AlertsPane.draw(into: &screen, rect: layout.content, snapshot: snapshot, state: state, theme: theme)
            case .locks: LocksPane.draw(into: &screen, rect: layout.content, snapshot: snapshot, state: state, theme: theme)
            case .logs:
                LogsPane.draw(into: &screen, rect: layout.content, snapshot: snapshot, state: state, theme: theme, logs: logs, timeZone: timeZone)
            case .capacity: CapacityPane.draw(into: &screen, rect: layout.content, snapshot: snapshot, state: state, theme: theme)
            }
        }
        drawFooter(into: &screen, rect: layout.footer, state: state, theme: theme)
        switch state.overlay {
        case .help: Overlays.drawHelp(into: &screen, theme: theme, scroll: state.helpScroll)
        case .faultMenu(let node, let selected):
            Overlays.drawFaultMenu(into: &screen, node: node, selected: selected, items: state.faultMenuItems, theme: theme)
        case .report(let title, let lines): Overlays.drawReport(into: &screen, title: title, lines: lines, theme: theme)
        case nil: break
        }
        return screen
    }

    /// Services, recent logs, alerts and locks at once, each under its title (btop's way), for
    /// terminals of 160×48 and up. Keys act on the services; the other panes are a key away.
    static func drawOverview(
        into screen: inout Screen, content: Rect, snapshot: ClusterSnapshot, state: AppState, theme: Theme,
        logs: (any LogSource)?, timeZone: TimeZone
    ) {
        let parts = Layout.Overview(content: content)
        let (firing, open) = snapshot.alertCounts
        let lockTrouble = snapshot.locks.filter { $0.status != .passing }.count
        func title(_ rect: Rect, _ text: String, key: Int?) -> Rect {
            screen.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), style: theme[.tabInactive])
            let label = key.map { " \($0) " } ?? " "
            screen.put(label + text + " ", x: rect.x, y: rect.y, style: theme[.tabInactive], maxWidth: rect.width)
            return Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        }
        // A column of blanks between left and right keeps the two apart.
        screen.fill(Rect(x: parts.services.maxX, y: content.y, width: 1, height: content.height), style: theme[.text])
        var listState = state
        listState.overviewWanted = false
        let services = title(parts.services, "Services · \(snapshot.services.count)", key: 1)
        ServicesPane.draw(into: &screen, rect: services, snapshot: snapshot, state: state, theme: theme)
        var alertsState = listState
        alertsState.pane = .alerts
        alertsState.alertView = .active
        alertsState.highlightsSelection = false
        let alerts = title(parts.alerts, firing == 0 ? "Alerts · all quiet" : "Alerts · \(firing) firing, \(open) unacked", key: 4)
        AlertsPane.draw(into: &screen, rect: alerts, snapshot: snapshot, state: alertsState, theme: theme)
        var locksState = listState
        locksState.pane = .locks
        locksState.highlightsSelection = false
        let locks = title(parts.locks, "Locks · \(snapshot.locks.count)" + (lockTrouble > 0 ? ", \(lockTrouble) in trouble" : ""), key: 3)
        LocksPane.draw(into: &screen, rect: locks, snapshot: snapshot, state: locksState, theme: theme)
        var logsState = listState
        logsState.pane = .logs
        logsState.logView.follow = true
        let logsRect = title(parts.logs, "Logs · newest", key: 5)
        LogsPane.draw(into: &screen, rect: logsRect, snapshot: snapshot, state: logsState, theme: theme, logs: logs, timeZone: timeZone)
    }

    static func drawHeader(
        into screen: inout Screen, rect: Rect, snapshot: ClusterSnapshot, state: AppState, theme: Theme, timeZone: TimeZone
    ) {
        screen.fill(rect, style: theme[.statusBar])
        var x = screen.put(" vitals ", x: rect.x, y: rect.y, style: theme[.statusBarAccent])
        x = screen.put(" \(snapshot.cluster) ", x: x, y: rect.y, style: theme[.statusBar])
        // The counts are of what the pane lists, and say so: services on the Services pane
        // (3 services, 2 critical, must not read "1 critical" because one node is).
        let ofServices = state.pane == .services && state.detail == nil
        let counts = ofServices ? snapshot.serviceCounts : snapshot.nodeCounts
        x = screen.put(ofServices ? " services" : " nodes", x: x, y: rect.y, style: theme[.statusBar])
        // Narrow terminals get glyphs and numbers only, leaving room for the clock.
        let words = rect.width >= 100
        for status in [Status.passing, .warning, .critical, .unknown, .maintenance] {
            let count = counts[status] ?? 0
            if count == 0 && (status == .maintenance || status == .unknown) { continue }
            let style = count > 0 && status != .passing ? theme.style(for: status).over(theme[.statusBar]) : theme[.statusBar]
            x = screen.put(" \(Format.glyph(status)) \(count)" + (words ? " \(status.rawValue)" : ""), x: x, y: rect.y, style: style)
        }
        let (firing, open) = snapshot.alertCounts
        if firing > 0 {
            let text = words || rect.width - x > 44 ? " ⚑ \(firing) firing, \(open) unacked" : " ⚑ \(firing) firing"
            x = screen.put(text, x: x, y: rect.y, style: open > 0 ? theme[.critical].over(theme[.statusBar]) : theme[.statusBar])
        }
        if snapshot.stateProblem != nil {
            x = screen.put(" ✗ state file", x: x, y: rect.y, style: theme[.error].over(theme[.statusBar]))
        }
        var right = "gen \(snapshot.generation)  \(Format.clock(snapshot.time, timeZone: timeZone)) "
        if state.paused { right = "PAUSED  " + right }
        if right.count < rect.maxX - x - 1 {
            screen.put(right, x: rect.maxX - right.terminalWidth, y: rect.y, style: state.paused ? theme[.statusBarAccent] : theme[.statusBar])
        }
    }

    static func drawTabs(into screen: inout Screen, rect: Rect, state: AppState, theme: Theme, firing: Int = 0, capacity: Int? = nil) {
        screen.fill(rect, style: theme[.tabInactive])
        var x = rect.x + 1
        for pane in Pane.shown(capacity: capacity != nil || state.pane == .capacity) {
            let active = pane == state.pane && state.detail == nil
            // The Alerts tab says how many fire, so they are seen from any pane; Capacity how
            // many services its advice would change.
            let count = pane == .alerts && firing > 0 ? " \(firing)" : pane == .capacity && (capacity ?? 0) > 0 ? " \(capacity ?? 0)" : ""
            x = screen.put(" \(pane.key) \(pane.rawValue)\(count) ", x: x, y: rect.y, style: active ? theme[.tabActive] : theme[.tabInactive]) + 1
        }
        if let detail = state.detail {
            x = screen.put(" \(state.pane.rawValue) › \(detail) ", x: x, y: rect.y, style: theme[.tabActive]) + 1
        } else if state.pane == .alerts {
            x = screen.put(" \(state.alertView.rawValue) ", x: x + 1, y: rect.y, style: theme[.message]) + 1
        }
        if !state.filter.isEmpty || state.isEditingFilter {
            let text = " filter: \(state.filter) "
            screen.put(text, x: rect.maxX - text.terminalWidth - 1, y: rect.y, style: theme[.message], maxWidth: rect.maxX - x)
        }
    }

    static func drawFooter(into screen: inout Screen, rect: Rect, state: AppState, theme: Theme) {
        screen.fill(rect, style: theme[.footer])
        if let command = state.command {
            let x = screen.put(" :", x: rect.x, y: rect.y, style: theme[.footerKey])
            var end = screen.put(command.text, x: x, y: rect.y, style: theme[.footer], maxWidth: rect.maxX - x - 1)
            end = screen.put("▏ ", x: end, y: rect.y, style: theme[.footer])
            let hint = command.candidates.isEmpty ? "enter runs · esc cancels" : command.candidates.joined(separator: " ")
            screen.put(hint, x: end, y: rect.y, style: theme[.muted], maxWidth: rect.maxX - end)
            return
        }
        if state.isEditingFilter {
            let x = screen.put(" /", x: rect.x, y: rect.y, style: theme[.footerKey])
            let end = screen.put(state.filter, x: x, y: rect.y, style: theme[.footer])
            // A half-typed regex is said, not silently ignored: it is matched as text meanwhile.
            if let problem = RowFilter(state.filter).problem {
                screen.put("▏  " + problem, x: end, y: rect.y, style: theme[.warning].over(theme[.footer]), maxWidth: rect.maxX - end)
            } else {
                screen.put("▏  regex · !hides · enter keep · esc clear", x: end, y: rect.y, style: theme[.muted], maxWidth: rect.maxX - end)
            }
            return
        }
        if let prompt = state.prompt {
            let x = screen.put(" " + prompt.title, x: rect.x, y: rect.y, style: theme[.footerKey], maxWidth: rect.width - 20)
            let end = screen.put(prompt.text, x: x, y: rect.y, style: theme[.footer], maxWidth: rect.maxX - x - 1)
            screen.put("▏  enter ok · esc cancel", x: end, y: rect.y, style: theme[.muted], maxWidth: rect.maxX - end)
            return
        }
        if let message = state.message {
            screen.put(" " + message, x: rect.x, y: rect.y, style: theme[.message], maxWidth: rect.width - 1)
            return
        }
        let hints: [(String, String)] = if state.detail != nil {
            [("↑↓", "scroll"), ("esc", "back"), ("L", "logs"), ("f", "fault"), ("?", "help"), ("q", "quit")]
        } else if state.pane == .logs {
            [("/", "search"), ("n N", "match"), ("e", "level"), ("o", "node"), ("s", "service"), ("c", "clear"), ("F", "follow"),
             ("w", "wrap"), ("enter", "node"), ("?", "help")]
        } else if state.pane == .alerts {
            [("a", "ack"), ("s", "silence"), ("u", "un-ack"), ("x", "end silence"), ("enter", "unfold"), ("v", "history/silences"), ("/", "filter"), ("?", "help")]
        } else {
            [("↑↓", "move"), ("enter", "open"), ("tab", "pane"), ("/", "filter"), ("< >", "sort"), (":", "command"), ("f", "fault"), ("?", "help"),
             ("q", "quit")]
        }
        var x = rect.x + 1
        for (key, meaning) in hints {
            guard x + key.count + meaning.count + 3 < rect.maxX else { break }
            x = screen.put(key, x: x, y: rect.y, style: theme[.footerKey])
            x = screen.put(" \(meaning)  ", x: x, y: rect.y, style: theme[.footer])
        }
    }

    static func drawTooSmall(into screen: inout Screen, theme: Theme) {
        screen.fill(screen.bounds, style: theme[.text])
        let lines = [
            "Terminal too small: \(screen.width)×\(screen.height)",
            "Vitals needs at least \(Layout.minimum.width)×\(Layout.minimum.height).",
            "Enlarge the window, or press q to quit.",
        ]
        let top = max(0, (screen.height - lines.count) / 2)
        for (offset, line) in lines.enumerated() {
            let cut = line.truncated(toWidth: screen.width)
            screen.put(cut, x: max(0, (screen.width - cut.terminalWidth) / 2), y: top + offset, style: offset == 0 ? theme[.warning] : theme[.text])
        }
    }
}
