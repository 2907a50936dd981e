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
    /// The files in `folders` (paths relative to the repository, README.md left out), sorted: the
    /// inputs a replay test runs.
    public static func files(in folders: [String]) -> [String] {
        folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: path(folder))) ?? [])
                .filter { $0 != "README.md" }
                .map { "\(folder)/\($0)" }
        }.sorted()
    }

    public static func sampleCluster(_ name: String) -> String { path("sample-clusters/\(name).yaml") }

    /// The e-commerce demo, parsed.
    public static func ecommerce() throws -> ClusterConfig { try ClusterConfigLoader.load(path: sampleCluster("ecommerce")) }

    /// A fixed moment for snapshots: 2026-11-26T10:00:00Z.
    public static let time = Date(timeIntervalSince1970: 1_795_687_200)
}
