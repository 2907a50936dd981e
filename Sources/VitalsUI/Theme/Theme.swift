import VitalsCore

/// A named mapping from every `ThemeRole` to a `Style`.
public struct Theme: Sendable, Equatable {
    public var name: String
    public var description: String
    private var styles: [ThemeRole: Style]

    /// - Precondition: `styles` has an entry for every role (the loader checks this).
    public init(name: String, description: String = "", styles: [ThemeRole: Style]) {
        self.name = name
        self.description = description
        self.styles = styles
    }

    public subscript(role: ThemeRole) -> Style { styles[role] ?? .plain }

    /// Whether every role has a style of its own.
    public var isComplete: Bool { ThemeRole.allCases.allSatisfy { styles[$0] != nil } }

    /// The style for a status.
    public func style(for status: Status) -> Style {
        switch status {
        case .passing: self[.passing]
        case .warning: self[.warning]
        case .critical: self[.critical]
        case .maintenance: self[.maintenance]
        case .unknown: self[.unknown]
        }
    }

    /// A theme built into the binary, used when no theme files can be found: ANSI colours only,
    /// so it works on any colour terminal.
    public static let builtIn: Theme = {
        // Without colour (NO_COLOR) the attributes alone tell a warning from a failure from text.
        let green = Style(foreground: .indexed(2)), yellow = Style(foreground: .indexed(3), attributes: .bold)
        let red = Style(foreground: .indexed(1), attributes: [.bold, .underline])
        var styles: [ThemeRole: Style] = [:]
        for role in ThemeRole.allCases { styles[role] = .plain }
        styles[.muted] = Style(foreground: .indexed(8))
        styles[.title] = Style(attributes: .bold)
        styles[.header] = Style(attributes: [.bold, .underline])
        styles[.border] = Style(foreground: .indexed(8))
        styles[.selection] = Style(attributes: .reverse)
        styles[.passing] = green
        styles[.warning] = yellow
        styles[.critical] = red
        styles[.maintenance] = Style(foreground: .indexed(4))
        styles[.unknown] = Style(foreground: .indexed(8))
        styles[.statusBar] = Style(attributes: .reverse)
        styles[.statusBarAccent] = Style(attributes: [.reverse, .bold])
        styles[.tabActive] = Style(attributes: [.bold, .reverse])
        styles[.tabInactive] = Style(foreground: .indexed(8))
        styles[.footerKey] = Style(attributes: .bold)
        styles[.overlayTitle] = Style(attributes: .bold)
        styles[.menuSelected] = Style(attributes: .reverse)
        styles[.message] = Style(foreground: .indexed(6), attributes: .bold)
        styles[.error] = red
        styles[.sparkline] = Style(foreground: .indexed(6))
        styles[.label] = Style(foreground: .indexed(8))
        return Theme(name: "built-in", description: "ANSI colours, used when no theme files are found", styles: styles)
    }()
}
