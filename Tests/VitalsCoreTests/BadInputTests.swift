import Foundation
import Testing
import VitalsCore
import VitalsTesting

/// Every input that once trapped or said nothing useful, now a clear error at the right place,
/// reported once. Files live in Tests/Fixtures/bad-input.
@Suite struct BadInputTests {
    func check(_ name: String) -> ClusterConfigLoader.Result {
        ClusterConfigLoader.check(path: Fixtures.path("Tests/Fixtures/bad-input/\(name)"))
    }

    func messages(_ name: String) -> [String] {
        check(name).diagnostics.map(\.description).map { $0.replacingOccurrences(of: Fixtures.path("Tests/Fixtures/bad-input") + "/", with: "") }
    }

    @Test func anIntervalTooLongForAnyClockIsAnErrorNotATrap() {
        #expect(messages("interval-overflow.yaml") == [
            "interval-overflow.yaml:3:13: duration '\(String(repeating: "999999999s", count: 10))' for 'interval' in defaults is too long (at most 36500d)"
                .replacingOccurrences(of: "36500d", with: Duration.longest.goString),
        ])
    }

    @Test(arguments: ["999999999999999999999h", "9223372036854775807s", "106751d", "3000000h", "99999999999999999999999999999999999999999999999999999999999999999999999999999999999ms"])
    func durationsPastTheLimitDoNotParse(text: String) {
        #expect(Duration(goString: text) == nil)
        #expect(Duration.isTooLong(text))
    }

    @Test(arguments: ["1e400s", "inf", "nan", "-5s", "5"])
    func notDurationsAtAll(text: String) {
        #expect(Duration(goString: text) == nil)
        #expect(!Duration.isTooLong(text))
    }

    @Test func durationsJustInsideTheLimitParse() {
        #expect(Duration(goString: "36499d") == .seconds(36_499 * 86_400))
        #expect(!Duration.isTooLong("5x"))
    }

    @Test func aDuplicateKeyIsReportedWhereItRepeats() {
        #expect(messages("duplicate-key.yaml") == [
            "duplicate-key.yaml:5:5: duplicate key 'name' (first at line 3, column 5): each key may appear once in a mapping",
        ])
    }

    @Test func aWrongTypeIsReportedOnce() {
        #expect(messages("nodes-not-a-list.yaml") == ["nodes-not-a-list.yaml:2:8: 'nodes' in the cluster file must be a list"])
    }

    @Test func aBinaryFileSaysSo() {
        #expect(messages("binary.yaml") == ["binary.yaml:2:1: this is a binary file (a NUL byte), not YAML text"])
    }

    @Test func invalidUTF8NamesTheByteAndWhere() {
        #expect(messages("invalid-utf8.yaml") == ["invalid-utf8.yaml:3:14: the file is not UTF-8 text: byte 0xE9 cannot start or continue a character"])
    }

    @Test func aFolderOrAMissingFileSaysSo() {
        let folder = ClusterConfigLoader.check(path: Fixtures.path("Tests/Fixtures")).diagnostics.map(\.message)
        #expect(folder == ["this is a folder, not a file"])
        let missing = ClusterConfigLoader.check(path: Fixtures.path("Tests/Fixtures/none.yaml")).diagnostics.map(\.message)
        #expect(missing == ["no such file"])
    }

    @Test func namesWithEscapesLoadButArePrintedSafely() throws {
        let config = try #require(check("escape-in-names.yaml").config)
        #expect(config.name == "evil\u{1B}[2J\u{07}")
        let diagnostic = Diagnostic(SourceLocation(file: "f", line: 1, column: 1), "node '\(config.nodes[0].name)' is odd")
        #expect(!diagnostic.description.contains("\u{1B}"))
        #expect(!diagnostic.description.contains("\u{07}"))
        let report = ClusterSnapshot(cluster: config.name, generation: 1, time: Fixtures.time, nodes: [], services: []).textReport
        #expect(!report.contains("\u{1B}") && !report.contains("\u{07}"))
    }

    @Test func nonFiniteMetricsAreWrittenAsAbsent() throws {
        var metrics = NodeMetrics(cpu: .nan, memory: 0.5, requestRate: .infinity, errorRatio: -.infinity)
        metrics.scrapeError = nil
        let snapshot = ClusterSnapshot(
            cluster: "c", generation: 1, time: Fixtures.time,
            nodes: [NodeSnapshot(name: "n", address: "127.0.0.1", status: .passing, services: [], metrics: metrics)], services: []
        )
        let json = String(decoding: try snapshot.jsonData(), as: UTF8.self)
        #expect(json.contains("\"memory\" : 0.5"))
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let written = ((object?["nodes"] as? [[String: Any]])?.first?["metrics"] as? [String: Any]) ?? [:]
        #expect(written["request_rate"] == nil && written["cpu"] == nil && written["error_ratio"] == nil)
        #expect(written["memory"] as? Double == 0.5)
    }
}
