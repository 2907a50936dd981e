import Testing
import VitalsCore

/// Alert rules in the cluster file: built-ins configured or turned off, user rules, and every
/// mistake reported with file:line:column.
@Suite struct AlertRuleConfigTests {
    func check(_ alerts: String, extra: String = "") -> ClusterConfigLoader.Result {
        let yaml = """
            cluster: x
            nodes: [ { name: a, address: 127.0.0.1, services: [ { name: web, checks: [ { name: h, tcp: "127.0.0.1:1" } ] } ] } ]
            \(extra)alerts:
            \(alerts)
            """
        return ClusterConfigLoader.check(text: yaml, file: "f.yaml")
    }

    @Test func builtInsAreOnByDefault() throws {
        let config = try #require(check("  []").config)
        #expect(config.alerting.rules.map(\.name) == ["NodeDown", "ServiceDown", "ServiceDegraded", "ScrapeFailing", "StaleLockHolder", "CheckFlapping"])
    }

    @Test func builtInsCanBeConfiguredAndTurnedOff() throws {
        let result = check("""
              - { name: ServiceDown, for: 30s, severity: warning, labels: { team: shop } }
              - { name: ScrapeFailing, enabled: false }
              - { name: HighCPU, expr: "node_cpu > 0.9", for: 1m, keep_firing_for: 2m, severity: critical, summary: "{{ $labels.node }} busy" }
            """)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let rules = try #require(result.config).alerting.rules
        let down = try #require(rules.first { $0.name == "ServiceDown" })
        #expect(down.forDuration == .seconds(30) && down.severity == .warning && down.labels == ["team": "shop"])
        #expect(!rules.contains { $0.name == "ScrapeFailing" })
        let cpu = try #require(rules.last)
        #expect(cpu.name == "HighCPU" && cpu.forDuration == .seconds(60) && cpu.keepFiringFor == .seconds(120) && !cpu.isBuiltIn)
    }

    @Test(arguments: [
        ("  - { name: A, expr: \"node_cpu >\" }", "f.yaml:4:33: alert 'A': the expression ends too early"),
        ("  - { name: A, expr: \"node_cpu > > 1\" }", "f.yaml:4:34: alert 'A': unexpected '>': expected a number, a name or '('"),
        ("  - { name: A, expr: 'service_status{service=~\"(\"} == 3' }", "f.yaml:4:47: alert 'A': regular expression \"(\" is not taken"),
        ("  - { name: A, expr: \"rate(http_errors_total) > 5\" }", "f.yaml:4:45: alert 'A': 'rate' needs a range after the series, like [5m]"),
        ("  - { name: A, expr: \"rate(http_errors_total[5q]) > 5\" }", "f.yaml:4:46: alert 'A': '5q' is not a duration like 30s or 5m"),
        ("  - { name: A, expr: \"1 > 0\" }", "f.yaml:4:22: alert 'A': the expression is a plain number"),
        ("  - { name: A }", "f.yaml:4:5: an alert rule is missing 'expr'"),
        ("  - { name: ServiceDown, expr: \"node_up == 0\" }", "f.yaml:4:26: 'ServiceDown' is a built-in rule"),
        ("  - { name: A, expr: \"node_up == 0\", severity: page }", "f.yaml:4:48: severity 'page' of alert 'A' must be one of critical, warning, info"),
        ("  - { name: A, expr: \"node_up == 0\", summary: \"{{ $values }}\" }", "f.yaml:4:48: summary of alert 'A': unknown template value '$values'"),
        ("  - { name: A, expr: \"node_up == 0\", for: 5 }", "f.yaml:4:43: bad duration '5' for 'for'"),
        ("  - { name: A, expr: \"node_up == 0\" }\n  - { name: A, expr: \"node_up == 1\" }", "f.yaml:5:13: duplicate alert rule name 'A'"),
    ])
    func mistakesNameTheirPlace(alerts: String, expected: String) {
        let result = check(alerts)
        #expect(result.config == nil)
        #expect(result.diagnostics.contains { $0.description.hasPrefix(expected) }, "\(result.diagnostics.map(\.description))")
    }

    @Test func rangeFunctionsReadScrapedSeries() throws {
        let result = check("  - { name: Errors, expr: 'rate(http_requests_total{code=~\"5..\"}[1m]) > 5' }")
        #expect(result.config != nil)
        #expect(result.diagnostics.map(\.severity) == [.warning], "a scraped name: a warning that it is not Vitals' own")
        let rule = try #require(result.config?.alerting.rules.last)
        #expect(rule.expression.names == ["http_requests_total"])
    }

    @Test func anInvalidRegexSaysSo() {
        let result = check("  - { name: A, expr: 'service_status{service=~\"(\"} == 3' }")
        #expect(result.diagnostics.first?.description.contains("is not taken: '(' is not closed") == true)
    }

    @Test func unknownNamesAreWarningsWithASuggestion() throws {
        let result = check("  - { name: A, expr: \"node_cpus > 0.9\" }")
        #expect(result.config != nil, "a scraped series may have any name: a warning, not an error")
        #expect(result.diagnostics.map(\.description) == [
            "f.yaml:4:22: warning: alert 'A': 'node_cpus' is not one of Vitals' series; it is read from each node's scraped metrics (did you mean 'node_cpu'?)",
        ])
    }

    @Test func notificationTargetsAreChecked() {
        let result = check("  []", extra: "alertmanager: \"ftp://am\"\nwebhooks: [ \"http://127.0.0.1:9/hook\", \"nope\" ]\n")
        let messages = result.diagnostics.map(\.description)
        #expect(messages.contains("f.yaml:3:15: alertmanager 'ftp://am' is not an http:// or https:// URL with a host"))
        #expect(messages.contains("f.yaml:4:40: webhook 'nope' is not an http:// or https:// URL with a host"))
    }
}

/// The expression language on its own.
@Suite struct AlertExpressionTests {
    struct Series: AlertSeriesSource {
        func samples(named name: String) -> [AlertSample] {
            switch name {
            case "service_up":
                [("orders-1", "orders", 0.0), ("orders-2", "orders", 0), ("web-1", "web", 1)].map {
                    AlertSample(labels: AlertLabels(["node": $0.0, "service": $0.1]), value: $0.2)
                }
            case "node_up":
                [("orders-1", 1.0), ("orders-2", 0), ("web-1", 1)].map { AlertSample(labels: AlertLabels(["node": $0.0]), value: $0.1) }
            default: []
            }
        }
    }

    func evaluate(_ text: String) throws -> [String: Double] {
        guard case .vector(let samples) = try AlertExpression(parsing: text).evaluate(Series()) else { return [:] }
        return Dictionary(uniqueKeysWithValues: samples.map { sample in
            (sample.labels.pairs.map { "\($0.name)=\($0.value)" }.joined(separator: ","), sample.value)
        })
    }

    @Test func comparisonsFilterAndKeepTheValue() throws {
        #expect(try evaluate("service_up == 0").keys.sorted() == ["node=orders-1,service=orders", "node=orders-2,service=orders"])
        #expect(try evaluate("service_up{service!=\"orders\"} > 0") == ["node=web-1,service=web": 1])
        #expect(try evaluate("service_up{node=~\"orders-.*\"} * 2 + 1").values.sorted() == [1, 1])
    }

    @Test func aggregationsGroupByLabels() throws {
        #expect(try evaluate("count by (service) (service_up == 0) >= 2") == ["service=orders": 2])
        #expect(try evaluate("sum(service_up)") == ["": 1])
        #expect(try evaluate("max(service_up) by (service)") == ["service=orders": 0, "service=web": 1])
    }

    @Test func setOperationsMatchOnLabels() throws {
        #expect(try evaluate("service_up == 0 and on (node) node_up == 1") == ["node=orders-1,service=orders": 0])
        #expect(try evaluate("service_up == 0 unless on (node) node_up == 0") == ["node=orders-1,service=orders": 0])
        #expect(try evaluate("node_up == 0 or node_up == 1").count == 3)
    }

    @Test func rangeFunctionsHandleCounterResets() {
        let samples: [(time: Double, value: Double)] = [(0, 100), (10, 150), (20, 30), (30, 60)]
        // 50 up, a reset to 30 (counts as 30), then 30 more: 110 over 30 s.
        #expect(RangeFunction.apply("increase", samples) == 110)
        #expect(RangeFunction.apply("rate", samples) == 110.0 / 30)
        #expect(RangeFunction.apply("irate", samples) == 3)
        #expect(RangeFunction.apply("delta", samples) == -40)
        #expect(RangeFunction.apply("max_over_time", samples) == 150)
        #expect(RangeFunction.apply("rate", [(0, 1)]) == nil, "one sample has no rate")
    }

    @Test func histogramQuantileInterpolatesInsideItsBucket() throws {
        struct Buckets: AlertSeriesSource {
            func samples(named name: String) -> [AlertSample] {
                [("0.1", 10.0), ("0.5", 60), ("1", 90), ("+Inf", 100)].map {
                    AlertSample(labels: AlertLabels(["le": $0.0, "service": "orders"]), value: $0.1)
                }
            }
        }
        guard case .vector(let result) = try AlertExpression(parsing: "histogram_quantile(0.9, latency_bucket)").evaluate(Buckets()) else {
            Issue.record("not a vector")
            return
        }
        #expect(result.count == 1 && result.first?.labels == AlertLabels(["service": "orders"]))
        #expect(result.first?.value == 1, "90 of 100 fall at or below 1")
        guard case .vector(let median) = try AlertExpression(parsing: "histogram_quantile(0.5, latency_bucket)").evaluate(Buckets()) else { return }
        #expect(abs((median.first?.value ?? 0) - 0.42) < 1e-9, "rank 50 lies 40/50 of the way from 0.1 to 0.5")
        #expect(throws: AlertExpressionError.self) { try AlertExpression(parsing: "histogram_quantile(2, latency_bucket)") }
    }

    @Test func statusWordsAreNumbers() throws {
        let parsed = try AlertExpression(parsing: "service_status >= warning")
        #expect(parsed == .binary(.greaterOrEqual, .selector(name: "service_status", matchers: []), .constant("warning", 2), on: nil))
    }
}
