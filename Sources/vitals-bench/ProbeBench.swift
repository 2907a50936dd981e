import ArgumentParser
import Foundation
import Synchronization
import VitalsCore
import VitalsEngine
import VitalsHarness
import VitalsSim

/// HTTP checks against one local target, one connection per probe, next to wrk with
/// `Connection: close` against the same target in the same run.
struct ProbeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probes",
        abstract: "HTTP probe throughput (one connection each) against one target, next to wrk -H 'Connection: close'."
    )

    @OptionGroup var binary: VitalsBinaryOption

    @Option(help: "Seconds for each of the two runs.")
    var seconds = 30

    @Option(help: "Connections at once, for both (wrk -c).")
    var connections = 64

    func run() async throws {
        guard let wrk = ExternalTool.path(of: "wrk") else { throw ValidationError("wrk is not installed (apt-get install wrk): it is the baseline") }
        let vitals = try binary.path()
        let fleet = try SimulatedFleet(vitals: vitals, yaml: FleetGenerator(nodes: 1, checksPerNode: 1).yaml)
        defer { fleet.stop() }
        let url = "http://\(FleetGenerator.address(of: 0)):8080/health"
        print("vitals-bench probes: \(url) served by `vitals simulate` (pid \(fleet.process.pid)), \(connections) at once, \(seconds) s each")

        let simulatorBefore = try ProcStat(pid: fleet.process.pid)
        let wrkRun = try Run.process(wrk, ["-t2", "-c\(connections)", "-d\(seconds)s", "-H", "Connection: close", url], timeout: Double(seconds) + 60)
        let simulatorDuringWrk = try ProcStat(pid: fleet.process.pid).cpuSeconds - simulatorBefore.cpuSeconds
        guard let line = wrkRun.stdout.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
              let wrkRate = Double(line.split(separator: " ").last ?? "") else {
            throw ValidationError("cannot read wrk's rate:\n\(wrkRun.stdout)\(wrkRun.stderr)")
        }
        let wrkErrors = wrkRun.stdout.split(separator: "\n").first { $0.contains("Socket errors") || $0.contains("Non-2xx") }

        let check = CheckConfig(name: "bench", target: .http(url: url), interval: .seconds(1), timeout: .seconds(2))
        let probe = HTTPProbe()
        let selfBefore = ProcStat.current
        let simulatorBeforeVitals = try ProcStat(pid: fleet.process.pid)
        let started = ContinuousClock.now
        let deadline = started + .seconds(seconds)
        let (passing, failing) = await withTaskGroup(of: (Int, Int).self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var passing = 0, failing = 0
                    while ContinuousClock.now < deadline {
                        if await probe.run(check).status == .passing { passing += 1 } else { failing += 1 }
                    }
                    return (passing, failing)
                }
            }
            return await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        }
        let elapsed = (ContinuousClock.now - started).seconds
        let vitalsRate = Double(passing) / elapsed
        let selfCPU = ProcStat.current.cpuSeconds - selfBefore.cpuSeconds
        let simulatorDuringVitals = try ProcStat(pid: fleet.process.pid).cpuSeconds - simulatorBeforeVitals.cpuSeconds

        print("")
        print("| measure | vitals HTTP probes | wrk -H 'Connection: close' | ratio (vitals / wrk) |")
        print("|---|---|---|---|")
        print("| completed requests per second | \(Report.rate(vitalsRate)) | \(Report.rate(wrkRate)) | \(Report.ratio(vitalsRate, wrkRate)) |")
        print("| failed | \(failing) | \(wrkErrors.map(String.init) ?? "0") | – |")
        print("| prober CPU per request | \(String(format: "%.1f µs", selfCPU / Double(max(1, passing)) * 1e6)) | – | – |")
        print("| target CPU (the simulator) over the run | \(String(format: "%.1f s", simulatorDuringVitals)) | \(String(format: "%.1f s", simulatorDuringWrk)) | – |")
    }
}
