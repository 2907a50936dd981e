import Foundation

/// The counters and recent log lines of one simulated node, advanced in steps as time passes so
/// that rates follow the node's condition.
struct NodeActivity: Sendable {
    static let cores = 4.0
    static let memoryTotal = 8.0 * 1024 * 1024 * 1024
    static let logLimit = 200

    let name: String
    let service: String
    let baseLoad: Double
    let baseMemory: Double
    let requestRate: Double
    var lastAdvance: Date
    var cpuIdle = 0.0
    var cpuUser = 0.0
    var cpuSystem = 0.0
    var requestsOK = 0.0
    var requestsFailed = 0.0
    var bytesReceived = 0.0
    var bytesSent = 0.0
    /// Load averages, moving towards the current load as the kernel's do.
    var load1 = 0.0
    var load5 = 0.0
    var load15 = 0.0
    var diskUsed = 0.0
    var logs: [String] = []
    var nextLog: Date
    var random: SplitMix64

    init(name: String, service: String, start: Date) {
        self.name = name
        self.service = service
        var seed = SplitMix64(seed: UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) }))
        baseLoad = 0.08 + seed.unit() * 0.22
        baseMemory = 0.3 + seed.unit() * 0.3
        requestRate = 20 + seed.unit() * 180
        random = seed
        lastAdvance = start
        nextLog = start
        // Start the counters where a machine that has been up a while would have them.
        let uptime = 86_400.0 * (1 + seed.unit() * 20)
        cpuIdle = uptime * Self.cores * (1 - baseLoad)
        cpuUser = uptime * Self.cores * baseLoad * 0.8
        cpuSystem = uptime * Self.cores * baseLoad * 0.2
        requestsOK = uptime * requestRate
        requestsFailed = requestsOK * 0.002
        bytesReceived = requestsOK * 2_048
        bytesSent = requestsOK * 9_000
        load1 = baseLoad * Self.cores
        load5 = load1
        load15 = load1
        diskUsed = 0.35 + seed.unit() * 0.3
    }

    /// Moves the counters to `now` under `condition`, writing log lines on the way.
    mutating func advance(to now: Date, condition: SimulatedCondition) {
        let dt = now.timeIntervalSince(lastAdvance)
        guard dt > 0 else { return }
        lastAdvance = now
        if case .down = condition.health { return }
        let load = min(0.98, max(0.01, baseLoad + condition.extraLoad + (random.unit() - 0.5) * 0.04))
        cpuIdle += dt * Self.cores * (1 - load)
        cpuUser += dt * Self.cores * load * 0.8
        cpuSystem += dt * Self.cores * load * 0.2
        let requests = dt * requestRate * condition.traffic * (0.9 + random.unit() * 0.2)
        requestsFailed += requests * condition.errorRatio
        requestsOK += requests * (1 - condition.errorRatio)
        bytesReceived += requests * (1_800 + random.unit() * 500)
        bytesSent += requests * (8_000 + random.unit() * 2_000) * (1 - condition.errorRatio * 0.8)
        let running = load * Self.cores
        load1 += (running - load1) * (1 - exp(-dt / 60))
        load5 += (running - load5) * (1 - exp(-dt / 300))
        load15 += (running - load15) * (1 - exp(-dt / 900))
        // Logs and data grow a little; a full disk is somebody else's scenario.
        diskUsed = min(0.97, diskUsed + dt * 2e-6 * (1 + condition.extraLoad * 10))
        while nextLog <= now {
            log(at: nextLog, condition: condition)
            nextLog += 1.5 + random.unit() * 2
        }
    }

    var memoryUsed: Double {
        let wobble = sin(lastAdvance.timeIntervalSince1970 / 40) * 0.03
        return min(0.97, baseMemory + wobble) * Self.memoryTotal
    }

    private mutating func log(at time: Date, condition: SimulatedCondition) {
        let stamp = time.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        let line: String
        if random.unit() < condition.errorRatio, let cause = condition.cause {
            line = "\(stamp) ERROR \(service): request failed: \(cause)"
        } else if condition.extraLatency > .zero, random.unit() < 0.5 {
            line = "\(stamp) WARN \(service): slow request: \(Int(condition.extraLatency.seconds * 1000 + random.unit() * 200))ms"
        } else {
            let paths = ["/", "/api/items", "/api/cart", "/api/orders", "/health"]
            let path = paths[Int(random.unit() * Double(paths.count)) % paths.count]
            line = "\(stamp) INFO \(service): GET \(path) 200 \(Int(2 + random.unit() * 30))ms"
        }
        logs.append(line)
        if logs.count > Self.logLimit { logs.removeFirst(logs.count - Self.logLimit) }
    }

    /// The node's metrics in Prometheus text format, with node_exporter's names.
    func exposition() -> String {
        var out = """
        # HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
        # TYPE node_cpu_seconds_total counter

        """
        for cpu in 0..<Int(Self.cores) {
            let share = 1 / Self.cores
            out += "node_cpu_seconds_total{cpu=\"\(cpu)\",mode=\"idle\"} \(format(cpuIdle * share))\n"
            out += "node_cpu_seconds_total{cpu=\"\(cpu)\",mode=\"system\"} \(format(cpuSystem * share))\n"
            out += "node_cpu_seconds_total{cpu=\"\(cpu)\",mode=\"user\"} \(format(cpuUser * share))\n"
        }
        out += """
        # HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.
        # TYPE node_memory_MemTotal_bytes gauge
        node_memory_MemTotal_bytes \(format(Self.memoryTotal))
        # HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.
        # TYPE node_memory_MemAvailable_bytes gauge
        node_memory_MemAvailable_bytes \(format(Self.memoryTotal - memoryUsed))
        # HELP node_load1 1m load average.
        # TYPE node_load1 gauge
        node_load1 \(String(format: "%.2f", load1))
        # HELP node_load5 5m load average.
        # TYPE node_load5 gauge
        node_load5 \(String(format: "%.2f", load5))
        # HELP node_load15 15m load average.
        # TYPE node_load15 gauge
        node_load15 \(String(format: "%.2f", load15))
        # HELP node_filefd_allocated File descriptor statistics: allocated.
        # TYPE node_filefd_allocated gauge
        node_filefd_allocated \(Int(900 + requestRate * 2 + load1 * 50))
        # HELP node_filesystem_size_bytes Filesystem size in bytes.
        # TYPE node_filesystem_size_bytes gauge
        node_filesystem_size_bytes{device="/dev/vda1",fstype="ext4",mountpoint="/"} 53660876800
        node_filesystem_size_bytes{device="/dev/vdb",fstype="ext4",mountpoint="/var/lib/data"} 214643507200
        node_filesystem_size_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1672695808
        # HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.
        # TYPE node_filesystem_avail_bytes gauge
        node_filesystem_avail_bytes{device="/dev/vda1",fstype="ext4",mountpoint="/"} \(format((53660876800 * (1 - diskUsed * 0.6)).rounded()))
        node_filesystem_avail_bytes{device="/dev/vdb",fstype="ext4",mountpoint="/var/lib/data"} \(format((214643507200 * (1 - diskUsed)).rounded()))
        node_filesystem_avail_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1671000000
        # HELP node_network_receive_bytes_total Network device statistic receive_bytes.
        # TYPE node_network_receive_bytes_total counter
        node_network_receive_bytes_total{device="eth0"} \(format(bytesReceived.rounded(.down)))
        node_network_receive_bytes_total{device="lo"} 123456789
        # HELP node_network_transmit_bytes_total Network device statistic transmit_bytes.
        # TYPE node_network_transmit_bytes_total counter
        node_network_transmit_bytes_total{device="eth0"} \(format(bytesSent.rounded(.down)))
        node_network_transmit_bytes_total{device="lo"} 123456789
        # HELP http_requests_total Requests served, by status code.
        # TYPE http_requests_total counter
        http_requests_total{service="\(service)",code="200"} \(format(requestsOK.rounded(.down)))
        http_requests_total{service="\(service)",code="500"} \(format(requestsFailed.rounded(.down)))

        """
        return out
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// A small deterministic random generator, so every run of the demo looks alike (and random
/// tests repeat exactly).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<1.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
