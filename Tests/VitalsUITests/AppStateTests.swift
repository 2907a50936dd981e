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
        #expect(Rows.services(snapshot, filter: state.filter).map(\.node) == ["orders-1", "orders-2"])
        _ = press([.character("q")], &state) // typed into the filter, does not quit
        #expect(state.filter == "ordq")
        _ = press([.backspace, .enter], &state)
        #expect(!state.isEditingFilter)
        #expect(state.filter == "ord")
        #expect(state.selectedNode(in: snapshot) == "orders-1")
        _ = press([.escape], &state)
        #expect(state.filter.isEmpty)
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
        _ = press([.down], &state)
        #expect(state.overlay == nil)
        // The overlay says any key closes it: q too, without quitting; then q quits.
        _ = press([.character("?")], &state)
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
        #expect(total == 36)
        _ = press(Array(repeating: .down, count: 50), &state)
        #expect(state.detailScroll == 16)
        _ = press([.up], &state)
        #expect(state.detailScroll == 15)
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
