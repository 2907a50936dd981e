import Foundation
import Testing
import VitalsEngine
import VitalsTesting

@Suite struct PrometheusTextParserTests {
    @Test func readsSamplesLabelsAndSpecialValues() throws {
        let text = """
            # HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
            # TYPE node_cpu_seconds_total counter
            node_cpu_seconds_total{cpu="0",mode="idle"} 12345.67
            node_cpu_seconds_total{cpu="0", mode="user",} 89.5 1700000000000
            up 1
            weird{path="C:\\\\dir\\"x\\"\\n"} -Inf
            nan_metric NaN
            """
        let samples = try PrometheusTextParser.parse(text)
        #expect(samples.count == 5)
        #expect(samples[0] == MetricSample(name: "node_cpu_seconds_total", labels: ["cpu": "0", "mode": "idle"], value: 12345.67))
        #expect(samples[1].timestampMs == 1_700_000_000_000)
        #expect(samples[1].labels["mode"] == "user")
        #expect(samples[2] == MetricSample(name: "up", value: 1))
        #expect(samples[3].labels["path"] == "C:\\dir\"x\"\n")
        #expect(samples[3].value == -.infinity)
        #expect(samples[4].value.isNaN)
    }

    @Test(arguments: [
        ("metric{a=\"1\" 2", "line 1, column 14: expected ',' or '}' in labels"),
        ("metric{a=1} 2", "line 1, column 10: expected '\"' to open a label value"),
        ("ok 1\nmetric abc", "line 2, column 8: bad value 'abc'"),
        ("metric", "line 1, column 7: missing value"),
        ("9metric 1", "line 1, column 1: expected a name"),
        ("m{a=\"x\",a=\"y\"} 1", "line 1, column 14: label a appears twice"),
    ])
    func rejectsMalformedLinesWithTheirPosition(text: String, expected: String) {
        #expect(throws: PrometheusParseError.self) { try PrometheusTextParser.parse(text) }
        do {
            _ = try PrometheusTextParser.parse(text)
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func lenientParsingKeepsGoodLines() {
        let (samples, errors) = PrometheusTextParser.parseLenient("a 1\nb{ 2\nc 3\n")
        #expect(samples.map(\.name) == ["a", "c"])
        #expect(errors.map(\.line) == [2])
    }

    /// A real node_exporter exposition, kept in the repository (a copy of shared/bench's sample).
    @Test func parsesTheRealNodeExporterSample() throws {
        let text = try String(contentsOfFile: Fixtures.path("Tests/Fixtures/node_exporter_sample.prom"), encoding: .utf8)
        let samples = try PrometheusTextParser.parse(text)
        #expect(samples.count > 100)
        #expect(samples.contains { $0.name == "node_cpu_seconds_total" && $0.labels["mode"] == "idle" })
    }
}
