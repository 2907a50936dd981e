import Foundation
import Synchronization
import VitalsCore

/// One node's scraped series across scrapes: the interned table, and what each series means to
/// Vitals, worked out once per series rather than once per sample.
struct NodeSeries: Sendable {
    init(interval: Duration = .seconds(5), retention: Duration = .seconds(3600)) {
        store = ScrapeStore(retention: retention, interval: interval)
    }

    /// What a series feeds.
    enum Role: Sendable, Equatable {
        case unset, none, cpuIdle, cpuOther, memoryTotal, memoryAvailable, requests, requestErrors
        case load1, load5, load15, openFiles
        case diskSize(String), diskAvailable(String)
        case networkReceived, networkSent
    }

    /// File systems that are not disks.
    static let pseudoFileSystems: Set = ["tmpfs", "devtmpfs", "squashfs", "nsfs", "proc", "sysfs", "overlay", "ramfs", "autofs", "fuse.lxcfs", "cgroup", "cgroup2"]

    var table = SeriesTable(capacity: 256)
    /// The past of the series alert rules read with range functions (`rate(x[5m])`).
    var store: ScrapeStore
    /// Series ids of the names rules read, by name.
    private(set) var byName: [String: [Int32]] = [:]
    private var roles: [Role] = []
    /// For series that alert rules name: their labels (with `node`), else nil.
    private var alertLabels: [AlertLabels?] = []

    /// Set when the engine dropped old samples to keep every store within `metrics.max_bytes`;
    /// the next scrape says so and clears it.
    var trimmed = false

    /// Bytes held: the store, the interned series and what is known of each.
    var memoryBytes: Int {
        store.memoryBytes + table.memoryBytes + roles.capacity * MemoryLayout<Role>.stride
            + alertLabels.capacity * MemoryLayout<AlertLabels?>.stride + alertLabels.reduce(0) { $0 + ($1 == nil ? 0 : 128) }
    }

    /// Forgets every series `seen` (by number) does not mark: their samples, their meaning and
    /// their interned text. A target that makes new series each scrape leaves dead ones behind.
    /// - Returns: how many were forgotten.
    mutating func dropStale(seen: [Bool]) -> Int {
        let (kept, mapping) = table.keeping { Int($0) < seen.count && seen[Int($0)] }
        let dropped = table.count - kept.count
        guard dropped > 0 else { return 0 }
        table = kept
        store.renumber(mapping)
        func moved<T>(_ values: [T], empty: T) -> [T] {
            var result = [T](repeating: empty, count: kept.count)
            for (old, value) in values.enumerated() where old < mapping.count && mapping[old] >= 0 { result[Int(mapping[old])] = value }
            return result
        }
        roles = moved(roles, empty: .unset)
        alertLabels = moved(alertLabels, empty: nil)
        byName = byName.compactMapValues { ids in
            let renumbered = ids.compactMap { mapping[Int($0)] >= 0 ? mapping[Int($0)] : nil }
            return renumbered.isEmpty ? nil : renumbered
        }
        return dropped
    }

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
            case "node_load1": role = .load1
            case "node_load5": role = .load5
            case "node_load15": role = .load15
            case "node_filefd_allocated": role = .openFiles
            case "node_filesystem_size_bytes", "node_filesystem_avail_bytes":
                let set = labelSet()
                if let mount = set["mountpoint"], !Self.pseudoFileSystems.contains(set["fstype"] ?? "") {
                    role = name == "node_filesystem_size_bytes" ? .diskSize(mount) : .diskAvailable(mount)
                }
            case "node_network_receive_bytes_total", "node_network_transmit_bytes_total":
                if let device = labelSet()["device"], device != "lo" {
                    role = name == "node_network_receive_bytes_total" ? .networkReceived : .networkSent
                }
            default: break
            }
            roles[index] = role
            if ruleNames.contains(name) {
                var set = AlertLabels(labelSet())
                set["node"] = node
                alertLabels[index] = set
                byName[name, default: []].append(id)
            }
        }
        return (roles[index], alertLabels[index])
    }
}

/// A node's series under a lock of their own: a scrape parses into them while alert rules read
/// their past, each waiting only for the other, never for the engine.
final class NodeSeriesBox: Sendable {
    let series: Mutex<NodeSeries>

    init(interval: Duration, retention: Duration) {
        series = Mutex(NodeSeries(interval: interval, retention: retention))
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
    /// What the store did to stay bounded (series forgotten, samples dropped), in words.
    var notes: [String] = []
}
