import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsTesting

/// The byte-level parser against the format's edge cases, and against the parser it replaces on
/// a real node_exporter scrape.
@Suite struct ExpositionParserTests {
    struct Parsed {
        var samples: [(name: String, labels: [String: String], value: Double, timestamp: Int64?)] = []
        var summary = ExpositionParser.Summary()
    }

    func parse(_ text: String, format: ExpositionFormat = .prometheus, table: inout SeriesTable) -> Parsed {
        var parsed = Parsed()
        var ids: [(Int32, Double, Int64?)] = []
        let bytes = Array(text.utf8)
        parsed.summary = bytes.withUnsafeBytes { ExpositionParser(format: format).parse($0, into: &table) { ids.append(($0, $1, $2)) } }
        parsed.samples = ids.map { (table.name($0.0), table.labels($0.0), $0.1, $0.2) }
        return parsed
    }

    func parse(_ text: String, format: ExpositionFormat = .prometheus) -> Parsed {
        var table = SeriesTable()
        return parse(text, format: format, table: &table)
    }

    @Test func samplesLabelsEscapesAndSpecialValues() throws {
        let parsed = parse("""
            # HELP http_requests_total Requests.
            # TYPE http_requests_total counter
            http_requests_total{method="post",code="200"} 1027 1395066363000
            http_requests_total{method="post",code="400",} 3
            msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
            metric_without_labels 12.47
            up +Inf
            down -Inf
            weird NaN
            small 1e-310

            """)
        #expect(parsed.summary.failures.isEmpty, "\(parsed.summary.failures)")
        #expect(parsed.summary.types == ["http_requests_total": .counter])
        #expect(parsed.samples.count == 8)
        #expect(parsed.samples[0].labels == ["method": "post", "code": "200"] && parsed.samples[0].value == 1027 && parsed.samples[0].timestamp == 1_395_066_363_000)
        #expect(parsed.samples[1].labels == ["method": "post", "code": "400"], "a trailing comma is allowed")
        #expect(parsed.samples[2].labels == ["path": "C:\\DIR\\FILE.TXT", "error": "Cannot find file:\n\"FILE.TXT\""])
        #expect(parsed.samples[2].value == 1.458255915e9)
        #expect(parsed.samples[3].name == "metric_without_labels" && parsed.samples[3].value == 12.47)
        #expect(parsed.samples[4].value == .infinity && parsed.samples[5].value == -.infinity && parsed.samples[6].value.isNaN)
        #expect(parsed.samples[7].value == 1e-310, "a denormal is a number, not an error")
    }

    @Test(arguments: [
        ("x{a=\"1\"} 1e400", "value '1e400' is out of range"),
        ("x{a=\"1\"}", "missing value"),
        ("x{a=\"1\" 2", "labels are not closed with '}'"),
        ("x{a=\"1\",a=\"2\"} 2", "label a appears twice"),
        ("x{a=\"\\q\"} 2", "unknown escape '\\q'"),
        ("x 2 3 4", "unexpected text after the value"),
        ("x abc", "bad value 'abc'"),
        ("x 0x1p3", "bad value '0x1p3'"),
        ("9x 1", "expected a metric name"),
        ("x 1 12.5", "bad timestamp"),
    ])
    func badLinesAreReportedAndSkipped(line: String, reason: String) throws {
        let parsed = parse("good 1\n\(line)\nalso_good 2\n")
        #expect(parsed.samples.map(\.name) == ["good", "also_good"], "the rest is read")
        let failure = try #require(parsed.summary.failures.first)
        #expect(failure.line == 2 && failure.reason.hasPrefix(reason), "\(failure)")
    }

    @Test func invalidUTF8InALabelValueIsRejected() throws {
        let bytes = Array("x{a=\"".utf8) + [0xFF, 0xFE] + Array("\"} 1\ny 2\n".utf8)
        var table = SeriesTable()
        var ids: [Int32] = []
        let summary = bytes.withUnsafeBytes { raw in
            ExpositionParser().parse(raw, into: &table) { id, _, _ in ids.append(id) }
        }
        #expect(ids.map { table.name($0) } == ["y"])
        #expect(summary.failures.first?.reason == "label value is not valid UTF-8")
    }

    @Test func openMetricsTimestampsExemplarsAndEOF() throws {
        let parsed = parse("""
            # TYPE acme_http_router_request_seconds summary
            # UNIT acme_http_router_request_seconds seconds
            acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32 1520879607.789
            acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
            foo_bucket{le="10"} 17 # {trace_id="oHg5SJYRHA0"} 9.8 1520879607.789
            foo_bucket{le="+Inf"} 17
            # EOF

            """, format: .openMetrics)
        #expect(parsed.summary.failures.isEmpty, "\(parsed.summary.failures)")
        #expect(parsed.summary.sawEOF)
        #expect(parsed.samples.count == 4)
        #expect(parsed.samples[0].timestamp == 1_520_879_607_789, "OpenMetrics timestamps are seconds")
        #expect(parsed.samples[2].labels == ["le": "10"] && parsed.samples[2].value == 17, "the exemplar is skipped")
        #expect(parse("x 1\n", format: .openMetrics).summary.failures.first?.reason.hasPrefix("the exposition ends without # EOF") == true)
        #expect(parse("x 1\n# EOF\ny 2\n", format: .openMetrics).summary.failures.first?.reason == "text after # EOF")
        #expect(parse("x 1 # {a=\"b\"} 1\n").summary.failures.first?.reason == "unexpected text after the value", "no exemplars in 0.0.4")
    }

    @Test func aTypeAfterItsSamplesOrTwiceIsAnError() throws {
        let late = parse("x_total 1\n# TYPE x counter\ny 2\n")
        #expect(late.summary.failures.first?.reason == "# TYPE for x comes after its samples")
        #expect(late.samples.count == 2, "the samples are kept")
        let twice = parse("# TYPE x counter\n# TYPE x gauge\nx 1\n")
        #expect(twice.summary.failures.first?.reason == "a second # TYPE for x")
        #expect(twice.summary.types["x"] == .counter)
    }

    @Test func onlyTheNamesAskedForAreRead() throws {
        var table = SeriesTable()
        var ids: [Int32] = []
        let text = Array("a{x=\"1\"} 1\nb 2\nb{y=\"bad\\q\"} 3\nc 4\n".utf8)
        let summary = text.withUnsafeBytes {
            ExpositionParser(only: ["a", "c"]).parse($0, into: &table) { id, _, _ in ids.append(id) }
        }
        #expect(ids.map { table.name($0) } == ["a", "c"])
        #expect(summary.skipped == 2 && summary.failures.isEmpty, "unwanted lines are not even checked")
        #expect(table.count == 2, "nor interned")
    }

    @Test func quotedMetricNames() throws {
        let parsed = parse("{\"my.dotted.metric\", region=\"eu\"} 3\n")
        #expect(parsed.summary.failures.isEmpty, "\(parsed.summary.failures)")
        #expect(parsed.samples.first?.name == "my.dotted.metric" && parsed.samples.first?.labels == ["region": "eu"])
    }

    @Test func aSeriesIsInternedOnceAndFoundAgainInTheNextScrape() throws {
        var table = SeriesTable()
        let first = parse("a{x=\"1\"} 1\nb 2\n", table: &table)
        let second = parse("b 3\na{x=\"1\"} 4\nc 5\n", table: &table)
        #expect(first.summary.newSeries == 2 && second.summary.newSeries == 1)
        #expect(table.count == 3)
        #expect(second.samples.map(\.value) == [3, 4, 5])
    }

    /// A real node_exporter's page: one sample per line that is not a comment, and values as
    /// the page writes them.
    @Test func theNodeExporterSampleReadsWhole() throws {
        let text = try String(contentsOfFile: Fixtures.path("Tests/Fixtures/node_exporter_sample.prom"), encoding: .utf8)
        let parsed = parse(text)
        #expect(parsed.summary.failures.isEmpty, "\(parsed.summary.failures)")
        let sampleLines = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(parsed.samples.count == sampleLines.count && sampleLines.count > 500)
        for (sample, line) in zip(parsed.samples, sampleLines) {
            let written = line.split(separator: " ").last.map(String.init) ?? ""
            let value = Double(written) ?? (written == "NaN" ? .nan : written.hasSuffix("Inf") ? (written.hasPrefix("-") ? -.infinity : .infinity) : -1)
            #expect(sample.value == value || (sample.value.isNaN && value.isNaN), "\(line)")
            #expect(line.hasPrefix(sample.name))
        }
        #expect(parsed.summary.types["node_cpu_seconds_total"] == .counter)
    }

    @Test func contentTypesPickTheFormat() {
        #expect(ExpositionFormat(contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8") == .openMetrics)
        #expect(ExpositionFormat(contentType: "text/plain; version=0.0.4") == .prometheus)
        #expect(ExpositionFormat(contentType: nil) == .prometheus)
    }
}

/// A node's vital signs read from node_exporter's names, through the scrape path.
@Suite struct VitalSignsTests {
    @Test func theNodeExporterSampleGivesLoadDisksFilesAndNetwork() throws {
        let text = try String(contentsOfFile: Fixtures.path("Tests/Fixtures/node_exporter_sample.prom"), encoding: .utf8)
        // Read as a scrape is read in production.
        let reading = try Scraper.reading(text, at: Fixtures.time)
        let metrics = reading.metrics(since: nil)
        #expect(metrics.load1 != nil && metrics.load5 != nil && metrics.load15 != nil)
        #expect(metrics.openFiles.map { $0 > 0 } == true)
        #expect(!metrics.disks.isEmpty && metrics.disks.allSatisfy { (0...1).contains($0.used) && $0.sizeBytes > 0 })
        #expect(!metrics.disks.contains { $0.mount.hasPrefix("/run") }, "tmpfs is not a disk")
        #expect(reading.networkReceived != nil && reading.networkSent != nil)
        #expect(metrics.memory.map { (0...1).contains($0) } == true)
    }

    @Test func ratesComeFromTwoReadings() {
        var first = NodeMetricsReading(time: Fixtures.time)
        first.add(.networkReceived, value: 1_000, name: "")
        first.add(.networkSent, value: 5_000, name: "")
        var second = NodeMetricsReading(time: Fixtures.time.addingTimeInterval(2))
        second.add(.networkReceived, value: 3_000, name: "")
        second.add(.networkSent, value: 4_000, name: "")  // a counter reset: no rate
        let metrics = second.metrics(since: first)
        #expect(metrics.networkReceiveRate == 1_000)
        #expect(metrics.networkSendRate == nil)
    }
}
