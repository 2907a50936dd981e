import Foundation
import Testing
import VitalsCore
import VitalsTesting

/// The files compiled into the binary are the repository's, byte for byte (scripts/embed
/// writes them), and each one loads.
@Suite struct BundledFilesTests {
    @Test func theBundledFilesAreTheRepositorysFiles() throws {
        let folders = ["sample-clusters", "themes"]
        var onDisk: [String: String] = [:]
        for folder in folders {
            for name in try FileManager.default.contentsOfDirectory(atPath: Fixtures.path(folder)) where name.hasSuffix(".yaml") {
                onDisk["\(folder)/\(name)"] = try String(contentsOfFile: Fixtures.path("\(folder)/\(name)"), encoding: .utf8)
            }
        }
        #expect(Set(BundledFiles.files.keys) == Set(onDisk.keys), "run scripts/embed")
        for (path, text) in onDisk {
            #expect(BundledFiles.files[path].map { $0 + "\n" } == text, "\(path) differs from its bundled copy: run scripts/embed")
        }
    }

    @Test func theBundledClustersLoad() {
        for (path, text) in BundledFiles.files where path.hasPrefix("sample-clusters/") {
            let result = ClusterConfigLoader.check(text: text + "\n", file: path)
            #expect(result.config != nil, "\(path): \(result.diagnostics)")
        }
    }
}
