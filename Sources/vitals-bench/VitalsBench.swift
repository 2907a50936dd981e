import ArgumentParser
import Foundation
import VitalsHarness

/// The benchmarks the issues name, each reported next to a baseline measured in the same run.
/// Build with -c release and run from the repository; results go to docs/BENCHMARKS.md.
@main
struct VitalsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vitals-bench",
        abstract: "Benchmarks of vitals, each next to a baseline measured in the same run.",
        discussion: "Run from the repository: swift build -c release && .build/release/vitals-bench all",
        subcommands: [IdleBench.self, ProbeBench.self, FleetBench.self, BlackHoleBench.self, FrameBench.self, LockBench.self, ParseBench.self, StoreBench.self, LogSearchBench.self, IngestBench.self, CheckTypesBench.self, HTTPSTarget.self, ServeBench.self, RegistryBench.self, HostileBench.self, CardinalityBench.self, CapacityBench.self, FloodCommand.self],
        defaultSubcommand: IdleBench.self
    )
}

/// `--vitals PATH`: the binary under test, by default the one built beside the bench.
struct VitalsBinaryOption: ParsableArguments {
    @Option(help: "The vitals binary (default: next to this one).")
    var vitals: String?

    func path() throws -> String {
        let path = vitals ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vitals").path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw ValidationError("no vitals binary at \(path)") }
        return path
    }
}

/// CPU time and memory of a process, from /proc.
struct ProcStat {
    var cpuSeconds: Double
    var residentBytes: Int

    init(pid: Int32) throws {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name, which is in parentheses and may contain spaces.
        guard let close = stat.lastIndex(of: ")") else { throw ValidationError("cannot read /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        // utime and stime are fields 14 and 15 of stat; here 12 and 13 after the state field at 0.
        cpuSeconds = (Double(fields[11]) ?? 0) / ticks + (Double(fields[12]) ?? 0) / ticks
        let pages = Int(fields[21]) ?? 0
        residentBytes = pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static var current: ProcStat { (try? ProcStat(pid: getpid())) ?? ProcStat(cpuSeconds: 0, residentBytes: 0) }

    private init(cpuSeconds: Double, residentBytes: Int) {
        self.cpuSeconds = cpuSeconds
        self.residentBytes = residentBytes
    }
}

/// Number formats shared by the reports.
enum Report {
    static func ms(_ seconds: Double) -> String { String(format: "%.0f ms", seconds * 1000) }
    static func ms(nanoseconds: Int64) -> String { String(format: "%.2f ms", Double(nanoseconds) / 1e6) }
    static func pct(_ share: Double) -> String { String(format: "%.2f%% of a core", share * 100) }
    static func mb(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
    static func ratio(_ a: Double, _ b: Double) -> String { b > 0 ? String(format: "%.2f×", a / b) : "–" }
    static func kb(_ bytes: Int) -> String { String(format: "%.1f KiB", Double(bytes) / 1024) }
    static func rate(_ perSecond: Double) -> String { String(format: "%.0f/s", perSecond) }
}

/// A simulated fleet served by `vitals simulate` in its own process, from a generated file.
struct SimulatedFleet {
    let file: String
    let process: BackgroundProcess

    init(vitals: String, yaml: String) throws {
        file = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-fleet-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        process = try BackgroundProcess(vitals, ["simulate", file])
        try process.waitForOutput("ready", timeout: 300)
    }

    func stop() {
        process.stop()
        unlink(file)
    }
}

/// A real etcd (Debian's) on `host`:2379 with a temporary data folder, ready to serve.
struct BenchEtcd {
    let process: BackgroundProcess
    let folder: String
    let url: String

    init(host: String) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-bench-etcd-\(UUID().uuidString)").path
        url = "http://\(host):2379"
        process = try BackgroundProcess("/usr/bin/etcd", [
            "--name", "bench", "--data-dir", folder, "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", "http://\(host):2380", "--initial-advertise-peer-urls", "http://\(host):2380",
            "--initial-cluster", "bench=http://\(host):2380", "--logger", "zap", "--log-outputs", "stderr",
        ])
        do {
            try process.waitForOutput("serving client traffic", timeout: 30)
        } catch {
            stop()
            throw error
        }
    }

    func stop() {
        process.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
