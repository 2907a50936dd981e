import Foundation
import VitalsCore

/// Paths to the files that ship with the repository, for tests that load real fixtures.
public enum Fixtures {
    /// The repository root, found from this file's location.
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    public static func path(_ relative: String) -> String { repositoryRoot.appendingPathComponent(relative).path }

    /// `sample-clusters/NAME.yaml`.
    public static func sampleCluster(_ name: String) -> String { path("sample-clusters/\(name).yaml") }

    /// The e-commerce demo, parsed.
    public static func ecommerce() throws -> ClusterConfig { try ClusterConfigLoader.load(path: sampleCluster("ecommerce")) }

    /// A fixed moment for snapshots: 2026-11-26T10:00:00Z.
    public static let time = Date(timeIntervalSince1970: 1_795_687_200)
}
