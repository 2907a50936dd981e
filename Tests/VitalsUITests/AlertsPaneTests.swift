import Foundation
import Testing
import VitalsCore
import VitalsTesting
import VitalsUI

/// The Alerts pane as text: groups, root causes with folded symptoms, acks; and the keys that act.
@Suite struct AlertsPaneTests {
    let snapshot: ClusterSnapshot

    init() throws {
        snapshot = try FixedSnapshot.ecommerceIncidentWithAlerts()
    }

    func state(_ configure: (inout AppState) -> Void = { _ in }) -> AppState {
        var state = AppState(size: Size(width: 120, height: 16))
        state.pane = .alerts
        configure(&state)
        return state
    }

    func render(_ state: AppState) -> Screen {
        DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn, timeZone: TimeZone(identifier: "UTC") ?? .current)
    }

    @Test func theRootIsListedFirstWithItsSymptomsFolded() {
        let screen = render(state())
        ScreenSnapshot.check(screen, named: "alerts-pane-folded-120x16")
        let lines = screen.lines
        #expect(lines[1].contains(" 4 Alerts ") && lines[1].contains(" active "))
        #expect(lines[0].contains("⚑ 4 firing, 3 unacked"))
        let root = lines[3]
        #expect(root.contains("CRIT") && root.contains("firing") && root.contains("ServiceDown") && root.contains("postgres @ postgres-primary"))
        #expect(root.contains("root cause of 3: orders, api-gateway"))
        #expect(!lines.dropFirst(4).contains { $0.contains("ServiceDown") && $0.contains("orders") }, "symptoms are folded")
    }

    @Test func enterUnfoldsTheRootAndThenAGroup() {
        var state = state()
        _ = state.reduce(.open, snapshot: snapshot)
        var lines = render(state).lines
        #expect(lines[3].contains("▾ ServiceDown"))
        let orders = lines.firstIndex { $0.contains("↳") && $0.contains("ServiceDown") && $0.contains("orders ×2") }
        #expect(orders != nil)
        #expect(lines.contains { $0.contains("↳") && $0.contains("ServiceDegraded") && $0.contains("api-gateway @ api-gateway-1") })
        #expect(lines[orders ?? 0].contains("1/2 ack"))
        _ = state.reduce(.moveDown, snapshot: snapshot)
        _ = state.reduce(.open, snapshot: snapshot)
        lines = render(state).lines
        #expect(lines.contains { $0.contains("· orders-1") && $0.contains("acked") && $0.contains("✓ alice: pool size raised, watching") })
        #expect(lines.contains { $0.contains("· orders-2") && $0.contains("firing") })
    }

    @Test func acknowledgingTheFoldedRootAsksForACommentAndTakesItsSymptoms() {
        var state = state()
        #expect(state.reduce(.acknowledge, snapshot: snapshot) == nil)
        #expect(state.prompt?.title.hasPrefix("acknowledge ServiceDown postgres (4 alerts)") == true)
        for character in "failover started" { _ = state.reduce(.promptInput(character), snapshot: snapshot) }
        #expect(render(state).lines[15].contains("acknowledge ServiceDown postgres (4 alerts) · comment: failover started"))
        let effect = state.reduce(.promptCommit, snapshot: snapshot)
        guard case .alert(.acknowledge(let ids, let comment)) = effect else {
            Issue.record("expected an acknowledge effect, got \(String(describing: effect))")
            return
        }
        #expect(comment == "failover started")
        #expect(Set(ids) == Set(snapshot.alerts.map(\.id)))
        #expect(state.prompt == nil)
    }

    @Test func escapeCancelsThePrompt() {
        var state = state()
        _ = state.reduce(.acknowledge, snapshot: snapshot)
        _ = state.reduce(.promptInput("x"), snapshot: snapshot)
        #expect(state.reduce(.promptCancel, snapshot: snapshot) == nil)
        #expect(state.prompt == nil && state.message == "cancelled")
    }

    /// Before a silence is made, it says what it will silence: a count and places in the
    /// question, and the rows it matches marked in the pane.
    @Test func aSilencePreviewsWhatItMatches() throws {
        var state = state()
        _ = state.reduce(.silence, snapshot: snapshot)
        let title = try #require(state.prompt?.title)
        let matched = snapshot.alerts.filter { $0.labels["alertname"] == "ServiceDown" && $0.labels["service"] == "postgres" }
        #expect(title.hasPrefix("silence ServiceDown postgres → \(matched.count) alert"), "\(title)")
        #expect(title.contains("(postgres-primary)"))
        let lines = render(state).lines
        let marked = lines.filter { $0.contains("→ silence") }
        #expect(marked.count == 1 && marked[0].contains("ServiceDown"), "\(lines.joined(separator: "\n"))")
        #expect(!lines.contains { $0.contains("→ silence") && $0.contains("HighErrorRate") })
    }

    @Test func silencingAsksForADurationFirst() {
        var state = state()
        _ = state.reduce(.silence, snapshot: snapshot)
        for character in "soon" { _ = state.reduce(.promptInput(character), snapshot: snapshot) }
        #expect(state.reduce(.promptCommit, snapshot: snapshot) == nil)
        #expect(state.message?.contains("give a duration first") == true)
        // No comment, no silence: it hides alerts from the whole team.
        state.prompt?.text = "2h "
        #expect(state.reduce(.promptCommit, snapshot: snapshot) == nil)
        #expect(state.message == "a silence needs a comment after the duration: why (the team sees it)")
        state.prompt?.text = "2h failover drill"
        let effect = state.reduce(.promptCommit, snapshot: snapshot)
        #expect(effect == .alert(.silence(matchers: ["alertname": "ServiceDown", "service": "postgres"], duration: .seconds(7200), comment: "failover drill")))
    }

    @Test func unackOnAnUnacknowledgedAlertSaysSo() {
        var state = state()
        #expect(state.reduce(.unacknowledge, snapshot: snapshot) == .alert(.unacknowledge(ids: [snapshot.alerts.first { $0.node == "orders-1" }?.id ?? ""])))
        _ = state.reduce(.open, snapshot: snapshot)
        _ = state.reduce(.moveDown, snapshot: snapshot)
        _ = state.reduce(.moveDown, snapshot: snapshot)
        #expect(state.reduce(.unacknowledge, snapshot: snapshot) == nil)
        #expect(state.message == "not acknowledged")
    }

    @Test func keysMapOnlyInTheAlertsPane() {
        #expect(KeyMap.action(for: .character("4"), in: AppState(size: Size(width: 80, height: 24))) == .showPane(.alerts))
        #expect(KeyMap.action(for: .character("a"), in: AppState(size: Size(width: 80, height: 24))) == nil)
        #expect(KeyMap.action(for: .character("a"), in: state()) == .acknowledge)
        var prompting = state()
        prompting.prompt = Prompt(purpose: .acknowledge(ids: []), title: "x")
        #expect(KeyMap.action(for: .character("q"), in: prompting) == .promptInput("q"), "q types into a comment")
        #expect(KeyMap.action(for: .escape, in: prompting) == .promptCancel)
    }

    @Test func historyAndSilencesViews() {
        var snapshot = self.snapshot
        snapshot.alertHistory = [AlertSnapshot(
            id: "h1", name: "ServiceDown", severity: .critical, state: .resolved, node: "cart-1", service: "cart",
            since: Fixtures.time.addingTimeInterval(-600), firedAt: Fixtures.time.addingTimeInterval(-590),
            resolvedAt: Fixtures.time.addingTimeInterval(-300), acknowledgedBy: "bob", comment: "restarted cart", summary: "cart down"
        )]
        snapshot.silences = [SilenceSnapshot(id: "s1", matchers: ["alertname": "ScrapeFailing"], startsAt: Fixtures.time,
                                             endsAt: Fixtures.time.addingTimeInterval(7200), createdBy: "carol", comment: "exporter upgrade")]
        var state = state()
        _ = state.reduce(.cycleAlertView, snapshot: snapshot)
        var lines = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).lines
        #expect(lines[3].contains("5m00s ago") && lines[3].contains("ServiceDown") && lines[3].contains("5m") && lines[3].contains("✓ bob: restarted cart"))
        _ = state.reduce(.cycleAlertView, snapshot: snapshot)
        lines = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).lines
        #expect(lines[3].contains("active") && lines[3].contains("alertname=ScrapeFailing") && lines[3].contains("in 2h") && lines[3].contains("carol"))
        #expect(state.reduce(.expireSilence, snapshot: snapshot) == .alert(.expireSilence(id: "s1")))
    }

    @Test func theNodeViewListsItsAlerts() {
        var state = AppState(size: Size(width: 120, height: 30))
        state.detail = "orders-1"
        let lines = DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn).lines
        #expect(lines.contains { $0.contains("ALERTS") })
        #expect(lines.contains { $0.contains("CRIT") && $0.contains("acked") && $0.contains("ServiceDown") && $0.contains("← ServiceDown postgres") })
        #expect(lines.contains { $0.contains("✓ acknowledged by alice: pool size raised, watching") })
    }
}
