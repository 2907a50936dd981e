import Foundation
import VitalsCore

/// Reads theme files: a `palette` of named colours and a `roles` mapping that gives every
/// `ThemeRole` a style (`fg`, `bg`, `bold`, `dim`, `underline`, `reverse`).
public enum ThemeLoader {
    /// Loads one theme file.
    /// - Throws: `ValidationFailure` with file:line:column for every problem.
    public static func load(path: String) throws -> Theme {
        switch TextFile.read(path) {
        case .success(let text): return try parse(text, file: path)
        case .failure(let problem): throw ValidationFailure([problem.diagnostic])
        }
    }

    /// Parses theme YAML `text`, naming `file` in messages.
    public static func parse(_ text: String, file: String) throws -> Theme {
        let reader = YAMLFields(file: file)
        guard let root = reader.parse(text),
              let fields = reader.mapping(root, "the theme", allowed: ["name", "description", "palette", "roles"])
        else { throw ValidationFailure(reader.diagnostics) }
        let name = fields.string("name", required: true) ?? "?"
        let description = fields.string("description") ?? ""
        var palette: [String: Color] = [:]
        if let node = fields.value("palette") {
            for (key, _, value) in reader.pairs(node, "palette") ?? [] {
                guard let text = reader.scalar(value, "palette colour '\(key)'") else { continue }
                if let color = Color(text: text) {
                    palette[key] = color
                } else {
                    reader.error(at: value, "palette colour '\(key)': '\(text)' is not a colour (use #rrggbb, 0-255, default, or an ANSI name like red)")
                }
            }
        }
        var styles: [ThemeRole: Style] = [:]
        let roleNames = ThemeRole.allCases.map(\.rawValue)
        if let node = fields.value("roles"), let roles = reader.mapping(node, "roles", allowed: roleNames) {
            for role in ThemeRole.allCases {
                guard let value = roles.value(role.rawValue) else {
                    roles.missing(role.rawValue)
                    continue
                }
                styles[role] = style(value, role: role, palette: palette, reader: reader)
            }
        } else if !fields.has("roles") {
            fields.missing("roles")
        }
        guard !reader.hasErrors else { throw ValidationFailure(reader.diagnostics) }
        return Theme(name: name, description: description, styles: styles)
    }

    private static func style(_ node: YAMLNode, role: ThemeRole, palette: [String: Color], reader: YAMLFields) -> Style {
        let what = "role '\(role.rawValue)'"
        guard let fields = reader.mapping(node, what, allowed: ["fg", "bg", "bold", "dim", "underline", "reverse"]) else { return .plain }
        func color(_ key: String) -> Color {
            guard let text = fields.string(key) else { return .default }
            if let named = palette[text] ?? Color(text: text) { return named }
            var message = "\(what): '\(text)' for '\(key)' is neither a palette name nor a colour"
            if let guess = didYouMean(text, among: Array(palette.keys) + Array(Color.names.keys)) { message += "; did you mean '\(guess)'?" }
            reader.error(at: fields.value(key), message)
            return .default
        }
        var attributes: Style.Attributes = []
        if fields.bool("bold") == true { attributes.insert(.bold) }
        if fields.bool("dim") == true { attributes.insert(.dim) }
        if fields.bool("underline") == true { attributes.insert(.underline) }
        if fields.bool("reverse") == true { attributes.insert(.reverse) }
        return Style(foreground: color("fg"), background: color("bg"), attributes: attributes)
    }

    /// Loads every `*.yaml` theme in `directory`, sorted by name, with the problems of the files
    /// that could not be loaded (a broken theme never stops the others).
    public static func loadAll(directory: String) -> (themes: [Theme], failures: [ValidationFailure]) {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var themes: [Theme] = []
        var failures: [ValidationFailure] = []
        for file in files {
            do {
                themes.append(try load(path: (directory as NSString).appendingPathComponent(file)))
            } catch let failure as ValidationFailure {
                failures.append(failure)
            } catch {
                failures.append(ValidationFailure([Diagnostic(SourceLocation(file: file, line: 1, column: 1), "\(error)")]))
            }
        }
        return (themes.sorted { $0.name < $1.name }, failures)
    }
}
