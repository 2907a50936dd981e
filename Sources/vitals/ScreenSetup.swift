import Foundation
import VitalsTerminal
import VitalsUI

/// What the dashboard learns about the terminal before it takes the screen: whether its
/// background is light (a theme that paints no background of its own is then chosen to suit it)
/// and whether it shows 24-bit colour.
struct ScreenSetup {
    /// The themes `t` cycles through, the one to start with first.
    let themes: [Theme]
    /// Said in the footer of the first frame (the theme chosen for a light terminal).
    let greeting: String?
    private let direct: (type: String, folder: String)?
    /// Keys typed while the terminal was asked about its background.
    private let typed: [UInt8]

    /// - Parameter theme: the theme asked for with `--theme` (nil: chosen by the background).
    static func prepare(theme: String?) throws -> ScreenSetup {
        var themes = try Dashboard.loadThemes(selected: theme)
        var greeting: String?
        var typed: [UInt8] = []
        if theme == nil {
            let detected = TerminalBackground.detect()
            typed = detected.typed
            if detected.background == .light, let light = themes.firstIndex(where: { $0.name == "light" }) {
                themes.insert(themes.remove(at: light), at: 0)
                greeting = "light terminal background: theme light (t or --theme chooses another)"
            }
        }
        return ScreenSetup(themes: themes, greeting: greeting, direct: DirectColor.prepare(), typed: typed)
    }

    /// The terminal, with the direct-colour entry when there is one and the keys typed so far.
    func terminal() -> NcursesTerminal { NcursesTerminal(type: direct?.type, typeahead: typed) }

    /// Removes the compiled terminfo entry (ncurses read it when the screen was set up).
    func cleanUp() {
        if let folder = direct?.folder { try? FileManager.default.removeItem(atPath: folder) }
    }
}
