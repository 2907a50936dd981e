import Foundation
import VitalsCore

/// What `/` typed: a regular expression (RE2's syntax, matched in linear time) that a row must
/// match in one of its fields, or must not when it begins with `!`. Lower case matches either
/// case; a capital asks for case to count. Text that is not a regular expression is matched as
/// plain text, and `problem` says why.
public struct RowFilter: Sendable {
    public let text: String
    public let inverted: Bool
    /// Why the text is taken as plain text, when it is not a regular expression.
    public let problem: String?
    private let regex: LinearRegex?
    private let literal: String

    public init(_ text: String) {
        self.text = text
        inverted = text.hasPrefix("!")
        literal = inverted ? String(text.dropFirst()) : text
        let smartCase = literal.contains { $0.isUppercase } ? literal : "(?i)" + literal
        if literal.isEmpty {
            regex = nil
            problem = nil
        } else if let compiled = LinearRegex.cached(smartCase) {
            regex = compiled
            problem = nil
        } else {
            regex = nil
            do {
                _ = try LinearRegex(literal)
                problem = nil
            } catch {
                problem = "not a regular expression (\(error.description)): matched as text"
            }
        }
    }

    public var isEmpty: Bool { literal.isEmpty }

    /// Whether a row with these fields is shown.
    public func matches(_ fields: [String]) -> Bool {
        guard !literal.isEmpty else { return true }
        let found = fields.contains { field in
            if let regex { return regex.matches(field) }
            return field.range(of: literal, options: .caseInsensitive) != nil
        }
        return found != inverted
    }
}

/// A value rows are sorted by: numbers before text never meet (a column has one kind).
enum SortKey: Comparable {
    case number(Double)
    case text(String)

    static func < (a: SortKey, b: SortKey) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): x < y
        case (.text(let x), .text(let y)): x.localizedStandardCompare(y) == .orderedAscending
        case (.number, .text): true
        case (.text, .number): false
        }
    }
}

/// A column rows can be sorted by: its title, the key of a row (nil: no value, always last),
/// and whether it sorts highest first when chosen (numbers and statuses do, names do not).
struct SortColumn<Row> {
    var title: String
    var descendingFirst: Bool
    var key: (Row) -> SortKey?

    static func text(_ title: String, _ key: @escaping (Row) -> String) -> SortColumn {
        SortColumn(title: title, descendingFirst: false) { .text(key($0)) }
    }

    static func number(_ title: String, _ key: @escaping (Row) -> Double?) -> SortColumn {
        SortColumn(title: title, descendingFirst: true) { key($0).map(SortKey.number) }
    }

    static func status(_ title: String, _ key: @escaping (Row) -> Status) -> SortColumn {
        SortColumn(title: title, descendingFirst: true) { .number(Double(key($0).attention)) }
    }
}

extension Rows {
    /// `rows` in the order `mark` asks for: stable (equal keys keep their order), rows without
    /// a value last whichever the direction. Unknown columns leave the order as it is.
    static func sorted<Row>(_ rows: [Row], by mark: Table.SortMark?, columns: [SortColumn<Row>]) -> [Row] {
        guard let mark, let column = columns.first(where: { $0.title == mark.column }) else { return rows }
        let keyed = rows.enumerated().map { (offset: $0.offset, row: $0.element, key: column.key($0.element)) }
        return keyed.sorted { a, b in
            switch (a.key, b.key) {
            case (nil, nil): return a.offset < b.offset
            case (nil, _): return false
            case (_, nil): return true
            case (let x?, let y?):
                if x == y { return a.offset < b.offset }
                return mark.descending ? y < x : x < y
            }
        }.map(\.row)
    }

    static func serviceColumns(now: Date) -> [SortColumn<ServiceSnapshot>] {
        [
            .text("SERVICE", \.name), .text("NODE", \.node), .status("STATUS", \.status),
            .number("CHECKS") { service in
                let (passing, total) = service.passingCount
                return total == 0 ? nil : Double(passing) / Double(total)
            },
            .number("LATENCY", \.latencyMs),
            .number("SINCE") { $0.since.map { now.timeIntervalSince($0) } },
            .text("OUTPUT") { service in
                service.status == .passing ? "" : service.checks.max { $0.status.severity < $1.status.severity }?.output ?? ""
            },
        ]
    }

    static var nodeColumns: [SortColumn<NodeSnapshot>] { [
        .text("NODE", \.name), .text("ADDRESS", \.address), .status("STATUS", \.status),
        .number("CPU", \.metrics.cpu), .number("MEM", \.metrics.memory), .number("DISK") { $0.metrics.fullestDisk?.used },
        .number("LOAD", \.metrics.load1),
        .number("NET") { node in node.metrics.networkReceiveRate.map { $0 + (node.metrics.networkSendRate ?? 0) } },
        .number("REQ", \.metrics.requestRate), .number("ERR", \.metrics.errorRatio),
        .text("SERVICES") { $0.services.joined(separator: ", ") },
    ] }

    static func lockColumns(now: Date) -> [SortColumn<LockSnapshot>] {
        [
            .status("STATUS", \.status), .text("LOCK", \.name), .text("KIND", \.kind.rawValue), .text("HOLDER") { $0.holder ?? "" },
            .number("HELD") { $0.heldSince.map { now.timeIntervalSince($0) } },
            .number("TTL") { $0.leaseTTLSeconds.map(Double.init) },
            .number("WAITING") { Double($0.waiters) },
            .number("CHG/H", \.changesPerHour),
            .text("WHY") { $0.diagnoses.first ?? "" },
        ]
    }

    static func alertColumns(view: AlertView, now: Date) -> [SortColumn<AlertRow>] {
        func severity(_ row: AlertRow) -> Double? { row.alerts.map(\.severity).max().map { Double($0.rank) } }
        func place(_ row: AlertRow) -> String {
            row.alerts.first.map { [$0.service, $0.node].compactMap { $0 }.joined(separator: " @ ") } ?? ""
        }
        switch view {
        case .active:
            return [
                .number("SEV", severity), .text("STATE") { AlertsPane.stateWord($0.alerts) },
                .text("ALERT") { $0.alerts.first?.name ?? "" }, .text("WHERE", place),
                .number("AGE") { $0.alerts.map(\.since).min().map { now.timeIntervalSince($0) } },
                .text("WHAT") { $0.alerts.first?.summary ?? "" },
            ]
        case .history:
            return [
                .number("RESOLVED") { $0.alerts.first?.resolvedAt.map { now.timeIntervalSince($0) } }, .number("SEV", severity),
                .text("ALERT") { $0.alerts.first?.name ?? "" }, .text("WHERE", place),
                .number("LASTED") { row in row.alerts.first.flatMap { alert in alert.resolvedAt.map { $0.timeIntervalSince(alert.since) } } },
                .text("ACK · SUMMARY") { $0.alerts.first?.summary ?? "" },
            ]
        case .silences:
            func silence(_ row: AlertRow) -> SilenceSnapshot? {
                if case .silence(let silence) = row.kind { return silence }
                return nil
            }
            return [
                .text("STATE") { silence($0)?.isActive(at: now) == true ? "active" : "ended" },
                .text("MATCHERS") { silence($0)?.matcherText ?? "" },
                .number("ENDS") { silence($0).map { $0.endsAt.timeIntervalSince(now) } },
                .text("BY") { silence($0)?.createdBy ?? "" }, .text("COMMENT") { silence($0)?.comment ?? "" },
            ]
        }
    }

    /// The columns `pane` can be sorted by, in the order they are shown, each with the direction
    /// it sorts in when chosen.
    public static func sortColumns(for pane: Pane, alertView: AlertView) -> [(title: String, descending: Bool)] {
        let now = Date()
        let columns: [(String, Bool)] = switch pane {
        case .services: serviceColumns(now: now).map { ($0.title, $0.descendingFirst) }
        case .nodes: nodeColumns.map { ($0.title, $0.descendingFirst) }
        case .locks: lockColumns(now: now).map { ($0.title, $0.descendingFirst) }
        case .alerts: alertColumns(view: alertView, now: now).map { ($0.title, $0.descendingFirst) }
        case .logs, .capacity: []
        }
        return columns.map { (title: $0.0, descending: $0.1) }
    }
}
