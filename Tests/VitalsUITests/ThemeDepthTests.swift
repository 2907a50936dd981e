import Foundation
import Testing
import VitalsTesting
@testable import VitalsTerminal
import VitalsUI

/// Every shipped theme in every colour depth a terminal may have (none, 8, 16, 256), as the
/// terminal backend maps it: greys never turn into a status colour, the three statuses stay
/// apart, no role is drawn in its own background colour, and without colour the statuses that
/// need a look still differ from plain text by an attribute.
@Suite struct ThemeDepthTests {
    static let themes: [Theme] = {
        let directory = Fixtures.path("themes")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
        return [Theme.builtIn] + files.compactMap { try? ThemeLoader.load(path: "\(directory)/\($0)") }
    }()

    @Test func atLeastFiveThemesShip() {
        #expect(Self.themes.count >= 6, "the built-in one and five files: \(Self.themes.map(\.name))")
    }

    @Test(arguments: [8, 16, 256])
    func everyThemeHoldsItsMeaningAt(colors: Int) {
        for theme in Self.themes {
            func mapped(_ role: ThemeRole) -> (fg: Int32, bg: Int32, attributes: Style.Attributes) {
                let style = theme[role]
                return (ColorMapping.index(style.foreground, colors: colors), ColorMapping.index(style.background, colors: colors), style.attributes)
            }
            let statuses = [ThemeRole.passing, .warning, .critical].map(mapped)
            // Told apart by colour or, failing that, by attributes.
            for (a, b) in [(0, 1), (0, 2), (1, 2)] {
                let same = statuses[a].fg == statuses[b].fg && statuses[a].bg == statuses[b].bg && statuses[a].attributes == statuses[b].attributes
                #expect(!same, "\(theme.name) at \(colors) colours: statuses \(a) and \(b) look the same")
            }
            // Greys stay greys: never the colour that signals a warning or a failure (its
            // background when it has one of its own, as high-contrast's white on red).
            let textBackground = mapped(.text).bg
            func signal(_ role: ThemeRole) -> Int32 { mapped(role).bg != textBackground ? mapped(role).bg : mapped(role).fg }
            let alarming = Set([signal(.warning), signal(.critical)].filter { $0 >= 0 })
            for role in [ThemeRole.muted, .label, .footer, .tabInactive, .border] {
                #expect(!alarming.contains(mapped(role).fg), "\(theme.name) at \(colors) colours: \(role) is drawn in a status colour")
            }
            for role in ThemeRole.allCases {
                let (fg, bg, attributes) = mapped(role)
                #expect(fg < 0 || fg != bg || attributes.contains(.reverse), "\(theme.name) at \(colors) colours: \(role) is unreadable (\(fg) on \(bg))")
            }
        }
    }

    /// NO_COLOR, or a terminal without colour: attributes alone carry what needs a look.
    @Test func withoutColourWarningsAndFailuresStandOut() {
        for theme in Self.themes {
            let plain = theme[.text].attributes
            #expect(theme[.warning].attributes != plain, "\(theme.name): a warning looks like text without colour")
            #expect(theme[.critical].attributes != plain, "\(theme.name): a failure looks like text without colour")
            #expect(theme[.selection].attributes.contains(.reverse) || theme[.selection].background != .default,
                    "\(theme.name): the selection must show without colour or with its own background")
        }
    }
}
