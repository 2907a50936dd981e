import Foundation
import Testing
import VitalsCore
import VitalsEngine
import VitalsTesting
@testable import VitalsTerminal
import VitalsUI

/// Every pane at 80×24, 120×40 and 200×60, compared as text and styles (the colours a
/// 256-colour terminal is sent), and at every depth a terminal may have (none, 8, 16, 256, 24-bit)
/// checked for what must hold on screen: no cell in its own background colour, and the status
/// words told apart.
@Suite struct PaneDepthTests {
    enum View: String, CaseIterable, Sendable {
        case services, nodes, locks, alerts, logs, detail
    }

    static let sizes = [Size(width: 80, height: 24), Size(width: 120, height: 40), Size(width: 200, height: 60)]
    static let depths = [0, 8, 16, 256, ColorMapping.direct]

    static func render(_ view: View, size: Size) throws -> Screen {
        var snapshot = try FixedSnapshot.ecommerceIncidentWithAlerts()
        snapshot.locks = try FixedSnapshot.ecommerceIncidentWithLocks().locks
        let store = LogStore()
        store.append([
            LogStore.Line(LogEntry(level: .error, service: "orders", message: "request failed: db timeout after 2000ms"), node: "orders-1"),
            LogStore.Line(LogEntry(level: .warning, service: "postgres", message: "slow query: 930ms"), node: "postgres-primary"),
            LogStore.Line(LogEntry(level: .info, service: "web", message: "GET /checkout 200"), node: "web-1"),
        ], received: snapshot.time.addingTimeInterval(-20))
        var state = AppState(size: size)
        // Every view on its own: no overview beside the list at 200×60.
        state.overviewWanted = false
        switch view {
        case .services: state.pane = .services
        case .nodes: state.pane = .nodes
        case .locks: state.pane = .locks
        case .alerts: state.pane = .alerts
        case .logs: state.pane = .logs
        case .detail:
            state.selection[.services] = "postgres-primary/postgres"
            _ = state.reduce(.open, snapshot: snapshot)
        }
        return DashboardView.render(snapshot: snapshot, state: state, theme: .builtIn, timeZone: TimeZone(identifier: "UTC")!, logs: store)
    }

    static func mapped(_ style: Style, colors: Int) -> (fg: Int32, bg: Int32, attributes: Style.Attributes) {
        guard colors >= 8 else { return (-1, -1, style.attributes) }
        return (ColorMapping.index(style.foreground, colors: colors), ColorMapping.index(style.background, colors: colors), style.attributes)
    }

    static func describe(_ style: Style) -> String {
        let (fg, bg, attributes) = mapped(style, colors: 256)
        let names: [(Style.Attributes, String)] = [(.bold, "bold"), (.dim, "dim"), (.underline, "underline"), (.reverse, "reverse")]
        return (["fg \(fg)", "bg \(bg)"] + names.filter { attributes.contains($0.0) }.map(\.1)).joined(separator: " ")
    }

    @Test(arguments: View.allCases, sizes)
    func everyPaneAtEverySize(view: View, size: Size) throws {
        let screen = try Self.render(view, size: size)
        ScreenSnapshot.checkStyled(screen, named: "depth-\(view.rawValue)-\(size.width)x\(size.height)", describe: Self.describe)
    }

    @Test(arguments: View.allCases, depths)
    func everyCellReadsAtEveryDepth(view: View, colors: Int) throws {
        for size in Self.sizes {
            let screen = try Self.render(view, size: size)
            var statusStyles: [String: (fg: Int32, bg: Int32, attributes: Style.Attributes)] = [:]
            for y in 0..<screen.height {
                let line = screen.lines[y]
                for x in 0..<screen.width where screen[x, y].character != " " {
                    let (fg, bg, attributes) = Self.mapped(screen[x, y].style, colors: colors)
                    #expect(fg < 0 || fg != bg || attributes.contains(.reverse), "\(view) \(size.width)x\(size.height) at \(colors): (\(x),\(y)) '\(screen[x, y].character)' is \(fg) on \(bg)")
                }
                for word in ["● passing", "▲ warning", "✖ critical"] {
                    guard statusStyles[word] == nil, let range = line.range(of: word) else { continue }
                    let x = line.distance(from: line.startIndex, to: range.lowerBound)
                    statusStyles[word] = Self.mapped(screen[x, y].style, colors: colors)
                }
            }
            let found = statusStyles.values.map { "\($0.fg) \($0.bg) \($0.attributes.rawValue)" }
            #expect(Set(found).count == found.count, "\(view) \(size.width)x\(size.height) at \(colors): status words look alike: \(statusStyles)")
        }
    }
}
