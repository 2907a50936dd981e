import Foundation
import VitalsCore
import VitalsEngine

/// `GET /metrics`: Vitals' own metrics and every check's status, in Prometheus' text format
/// (0.0.4), so a Prometheus server can scrape Vitals like any other target.
public enum MetricsPage {
    /// A check's status as a number: 0 passing, 1 warning, 2 critical, 3 unknown (Nagios' codes).
    /// A check keeps its own status under maintenance; `vitals_node_maintenance` says so.
    public static func code(_ status: Status) -> Int {
        switch status {
        case .passing, .maintenance: 0
        case .warning: 1
        case .critical: 2
        case .unknown: 3
        }
    }

    public static func render(snapshot: ClusterSnapshot, counters: EngineCounters, scheduler: ProbeScheduler.Stats?, api: ConnectionCounter.Counts) -> String {
        var page = Page()
        page.family("vitals_build_info", "gauge", "Always 1; the version of Vitals serving this page.")
        page.sample("vitals_build_info", [("version", ServerLog.version)], 1)
        page.single("vitals_snapshot_generation", "gauge", "Generation of the newest published snapshot.", Double(snapshot.generation))
        page.single("vitals_snapshot_timestamp_seconds", "gauge", "When the newest snapshot was published (Unix time).", snapshot.time.timeIntervalSince1970)

        page.family("vitals_probes_total", "counter", "Probes run since start, by check type.")
        for (type, counts) in counters.probes.sorted(by: { $0.key < $1.key }) {
            page.sample("vitals_probes_total", [("type", type)], Double(counts.count))
        }
        page.family("vitals_probe_duration_seconds", "histogram", "How long probes took, by check type (ttl checks have no duration).")
        for (type, counts) in counters.probes.sorted(by: { $0.key < $1.key }) {
            for (bound, count) in zip(EngineCounters.bucketBounds, counts.buckets) {
                page.sample("vitals_probe_duration_seconds_bucket", [("type", type), ("le", Page.number(bound))], Double(count))
            }
            page.sample("vitals_probe_duration_seconds_bucket", [("type", type), ("le", "+Inf")], Double(counts.timed))
            page.sample("vitals_probe_duration_seconds_sum", [("type", type)], counts.sumSeconds)
            page.sample("vitals_probe_duration_seconds_count", [("type", type)], Double(counts.timed))
        }
        page.single("vitals_scrapes_total", "counter", "Metrics scrapes of nodes since start.", Double(counters.scrapes))
        page.single("vitals_scrape_errors_total", "counter", "Scrapes that failed (no answer, bad status, unreadable body).", Double(counters.scrapeErrors))
        if let scheduler {
            page.family("vitals_scheduler_lag_seconds", "summary", "Start time minus due time of the jobs started since start.")
            for quantile in [0.5, 0.99] {
                page.sample("vitals_scheduler_lag_seconds", [("quantile", Page.number(quantile))], Double(scheduler.lag.percentile(quantile)) / 1e9)
            }
            page.sample("vitals_scheduler_lag_seconds_sum", [], scheduler.lag.meanNanoseconds * Double(scheduler.lag.count) / 1e9)
            page.sample("vitals_scheduler_lag_seconds_count", [], Double(scheduler.lag.count))
            page.family("vitals_scheduler_skipped_total", "counter", "Rounds skipped because the job's previous run had not finished.")
            page.sample("vitals_scheduler_skipped_total", [], Double(scheduler.skipped))
        }

        let logs = snapshot.logStats ?? LogStats()
        page.single("vitals_log_lines_received_total", "counter", "Log lines taken in since start.", Double(logs.nextSequence))
        page.single("vitals_log_lines_dropped_total", "counter", "Stored log lines dropped, oldest first, to stay under the byte limit.", Double(logs.dropped))
        page.single("vitals_log_lines_unparsed_total", "counter", "Log lines that did not parse (kept raw).", Double(logs.unparsed))
        page.single("vitals_log_syslog_datagrams_dropped_total", "counter", "Syslog datagrams the kernel dropped.", Double(logs.udpDropped))
        page.single("vitals_log_connections_refused_total", "counter", "Connections to the log listeners closed at their cap.", Double(logs.connectionsRefused))
        page.single("vitals_log_connections_cut_total", "counter", "Connections to the log listeners closed for not finishing a message in time.", Double(logs.connectionsCut))
        page.single("vitals_log_lines_stored", "gauge", "Log lines kept in the store.", Double(logs.lines))
        page.single("vitals_log_store_bytes", "gauge", "Bytes the stored log lines take, out of vitals_log_store_limit_bytes.", Double(logs.bytes))
        page.single("vitals_log_store_limit_bytes", "gauge", "The log store's byte limit.", Double(logs.byteLimit))

        page.family("vitals_alerts", "gauge", "Alerts by state (pending, firing).")
        for state in [AlertState.pending, .firing] {
            page.sample("vitals_alerts", [("state", state.rawValue)], Double(snapshot.alerts.filter { $0.state == state }.count))
        }
        page.single("vitals_alerts_acknowledged", "gauge", "Pending and firing alerts someone acknowledged.", Double(snapshot.alerts.filter { $0.state != .resolved && $0.isAcknowledged }.count))
        page.single("vitals_alerts_silenced", "gauge", "Pending and firing alerts a silence mutes.", Double(snapshot.alerts.filter { $0.state != .resolved && $0.isSilenced }.count))

        page.single("vitals_api_connections", "gauge", "Open connections to this API.", Double(api.open))
        page.single("vitals_api_connections_limit", "gauge", "The most connections this API keeps open at once.", Double(api.limit))
        page.single("vitals_api_connections_refused_total", "counter", "Connections closed at once because the limit was reached.", Double(api.refused))
        page.single("vitals_api_requests_timed_out_total", "counter", "Connections closed because a request did not arrive whole in time.", Double(api.timedOut))

        page.family("vitals_node_status", "gauge", "Each node's status: 0 passing, 1 warning, 2 critical, 3 unknown.")
        for node in snapshot.nodes { page.sample("vitals_node_status", [("node", node.name)], Double(code(node.status))) }
        page.family("vitals_node_maintenance", "gauge", "1 while a person has the node in maintenance.")
        for node in snapshot.nodes { page.sample("vitals_node_maintenance", [("node", node.name)], node.maintenance == nil ? 0 : 1) }
        page.family("vitals_check_status", "gauge", "Each check's status: 0 passing, 1 warning, 2 critical, 3 unknown.")
        page.family("vitals_check_latency_seconds", "gauge", "Each check's latest latency.")
        var latencies: [String] = []
        for node in snapshot.nodes {
            for check in node.checks {
                let labels = [("node", node.name), ("service", ""), ("check", check.name), ("type", check.type)]
                page.sample("vitals_check_status", labels, Double(code(check.status)))
                if let ms = check.latencyMs { latencies.append(Page.line("vitals_check_latency_seconds", labels, ms / 1000)) }
            }
        }
        for service in snapshot.services {
            for check in service.checks {
                let labels = [("node", service.node), ("service", service.name), ("check", check.name), ("type", check.type)]
                page.sample("vitals_check_status", labels, Double(code(check.status)))
                if let ms = check.latencyMs { latencies.append(Page.line("vitals_check_latency_seconds", labels, ms / 1000)) }
            }
        }
        page.moveLatencies(latencies)
        return page.text
    }

    /// Families in order, each with its HELP and TYPE lines before its samples.
    private struct Page {
        private var families: [(name: String, header: String, samples: [String])] = []

        /// A family of one sample without labels.
        mutating func single(_ name: String, _ type: String, _ help: String, _ value: Double) {
            family(name, type, help)
            sample(name, [], value)
        }

        mutating func family(_ name: String, _ type: String, _ help: String) {
            families.append((name, "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n", []))
        }

        /// Adds a sample to the family it belongs to (the latest one whose name it starts with).
        mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
            let line = Self.line(name, labels, value)
            let index = families.lastIndex { name == $0.name || name.hasPrefix($0.name + "_") } ?? families.count - 1
            families[index].samples.append(line)
        }

        mutating func moveLatencies(_ lines: [String]) {
            guard let index = families.firstIndex(where: { $0.name == "vitals_check_latency_seconds" }) else { return }
            families[index].samples = lines
        }

        var text: String {
            families.map { $0.header + $0.samples.map { $0 + "\n" }.joined() }.joined()
        }

        static func line(_ name: String, _ labels: [(String, String)], _ value: Double) -> String {
            let block = labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
            return "\(name)\(block) \(number(value))"
        }

        static func number(_ value: Double) -> String {
            if value.isNaN { return "NaN" }
            if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
            if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
            return "\(value)"
        }

        /// Label values escape backslash, double quote and newline, as the format says.
        static func escape(_ text: String) -> String {
            var out = ""
            for character in text {
                switch character {
                case "\\": out += "\\\\"
                case "\"": out += "\\\""
                case "\n": out += "\\n"
                default: out.append(character)
                }
            }
            return out
        }
    }
}
