import ArgumentParser
import Foundation
import VitalsCore

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the cluster (or one service) once and exit Nagios-style: 0 ok, 1 warning, 2 critical, 3 unknown.",
        discussion: "Prints one line: status, counts, and the failing checks' outputs. For cron, monitoring plugins and scripts."
    )

    @OptionGroup var cluster: ClusterFileArgument

    @Option(help: "Judge only the instances of this service.")
    var service: String?

    @OptionGroup var headless: HeadlessOptions

    func run() async throws {
        let config: ClusterConfig
        do {
            config = try cluster.load()
        } catch {
            // Nagios reads a file that cannot be used as UNKNOWN, not as a warning.
            Output.line("VITALS UNKNOWN - cannot use the cluster file (see the errors above)")
            throw ExitCode(3)
        }
        if let service, !config.serviceNames.contains(service) {
            Output.line("VITALS UNKNOWN - no service '\(service)' in cluster '\(config.name)'")
            throw ExitCode(3)
        }
        let snapshot = try await headless.firstCompleteSnapshot(config: config)
        let (line, code) = Self.verdict(snapshot, service: service)
        Output.line(line)
        throw ExitCode(code)
    }

    /// The Nagios line and exit code for a snapshot.
    static func verdict(_ snapshot: ClusterSnapshot, service: String?) -> (String, Int32) {
        let instances = snapshot.services.filter { service == nil || $0.name == service }
        let statuses = service == nil ? snapshot.nodes.map(\.status) : instances.map(\.status)
        let worst = Status.worst(statuses)
        let code: Int32 = switch worst {
        case .passing, .maintenance: 0
        case .warning: 1
        case .critical: 2
        case .unknown: 3
        }
        let label = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][Int(code)]
        let counts = Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count)
        let summary = Status.allCases.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }.joined(separator: ", ")
        let subject = service.map { "service \($0): \(instances.count) instance(s)" } ?? "cluster \(snapshot.cluster): \(snapshot.nodes.count) nodes"
        let failing = instances.flatMap { instance in
            instance.checks.filter { $0.status != .passing }.map { "\(instance.node)/\(instance.name)/\($0.name): \($0.output)" }
        }
        let nodeFailing = service == nil ? snapshot.nodes.flatMap { node in
            node.checks.filter { $0.status != .passing }.map { "\(node.name)/\($0.name): \($0.output)" }
        } : []
        var line = "VITALS \(label) - \(subject), \(summary)"
        let reasons = nodeFailing + failing
        if !reasons.isEmpty { line += "; " + reasons.prefix(5).joined(separator: "; ") }
        // Nagios performance data after `|`: the counts, then each check's latency.
        line = line.replacingOccurrences(of: "|", with: "/")
        return (line + " | " + perfdata(snapshot, counts: counts, instances: instances, nodes: service == nil), code)
    }

    /// `'label'=value[unit];warn;crit;min;max`, as monitoring plugins print it: one figure per
    /// status, then the latency of every check judged (node checks too for the whole cluster),
    /// at most 100 in all.
    static func perfdata(_ snapshot: ClusterSnapshot, counts: [Status: Int], instances: [ServiceSnapshot], nodes: Bool) -> String {
        func label(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''").replacingOccurrences(of: "=", with: "_") + "'" }
        var items = [Status.passing, .warning, .critical, .unknown, .maintenance].map { "\($0.rawValue)=\(counts[$0] ?? 0);;;0" }
        var latencies: [(String, Double?)] = []
        if nodes {
            for node in snapshot.nodes { latencies += node.checks.map { ("\(node.name)/\($0.name)", $0.latencyMs) } }
        }
        for instance in instances { latencies += instance.checks.map { ("\(instance.node)/\(instance.name)/\($0.name)", $0.latencyMs) } }
        for (name, latency) in latencies.prefix(100 - items.count) {
            // A check with no answer has no figure: Nagios' `U`.
            let value = latency.map { String(format: "%.6f", $0 / 1000).replacing(#/0+$/#, with: "").replacing(#/\.$/#, with: "") + "s" } ?? "U"
            items.append("\(label(name))=\(value);;;0")
        }
        return items.joined(separator: " ")
    }
}
