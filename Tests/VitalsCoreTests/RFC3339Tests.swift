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
            #expect(ours == date.formatted(style), "\(date.timeIntervalSince1970)")
            let read = try #require(RFC3339.parse(ours))
            let theirs = try Date(ours, strategy: style)
            #expect(read == theirs, "\(ours): \(read.timeIntervalSinceReferenceDate) vs \(theirs.timeIntervalSinceReferenceDate)")
        }
    }

    @Test(arguments: ["2026-12-05T10:42:07Z", "2026-13-05T10:42:07.000Z", "2026-12-05 10:42:07.000Z", "2026-12-05T10:42:07.000+01:00", "x"])
    func leavesOtherFormsToTheFormatStyle(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func theSnapshotStillReadsOtherISO8601Forms() {
        #expect(ClusterSnapshot.parseTimestamp("2026-12-05T10:42:07Z") == Date(timeIntervalSince1970: 1_796_467_327))
    }
}
