import ArgumentParser
import Foundation
import VitalsCore
import VitalsEngine
import VitalsHarness
import VitalsSim

/// The engine running 1,000 checks while its log listeners are flooded with idle connections
/// (from other processes: each has its own descriptor limit), next to the same run unflooded.
struct HostileBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostile",
        abstract: "Lag and verdicts of 1,000 healthy checks while 20,000 idle connections flood the log listeners, next to no flood."
    )

    @OptionGroup var binary: VitalsBinaryOption

    @Option(help: "Nodes (10 checks each).")
    var nodes = 100

    @Option(help: "Hostile connections in all, split between two processes and the two listeners.")
    var connections = 20_000

    @Option(help: "Seconds to measure each run.")
    var seconds = 30

    func run() async throws {
        let vitals = try binary.path()
        let bench = CommandLine.arguments[0]
        let generator = FleetGenerator(nodes: nodes, checksPerNode: 10, interval: .seconds(2), timeout: .seconds(1))
        let host = "127.0.0.1"
        let ports = (syslog: 15_514, http: 15_515)
        let intake = "\nlog_intake: { syslog_tcp: \"\(host):\(ports.syslog)\", http: \"\(host):\(ports.http)\" }\n"
        let baseline = try await FleetBench.measure(vitals: vitals, fleet: generator, seconds: seconds, title: "hostile: no flood (baseline)", extraYAML: intake)
        print(baseline.table)
        print("")
        let each = connections / 2
        let flooded = try await FleetBench.measure(
            vitals: vitals, fleet: generator, seconds: seconds, title: "hostile: \(connections) idle connections on the log listeners", extraYAML: intake
        ) {
            let processes = try [ports.syslog, ports.http].map { port in
                try BackgroundProcess(bench, ["flood", "--host", host, "--port", String(port), "--count", String(each), "--seconds", String(seconds + 10)])
            }
            for process in processes { try process.waitForOutput("holding", timeout: 60) }
            return processes
        }
        print(flooded.table)
        let healthy = flooded.snapshot.services.reduce(0) { $0 + $1.checks.filter { $0.status == .passing }.count }
        let total = flooded.snapshot.services.reduce(0) { $0 + $1.checks.count }
        print("")
        print("| 1,000 checks | flooded | no flood (same run) | ratio |")
        print("|---|---|---|---|")
        print("| scheduling lag p99 | \(Report.ms(nanoseconds: flooded.stats.lag.percentile(0.99))) | \(Report.ms(nanoseconds: baseline.stats.lag.percentile(0.99))) | \(Report.ratio(Double(flooded.stats.lag.percentile(0.99)), Double(baseline.stats.lag.percentile(0.99)))) |")
        print("| verdicts right (passing) | \(healthy) of \(total) | – | – |")
    }
}

/// Opens `count` TCP connections to HOST:PORT and keeps them open and silent for `seconds`,
/// opening again (at most 500 every 100 ms) those the server closes. Prints `holding N` once all
/// were opened the first time.
struct FloodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flood", abstract: "Hold idle TCP connections to a listener (for `hostile`).", shouldDisplay: false)

    @Option var host: String
    @Option var port: Int
    @Option var count: Int
    @Option var seconds: Int

    func run() throws {
        _ = ResourceLimits.raiseOpenFiles()
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        func open() -> Int32 {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard descriptor >= 0 else { return -1 }
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            return descriptor
        }
        var sockets: [pollfd] = []
        for _ in 0..<count {
            let descriptor = open()
            if descriptor >= 0 { sockets.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)) }
        }
        FileHandle.standardOutput.write(Data("holding \(sockets.count)\n".utf8))
        let deadline = ContinuousClock.now + .seconds(seconds)
        var reopened = 0
        var buffer = [UInt8](repeating: 0, count: 512)
        while ContinuousClock.now < deadline {
            _ = poll(&sockets, nfds_t(sockets.count), 100)
            var budget = 500
            for index in sockets.indices where sockets[index].revents != 0 {
                let got = read(sockets[index].fd, &buffer, buffer.count)
                guard got <= 0, !(got < 0 && errno == EAGAIN) else { continue }
                close(sockets[index].fd)
                sockets[index].fd = -1
                if budget > 0 {
                    sockets[index].fd = open()
                    budget -= 1
                    reopened += 1
                }
            }
            for index in sockets.indices where sockets[index].fd < 0 && budget > 0 {
                sockets[index].fd = open()
                budget -= 1
                reopened += 1
            }
        }
        print("reopened \(reopened)")
    }
}
