/// Every place the UI uses colour. Themes map each role to a style; widgets ask for a role,
/// never for a raw colour.
public enum ThemeRole: String, CaseIterable, Sendable {
    case text
    case muted
    case title
    case header
    case border
    case selection
    case passing
    case warning
    case critical
    case maintenance
    case unknown
    case statusBar = "status_bar"
    case statusBarAccent = "status_bar_accent"
    case tabActive = "tab_active"
    case tabInactive = "tab_inactive"
    case footer
    case footerKey = "footer_key"
    case overlay
    case overlayTitle = "overlay_title"
    case menuSelected = "menu_selected"
    case message
    case error
    case sparkline
    case label
}
