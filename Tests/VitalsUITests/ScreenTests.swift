import Foundation
import Testing
import VitalsUI

@Suite struct ScreenTests {
    @Test func wideCharactersTakeTwoCellsAndClip() {
        var screen = Screen(width: 6, height: 1, fill: Cell("."))
        let end = screen.put("a日本", x: 0, y: 0, style: .plain)
        #expect(end == 5)
        #expect(screen.lines == ["a日本."])
        #expect(screen[1, 0].width == 2)
        #expect(screen[2, 0].width == 0)
        // A wide character that would straddle the edge is not drawn.
        screen.put("xx日", x: 3, y: 0, style: .plain)
        #expect(screen.lines == ["a日xx."])
    }

    @Test func overwritingHalfAWideCharacterClearsTheOtherHalf() {
        var screen = Screen(width: 4, height: 1, fill: Cell("."))
        screen.put("日", x: 0, y: 0, style: .plain)
        screen.put("x", x: 1, y: 0, style: .plain)
        #expect(screen.lines == [" x.."])
    }

    @Test func writesOutsideTheScreenAreIgnored() {
        var screen = Screen(width: 3, height: 2, fill: Cell("."))
        screen.put("abc", x: -1, y: 0, style: .plain)
        screen.put("zzz", x: 0, y: 5, style: .plain)
        screen.put("abcdef", x: 1, y: 1, style: .plain, maxWidth: 1)
        #expect(screen.lines == ["bc.", ".a."])
    }

    @Test func diffGroupsChangedCellsByStyle() {
        let bold = Style(attributes: .bold)
        let before = Screen(width: 10, height: 2)
        var after = before
        after.put("ab", x: 2, y: 0, style: .plain)
        after.put("cd", x: 4, y: 0, style: bold)
        after.put("日", x: 0, y: 1, style: .plain)
        let runs = after.changes(from: before)
        #expect(runs == [
            Screen.Run(x: 2, y: 0, text: "ab", style: .plain),
            Screen.Run(x: 4, y: 0, text: "cd", style: bold),
            Screen.Run(x: 0, y: 1, text: "日", style: .plain),
        ])
        #expect(after.changes(from: after).isEmpty)
        #expect(after.changes(from: nil).map(\.text) == ["  ab", "cd", "    ", "日        "], "a first frame writes every cell")
    }

    @Test(arguments: [("hello", 3, "he…"), ("hello", 5, "hello"), ("日本語", 4, "日…"), ("x", 0, "")])
    func truncation(text: String, width: Int, expected: String) {
        #expect(text.truncated(toWidth: width) == expected)
    }
}

@Suite struct FormatTests {
    @Test(arguments: [(Double.nan, "-"), (.infinity, "-"), (-.infinity, "-"), (-3, "-"), (3e299, "≥1G/s"), (2.5e6, "2.5M/s"), (1234, "1234/s"), (0.5, "0.5/s")])
    func ratesAreAlwaysReadable(value: Double, expected: String) {
        #expect(Format.rate(value) == expected)
    }

    @Test func percentOfNothingFiniteIsADash() {
        #expect(Format.percent(.nan) == "-")
        #expect(Format.percent(0.5) == "50%")
    }
}

@Suite struct ClockFormatTests {
    @Test(arguments: [(0, "10:00:00"), (19_800, "15:30:00"), (-36_000, "00:00:00"), (-39_600, "23:00:00")])
    func theClockIsLocalToTheTimeZone(offset: Int, expected: String) throws {
        let zone = try #require(TimeZone(secondsFromGMT: offset))
        #expect(Format.clock(Date(timeIntervalSince1970: 1_795_687_200), timeZone: zone) == expected)
    }
}

@Suite struct GraphTests {
    @Test func blocksFillFromTheBottomInEighths() {
        let lines = Graph.lines([0, 0.5, 1, nil], width: 4, height: 2, top: 1)
        // 0, half, full, no scrape: half of two rows fills the bottom one.
        #expect(lines == ["  █ ", " ██·"])
        #expect(Graph.lines([0.25], width: 1, height: 1, top: 1) == ["▂"])
        #expect(Graph.lines([1], width: 3, height: 1, top: 1) == ["  █"], "newest on the right")
        #expect(Graph.lines([0.5, 1], width: 2, height: 1, top: 1, ascii: true) == ["##"])
    }

    @Test func byteRatesAreShort() {
        #expect(Format.byteRate(812) == "812B/s")
        #expect(Format.byteRate(1_234) == "1.2kB/s")
        #expect(Format.byteRate(34_000_000) == "34MB/s")
        #expect(Format.byteRate(nil) == "-" && Format.byteRate(.nan) == "-")
    }
}
