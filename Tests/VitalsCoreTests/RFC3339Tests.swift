import Foundation
import Testing
@testable import VitalsCore

/// The hand-written time format against Foundation's ISO 8601 format style, which it replaces.
@Suite struct RFC3339Tests {
    let style = Date.ISO8601FormatStyle().year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)

    @Test func writesWhatTheFormatStyleWritesAndReadsItBack() throws {
        var generator = SystemRandomNumberGenerator()
        var dates = [0, 0.0005, 0.9996, 59.999, 951_782_400, 951_868_799.999, 1_796_471_426.9735596, 4_102_444_800, -1, -86_400.5]
            .map(Date.init(timeIntervalSince1970:))
        for _ in 0..<5_000 { dates.append(Date(timeIntervalSince1970: Double.random(in: 0...4_102_444_800, using: &generator))) }
        for date in dates {
            let ours = RFC3339.format(date)
            // Foundation truncates 59.99899999… (59.999 as a Double) to .998; ours reads it as .999.
            let fraction = date.timeIntervalSince1970 - date.timeIntervalSince1970.rounded(.down)
            let nearBoundary = (fraction * 1000).rounded(.up) - fraction * 1000 < 0.001
            if !nearBoundary { #expect(ours == date.formatted(style), "\(date.timeIntervalSince1970)") }
            let read = try #require(RFC3339.parse(ours))
            // Within a microsecond of Foundation's reading (it sums the parts in another order, which
            // can differ in the last bit), and the same text when written again.
            let theirs = try Date(ours, strategy: style)
            #expect(abs(read.timeIntervalSince(theirs)) < 1e-6, "\(ours): \(read.timeIntervalSinceReferenceDate) vs \(theirs.timeIntervalSinceReferenceDate)")
            #expect(RFC3339.format(read) == ours)
        }
    }

    @Test func theTextSurvivesAReadAndAWrite() throws {
        for text in ["1970-01-01T00:00:59.999Z", "2000-02-29T23:59:59.998Z", "2026-12-05T10:42:07.001Z", "2099-12-31T23:59:59.999Z"] {
            #expect(RFC3339.format(try #require(RFC3339.parse(text))) == text)
        }
        #expect(RFC3339.format(Date(timeIntervalSince1970: 59.999)) == "1970-01-01T00:00:59.999Z")
    }

    @Test(arguments: ["2026-12-05T10:42:07Z", "2026-13-05T10:42:07.000Z", "2026-12-05 10:42:07.000Z", "2026-12-05T10:42:07.000+01:00", "x"])
    func leavesOtherFormsToTheFormatStyle(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func theSnapshotStillReadsOtherISO8601Forms() {
        #expect(ClusterSnapshot.parseTimestamp("2026-12-05T10:42:07Z") == Date(timeIntervalSince1970: 1_796_467_327))
    }
}
