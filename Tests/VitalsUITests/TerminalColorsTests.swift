import Foundation
import Testing
import VitalsTesting
@testable import VitalsTerminal
import VitalsUI

/// What the terminal says about its background, and 24-bit colour through a terminfo entry of our
/// own.
@Suite struct TerminalColorsTests {
    @Test(arguments: [("15;0", TerminalBackground.dark), ("0;15", .light), ("default;7", .light), ("12;8", .dark), ("0;default;15", .light)])
    func colorFGBGNamesTheBackground(value: String, expected: TerminalBackground) {
        #expect(TerminalBackground.fromColorFGBG(value) == expected)
    }

    @Test func anUnreadableColorFGBGSaysNothing() {
        #expect(TerminalBackground.fromColorFGBG(nil) == nil)
        #expect(TerminalBackground.fromColorFGBG("") == nil)
        #expect(TerminalBackground.fromColorFGBG("white;black") == nil)
        #expect(TerminalBackground.fromColorFGBG("0;99") == nil)
    }

    @Test func anOSC11ReplyGivesTheBackgroundAndTheDeviceAttributesEndTheWait() {
        let white = Array("\u{1B}]11;rgb:ffff/ffff/ffff\u{1B}\\\u{1B}[?1;2c".utf8)
        #expect(TerminalBackground.parseReply(white) == (.light, true))
        let solarized = Array("\u{1B}]11;rgb:0000/2b2b/3636\u{07}\u{1B}[?62;22c".utf8)
        #expect(TerminalBackground.parseReply(solarized) == (.dark, true))
        // Two hex digits a part is a fraction of 0xff, not of 0xffff.
        #expect(TerminalBackground.parseReply(Array("\u{1B}]11;rgb:ee/ee/ee\u{1B}\\".utf8)) == (.light, false))
        // A terminal that knows no OSC 11 answers the device attributes alone: nothing to wait for.
        #expect(TerminalBackground.parseReply(Array("\u{1B}[?1;2c".utf8)) == (nil, true))
        // Half a reply: wait on.
        #expect(TerminalBackground.parseReply(Array("\u{1B}]11;rgb:ff".utf8)) == (nil, false))
        #expect(TerminalBackground.parseReply(Array("\u{1B}]11;rgb:zz/00/00\u{1B}[?1c".utf8)) == (nil, true))
    }

    /// Keys typed while the terminal was asked are kept, in order, without its answers.
    @Test func keysTypedMeanwhileAreKept() {
        let bytes = Array("2j\u{1B}]11;rgb:ffff/ffff/ffff\u{1B}\\m\u{1B}[?1;2cé".utf8)
        #expect(TerminalBackground.keysTyped(bytes) == Array("2jmé".utf8))
        #expect(TerminalBackground.keysTyped(Array("\u{1B}[A\u{1B}[?62c".utf8)) == Array("\u{1B}[A".utf8))
    }

    /// Those keys become the dashboard's first keys: characters, control keys, cursor and paging
    /// keys; an unknown sequence is dropped whole.
    @Test func keysTypedAheadAreDecoded() {
        let bytes = Array("2jé\r\u{1B}[A\u{1B}OB\u{1B}[6~\u{1B}[Z\u{1B}[1;5P\u{03}\u{1B}x".utf8)
        #expect(TypeaheadKeys.decode(bytes) == [
            .character("2"), .character("j"), .character("é"), .enter, .up, .down, .pageDown, .backTab, .control("c"), .escape, .character("x"),
        ])
        #expect(TypeaheadKeys.decode(Array("\u{1B}[12".utf8)) == [], "a sequence cut short is dropped")
    }

    @Test func twentyFourBitColourIsAskedForByCOLORTERMAndNotWithNO_COLOR() {
        #expect(DirectColor.wanted(["COLORTERM": "truecolor"]))
        #expect(DirectColor.wanted(["COLORTERM": "24bit"]))
        #expect(!DirectColor.wanted(["COLORTERM": "truecolor", "NO_COLOR": "1"]))
        #expect(!DirectColor.wanted(["COLORTERM": "yes"]))
        #expect(!DirectColor.wanted([:]))
    }

    @Test func onADirectColourTerminalAColourIsItsOwnRGB() {
        let direct = ColorMapping.direct
        #expect(ColorMapping.index(.rgb(0x5f, 0xaf, 0xd7), colors: direct) == 0x5fafd7)
        // Numbers below 8 are the ANSI colours there: black is nudged, to the eye the same.
        #expect(ColorMapping.index(.rgb(0, 0, 0), colors: direct) == 8)
        // An xterm-256 index becomes the colour it stands for; the 16 ANSI ones stay themselves.
        #expect(ColorMapping.index(.indexed(196), colors: direct) == 0xff0000)
        #expect(ColorMapping.index(.indexed(244), colors: direct) == 0x808080)
        #expect(ColorMapping.index(.indexed(1), colors: direct) == 1)
        #expect(ColorMapping.index(.default, colors: direct) == -1)
    }

    /// The entry `tic` compiles is the terminal's own plus 2²⁴ colours written as 38;2;R;G;B.
    @Test func ticCompilesTheDirectColourEntry() throws {
        let infocmp = try #require(ExternalTool.path(of: "infocmp"), "infocmp (ncurses-bin) is needed")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-terminfo-test-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let name = try #require(DirectColor.compile(term: "xterm-256color", into: folder))
        #expect(name == "vitals-direct-xterm-256color")
        let described = try Run.process(infocmp, ["-x", "-A", folder, name]).stdout
        #expect(described.contains("colors#0x1000000"), "\(described)")
        #expect(described.contains("RGB"))
        #expect(described.contains("38;2;"))
        #expect(described.contains("smcup="), "the rest comes from xterm-256color")
        #expect(DirectColor.compile(term: "no-such-terminal-\(UUID())", into: folder + "-2") == nil)
        #expect(DirectColor.compile(term: "xterm;rm -rf", into: folder + "-3") == nil)
    }
}
