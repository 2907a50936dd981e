/// Boxes drawn over the dashboard: the help screen and the fault menu.
public enum Overlays {
    /// The help's lines (a section title has no meaning), with blank lines between sections
    /// when the terminal is tall enough for them.
    static func helpLines(height: Int) -> [(String, String)] {
        let keyCount = KeyMap.help.reduce(0) { $0 + $1.keys.count + 1 }
        let roomy = keyCount + KeyMap.help.count - 1 + 4 <= height - 2
        var lines: [(String, String)] = []
        for (index, section) in KeyMap.help.enumerated() {
            if index > 0 && roomy { lines.append(("", "")) }
            lines.append((section.section, ""))
            lines.append(contentsOf: section.keys)
        }
        return lines
    }

    /// The keys, from the key map; scrolled by `scroll` lines when they do not all fit.
    public static func drawHelp(into screen: inout Screen, theme: Theme, scroll: Int = 0) {
        let lines = helpLines(height: screen.height)
        let roomy = lines.contains { $0.0.isEmpty }
        let padding = roomy ? 2 : 1
        let width = min(screen.width - 4, 74)
        let height = min(screen.height - 2, lines.count + padding * 2)
        let room = height - padding * 2
        let top = max(0, min(scroll, lines.count - room))
        let rect = centered(width: width, height: height, in: screen)
        screen.fill(rect, style: theme[.overlay])
        screen.box(rect, style: theme[.border], title: "Keys", titleStyle: theme[.overlayTitle])
        for (offset, (key, meaning)) in lines.dropFirst(top).prefix(room).enumerated() {
            let y = rect.y + padding + offset
            if meaning.isEmpty {
                screen.put(key, x: rect.x + 2, y: y, style: theme[.overlayTitle])
            } else {
                screen.put(key.padded(toWidth: 18), x: rect.x + 3, y: y, style: theme[.footerKey].over(theme[.overlay]))
                screen.put(meaning, x: rect.x + 22, y: y, style: theme[.overlay], maxWidth: rect.width - 24)
            }
        }
        let more = lines.count > room
        let note = more ? (top + room < lines.count ? "j ↓ more · any other key closes" : "k ↑ back · any other key closes") : "any key closes"
        screen.put(note, x: rect.maxX - note.terminalWidth - 3, y: rect.maxY - 1, style: theme[.muted])
    }

    public static func drawFaultMenu(into screen: inout Screen, node: String, selected: Int, items: [MenuItem], theme: Theme) {
        let width = min(screen.width - 4, 64)
        let height = items.count + 4
        let rect = centered(width: width, height: height, in: screen)
        screen.fill(rect, style: theme[.overlay])
        screen.box(rect, style: theme[.border], title: "Inject a fault into \(node)", titleStyle: theme[.overlayTitle])
        for (index, item) in items.enumerated() {
            let y = rect.y + 2 + index
            let style = index == selected ? theme[.menuSelected] : theme[.overlay]
            let line = " \(index + 1)  \(item.name.padded(toWidth: 9)) \(item.summary)"
            screen.fill(Rect(x: rect.x + 1, y: y, width: rect.width - 2, height: 1), style: style)
            screen.put(line, x: rect.x + 1, y: y, style: style, maxWidth: rect.width - 2)
        }
        screen.put("enter choose · esc cancel", x: rect.x + 2, y: rect.maxY - 1, style: theme[.muted])
    }

    /// A box of lines to read (a reload's errors): each line wrapped to the box, as many as fit,
    /// then how many more there are.
    public static func drawReport(into screen: inout Screen, title: String, lines: [String], theme: Theme) {
        let width = min(screen.width - 4, 100)
        let inner = max(10, width - 4)
        var wrapped: [String] = []
        for line in lines {
            // Words stay whole; continuations are indented by two, so they get two columns less.
            let head = Format.wrapped(line, width: inner, atSpaces: true)[0]
            wrapped.append(head)
            let rest = line.dropFirst(head.count).drop { $0 == " " }
            if !rest.isEmpty { wrapped += Format.wrapped(String(rest), width: inner - 2, atSpaces: true).map { "  " + $0 } }
        }
        let room = max(1, screen.height - 2 - 4)
        var shown = Array(wrapped.prefix(room))
        if wrapped.count > room {
            shown[room - 1] = "… and \(wrapped.count - room + 1) more lines (vitals validate FILE lists them all)"
        }
        let rect = centered(width: width, height: shown.count + 4, in: screen)
        screen.fill(rect, style: theme[.overlay])
        screen.box(rect, style: theme[.border], title: title, titleStyle: theme[.overlayTitle])
        for (offset, line) in shown.enumerated() {
            screen.put(line, x: rect.x + 2, y: rect.y + 2 + offset, style: theme[.overlay], maxWidth: inner)
        }
        screen.put("any key closes", x: rect.maxX - 17, y: rect.maxY - 1, style: theme[.muted])
    }

    static func centered(width: Int, height: Int, in screen: Screen) -> Rect {
        Rect(x: (screen.width - width) / 2, y: max(0, (screen.height - height) / 2), width: width, height: height)
    }
}
