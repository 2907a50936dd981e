import Foundation
import Testing
import VitalsCore
import VitalsTesting
import VitalsUI

/// The Locks pane and the node view's locks, as text.
@Suite struct LocksPaneTests {
    let snapshot: ClusterSnapshot

    init() throws {
        snapshot = try FixedSnapshot.ecommerceIncidentWithLocks()
    }

    func state() -> AppState {
        var state = AppState(size: Size(width: 140, height: 16))
        state.pane = .locks
        return state
    }

    @Test func locksWorstFirstWithHolderLeaseWaitersAndWhy() {
        let screen = DashboardView.render(snapshot: snapshot, state: state(), theme: .builtIn)
        ScreenSnapshot.check(screen, named: "locks-pane-140x16")
        let lines = screen.lines
        #expect(lines[1].contains(" 3 Locks "))
        #expect(lines[2].contains("STATUS") && lines[2].contains("HOLDER") && lines[2].contains("TTL") && lines[2].contains("WAITING"))
        let stale = lines[3]
        #expect(stale.contains("✖ critical") && stale.contains("▸ /locks/orders-migration") && stale.contains("mutex") && stale.contains("orders-1"))
        #expect(stale.contains("≥30m00s") && stale.contains("9s") && stale.contains("1 · 1m35s"))
        #expect(stale.contains("orders-1 is down but holds /locks/orders-migra…"), "the reason, cut to the column")
        #expect(lines[4].contains("● passing") && lines[4].contains("/election/inventory") && lines[4].contains("election") && lines[4].contains("5m00s"))
        #expect(lines[5].contains("/service/postgres/leader") && lines[5].contains("leader") && lines[5].contains("postgres-primary"))
    }

    @Test func enterUnfoldsTheWaitersAndOpensTheirNode() {
        var state = state()
        _ = state.reduce(.open, snapshot: snapshot)
        let lines = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).lines
        #expect(lines[3].contains("▾ /locks/orders-migration"))
        #expect(lines[4].contains("↳ waits") && lines[4].contains("orders-2") && lines[4].contains("1m35s"))
        _ = state.reduce(.moveDown, snapshot: snapshot)
        _ = state.reduce(.open, snapshot: snapshot)
        #expect(state.detail == "orders-2", "enter on a waiter opens its node")
        #expect(KeyMap.action(for: .character("3"), in: AppState(size: Size(width: 80, height: 24))) == .showPane(.locks))
    }

    @Test func theNodeViewListsLocksHeldAndAwaited() {
        var state = AppState(size: Size(width: 140, height: 40))
        state.detail = "orders-1"
        var lines = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).lines
        #expect(lines.contains { $0.contains("LOCKS") })
        #expect(lines.contains { $0.contains("holds") && $0.contains("/locks/orders-migration") && $0.contains("lease 9s left") && $0.contains("1 waiting") && $0.contains("is down but holds") })
        state.detail = "orders-2"
        lines = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).lines
        #expect(lines.contains { $0.contains("waits") && $0.contains("/locks/orders-migration") && $0.contains("#1 in line behind orders-1") })
    }

    @Test func filterFindsLocksByHolderOrWaiter() {
        var state = state()
        state.filter = "orders-2"
        let rows = Rows.locks(snapshot, filter: state.filter, expanded: [])
        #expect(rows.map(\.lock.name) == ["/locks/orders-migration"])
    }
}
