import ArgumentParser
import Foundation
import VitalsCore

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check cluster files and report every problem as file:line:column: message.",
        discussion: "Exits 0 when every file is valid (warnings are printed but allowed), 1 otherwise."
    )

    @Argument(help: "Cluster files to check.", completion: .file(extensions: ["yaml", "yml"]))
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one cluster file") }
    }

    func run() throws {
        var failed = false
        for file in files {
            let result = ClusterConfigLoader.check(path: file)
            for diagnostic in result.diagnostics {
                Output.error(diagnostic.description)
            }
            if let config = result.config {
                let services = config.nodes.reduce(0) { $0 + $1.services.count }
                let checks = config.allChecks.count
                let warnings = result.diagnostics.count
                Output.line("\(file): ok: cluster '\(config.name)', \(config.nodes.count) nodes, \(services) services, \(checks) checks" + (warnings > 0 ? ", \(warnings) warning(s)" : ""))
            } else {
                failed = true
                let errors = result.diagnostics.filter { $0.severity == .error }.count
                Output.error("\(file): \(errors) error(s)")
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// The optional cluster-file argument shared by the commands that watch a cluster.
struct ClusterFileArgument: ParsableArguments {
    @Argument(help: "The cluster file (default: the e-commerce demo).", completion: .file(extensions: ["yaml", "yml"]))
    var file: String?

    /// The file, or the demo when none was given.
    func path() throws -> String {
        if let file { return file }
        guard let demo = ResourceLocator.demoCluster else {
            throw ValidationError("cannot write the built-in demo to the cache folder ($XDG_CACHE_HOME or ~/.cache); give a cluster file, or write the demo out with vitals demo --write DIR")
        }
        return demo
    }

    /// Loads and validates the file, printing its diagnostics; exits 1 when it is invalid.
    func load() throws -> ClusterConfig {
        let result = ClusterConfigLoader.check(path: try path())
        for diagnostic in result.diagnostics {
            Output.error(diagnostic.description)
        }
        guard let config = result.config else { throw ExitCode(1) }
        return config
    }
}
