import Foundation
import Testing
import VitalsUI
#if canImport(Glibc)
import Glibc
#endif

/// glibc declares `wcwidth` only under _XOPEN_SOURCE, which the Glibc module does not set.
@_silgen_name("wcwidth") private func systemWcwidth(_ character: wchar_t) -> Int32

/// ncursesw moves the cursor by the C library's `wcwidth`; the screen buffer lays cells out by
/// `Character.terminalWidth`. Where the two disagree, a row would be shifted on a real terminal,
/// so they must agree for every printable character a cluster is likely to send.
@Suite(.serialized) struct WidthAgreementTests {
    init() { setlocale(LC_CTYPE, "C.UTF-8") }

    /// Every code point from space up, but the surrogates.
    static let ranges: [ClosedRange<UInt32>] = [0x20...0xD7FF, 0xE000...0x10_FFFF]

    @Test func anUnprintableCharacterIsShownAsAReplacement() {
        var screen = Screen(width: 4, height: 1, fill: Cell("."))
        screen.put("a\u{0378}b", x: 0, y: 0, style: .plain)  // U+0378 is unassigned
        #expect(screen.text == "a\u{FFFD}b.")
    }

    @Test func screenWidthsAgreeWithWcwidth() {
        var disagreements: [String] = []
        var compared = 0
        for range in Self.ranges {
            for value in range {
                guard let scalar = Unicode.Scalar(value) else { continue }
                let expected = Int(systemWcwidth(wchar_t(bitPattern: value)))
                compared += 1
                let character = Character(scalar)
                // Unprintable for the C library: the screen must replace it, not lay it out.
                let ours = character.isTerminalPrintable ? character.terminalWidth : -1
                if ours != expected { disagreements.append(String(format: "U+%04X ours %d wcwidth %d", value, ours, expected)) }
            }
        }
        #expect(compared > 1_000_000)
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(20).joined(separator: ", "))")
    }
}
