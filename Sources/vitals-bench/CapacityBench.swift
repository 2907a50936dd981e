import ArgumentParser
import Foundation
import VitalsCore

/// Replica advice for 5,000 services (3 instances each, CPU policies, the HPA's behaviours)
/// recomputed every interval, on a test clock: time per evaluation (p50, p99) and what it costs
/// of a core at the interval. Baseline: one alert rule (`node_cpu > 0.9`) evaluated over the same
/// snapshot, which the engine does every second anyway.
struct CapacityBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "capacity", abstract: "Replica advice for 5,000 services every interval: time per evaluation, p99.")

    @Option(help: "Services with a policy.")
    var services = 5_000

    @Option(help: "Instances per service.")
    var instances = 3

    @Option(help: "Evaluations (one per interval on the test clock, so the windows fill).")
    var evaluations = 200

    @Option(help: "The interval, in seconds, the CPU share is computed for.")
    var interval = 15.0

    func run() throws {
        var random = SystemRandomNumberGenerator()
        var nodes: [NodeSnapshot] = []
        var instancesList: [ServiceSnapshot] = []
        var policies: [ScalingPolicy] = []
        for s in 0..<services {
            let name = "svc-\(s)"
            policies.append(ScalingPolicy(service: name, metric: .cpu, target: 60, minReplicas: 1, maxReplicas: 20))
            for i in 0..<instances {
                let node = "\(name)-\(i)"
                nodes.append(NodeSnapshot(name: node, address: "10.0.\(s % 250).\(i)", status: .passing, services: [name], metrics: NodeMetrics(cpu: Double.random(in: 0.2...0.95, using: &random))))
                instancesList.append(ServiceSnapshot(name: name, node: node, status: .passing, checks: []))
            }
        }
        var snapshot = ClusterSnapshot(cluster: "bench", generation: 1, time: Date(), nodes: nodes, services: instancesList)
        let config = ScalingConfig(interval: .seconds(Int64(interval)), policies: policies)
        var advisor = CapacityAdvisor(config: config)
        let rule = try AlertExpression(parsing: "node_cpu > 0.9")
        print("vitals-bench capacity: \(services) services × \(instances) instances, \(evaluations) evaluations \(Int(interval)) s apart on a test clock")
        var adviceTimes: [Double] = [], ruleTimes: [Double] = []
        var changes = 0
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let cpuBefore = Self.cpuSeconds()
        var adviceCPU = 0.0
        for step in 0..<evaluations {
            // The load moves a little each interval, as it would.
            for index in snapshot.nodes.indices where step % 4 == index % 4 {
                snapshot.nodes[index].metrics.cpu = Double.random(in: 0.2...0.95, using: &random)
            }
            let time = start.addingTimeInterval(Double(step) * interval)
            let series = SnapshotSeries(snapshot)
            let ruleStart = ContinuousClock.now
            _ = rule.evaluate(series)
            ruleTimes.append((ContinuousClock.now - ruleStart).seconds)
            let began = ContinuousClock.now
            let cpu0 = Self.cpuSeconds()
            let index = CapacityReading.Index(snapshot)
            for policy in policies {
                let advice = advisor.advise(policy, reading: CapacityReading.read(policy, index: index, series: series), canScale: true, at: time)
                if advice.wantsChange { changes += 1 }
            }
            adviceCPU += Self.cpuSeconds() - cpu0
            adviceTimes.append((ContinuousClock.now - began).seconds)
        }
        _ = cpuBefore
        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
        }
        let perEvaluation = adviceCPU / Double(evaluations)
        print("")
        print("| measure | advice for \(services) services | baseline: one alert rule over the same snapshot | ratio |")
        print("|---|---|---|---|")
        print("| time per evaluation, p50 | \(Self.ms(percentile(adviceTimes, 0.5))) | \(Self.ms(percentile(ruleTimes, 0.5))) | \(Report.ratio(percentile(adviceTimes, 0.5), percentile(ruleTimes, 0.5))) |")
        print("| time per evaluation, p99 | \(Self.ms(percentile(adviceTimes, 0.99))) | \(Self.ms(percentile(ruleTimes, 0.99))) | \(Report.ratio(percentile(adviceTimes, 0.99), percentile(ruleTimes, 0.99))) |")
        print("| CPU per evaluation (getrusage) | \(Self.ms(perEvaluation)) | – | – |")
        print("| share of a core at one evaluation every \(Int(interval)) s | \(Report.pct(perEvaluation / interval)) | – | – |")
        print("| advice that wanted a change, all evaluations | \(changes) | – | – |")
    }

    static func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
