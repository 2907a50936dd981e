import Foundation
import Testing
import VitalsCore
import VitalsTesting
import VitalsUI

@Suite struct ThemeTests {
    @Test func everyThemeFileLoadsAndResolvesEveryRole() throws {
        let directory = Fixtures.path("themes")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }
        #expect(Set(files).isSuperset(of: ["default.yaml", "light.yaml"]))
        for file in files {
            let theme = try ThemeLoader.load(path: "\(directory)/\(file)")
            #expect(theme.isComplete, "\(file) leaves a role without a style")
            #expect(theme.name + ".yaml" == file)
        }
        #expect(Theme.builtIn.isComplete)
    }

    @Test func paletteNamesAndColoursResolve() throws {
        let theme = try ThemeLoader.load(path: Fixtures.path("themes/default.yaml"))
        #expect(theme[.critical] == Style(foreground: .rgb(0xFF, 0x5F, 0x5F), attributes: .bold))
        #expect(theme[.selection].background == .rgb(0x5F, 0xAF, 0xD7))
    }

    @Test func brokenThemesNameFileLineAndColumn() throws {
        var yaml = try String(contentsOfFile: Fixtures.path("themes/default.yaml"), encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "  critical: { fg: red, bold: true }\n", with: "  critical: { fg: rde, bold: maybe }\n")
        yaml = yaml.replacingOccurrences(of: "  label: { fg: dim }\n", with: "")
        yaml = yaml.replacingOccurrences(of: "  sparkline: { fg: accent }\n", with: "")
        yaml += "  labels: { fg: dim }\n"
        #expect(throws: ValidationFailure.self) { try ThemeLoader.parse(yaml, file: "bad.yaml") }
        do {
            _ = try ThemeLoader.parse(yaml, file: "bad.yaml")
        } catch let failure as ValidationFailure {
            let messages = failure.diagnostics.map(\.description)
            #expect(messages.contains("bad.yaml:24:19: role 'critical': 'rde' for 'fg' is neither a palette name nor a colour; did you mean 'red'?"))
            #expect(messages.contains("bad.yaml:24:30: 'bold' in role 'critical' must be true or false"))
            #expect(messages.contains { $0.hasPrefix("bad.yaml:38:3: unknown key 'labels' in roles; did you mean 'label'?") })
            #expect(messages.contains { $0.hasSuffix("roles is missing 'sparkline'") })
            #expect(!messages.contains { $0.hasSuffix("roles is missing 'label'") }, "the misspelt 'labels' already says it")
        }
    }

    @Test(arguments: [("#ff0000", Color.rgb(255, 0, 0)), ("red", .indexed(1)), ("bright-blue", .indexed(12)), ("214", .indexed(214)), ("default", .default)])
    func colourSyntax(text: String, color: Color) {
        #expect(Color(text: text) == color)
    }
}
