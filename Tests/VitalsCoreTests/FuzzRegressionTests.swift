import Foundation
import Testing
import VitalsCore
import VitalsTesting

/// Replays every input the fuzzer ever found (Tests/Fixtures/fuzz-crashers) and every bad-input
/// fixture through the loader: each must come back as a config or as diagnostics, never a trap,
/// and every message must be safe to print.
@Suite struct FuzzRegressionTests {
    static let folders = ["Tests/Fixtures/fuzz-crashers", "Tests/Fixtures/bad-input"]

    static var inputs: [String] {
        Fixtures.files(in: folders)
    }

    @Test func thereIsSomethingToReplay() {
        #expect(Self.inputs.count >= 6)
    }

    @Test(arguments: inputs)
    func theLoaderAnswersEveryInput(file: String) {
        let result = ClusterConfigLoader.check(path: Fixtures.path(file))
        #expect(result.config != nil || !result.diagnostics.isEmpty)
        for diagnostic in result.diagnostics {
            #expect(!diagnostic.description.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        }
    }
}
