import Foundation
import VitalsCore

/// The counters and gauges of one scrape that the node view needs, read from node_exporter-style
/// names: `node_cpu_seconds_total{mode}`, `node_memory_MemTotal_bytes`,
/// `node_memory_MemAvailable_bytes` and `http_requests_total{code}`.
public struct NodeMetricsReading: Sendable, Equatable {
    public var time: Date
    public var cpuTotalSeconds: Double?
    public var cpuIdleSeconds: Double?
    public var memoryTotalBytes: Double?
    public var memoryAvailableBytes: Double?
    public var requests: Double?
    public var errors: Double?
    /// Names of the series this reading needed but whose value was NaN or infinite (ignored).
    public var nonFinite: [String] = []
    public var load1: Double?
    public var load5: Double?
    public var load15: Double?
    public var openFiles: Double?
    /// Size and free bytes by mount point.
    public var disks: [String: DiskBytes] = [:]

    public struct DiskBytes: Sendable, Equatable {
        public var size: Double?
        public var available: Double?
    }
    public var networkReceived: Double?
    public var networkSent: Double?

    /// An empty reading, to be filled by `add`.
    init(time: Date) {
        self.time = time
    }

    /// Adds one sample of a series with `role` (see `NodeSeries`).
    mutating func add(_ role: NodeSeries.Role, value: Double, name: String) {
        guard role != .none, role != .unset else { return }
        guard value.isFinite else {
            if !nonFinite.contains(name) { nonFinite.append(name) }
            return
        }
        switch role {
        case .cpuIdle:
            cpuTotalSeconds = (cpuTotalSeconds ?? 0) + value
            cpuIdleSeconds = (cpuIdleSeconds ?? 0) + value
        case .cpuOther: cpuTotalSeconds = (cpuTotalSeconds ?? 0) + value
        case .memoryTotal: memoryTotalBytes = value
        case .memoryAvailable: memoryAvailableBytes = value
        case .requests: requests = (requests ?? 0) + value
        case .requestErrors:
            requests = (requests ?? 0) + value
            errors = (errors ?? 0) + value
        case .load1: load1 = value
        case .load5: load5 = value
        case .load15: load15 = value
        case .openFiles: openFiles = value
        case .diskSize(let mount): disks[mount, default: DiskBytes()].size = value
        case .diskAvailable(let mount): disks[mount, default: DiskBytes()].available = value
        case .networkReceived: networkReceived = (networkReceived ?? 0) + value
        case .networkSent: networkSent = (networkSent ?? 0) + value
        case .none, .unset: break
        }
    }

    /// The metrics between `previous` and this reading (rates need two readings; memory needs one).
    public func metrics(since previous: NodeMetricsReading?) -> NodeMetrics {
        var result = NodeMetrics()
        if !nonFinite.isEmpty {
            result.scrapeError = "ignored non-finite values of \(nonFinite.joined(separator: ", "))"
        }
        if let total = memoryTotalBytes, let available = memoryAvailableBytes, total > 0 {
            result.memory = min(1, max(0, 1 - available / total))
        }
        result.load1 = load1
        result.load5 = load5
        result.load15 = load15
        result.openFiles = openFiles.map { Int($0) }
        result.disks = disks.compactMap { mount, sizes in
            guard let size = sizes.size, let available = sizes.available, size > 0 else { return nil }
            return DiskUsage(mount: mount, used: min(1, max(0, 1 - available / size)), sizeBytes: size)
        }.sorted { $0.mount < $1.mount }
        guard let previous else { return result }
        let seconds = time.timeIntervalSince(previous.time)
        if seconds > 0 {
            if let now = networkReceived, let before = previous.networkReceived, now >= before { result.networkReceiveRate = (now - before) / seconds }
            if let now = networkSent, let before = previous.networkSent, now >= before { result.networkSendRate = (now - before) / seconds }
        }
        if let total = cpuTotalSeconds, let idle = cpuIdleSeconds,
           let lastTotal = previous.cpuTotalSeconds, let lastIdle = previous.cpuIdleSeconds, total > lastTotal {
            result.cpu = min(1, max(0, 1 - (idle - lastIdle) / (total - lastTotal)))
        }
        let elapsed = time.timeIntervalSince(previous.time)
        if let requests, let lastRequests = previous.requests, elapsed > 0, requests >= lastRequests {
            let rate = (requests - lastRequests) / elapsed
            result.requestRate = rate.isFinite ? rate : nil
            if let errors, let lastErrors = previous.errors, requests > lastRequests {
                result.errorRatio = min(1, max(0, (errors - lastErrors) / (requests - lastRequests)))
            } else if requests > lastRequests {
                result.errorRatio = 0
            }
        }
        return result
    }
}
