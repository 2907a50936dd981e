import Foundation
import Testing
import VitalsCore
import VitalsEngine

@Suite struct CheckStateTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)
    let pass = ProbeOutcome(status: .passing, output: "200 OK", latency: .milliseconds(2))
    let fail = ProbeOutcome(status: .critical, output: "500", latency: .milliseconds(3))
    let warn = ProbeOutcome(status: .warning, output: "429", latency: .milliseconds(3))

    @Test func firstResultIsTakenAsIs() {
        var state = CheckState(successBeforePassing: 3, failuresBeforeCritical: 3)
        #expect(state.status == .unknown)
        let changed = state.record(fail, at: t0)
        #expect(changed)
        #expect(state.status == .critical)
        #expect(state.since == t0)
    }

    @Test func thresholdsNeedConsecutiveResults() {
        var state = CheckState(successBeforePassing: 2, failuresBeforeCritical: 3)
        state.record(pass, at: t0)
        state.record(fail, at: t0 + 1)
        state.record(fail, at: t0 + 2)
        #expect(state.status == .passing)
        #expect(state.output == "500")
        state.record(pass, at: t0 + 3) // resets the failure count
        state.record(fail, at: t0 + 4)
        state.record(fail, at: t0 + 5)
        #expect(state.status == .passing)
        state.record(fail, at: t0 + 6)
        #expect(state.status == .critical)
        #expect(state.since == t0 + 6)
        state.record(pass, at: t0 + 7)
        #expect(state.status == .critical)
        state.record(pass, at: t0 + 8)
        #expect(state.status == .passing)
        #expect(state.history.map(\.to) == [.passing, .critical, .passing])
    }

    @Test func warningIsAppliedAsWarning() {
        var state = CheckState()
        state.record(pass, at: t0)
        state.record(warn, at: t0 + 1)
        #expect(state.status == .warning)
    }

    @Test func historyAndLatenciesAreBounded() {
        var state = CheckState()
        for i in 0..<100 { state.record(i % 2 == 0 ? pass : fail, at: t0 + Double(i)) }
        #expect(state.history.count == CheckState.historyLimit)
        #expect(state.latencies.count == CheckState.latencyLimit)
        #expect(state.history.last?.time == t0 + 99)
    }
}

@Suite struct NodeMetricsReadingTests {
    @Test func ratesComeFromTwoReadings() {
        func reading(idle: Double, user: Double, ok: Double, failed: Double, at time: Double) -> NodeMetricsReading {
            NodeMetricsReading(samples: [
                MetricSample(name: "node_cpu_seconds_total", labels: ["cpu": "0", "mode": "idle"], value: idle),
                MetricSample(name: "node_cpu_seconds_total", labels: ["cpu": "0", "mode": "user"], value: user),
                MetricSample(name: "node_memory_MemTotal_bytes", value: 1000),
                MetricSample(name: "node_memory_MemAvailable_bytes", value: 250),
                MetricSample(name: "http_requests_total", labels: ["code": "200"], value: ok),
                MetricSample(name: "http_requests_total", labels: ["code": "500"], value: failed),
            ], time: Date(timeIntervalSince1970: time))
        }
        let first = reading(idle: 100, user: 50, ok: 1000, failed: 10, at: 0)
        let second = reading(idle: 103, user: 51, ok: 1090, failed: 20, at: 10)
        let memoryOnly = first.metrics(since: nil)
        #expect(memoryOnly.memory == 0.75)
        #expect(memoryOnly.cpu == nil)
        let metrics = second.metrics(since: first)
        #expect(metrics.cpu == 0.25)
        #expect(metrics.requestRate == 10)
        #expect(metrics.errorRatio == 0.1)
    }
}
