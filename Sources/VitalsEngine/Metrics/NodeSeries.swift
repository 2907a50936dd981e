import Foundation
import VitalsCore

/// One node's scraped series across scrapes: the interned table, and what each series means to
/// Vitals, worked out once per series rather than once per sample.
struct NodeSeries: Sendable {
    /// What a series feeds.
    enum Role: UInt8, Sendable {
        case unset, none, cpuIdle, cpuOther, memoryTotal, memoryAvailable, requests, requestErrors
    }

    var table = SeriesTable(capacity: 256)
    private var roles: [Role] = []
    /// For series that alert rules name: their labels (with `node`), else nil.
    private var alertLabels: [AlertLabels?] = []

    /// What series `id` feeds, and its alert labels when a rule reads it.
    mutating func describe(_ id: Int32, node: String, ruleNames: Set<String>) -> (Role, AlertLabels?) {
        let index = Int(id)
        if index >= roles.count {
            roles.append(contentsOf: repeatElement(.unset, count: index - roles.count + 1))
            alertLabels.append(contentsOf: repeatElement(nil, count: index - alertLabels.count + 1))
        }
        if roles[index] == .unset {
            let name = table.name(id)
            var role = Role.none
            var labels: [String: String]?
            func labelSet() -> [String: String] {
                if let labels { return labels }
                let read = table.labels(id)
                labels = read
                return read
            }
            switch name {
            case "node_cpu_seconds_total":
                let mode = labelSet()["mode"]
                role = mode == "idle" || mode == "iowait" ? .cpuIdle : .cpuOther
            case "node_memory_MemTotal_bytes": role = .memoryTotal
            case "node_memory_MemAvailable_bytes": role = .memoryAvailable
            case "http_requests_total": role = labelSet()["code"]?.hasPrefix("5") == true ? .requestErrors : .requests
            default: break
            }
            roles[index] = role
            if ruleNames.contains(name) {
                var set = AlertLabels(labelSet())
                set["node"] = node
                alertLabels[index] = set
            }
        }
        return (roles[index], alertLabels[index])
    }
}

/// What one scrape measured about itself.
struct ScrapeStats: Sendable, Equatable {
    var duration: Duration
    var samples: Int
    var series: Int
    /// Lines that could not be read (the rest were).
    var badLines: Int
    var firstBadLine: String?
}
