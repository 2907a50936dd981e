import Foundation
import NIOCore
import NIOPosix
import Synchronization
import VitalsCore
import VitalsLogFormats

/// Publishing: a snapshot when anything changed, alerts evaluated outside the state lock, what
/// they change written to the state file off the publish path, stores kept within their bound.
extension Engine {
    /// Keeps every node's store together within `metrics.max_bytes`: while over, the biggest
    /// store drops its oldest chunk of scrapes (and says so on its next scrape).
    func boundStores(node: Int, bytes: Int) {
        let limit = config.metricsLimits.maxBytes
        var sizes = storeBytes.withLock { sizes in
            sizes[node] = bytes
            return sizes
        }
        guard sizes.reduce(0, +) > limit else { return }
        while sizes.reduce(0, +) > limit, let largest = sizes.indices.max(by: { sizes[$0] < sizes[$1] }) {
            let (dropped, now) = nodeSeries[largest].series.withLock { series in
                let dropped = series.store.dropOldest()
                if dropped { series.trimmed = true }
                return (dropped, series.memoryBytes)
            }
            sizes[largest] = now
            guard dropped else { break }
        }
        storeBytes.withLock { $0 = sizes }
    }

    func publishLoop() async {
        let interval = options.publishInterval.nanoseconds
        var next = clock.now + interval
        var dropsReadAt = clock.now
        while (try? await clock.sleep(until: next)) != nil {
            let started = clock.now
            releaseFeedLines(force: false)
            if started - dropsReadAt >= 2_000_000_000 {
                if let drops = intake?.kernelDrops() { logs.setUDPDropped(drops) }
                let counts = [intake?.connections.counts, pushServer?.connections.counts].compactMap { $0 }
                logs.setConnections(
                    refused: counts.reduce(0) { $0 + Int($1.refused) }, cut: counts.reduce(0) { $0 + Int($1.timedOut) }
                )
                dropsReadAt = started
            }
            if publish(force: false) {
                publishTimes.withLock { $0.record(nanoseconds: clock.now - started) }
            }
            next = max(next + interval, clock.now)
        }
    }

    /// Publishes the next snapshot if anything changed (or `force`), then persists and sends the
    /// alerts that fired or resolved. Returns whether a snapshot was published.
    @discardableResult
    func publish(force: Bool) -> Bool {
        // One at a time: the loop and a person's command each publish; unserialised, a newer
        // generation could be overtaken by an older one (an ack vanishing for a second).
        publishing.withLock { _ in publishNow(force: force) }
    }

    func publishNow(force: Bool) -> Bool {
        let time = wallClock()
        let locks = lockWatchers.contains(where: \.hasChanges) ? lockWatchers.flatMap { $0.take() } : nil
        refreshRecentLogs()
        let ended = state.withLock { $0.expireMaintenance(at: time) }
        for maintenance in ended {
            persistLater { (store: AlertStateStore) throws(AlertStateStore.Problem) in try store.save(maintenance, ended: true, by: "vitals (expired)", at: time) }
        }
        let built = state.withLock { $0.publish(time: time, force: force, locks: locks) }
        // Alerts are evaluated outside the state lock: probes keep recording meanwhile.
        let base = built ?? latestBuilt.withLock { $0 }
        if let built { latestBuilt.withLock { $0 = built } }
        guard let base else { return false }
        let ranges = rangeReader(at: time)
        // The scraped samples rules read are gathered only when the rules are evaluated (once a
        // second), not on every publish. (Lock order: alerts, then state; nothing takes them the
        // other way round.)
        let scraped = {
            var series = self.state.withLock { $0.scrapedSeries }
            series.merge(self.logSeries(at: time)) { $0 + $1 }
            return series
        }
        let (section, changed, changes) = alertState.withLock { $0.step(base, scraped: scraped, ranges: ranges, time: time, force: force) }
        if !changes.isEmpty {
            persistLater { (store: AlertStateStore) throws(AlertStateStore.Problem) in try store.record(changes) }
            notifier.enqueue(.changes(changes))
        }
        let capacityChanged = stepCapacity(base, scraped: scraped, ranges: ranges, time: time)
        guard var snapshot = built ?? (changed || capacityChanged ? state.withLock({ $0.nextGeneration(time: time) }) : nil) else { return false }
        snapshot.capacity = capacity.withLock { $0.advice.isEmpty ? nil : $0.advice }
        snapshot.alerts = section.alerts
        snapshot.silences = section.silences
        snapshot.alertHistory = section.history
        let problems = [stateProblem.withLock { $0 }, controlProblem.withLock { $0 }].compactMap { $0 }
        snapshot.stateProblem = problems.isEmpty ? nil : problems.joined(separator: "; ")
        snapshot.logStats = logs.stats
        store.publish(snapshot)
        options.onPublish?()
        return true
    }

    /// Range functions of the scraped series rules read, over their stored past.
    func rangeReader(at time: Date) -> @Sendable (String, String, Duration) -> [AlertSample] {
        let boxes = nodeSeries
        let names = config.nodes.map(\.name)
        return { function, name, window in
            let now = time.timeIntervalSince1970
            var result: [AlertSample] = []
            for (index, box) in boxes.enumerated() {
                box.series.withLock { series in
                    for id in series.byName[name] ?? [] {
                        let samples = series.store.samples(of: id)
                            .map { (time: Double($0.time) / 1000, value: $0.value) }
                            .filter { $0.time >= now - window.seconds && $0.time <= now + 1 }
                        guard let value = RangeFunction.apply(function, samples) else { continue }
                        var labels = AlertLabels(series.table.labels(id))
                        labels["node"] = names[index]
                        result.append(AlertSample(labels: labels, value: value))
                    }
                }
            }
            return result
        }
    }

    /// Writes on the state writer's thread, in order: the publish path never waits on SQLite.
    func persistLater(_ write: @escaping @Sendable (AlertStateStore) throws(AlertStateStore.Problem) -> Void) {
        guard stateStore != nil else { return }
        stateWriter.async { self.persist(write) }
    }

    func persist(_ write: (AlertStateStore) throws(AlertStateStore.Problem) -> Void) {
        guard let stateStore else { return }
        do {
            try write(stateStore)
            stateProblem.withLock { $0 = nil }
        } catch {
            stateProblem.withLock { $0 = error.description }
        }
    }
}
