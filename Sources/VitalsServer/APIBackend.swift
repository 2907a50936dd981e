import VitalsCore
import VitalsEngine

/// What the API serves: the running engine (a reload replaces it) and the reload itself.
public protocol APIBackend: Sendable {
    /// The engine running now.
    var engine: Engine { get }
    /// Reads the cluster file again and runs it when valid; else keeps the running config.
    func reloadCluster() async -> APIReload
    /// Services registered through the agent API; nil when this backend takes none.
    var registry: ServiceRegistry? { get }
}

extension APIBackend {
    public var registry: ServiceRegistry? { nil }
}

/// What a reload did.
public struct APIReload: Sendable, Equatable {
    public var summary: String
    /// The file's problems when it was refused (`file:line:column: message`).
    public var problems: [String]
    public var refused: Bool

    public init(summary: String, problems: [String] = [], refused: Bool = false) {
        self.summary = summary
        self.problems = problems
        self.refused = refused
    }
}
