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
        var line = "VITALS \(label) - \(subject), \(summary)"
        if !failing.isEmpty { line += "; " + failing.prefix(5).joined(separator: "; ") }
        return (line, code)
    }
}
