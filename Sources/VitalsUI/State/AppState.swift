import Foundation
import VitalsCore

/// An entry of the fault menu: a fault's name and what it does.
public struct MenuItem: Sendable, Equatable {
    public var name: String
    public var summary: String

    public init(name: String, summary: String) {
        self.name = name
        self.summary = summary
    }
}

/// A one-line question in the footer (a comment for an ack, a duration for a silence).
public struct Prompt: Sendable, Equatable {
    public enum Purpose: Sendable, Equatable {
        case acknowledge(ids: [String])
        /// Silence alerts matching `matchers`; the answer is a duration, then an optional comment.
        case silence(matchers: [String: String])
        /// What the Logs pane searches for.
        case logSearch
        /// A reason (and an optional duration) for maintenance of a node or service instance.
        case maintenance(node: String, service: String?)
        /// Confirms a scaling: enter takes the advice, a number another count.
        case scale(service: String, replicas: Int)
    }

    public var purpose: Purpose
    /// What is being asked, shown before the answer.
    public var title: String
    public var text = ""

    public init(purpose: Purpose, title: String) {
        self.purpose = purpose
        self.title = title
    }
}

/// What is on top of the dashboard.
public enum Overlay: Sendable, Equatable {
    case help
    case faultMenu(node: String, selected: Int)
    /// Lines to read (a reload's errors), under a title; any key closes it.
    case report(title: String, lines: [String])
}

/// Everything the UI remembers between frames. `reduce` is the only thing that changes it, and
/// it returns the effect (if any) that the run loop must perform.
public struct AppState: Sendable, Equatable {
    public var pane: Pane = .services
    /// The selected row of each list pane, by identity, so live updates never move the cursor.
    public var selection: [Pane: String] = [:]
    public var scrollTop: [Pane: Int] = [:]
    /// The node whose detail view is open.
    public var detail: String?
    /// Where `L` came from (a node view, in a pane, with the Logs' node filter before it), so
    /// `esc` goes back there; forgotten when another pane is chosen.
    public var logsCameFrom: LogsOrigin?

    public struct LogsOrigin: Sendable, Equatable {
        public var node: String
        public var pane: Pane
        public var nodes: Set<String>?
    }
    public var detailScroll = 0
    /// How far the help is scrolled, when it is taller than the terminal.
    public var helpScroll = 0
    public var overlay: Overlay?
    public var filter = ""
    public var isEditingFilter = false
    public var paused = false
    /// Whether graphs may use block characters; false draws them in ASCII.
    public var unicodeGraphs = true
    /// Lists put critical rows first, then warning, unknown and passing (file order within each).
    public var worstFirst = false
    /// The column each list pane is sorted by (over `worstFirst`), chosen with `<` `>` `I` or `:sort`.
    public var sort: [Pane: Table.SortMark] = [:]
    /// A one-line note in the footer, cleared by the next key.
    public var message: String?
    public var size: Size
    /// Short notes shown beside nodes, such as an injected fault, by node name.
    public var nodeNotes: [String: String] = [:]
    /// Set while the data shown is not live: an attached dashboard that lost its server.
    public var connection: String?
    /// Fault-menu entries; empty when the cluster is not simulated.
    public var faultMenuItems: [MenuItem]
    /// What the Alerts pane lists.
    public var alertView = AlertView.active
    /// Alert rows unfolded (by row id).
    public var expandedAlerts: Set<String> = []
    /// Locks unfolded to show their waiters (by row id).
    public var expandedLocks: Set<String> = []
    /// The question being asked in the footer, if any.
    public var prompt: Prompt?
    /// The command line, while `:` has it open.
    public var command: CommandEntry?
    /// The themes `:theme` offers (set by the run loop).
    public var themeNames: [String] = []
    /// The Logs pane's position, filters and search.
    public var logView = LogViewState()

    public init(size: Size, faultMenuItems: [MenuItem] = []) {
        self.size = size
        self.faultMenuItems = faultMenuItems
    }

    /// False for a pane drawn as a part of the overview, where keys do not move its cursor.
    public var highlightsSelection = true
    /// Whether wide terminals show the overview in place of the Services pane (`0` or `:overview` toggles).
    public var overviewWanted = true

    /// Whether the overview is on screen: the Services pane, wanted, and room for it.
    public var showsOverview: Bool {
        overviewWanted && pane == .services && detail == nil
            && size.width >= Layout.overviewMinimum.width && size.height >= Layout.overviewMinimum.height
    }

    /// Where the current list's table is: the whole content, or the overview's services part
    /// below its title.
    public var listRect: Rect {
        let content = Layout(size: size).content
        guard showsOverview else { return content }
        let services = Layout.Overview(content: content).services
        return Rect(x: services.x, y: services.y + 1, width: services.width, height: services.height - 1)
    }

    /// Rows of a list pane that fit on screen.
    public var visibleRows: Int { max(1, listRect.height - 1) }

    /// Takes one action against the snapshot on screen.
    /// - Returns: what the run loop must do, if anything.
    public mutating func reduce(_ action: Action, snapshot: ClusterSnapshot, logs: (any LogSource)? = nil) -> Effect? {
        if case .resize(let newSize) = action {
            size = newSize
            return nil
        }
        message = nil
        if pane == .logs, detail == nil, overlay == nil, [.moveUp, .moveDown, .pageUp, .pageDown, .top, .bottom].contains(action) {
            return logAction(action, logs: logs)
        }
        switch action {
        case .quit:
            return .quit
        case .toggleHelp:
            overlay = overlay == .help ? nil : .help
            helpScroll = 0
        case .reload:
            message = "reloading the cluster file…"
            return .reload
        case .back:
            if overlay != nil {
                overlay = nil
            } else if detail == nil, pane == .logs, let origin = logsCameFrom {
                logsCameFrom = nil
                logView.nodes = origin.nodes
                pane = origin.pane
                detail = origin.node
            } else if detail != nil {
                detail = nil
            } else if pane == .logs, logView.search != nil {
                logView.search = nil
                message = "search cleared"
            } else if pane == .logs, !logView.filterWords.isEmpty {
                return logAction(.clearLogFilters, logs: logs)
            } else if !filter.isEmpty {
                filter = ""
            }
        case .startLogSearch, .nextMatch, .previousMatch, .cycleLogLevel, .toggleNodeFilter, .toggleServiceFilter, .clearLogFilters,
             .toggleWrap, .scrollLeft, .scrollRight, .followLogs:
            return logAction(action, logs: logs)
        case .toggleMaintenance:
            return maintenanceAction(snapshot: snapshot)
        case .scale:
            return scaleAction(snapshot: snapshot)
        case .showNodeLogs:
            guard let node = detail else { return nil }
            logsCameFrom = LogsOrigin(node: node, pane: pane, nodes: logView.nodes)
            detail = nil
            pane = .logs
            logView.nodes = [node]
            logView.follow = true
            logView.anchor = nil
            logView.selected = nil
            message = "logs of \(node) · o shows every node"
        case .moveUp: move(by: -1, snapshot: snapshot)
        case .moveDown: move(by: 1, snapshot: snapshot)
        case .pageUp: move(by: -visibleRows, snapshot: snapshot)
        case .pageDown: move(by: visibleRows, snapshot: snapshot)
        case .top: move(by: -1_000_000, snapshot: snapshot)
        case .bottom: move(by: 1_000_000, snapshot: snapshot)
        case .open:
            if case .faultMenu(let node, let selected) = overlay { return choose(selected, node: node) }
            if detail == nil, pane == .alerts, let row = selectedAlertRow(in: snapshot), case .group = row.kind {
                if expandedAlerts.contains(row.id) { expandedAlerts.remove(row.id) } else { expandedAlerts.insert(row.id) }
                return nil
            }
            if detail == nil, pane == .locks, let row = selectedLockRow(in: snapshot), row.waiter == nil, !row.lock.queue.isEmpty {
                if expandedLocks.contains(row.id) { expandedLocks.remove(row.id) } else { expandedLocks.insert(row.id) }
                return nil
            }
            if detail == nil, pane == .logs {
                guard let line = logs.flatMap(selectedLogLine) else { return nil }
                guard snapshot.node(named: line.node) != nil else {
                    message = "\(line.node) is not a node of this cluster"
                    return nil
                }
                detail = line.node
                detailScroll = 0
                return nil
            }
            if detail == nil, let node = selectedNode(in: snapshot) {
                detail = node
                detailScroll = 0
            }
        case .showPane(let target):
            detail = nil
            logsCameFrom = nil
            pane = target
        case .nextPane, .previousPane:
            let all = Pane.shown(capacity: snapshot.capacity != nil || pane == .capacity)
            let index = all.firstIndex(of: pane) ?? 0
            pane = all[(index + (action == .nextPane ? 1 : all.count - 1)) % all.count]
            detail = nil
            logsCameFrom = nil
        case .openFaultMenu:
            guard !faultMenuItems.isEmpty else {
                message = "fault injection works on simulated clusters only"
                return nil
            }
            guard let node = detail ?? selectedNode(in: snapshot) else { return nil }
            overlay = .faultMenu(node: node, selected: 0)
        case .chooseMenuItem(let index):
            if case .faultMenu(let node, _) = overlay { return choose(index, node: node) }
        case .startFilter:
            isEditingFilter = true
            detail = nil
        case .filterInput(let character):
            filter.append(character)
            clampSelection(snapshot: snapshot)
        case .filterBackspace:
            if !filter.isEmpty { filter.removeLast() }
        case .filterCommit:
            isEditingFilter = false
            clampSelection(snapshot: snapshot)
        case .filterCancel:
            isEditingFilter = false
            filter = ""
        case .cycleTheme:
            return .cycleTheme
        case .togglePause:
            paused.toggle()
        case .click(let x, let y, let open):
            return click(x: x, y: y, open: open, snapshot: snapshot, logs: logs)
        case .toggleWorstFirst:
            // Worst first is an order of its own: it replaces a chosen column.
            if sort[pane] != nil {
                sort[pane] = nil
                worstFirst = true
            } else {
                worstFirst.toggle()
            }
            message = worstFirst ? "worst first" : "in file order"
        case .acknowledge, .silence, .unacknowledge, .expireSilence, .cycleAlertView:
            return alertAction(action, snapshot: snapshot)
        case .startCommand, .commandInput, .commandBackspace, .commandComplete, .commandCommit, .commandCancel:
            return commandAction(action, snapshot: snapshot)
        case .toggleOverview:
            overviewWanted.toggle()
            detail = nil
            pane = .services
            let fits = size.width >= Layout.overviewMinimum.width && size.height >= Layout.overviewMinimum.height
            message = !overviewWanted ? "Services alone (0 brings the overview back)"
                : fits ? "overview" : "the overview needs \(Layout.overviewMinimum.width)×\(Layout.overviewMinimum.height); this terminal is \(size.width)×\(size.height)"
        case .sortNextColumn: moveSort(by: 1)
        case .sortPreviousColumn: moveSort(by: -1)
        case .invertSort:
            guard let mark = sort[pane], detail == nil else {
                message = "not sorted: < and > choose a column"
                return nil
            }
            setSort(Table.SortMark(column: mark.column, descending: !mark.descending))
        case .promptInput(let character):
            prompt?.text.append(character)
        case .promptBackspace:
            if prompt?.text.isEmpty == false { prompt?.text.removeLast() }
        case .promptCancel:
            prompt = nil
            message = "cancelled"
        case .promptCommit:
            return commitPrompt()
        case .resize:
            break
        }
        return nil
    }

    /// `S`: asks to confirm bringing the selected service to its advised count.
    private mutating func scaleAction(snapshot: ClusterSnapshot) -> Effect? {
        let rows = capacityRows(snapshot)
        guard let advice = rows.first(where: { $0.service == selection[.capacity] }) ?? rows.first else {
            message = "no scaling advice: add a scaling: policy to the cluster file"
            return nil
        }
        guard advice.canScale else {
            message = "\(advice.service) cannot be scaled from here: give its policy a scale_command"
            return nil
        }
        guard !advice.scaling else {
            message = "\(advice.service) is being scaled"
            return nil
        }
        let what = advice.wantsChange ? "\(advice.current) → \(advice.desired)" : "stays at \(advice.current) (the advice)"
        prompt = Prompt(
            purpose: .scale(service: advice.service, replicas: advice.desired),
            title: "scale \(advice.service) \(what) · enter confirms, or type a count: "
        )
        return nil
    }

    /// `m`: asks why and puts the selected node or service instance in maintenance, or ends it.
    private mutating func maintenanceAction(snapshot: ClusterSnapshot) -> Effect? {
        var node: String?, service: String?
        if let detail {
            node = detail
        } else if pane == .services, let row = selectedServiceRow(in: snapshot) {
            node = row.node
            service = row.name
        } else if pane == .nodes {
            node = selectedNodeRow(in: snapshot)?.name
        }
        guard let node else {
            message = "m works on a service, a node, or a node's view"
            return nil
        }
        let current = service.flatMap { name in snapshot.services.first { $0.node == node && $0.name == name }?.maintenance }
            ?? snapshot.node(named: node)?.maintenance
        if let current, current.service == service {
            return .alert(.endMaintenance(node: node, service: service))
        }
        let target = service.map { "\(node)/\($0)" } ?? node
        prompt = Prompt(purpose: .maintenance(node: node, service: service), title: "maintenance of \(target) · reason, then a duration if it ends (30m): ")
        return nil
    }

    /// The rows of each list pane as shown: filtered, and ordered as chosen.
    public func serviceRows(_ snapshot: ClusterSnapshot) -> [ServiceSnapshot] {
        Rows.services(snapshot, filter: filter, worstFirst: worstFirst, sort: sort[.services])
    }

    /// Capacity advice matching the filter: those that want a change first (the biggest change
    /// first), then by name.
    public func capacityRows(_ snapshot: ClusterSnapshot) -> [CapacityAdvice] {
        let filter = RowFilter(filter)
        let rows = (snapshot.capacity ?? []).filter { filter.isEmpty || filter.matches([$0.service, $0.metric, $0.reason]) }
        return rows.sorted { a, b in
            let (da, db) = (abs(a.desired - a.current), abs(b.desired - b.current))
            return da != db ? da > db : a.service < b.service
        }
    }

    public func nodeRows(_ snapshot: ClusterSnapshot) -> [NodeSnapshot] {
        Rows.nodes(snapshot, filter: filter, worstFirst: worstFirst, sort: sort[.nodes])
    }

    public func lockRows(_ snapshot: ClusterSnapshot) -> [LockRow] {
        Rows.locks(snapshot, filter: filter, expanded: expandedLocks, sort: sort[.locks])
    }

    public func alertRows(_ snapshot: ClusterSnapshot) -> [AlertRow] {
        Rows.alerts(snapshot, view: alertView, filter: filter, expanded: expandedAlerts, sort: sort[.alerts])
    }

    /// The selected row of the Locks pane.
    public func selectedLockRow(in snapshot: ClusterSnapshot) -> LockRow? {
        let rows = lockRows(snapshot)
        return rows.first { $0.id == selection[.locks] } ?? rows.first
    }

    /// The selected row of the Alerts pane.
    public func selectedAlertRow(in snapshot: ClusterSnapshot) -> AlertRow? {
        let rows = alertRows(snapshot)
        return rows.first { $0.id == selection[.alerts] } ?? rows.first
    }

    private mutating func alertAction(_ action: Action, snapshot: ClusterSnapshot) -> Effect? {
        guard pane == .alerts, detail == nil else { return nil }
        if action == .cycleAlertView {
            let all = AlertView.allCases
            alertView = all[((all.firstIndex(of: alertView) ?? 0) + 1) % all.count]
            scrollTop[.alerts] = 0
            selection[.alerts] = nil
            message = "showing \(alertView.rawValue) alerts".replacingOccurrences(of: "silences alerts", with: "silences")
            return nil
        }
        guard let row = selectedAlertRow(in: snapshot) else {
            message = "no alert selected"
            return nil
        }
        if case .silence(let silence) = row.kind {
            guard action == .expireSilence else {
                message = "in the silences view: x ends the selected silence"
                return nil
            }
            guard silence.isActive(at: snapshot.time) else {
                message = "that silence has already ended"
                return nil
            }
            return .alert(.expireSilence(id: silence.id))
        }
        let targets = row.targets.filter { $0.state != .resolved }
        guard !targets.isEmpty else {
            message = "resolved alerts need nothing more"
            return nil
        }
        let count = targets.count == 1 ? "1 alert" : "\(targets.count) alerts"
        let what = "\(row.alerts.first?.name ?? "") \(row.subject)"
        switch action {
        case .acknowledge:
            prompt = Prompt(purpose: .acknowledge(ids: targets.map(\.id)), title: "acknowledge \(what) (\(count)) · comment: ")
        case .silence:
            var matchers: [String: String]
            if case .member = row.kind, let alert = row.alerts.first {
                matchers = alert.labels
            } else if let alert = row.alerts.first {
                matchers = alert.service.map { ["service": $0] } ?? alert.node.map { ["node": $0] } ?? [:]
            } else {
                matchers = [:]
            }
            matchers["alertname"] = row.alerts.first?.name
            // What it will silence is said before it is made: the Alerts pane marks those rows.
            let probe = SilenceSnapshot(id: "", matchers: matchers, startsAt: snapshot.time, endsAt: snapshot.time, createdBy: "", comment: "")
            let matched = snapshot.alerts.filter { probe.matches($0.labels) }
            let places = Array(Set(matched.compactMap { $0.node ?? $0.service })).sorted()
            let shown = places.prefix(3).joined(separator: ", ") + (places.count > 3 ? " +\(places.count - 3)" : "")
            let count = matched.count == 1 ? "1 alert" : "\(matched.count) alerts"
            prompt = Prompt(
                purpose: .silence(matchers: matchers),
                title: "silence \(what) → \(count) (\(shown)) · how long and why (2h db failover): "
            )
        case .unacknowledge:
            let acked = targets.filter(\.isAcknowledged).map(\.id)
            guard !acked.isEmpty else {
                message = "not acknowledged"
                return nil
            }
            return .alert(.unacknowledge(ids: acked))
        case .expireSilence:
            guard let id = targets.compactMap(\.silencedBy).first else {
                message = "not silenced (v shows the silences)"
                return nil
            }
            return .alert(.expireSilence(id: id))
        default:
            break
        }
        return nil
    }

    private mutating func commitPrompt() -> Effect? {
        guard let prompt else { return nil }
        let text = prompt.text.trimmingCharacters(in: .whitespaces)
        switch prompt.purpose {
        case .acknowledge(let ids):
            self.prompt = nil
            return .alert(.acknowledge(ids: ids, comment: text))
        case .scale(let service, let replicas):
            guard text.isEmpty || Int(text) != nil, (Int(text) ?? replicas) >= 0 else {
                message = "a count of replicas, like 3 (or nothing for the advice)"
                return nil
            }
            self.prompt = nil
            return .alert(.scale(service: service, replicas: Int(text) ?? replicas))
        case .maintenance(let node, let service):
            guard !text.isEmpty else {
                message = "give a reason, like: kernel upgrade 30m"
                return nil
            }
            var words = text.split(separator: " ")
            var duration: Duration?
            if words.count > 1, let last = words.last, let parsed = Duration(goString: String(last)), parsed > .zero {
                duration = parsed
                words.removeLast()
            }
            self.prompt = nil
            return .alert(.beginMaintenance(node: node, service: service, reason: words.joined(separator: " "), duration: duration))
        case .logSearch:
            if let pattern = LogPattern(typed: text) {
                do {
                    _ = try LogMatcher(pattern)
                } catch {
                    message = error.description
                    return nil
                }
            }
            self.prompt = nil
            commitLogSearch(text)
            return nil
        case .silence(let matchers):
            let words = text.split(separator: " ", maxSplits: 1)
            guard let first = words.first, let duration = Duration(goString: String(first)), duration > .zero else {
                message = "give a duration first, like 2h or 30m (then a comment)"
                return nil
            }
            guard duration <= .seconds(366 * 86_400) else {
                message = "a silence lasts at most a year"
                return nil
            }
            // A silence hides alerts from the whole team: it says why, as Alertmanager asks.
            let comment = words.count > 1 ? String(words[1]).trimmingCharacters(in: .whitespaces) : ""
            guard !comment.isEmpty else {
                message = "a silence needs a comment after the duration: why (the team sees it)"
                return nil
            }
            self.prompt = nil
            return .alert(.silence(matchers: matchers, duration: duration, comment: comment))
        }
    }

    /// A click: on a tab switches pane, on a row selects it (and opens it on a double click),
    /// on a fault-menu entry chooses it, anywhere else closes the help.
    private mutating func click(x: Int, y: Int, open: Bool, snapshot: ClusterSnapshot, logs: (any LogSource)? = nil) -> Effect? {
        if overlay == .help {
            overlay = nil
            return nil
        }
        if case .faultMenu(let node, _) = overlay {
            let top = Layout.faultMenuTop(items: faultMenuItems.count, size: size)
            let index = y - top
            guard faultMenuItems.indices.contains(index) else { return nil }
            return choose(index, node: node)
        }
        let layout = Layout(size: size)
        if y == layout.tabs.y {
            if let pane = Layout.tab(at: x, firing: snapshot.alertCounts.firing, capacity: snapshot.capacityChanges) {
                detail = nil
                self.pane = pane
            }
            return nil
        }
        if detail == nil, pane == .logs {
            return clickLogLine(row: y - layout.content.y - LogsPane.headerRows, open: open, logs: logs, snapshot: snapshot)
        }
        let list = listRect
        guard detail == nil, y > list.y, y < list.maxY, x < list.maxX else { return nil }
        let ids = rowIDs(snapshot)
        let index = (scrollTop[pane] ?? 0) + (y - list.y - 1)
        guard ids.indices.contains(index) else { return nil }
        selection[pane] = ids[index]
        if open { return reduce(.open, snapshot: snapshot) }
        return nil
    }

    private mutating func choose(_ index: Int, node: String) -> Effect? {
        guard faultMenuItems.indices.contains(index) else { return nil }
        overlay = nil
        return .injectFault(node: node, item: faultMenuItems[index].name)
    }

    /// The node the cursor is on: the row's node in Services, the row in Nodes.
    public func selectedNode(in snapshot: ClusterSnapshot) -> String? {
        switch pane {
        case .services: selectedServiceRow(in: snapshot)?.node
        case .nodes: selectedNodeRow(in: snapshot)?.name
        case .alerts: selectedAlertRow(in: snapshot)?.alerts.first?.node
        case .locks: selectedLockRow(in: snapshot).flatMap { $0.waiter.map { $0.node } ?? $0.lock.holderNode }
        case .logs, .capacity: nil
        }
    }

    public func selectedServiceRow(in snapshot: ClusterSnapshot) -> ServiceSnapshot? {
        let rows = serviceRows(snapshot)
        return rows.first { Rows.id(of: $0) == selection[.services] } ?? rows.first
    }

    public func selectedNodeRow(in snapshot: ClusterSnapshot) -> NodeSnapshot? {
        let rows = nodeRows(snapshot)
        return rows.first { $0.name == selection[.nodes] } ?? rows.first
    }

    /// Index of the selected row in the current pane's rows.
    public func selectedIndex(in snapshot: ClusterSnapshot) -> Int {
        let ids = rowIDs(snapshot)
        return selection[pane].flatMap { ids.firstIndex(of: $0) } ?? 0
    }

    private func rowIDs(_ snapshot: ClusterSnapshot) -> [String] {
        switch pane {
        case .services: serviceRows(snapshot).map(Rows.id(of:))
        case .nodes: nodeRows(snapshot).map(\.name)
        case .alerts: alertRows(snapshot).map(\.id)
        case .locks: lockRows(snapshot).map(\.id)
        case .capacity: capacityRows(snapshot).map(\.service)
        case .logs: []
        }
    }

    private mutating func move(by delta: Int, snapshot: ClusterSnapshot) {
        if overlay == .help {
            helpScroll = max(0, min(helpScroll + delta, Overlays.helpLines(height: size.height).count - 1))
            return
        }
        if case .faultMenu(let node, let selected) = overlay {
            let count = faultMenuItems.count
            overlay = .faultMenu(node: node, selected: max(0, min(count - 1, selected + delta)))
            return
        }
        if let detail {
            // Stop where the last line is on screen (the view keeps one row for its position).
            let total = NodeDetailPane.lineCount(node: detail, snapshot: snapshot, state: self)
            let rows = Layout(size: size).content.height - 1
            detailScroll = max(0, min(detailScroll + delta, total - rows))
            return
        }
        let ids = rowIDs(snapshot)
        guard !ids.isEmpty else { return }
        let index = max(0, min(ids.count - 1, selectedIndex(in: snapshot) + delta))
        selection[pane] = ids[index]
        // Scroll only as far as needed to keep the cursor on screen.
        var top = scrollTop[pane] ?? 0
        if index < top { top = index }
        if index >= top + visibleRows { top = index - visibleRows + 1 }
        scrollTop[pane] = max(0, min(top, max(0, ids.count - visibleRows)))
    }

    mutating func clampSelection(snapshot: ClusterSnapshot) {
        let ids = rowIDs(snapshot)
        if let current = selection[pane], !ids.contains(current) { selection[pane] = ids.first }
        scrollTop[pane] = 0
        move(by: 0, snapshot: snapshot)
    }
}
