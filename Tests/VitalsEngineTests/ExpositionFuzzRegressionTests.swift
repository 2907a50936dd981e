import Foundation
import Testing
import VitalsEngine
import VitalsTesting

/// Replays the parser's fixtures and every input its fuzzer ever found through both formats:
/// each must parse without a trap, and every sample reported must be one the callback saw.
@Suite struct ExpositionFuzzRegressionTests {
    static let folders = ["Tests/Fixtures/exposition", "Tests/Fixtures/fuzz-crashers-exposition"]

    static var inputs: [String] {
        Fixtures.files(in: folders) + ["Tests/Fixtures/node_exporter_sample.prom"]
    }

    @Test(arguments: inputs)
    func theParserAnswersEveryInput(file: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(file)))
        var table = SeriesTable()
        // From the input itself: no more samples than lines that are not comments.
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: true).filter { $0.first != UInt8(ascii: "#") }.count
        for format in [ExpositionFormat.prometheus, .openMetrics] {
            var count = 0
            let summary = bytes.withUnsafeBytes { ExpositionParser(format: format).parse($0, into: &table) { _, _, _ in count += 1 } }
            #expect(summary.samples == count)
            #expect(count <= lines, "\(count) samples from \(lines) lines")
            #expect(summary.failures.allSatisfy { !$0.description.isEmpty })
        }
        for id in 0..<Int32(table.count) {
            _ = table.name(id)
            _ = table.labels(id)
        }
    }

    @Test func theFixturesReadCleanlyInTheirOwnFormat() throws {
        var table = SeriesTable()
        let openMetrics = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("Tests/Fixtures/exposition/openmetrics-histogram.txt")))
        let summary = openMetrics.withUnsafeBytes { ExpositionParser(format: .openMetrics).parse($0, into: &table) { _, _, _ in } }
        #expect(summary.failures.isEmpty && summary.samples == 4 && summary.types["foo"] == .histogram)
        let prometheus = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("Tests/Fixtures/exposition/escapes-and-specials.txt")))
        let second = prometheus.withUnsafeBytes { ExpositionParser().parse($0, into: &table) { _, _, _ in } }
        #expect(second.failures.isEmpty && second.samples == 3, "\(second.failures)")
    }
}
