import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine

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

    @Test func failuresBeforeWarningWarnsOnTheWayToCriticalAndSaysHowFar() {
        var state = CheckState(successBeforePassing: 2, failuresBeforeCritical: 3, failuresBeforeWarning: 1)
        state.record(pass, at: t0)
        #expect(state.progress == nil)
        state.record(fail, at: t0 + 1)
        #expect(state.status == .warning)
        #expect(state.progress == "1/3 failures toward critical")
        state.record(fail, at: t0 + 2)
        #expect(state.status == .warning)
        #expect(state.progress == "2/3 failures toward critical")
        state.record(fail, at: t0 + 3)
        #expect(state.status == .critical)
        #expect(state.progress == nil)
        state.record(pass, at: t0 + 4)
        #expect(state.progress == "1/2 successes toward passing")
        #expect(state.snapshot(name: "c", config: CheckConfig(name: "c", target: .tcp(host: "h", port: 1))).progress == "1/2 successes toward passing")
        state.record(pass, at: t0 + 5)
        #expect(state.status == .passing)
        #expect(state.history.map(\.to) == [.passing, .warning, .critical, .passing])
    }

    @Test func anInitialStatusMakesTheFirstResultsCountLikeAnyOther() {
        var state = CheckState(successBeforePassing: 2, failuresBeforeCritical: 3, initial: .critical)
        #expect(state.status == .critical)
        #expect(state.output == "no result yet (starts critical)")
        state.record(pass, at: t0)
        #expect(state.status == .critical, "one success of the two needed")
        #expect(state.progress == "1/2 successes toward passing")
        state.record(pass, at: t0 + 1)
        #expect(state.status == .passing)
        var passing = CheckState(failuresBeforeCritical: 2, initial: .passing)
        passing.record(fail, at: t0)
        #expect(passing.status == .passing)
        #expect(passing.progress == "1/2 failures toward critical")
    }

    @Test func flappingStartsAtHalfTheResultsChangingAndStopsBelowAQuarter() {
        var state = CheckState()
        for index in 0..<9 { state.record(index.isMultiple(of: 2) ? pass : fail, at: t0 + Double(index)) }
        #expect(!state.isFlapping, "nine results are too few to say")
        state.record(fail, at: t0 + 9)
        #expect(state.isFlapping)
        #expect(state.stateChangePercent > 90)
        #expect(state.snapshot(name: "c", config: CheckConfig(name: "c", target: .tcp(host: "h", port: 1))).flapping != nil)
        // Steady passes: the share of changes falls, and flapping ends only below 25 %.
        var stoppedAfter = 0
        for index in 0..<21 where state.isFlapping {
            state.record(pass, at: t0 + 10 + Double(index))
            stoppedAfter = index + 1
        }
        #expect(!state.isFlapping)
        #expect(state.stateChangePercent < CheckState.flapStop)
        #expect(stoppedAfter > 5, "hysteresis: it does not stop at the first pass")
        // Changing now and then is not flapping.
        var steady = CheckState()
        for index in 0..<21 { steady.record(index % 7 == 0 ? fail : pass, at: t0 + Double(index)) }
        #expect(!steady.isFlapping)
    }

    @Test func aCriticalCheckSaysWhenConsulWouldDeregisterItsService() {
        var config = CheckConfig(name: "c", target: .tcp(host: "h", port: 1))
        config.deregisterCriticalAfter = .seconds(300)
        var state = CheckState()
        state.record(pass, at: t0)
        #expect(state.snapshot(name: "c", config: config).deregisterAt == nil)
        state.record(fail, at: t0 + 10)
        state.record(fail, at: t0 + 20)
        #expect(state.snapshot(name: "c", config: config).deregisterAt == t0 + 310, "counted from when it turned critical")
        state.record(pass, at: t0 + 30)
        #expect(state.snapshot(name: "c", config: config).deregisterAt == nil)
    }

    @Test func latencyPercentilesByNearestRank() {
        let check = CheckSnapshot(name: "c", type: "http", target: "t", status: .passing, output: "", latencies: (1...100).map { Double($0) } + [nil])
        let percentiles = check.latencyPercentiles
        #expect(percentiles?.p50 == 50)
        #expect(percentiles?.p95 == 95)
        #expect(percentiles?.p99 == 99)
        #expect(CheckSnapshot(name: "c", type: "http", target: "t", status: .passing, output: "", latencies: [nil]).latencyPercentiles == nil)
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
    @Test func ratesComeFromTwoReadings() throws {
        func reading(idle: Double, user: Double, ok: Double, failed: Double, at time: Double) throws -> NodeMetricsReading {
            try Scraper.reading("""
                node_cpu_seconds_total{cpu="0",mode="idle"} \(idle)
                node_cpu_seconds_total{cpu="0",mode="user"} \(user)
                node_memory_MemTotal_bytes 1000
                node_memory_MemAvailable_bytes 250
                http_requests_total{code="200"} \(ok)
                http_requests_total{code="500"} \(failed)

                """, at: Date(timeIntervalSince1970: time))
        }
        let first = try reading(idle: 100, user: 50, ok: 1000, failed: 10, at: 0)
        let second = try reading(idle: 103, user: 51, ok: 1090, failed: 20, at: 10)
        let memoryOnly = first.metrics(since: nil)
        #expect(memoryOnly.memory == 0.75)
        #expect(memoryOnly.cpu == nil)
        let metrics = second.metrics(since: first)
        #expect(metrics.cpu == 0.25)
        #expect(metrics.requestRate == 10)
        #expect(metrics.errorRatio == 0.1)
    }
}
