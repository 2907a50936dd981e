import ArgumentParser
import Foundation
import VitalsCore
import VitalsUI

struct Themes: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the themes, with a preview line each.")

    func run() throws {
        let (themes, failures) = ResourceLocator.allThemes()
        let color = isatty(STDOUT_FILENO) == 1
        // Names whole, in a column as wide as the longest (`solarized-dark` was cut at 10).
        let nameWidth = max(10, themes.map { $0.name.sanitizedForTerminal.count }.max() ?? 0)
        for theme in themes {
            var preview = ""
            for (role, text) in [(ThemeRole.statusBarAccent, " vitals "), (.passing, " ● passing"), (.warning, " ▲ warning"), (.critical, " ✖ critical"), (.selection, " selected row "), (.muted, " muted")] {
                preview += color ? Self.sgr(theme[role]) + text + "\u{1B}[0m" : text
            }
            // The preview's own colour escapes are the point; the file's words are made safe.
            let name = theme.name.sanitizedForTerminal.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            print("\(name) \(preview)   \(theme.description.sanitizedForTerminal)")
        }
        for failure in failures { Output.error("vitals: theme skipped:\n\(failure)") }
    }

    /// An ANSI escape for a style (256 colours or truecolor), for the preview only.
    static func sgr(_ style: Style) -> String {
        var codes: [String] = []
        if style.attributes.contains(.bold) { codes.append("1") }
        if style.attributes.contains(.dim) { codes.append("2") }
        if style.attributes.contains(.underline) { codes.append("4") }
        if style.attributes.contains(.reverse) { codes.append("7") }
        func color(_ color: Color, base: Int) -> String? {
            switch color {
            case .default: nil
            case .indexed(let index): "\(base);5;\(index)"
            case .rgb(let r, let g, let b): "\(base);2;\(r);\(g);\(b)"
            }
        }
        if let fg = color(style.foreground, base: 38) { codes.append(fg) }
        if let bg = color(style.background, base: 48) { codes.append(bg) }
        return "\u{1B}[" + (codes.isEmpty ? "0" : codes.joined(separator: ";")) + "m"
    }
}
