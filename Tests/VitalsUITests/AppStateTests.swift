import Foundation
import Testing
import VitalsCore
import VitalsTesting
import VitalsUI

@Suite struct AppStateTests {
    let snapshot: ClusterSnapshot
    init() throws { snapshot = try FixedSnapshot.ecommerceIncident() }

    func press(_ keys: [Key], _ state: inout AppState) -> [Effect] {
        keys.compactMap { key in KeyMap.action(for: key, in: state).flatMap { state.reduce($0, snapshot: snapshot) } }
    }

    @Test func movingSelectsRowsByIdentityAndScrolls() {
        var state = AppState(size: Size(width: 80, height: 10)) // 6 visible rows
        _ = press([.down, .character("j"), .down], &state)
        #expect(state.selection[.services] == "api-gateway-1/api-gateway")
        _ = press(Array(repeating: .down, count: 5), &state)
        #expect(state.selectedIndex(in: snapshot) == 8)
        #expect(state.scrollTop[.services] == 3)
        _ = press([.character("G")], &state)
        #expect(state.selection[.services] == "etcd-3/etcd")
        _ = press([.character("g")], &state)
        #expect(state.selectedIndex(in: snapshot) == 0)
        #expect(state.scrollTop[.services] == 0)
    }

    @Test func enterOpensTheNodeAndEscGoesBack() {
        var state = AppState(size: Size(width: 80, height: 24))
        _ = press([.tab, .down, .enter], &state)
        #expect(state.pane == .nodes)
        #expect(state.detail == "web-2")
        _ = press([.escape], &state)
        #expect(state.detail == nil)
        #expect(state.pane == .nodes)
    }

    @Test func filterNarrowsRowsAndEscClearsIt() {
        var state = AppState(size: Size(width: 80, height: 24))
        _ = press([.character("/"), .character("o"), .character("r"), .character("d")], &state)
        #expect(state.isEditingFilter)
        // Every field shown counts: api-gateway-1's output names orders.
        #expect(Rows.services(snapshot, filter: state.filter).map(\.node) == ["api-gateway-1", "orders-1", "orders-2"])
        _ = press([.character("q")], &state) // typed into the filter, does not quit
        #expect(state.filter == "ordq")
        _ = press([.backspace, .enter], &state)
        #expect(!state.isEditingFilter)
        #expect(state.filter == "ord")
        #expect(state.selectedNode(in: snapshot) == "api-gateway-1")
        _ = press([.escape], &state)
        #expect(state.filter.isEmpty)
    }

    /// `/` takes a regular expression (lower case matches either case), `!` hides what matches,
    /// and text that is not a regex is matched as text with the reason said.
    @Test func filtersAreRegexesAndBangInverts() {
        let nodes = { (filter: String) in Rows.services(snapshot, filter: filter).map(\.node) }
        #expect(nodes("^orders-[0-9]$") == ["orders-1", "orders-2"])
        #expect(nodes("ORDERS-1") == [], "a capital makes case count")
        #expect(nodes("!passing").count == snapshot.services.filter { $0.status != .passing }.count)
        #expect(!nodes("!passing").contains("web-1"))
        #expect(nodes("!^(web|etcd)").allSatisfy { !$0.hasPrefix("web") && !$0.hasPrefix("etcd") })
        let broken = RowFilter("orders(")
        #expect(broken.problem?.hasPrefix("not a regular expression") == true, "\(broken.problem ?? "")")
        #expect(nodes("orders(").isEmpty, "matched as text: no name holds 'orders('")
        var state = AppState(size: Size(width: 100, height: 24))
        _ = press([.character("/")] + "(a".map { Key.character($0) }, &state)
        let footer = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).lines[23]
        #expect(footer.contains("/(a▏  not a regular expression"), "\(footer)")
    }

    /// `<` `>` choose the column rows are sorted by, `I` reverses it, and the header marks it.
    @Test func sortingByAColumnWithKeys() {
        var state = AppState(size: Size(width: 120, height: 40))
        _ = press([.character("2")], &state)
        for _ in 0..<4 { _ = press([.character(">")], &state) } // NODE, ADDRESS, STATUS, CPU
        #expect(state.sort[.nodes] == Table.SortMark(column: "CPU", descending: true))
        let cpus = state.nodeRows(snapshot).compactMap(\.metrics.cpu)
        #expect(cpus == cpus.sorted(by: >) && cpus.count == snapshot.nodes.count)
        #expect(state.message?.hasPrefix("sorted by CPU ▼") == true)
        let screen = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).lines
        #expect(screen[2].contains("CPU▼"), "\(screen[2])")
        _ = press([.character("I")], &state)
        #expect(state.nodeRows(snapshot).compactMap(\.metrics.cpu) == cpus.sorted())
        // The selection is kept by identity, and enter opens the node under the cursor.
        _ = press([.character("g"), .enter], &state)
        #expect(state.detail == state.nodeRows(snapshot).first?.name)
        _ = press([.escape, .character("<"), .character("<"), .character("<"), .character("<")], &state)
        #expect(state.sort[.nodes] == nil || state.sort[.nodes]?.column != "CPU")
        // Services by latency, highest first; maintenance and missing values last.
        _ = press([.character("1")], &state)
        _ = press([.character(":")] + "sort lat".map { Key.character($0) } + [.enter], &state)
        #expect(state.sort[.services] == Table.SortMark(column: "LATENCY", descending: true))
        #expect(state.serviceRows(snapshot).first?.node == "postgres-primary", "1.00s is the slowest")
        _ = press([.character(":")] + "sort name".map { Key.character($0) } + [.enter], &state)
        #expect(state.message?.hasPrefix("no column 'name' here: service node status") == true, "\(state.message ?? "")")
        _ = press([.character(":")] + "sort off".map { Key.character($0) } + [.enter], &state)
        #expect(state.sort[.services] == nil)
    }

    /// `:` commands, with tab completing command names and their arguments.
    @Test func commandsCompleteAndRun() {
        var state = AppState(size: Size(width: 120, height: 40))
        state.themeNames = ["default", "light", "solarized-dark"]
        _ = press([.character(":"), .character("n")], &state)
        #expect(state.command?.candidates == ["nodes", "node"])
        _ = press([.tab], &state)
        #expect(state.command?.text == "node")
        _ = press([.character(" "), .character("c"), .character("a"), .tab], &state)
        #expect(state.command?.text == "node cart-", "two carts: completed to what they share")
        #expect(state.command?.candidates == ["cart-1", "cart-2"])
        _ = press([.character("2"), .enter], &state)
        #expect(state.detail == "cart-2" && state.command == nil)
        let themeEffect = press([.character(":")] + "theme so".map { Key.character($0) } + [.tab, .enter], &state)
        #expect(themeEffect == [.setTheme("solarized-dark")])
        _ = press([.character(":")] + "theme nope".map { Key.character($0) } + [.enter], &state)
        #expect(state.message == "no theme 'nope': default, light, solarized-dark")
        _ = press([.character(":")] + "silences".map { Key.character($0) } + [.enter], &state)
        #expect(state.pane == .alerts && state.alertView == .silences && state.detail == nil)
        _ = press([.character(":")] + "capacity".map { Key.character($0) } + [.enter], &state)
        #expect(state.pane == .capacity)
        _ = press([.character(":")] + "frobnicate".map { Key.character($0) } + [.enter], &state)
        #expect(state.message?.hasPrefix("no command 'frobnicate'") == true)
        _ = press([.character(":"), .character("x"), .backspace, .backspace], &state)
        #expect(state.command == nil, "backspace on an empty line closes it")
        _ = press([.character(":"), .character("q"), .escape], &state)
        #expect(state.command == nil)
        #expect(press([.character(":"), .character("q"), .enter], &state) == [.quit])
    }

    /// The help is drawn from the key map: every binding is listed, and every key listed does
    /// what the help says where the help says it works.
    @Test func theHelpIsTheKeyMap() {
        let listed = KeyMap.help.flatMap(\.keys).map(\.0)
        #expect(listed.sorted() == KeyMap.bindings.map(\.label).sorted())
        #expect(listed.contains(":") && listed.contains("< >  I"))
        var state = AppState(size: Size(width: 120, height: 40))
        state.overlay = .help
        let text = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).text
        for binding in KeyMap.bindings { #expect(text.contains(binding.label), "\(binding.label) missing from the help") }
    }

    @Test func faultMenuReturnsTheChosenEffect() {
        let items = [MenuItem(name: "down", summary: ""), MenuItem(name: "slow", summary: ""), MenuItem(name: "heal", summary: "")]
        var state = AppState(size: Size(width: 80, height: 24), faultMenuItems: items)
        #expect(press([.down, .character("f"), .down, .enter], &state) == [.injectFault(node: "web-2", item: "slow")])
        #expect(state.overlay == nil)
        #expect(press([.character("f"), .character("h")], &state) == [.injectFault(node: "web-2", item: "heal")])
        #expect(press([.character("f"), .character("3")], &state) == [.injectFault(node: "web-2", item: "heal")])
        _ = press([.character("f"), .escape], &state)
        #expect(state.overlay == nil)
    }

    @Test func faultMenuNeedsASimulatedCluster() {
        var state = AppState(size: Size(width: 80, height: 24))
        #expect(press([.character("f")], &state).isEmpty)
        #expect(state.overlay == nil)
        #expect(state.message == "fault injection works on simulated clusters only")
    }

    @Test func quitAndHelpKeys() {
        var state = AppState(size: Size(width: 80, height: 24))
        _ = press([.character("?")], &state)
        #expect(state.overlay == .help)
        // At 80×24 the help is taller than the screen: the moving keys scroll it.
        _ = press([.down, .character("j")], &state)
        #expect(state.overlay == .help && state.helpScroll == 2)
        let bottom = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).text
        _ = press(Array(repeating: .down, count: 40), &state)
        let end = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).text
        #expect(bottom.contains("j ↓ more") && end.contains("q  Ctrl-C") && end.contains("k ↑ back"))
        _ = press([.character("x")], &state)
        #expect(state.overlay == nil)
        // Any other key closes it: q too, without quitting; then q quits.
        _ = press([.character("?")], &state)
        #expect(state.helpScroll == 0)
        #expect(press([.character("q")], &state).isEmpty)
        #expect(state.overlay == nil)
        _ = press([.character("?"), .escape], &state)
        #expect(state.overlay == nil)
        #expect(press([.character("q")], &state) == [.quit])
        #expect(press([.control("c")], &state) == [.quit])
        #expect(press([.character("t")], &state) == [.cycleTheme])
    }

    @Test func resizeUpdatesTheSize() {
        var state = AppState(size: Size(width: 80, height: 24))
        _ = press([.resize(Size(width: 100, height: 30))], &state)
        #expect(state.size == Size(width: 100, height: 30))
    }

    @Test func theNodeViewScrollsNoFurtherThanItsLastLine() {
        var state = AppState(size: Size(width: 80, height: 24)) // 21 content rows, 20 for lines
        state.selection[.services] = "postgres-primary/postgres"
        _ = press([.enter], &state)
        let total = NodeDetailPane.lineCount(node: "postgres-primary", snapshot: snapshot, state: state)
        #expect(total == 37)
        _ = press(Array(repeating: .down, count: 50), &state)
        #expect(state.detailScroll == 17)
        _ = press([.up], &state)
        #expect(state.detailScroll == 16)
        _ = press([.home], &state)
        #expect(state.detailScroll == 0)
    }

    @Test func worstFirstPutsBrokenRowsOnTopAndKeepsTheCursorOnItsRow() {
        var state = AppState(size: Size(width: 80, height: 24))
        _ = press([.down], &state)
        #expect(state.selection[.services] == "web-2/web")
        _ = press([.character("o")], &state)
        let rows = Rows.services(snapshot, filter: "", worstFirst: true)
        #expect(rows.prefix(4).map(Rows.id(of:)) == ["orders-1/orders", "orders-2/orders", "postgres-primary/postgres", "api-gateway-1/api-gateway"])
        #expect(rows[4].node == "web-1", "equal statuses keep the file's order")
        #expect(state.selectedNode(in: snapshot) == "web-2")
        _ = press([.character("g"), .enter], &state)
        #expect(state.detail == "orders-1")
    }

    /// Maintenance is a person already on it: below critical, warning, unknown and passing.
    @Test func maintenanceSortsLast() {
        var paused = snapshot
        paused.services[0].status = .maintenance
        let rows = Rows.services(paused, filter: "", worstFirst: true)
        #expect(rows.last.map(Rows.id(of:)) == Rows.id(of: paused.services[0]))
        #expect(rows.first?.status == .critical)
    }

    @Test func theMouseSelectsOpensSwitchesAndScrolls() {
        let items = [MenuItem(name: "down", summary: ""), MenuItem(name: "slow", summary: "")]
        var state = AppState(size: Size(width: 80, height: 24), faultMenuItems: items)
        // Row 3 of the screen is the first data row (status bar, tabs, table header above it).
        _ = press([.mouse(.click, x: 10, y: 5)], &state)
        #expect(state.selection[.services] == "web-3/web")
        _ = press([.mouse(.wheelDown, x: 10, y: 5)], &state)
        #expect(state.selection[.services] == "api-gateway-1/api-gateway")
        _ = press([.mouse(.doubleClick, x: 10, y: 4)], &state)
        #expect(state.detail == "web-2")
        // Tabs: " 1 Services " starts at column 1, " 2 Nodes " at column 14.
        _ = press([.mouse(.click, x: 16, y: 1)], &state)
        #expect(state.pane == .nodes)
        #expect(state.detail == nil)
        _ = press([.mouse(.click, x: 3, y: 1)], &state)
        #expect(state.pane == .services)
        // A click on a fault-menu entry chooses it.
        _ = press([.character("f")], &state)
        let top = Layout.faultMenuTop(items: 2, size: state.size)
        #expect(press([.mouse(.click, x: 30, y: top + 1)], &state) == [.injectFault(node: "web-2", item: "slow")])
        // Clicks outside any row do nothing.
        _ = press([.mouse(.click, x: 10, y: 23)], &state)
        #expect(state.selection[.services] == "web-2/web")
    }
}

/// `m` asks for a reason and an optional duration, and ends a maintenance already in force.
@Suite struct MaintenanceKeyTests {
    @Test func mAsksWhyThenSendsTheMaintenance() throws {
        let snapshot = try FixedSnapshot.ecommerceIncident()
        var state = AppState(size: Size(width: 120, height: 30))
        state.pane = .services
        let row = try #require(state.selectedServiceRow(in: snapshot))
        #expect(KeyMap.action(for: .character("m"), in: state) == .toggleMaintenance)
        #expect(state.reduce(.toggleMaintenance, snapshot: snapshot) == nil)
        #expect(state.prompt?.purpose == .maintenance(node: row.node, service: row.name))
        for character in "kernel upgrade 30m" { _ = state.reduce(.promptInput(character), snapshot: snapshot) }
        let effect = state.reduce(.promptCommit, snapshot: snapshot)
        #expect(effect == .alert(.beginMaintenance(node: row.node, service: row.name, reason: "kernel upgrade", duration: .seconds(1800))))
        // Without a duration it lasts until ended; an empty reason is asked again.
        _ = state.reduce(.toggleMaintenance, snapshot: snapshot)
        #expect(state.reduce(.promptCommit, snapshot: snapshot) == nil)
        #expect(state.message == "give a reason, like: kernel upgrade 30m")
        for character in "failover drill" { _ = state.reduce(.promptInput(character), snapshot: snapshot) }
        #expect(state.reduce(.promptCommit, snapshot: snapshot) == .alert(.beginMaintenance(node: row.node, service: row.name, reason: "failover drill", duration: nil)))
        // Already in maintenance: m ends it at once.
        var inMaintenance = snapshot
        let index = try #require(inMaintenance.services.firstIndex { $0.node == row.node && $0.name == row.name })
        inMaintenance.services[index].maintenance = Maintenance(node: row.node, service: row.name, reason: "x", by: "a", since: snapshot.time)
        #expect(state.reduce(.toggleMaintenance, snapshot: inMaintenance) == .alert(.endMaintenance(node: row.node, service: row.name)))
        // In a node's view, m is about the node.
        state.detail = "orders-1"
        _ = state.reduce(.toggleMaintenance, snapshot: snapshot)
        #expect(state.prompt?.purpose == .maintenance(node: "orders-1", service: nil))
    }

    @Test func theNodeViewSaysWhatIsInMaintenance() throws {
        var snapshot = try FixedSnapshot.ecommerceIncident()
        let node = try #require(snapshot.nodes.firstIndex { $0.name == "orders-1" })
        snapshot.nodes[node].maintenance = Maintenance(node: "orders-1", reason: "kernel upgrade", by: "alice", since: snapshot.time, until: snapshot.time.addingTimeInterval(1800))
        snapshot.nodes[node].status = .maintenance
        var state = AppState(size: Size(width: 150, height: 40))
        state.detail = "orders-1"
        let lines = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn, timeZone: TimeZone(identifier: "UTC")!).lines
        #expect(lines.contains { $0.contains("maintenance orders-1: kernel upgrade · alice since 10:00:00 · until 10:30:00") })
    }
}
