import Foundation
import Testing
import VitalsEngine

/// The compressed store: values come back bit for bit, old chunks go, stale series cost nothing.
@Suite struct ScrapeStoreTests {
    @Test func valuesRoundTripBitForBit() {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 1, 1, 1, .nan, .infinity, -.infinity, 1e-310, .greatestFiniteMagnitude, 42.5, 42.5]
        var walk = 1000.0
        for _ in 0..<500 {
            walk += Double.random(in: -3...3, using: &generator)
            values.append(walk)
            values.append(Double(UInt64.random(in: 0...UInt64.max, using: &generator) >> 12))
            values.append(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator)))
        }
        var stream = ValueStream()
        for value in values { stream.append(value) }
        #expect(stream.values.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test func aConstantCostsABitAndACounterAFewBytes() {
        var constant = ValueStream()
        for _ in 0..<720 { constant.append(8_589_934_592) }
        #expect(constant.byteCount <= 400, "720 repeats: a bit each (90 bytes, plus the array's growth), against 5,760 plain")
        // A byte counter: integral, regular steps; only the low mantissa bits change.
        var counter = ValueStream()
        var value = 912_345_678.0
        for step in 0..<720 { value += Double(40_000 + (step * 7_919) % 9_000) }
        for step in 0..<720 { counter.append(value + Double(step * 40_000)) }
        #expect(Double(counter.byteCount) / 720 < 5, "an integral counter compresses well below 8 bytes")
    }

    @Test func staleSeriesAndOldChunksGo() {
        var store = ScrapeStore(retention: .seconds(60), interval: .seconds(5), chunkLength: 4)
        for scrape in 0..<40 {
            store.begin(time: Int64(scrape) * 5_000)
            store.add(0, Double(scrape))
            if scrape < 10 { store.add(1, 7) }   // series 1 stops after ten scrapes
            if scrape == 20 { store.add(0, 999) } // a duplicate in one scrape: the first counts
            store.end()
        }
        let kept = store.samples(of: 0)
        #expect(kept.last?.value == 39 && kept.last?.time == 39 * 5_000)
        #expect(kept.count <= 60 / 5 + 4 + 4 && kept.count >= 12, "about the retention, in whole chunks")
        #expect(!kept.contains { $0.value == 999 })
        #expect(store.samples(of: 1).isEmpty, "gone with its chunks")
        #expect(store.liveSeries == 1)
    }

    @Test func aSeriesAbsentFromOneScrapeIsMarkedStaleThere() {
        var store = ScrapeStore(interval: .seconds(5))
        for scrape in 0..<5 {
            store.begin(time: Int64(scrape) * 5_000)
            if scrape != 2 { store.add(3, Double(scrape)) }
            store.end()
        }
        #expect(store.samples(of: 3).map(\.value) == [0, 1, 3, 4])
        #expect(store.samples(of: 3).map(\.time) == [0, 5_000, 15_000, 20_000])
    }
}
