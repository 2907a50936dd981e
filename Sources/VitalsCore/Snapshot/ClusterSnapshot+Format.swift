import Foundation

extension ClusterSnapshot {
    /// The snapshot as the JSON of DESIGN.md: snake_case keys, RFC 3339 times, sorted keys.
    public func jsonData(pretty: Bool = true) throws -> Data {
        try Self.encoder(pretty: pretty).encode(self)
    }

    /// Decodes the JSON written by `jsonData`.
    public static func decode(json: Data) throws -> ClusterSnapshot {
        try decoder().decode(ClusterSnapshot.self, from: json)
    }

    /// The encoder of the snapshot's JSON (and of everything the API sends with it): snake_case
    /// keys as declared, RFC 3339 times, sorted keys, one line unless `pretty`.
    public static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Self.timestamp(date))
        }
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The decoder for what `encoder` writes.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad time '\(text)'"))
            }
            return date
        }
        return decoder
    }

    /// A plain-text report: one line per node, then one per service instance with its checks.
    public var textReport: String {
        var lines: [String] = []
        let counts = nodeCounts
        let summary = Status.allCases.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }
        lines.append("cluster \(cluster)  generation \(generation)  \(Self.timestamp(time))  nodes: \(summary.joined(separator: ", "))")
        lines.append("")
        lines.append("NODES")
        for node in nodes {
            let cpu = node.metrics.cpu.map { String(format: "cpu %3.0f%%", $0 * 100) } ?? "cpu    -"
            let memory = node.metrics.memory.map { String(format: "mem %3.0f%%", $0 * 100) } ?? "mem    -"
            lines.append("  \(pad(node.name, 20)) \(pad(node.address, 15)) \(pad(node.status.rawValue, 9)) \(cpu)  \(memory)  \(node.services.joined(separator: ","))")
            // The node's own checks (ping, disk, a TTL heartbeat), which no service lists.
            for check in node.checks {
                let latency = check.latencyMs.map { String(format: "%.1fms", $0) } ?? "-"
                lines.append("      \(pad(check.name, 10)) \(pad(check.status.rawValue, 9)) \(pad(latency, 9)) \(check.output)")
            }
            if let error = node.metrics.scrapeError { lines.append("      \(pad("scrape", 10)) \(pad("failing", 9)) \(pad("-", 9)) \(error)") }
        }
        lines.append("")
        lines.append("SERVICES")
        for service in services {
            let (passing, total) = service.passingCount
            lines.append("  \(pad(service.name, 14)) \(pad(service.node, 20)) \(pad(service.status.rawValue, 9)) \(passing)/\(total) checks")
            for check in service.checks {
                let latency = check.latencyMs.map { String(format: "%.1fms", $0) } ?? "-"
                lines.append("      \(pad(check.name, 10)) \(pad(check.status.rawValue, 9)) \(pad(latency, 9)) \(check.output)")
            }
        }
        if !locks.isEmpty {
            lines.append("")
            lines.append("LOCKS")
            for lock in locks {
                let ttl = lock.leaseTTLSeconds.map { "ttl \($0)s" } ?? "ttl -"
                lines.append("  \(pad(lock.name, 30)) \(pad(lock.kind.rawValue, 10)) \(pad(lock.status.rawValue, 9)) \(pad(lock.holder ?? "(none)", 18)) \(pad(ttl, 8)) \(lock.waiters) waiting")
                for reason in lock.diagnoses { lines.append("      \(reason)") }
            }
        }
        lines.append("")
        lines.append("ALERTS")
        if alerts.isEmpty { lines.append("  none") }
        for alert in alerts {
            var notes: [String] = []
            if let by = alert.acknowledgedBy { notes.append("acknowledged by \(by): \(alert.comment ?? "")") }
            if let silence = alert.silencedBy { notes.append("silenced (\(silence.prefix(8)))") }
            if let root = alert.rootCause, let cause = alerts.first(where: { $0.id == root }) {
                notes.append("symptom of \(cause.name) \(cause.service ?? cause.node ?? "")")
            }
            let subject = [alert.service, alert.node].compactMap { $0 }.joined(separator: " on ")
            lines.append("  \(pad(alert.severity.rawValue, 8)) \(pad(alert.state.rawValue, 8)) \(pad(alert.name, 16)) \(pad(subject, 30)) \(alert.summary)")
            for note in notes { lines.append("      \(note)") }
        }
        let now = time
        let active = silences.filter { $0.isActive(at: now) }
        if !active.isEmpty {
            lines.append("")
            lines.append("SILENCES")
            for silence in active {
                lines.append("  \(pad(silence.matcherText, 40)) until \(Self.timestamp(silence.endsAt))  by \(silence.createdBy): \(silence.comment)")
            }
        }
        if let capacity, !capacity.isEmpty {
            lines.append("")
            lines.append("CAPACITY")
            for advice in capacity {
                let change = advice.desired == advice.current ? "\(advice.current)" : "\(advice.current) → \(advice.desired)"
                lines.append("  \(pad(advice.service, 14)) \(pad(change, 8)) \(pad("\(advice.ready)/\(advice.current) ready", 10)) \(advice.reason)")
                if let action = advice.lastAction { lines.append("      last: \(action)") }
            }
        }
        // Names come from the cluster file and outputs from the network: neither may drive a terminal.
        return lines.map(\.sanitizedForTerminal).joined(separator: "\n") + "\n"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// RFC 3339 with milliseconds, in UTC.
    public static func timestamp(_ date: Date) -> String {
        RFC3339.format(date)
    }

    static func parseTimestamp(_ text: String) -> Date? {
        RFC3339.parse(text) ?? (try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: .iso8601))
    }
}
