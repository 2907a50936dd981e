import Foundation
import VitalsCore

/// The command line `:` opens: what is typed, and what tab would complete it to.
public struct CommandEntry: Sendable, Equatable {
    public var text = ""
    /// The words that complete the one being typed, shown after it.
    public var candidates: [String] = []

    public init(text: String = "", candidates: [String] = []) {
        self.text = text
        self.candidates = candidates
    }
}

/// A command of the command line.
struct CommandSpec: Sendable {
    enum Argument: Sendable {
        case none, node, theme, column, text
    }

    var name: String
    var aliases: [String]
    var argument: Argument
    var what: String

    static let all: [CommandSpec] = [
        CommandSpec(name: "services", aliases: ["svc", "1"], argument: .none, what: "the Services pane"),
        CommandSpec(name: "nodes", aliases: ["no", "2"], argument: .none, what: "the Nodes pane"),
        CommandSpec(name: "locks", aliases: ["3"], argument: .none, what: "the Locks pane"),
        CommandSpec(name: "alerts", aliases: ["4"], argument: .none, what: "the Alerts pane"),
        CommandSpec(name: "logs", aliases: ["5"], argument: .none, what: "the Logs pane"),
        CommandSpec(name: "capacity", aliases: ["6", "scaling"], argument: .none, what: "the Capacity pane: replica advice"),
        CommandSpec(name: "overview", aliases: ["0"], argument: .none, what: "the overview, or Services alone"),
        CommandSpec(name: "node", aliases: [], argument: .node, what: "open a node's view"),
        CommandSpec(name: "sort", aliases: [], argument: .column, what: "sort by a column (asc, desc; off)"),
        CommandSpec(name: "filter", aliases: ["f"], argument: .text, what: "filter rows (a regex; !text hides)"),
        CommandSpec(name: "theme", aliases: [], argument: .theme, what: "use a theme"),
        CommandSpec(name: "history", aliases: [], argument: .none, what: "resolved alerts"),
        CommandSpec(name: "silences", aliases: [], argument: .none, what: "the silences"),
        CommandSpec(name: "active", aliases: [], argument: .none, what: "the active alerts"),
        CommandSpec(name: "worst", aliases: [], argument: .none, what: "worst first / file order"),
        CommandSpec(name: "pause", aliases: [], argument: .none, what: "pause / resume updates"),
        CommandSpec(name: "reload", aliases: [], argument: .none, what: "read the cluster file again"),
        CommandSpec(name: "help", aliases: ["h", "?"], argument: .none, what: "the keys"),
        CommandSpec(name: "quit", aliases: ["q", "q!", "qa"], argument: .none, what: "leave vitals"),
    ]

    static func named(_ word: String) -> CommandSpec? {
        let word = word.lowercased()
        return all.first { $0.name == word || $0.aliases.contains(word) }
    }
}

extension AppState {
    mutating func commandAction(_ action: Action, snapshot: ClusterSnapshot) -> Effect? {
        switch action {
        case .startCommand:
            command = CommandEntry(candidates: completions(for: "", snapshot: snapshot))
        case .commandInput(let character):
            let text = (command?.text ?? "") + String(character)
            command = CommandEntry(text: text, candidates: completions(for: text, snapshot: snapshot))
        case .commandBackspace:
            guard let text = command?.text, !text.isEmpty else {
                command = nil
                return nil
            }
            let shorter = String(text.dropLast())
            command = CommandEntry(text: shorter, candidates: completions(for: shorter, snapshot: snapshot))
        case .commandComplete:
            complete(snapshot: snapshot)
        case .commandCancel:
            command = nil
        case .commandCommit:
            let text = command?.text ?? ""
            command = nil
            return run(text, snapshot: snapshot)
        default:
            break
        }
        return nil
    }

    /// The words that complete the last word of `text`: command names for the first word, the
    /// command's argument (node, theme, column) after it.
    func completions(for text: String, snapshot: ClusterSnapshot) -> [String] {
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let typed = (words.last ?? "").lowercased()
        let options: [String]
        if words.count <= 1 {
            options = CommandSpec.all.map(\.name)
        } else if let spec = CommandSpec.named(words[0]) {
            switch (spec.argument, words.count) {
            case (.node, 2): options = snapshot.nodes.map(\.name)
            case (.theme, 2): options = themeNames
            case (.column, 2): options = Rows.sortColumns(for: pane, alertView: alertView).map { $0.title.lowercased() }.filter { !$0.isEmpty } + ["off"]
            case (.column, 3): options = ["asc", "desc"]
            default: options = []
            }
        } else {
            options = []
        }
        return options.filter { $0.lowercased().hasPrefix(typed) }
    }

    /// Tab: the word being typed completed (to the common start of its completions when there
    /// are several); a command that takes an argument gets its space.
    mutating func complete(snapshot: ClusterSnapshot) {
        guard var entry = command else { return }
        let candidates = completions(for: entry.text, snapshot: snapshot)
        guard let first = candidates.first else {
            message = "nothing completes '\(entry.text.split(separator: " ").last.map(String.init) ?? "")'"
            return
        }
        var common = first
        for candidate in candidates.dropFirst() {
            common = String(zip(common, candidate).prefix { $0.0 == $0.1 }.map(\.0))
        }
        let typedCount = entry.text.split(separator: " ", omittingEmptySubsequences: false).last?.count ?? 0
        entry.text = String(entry.text.dropLast(typedCount)) + common
        if candidates.count == 1 {
            let isCommand = !entry.text.contains(" ")
            if !isCommand || CommandSpec.named(common)?.argument != CommandSpec.Argument.none { entry.text += " " }
        }
        entry.candidates = completions(for: entry.text, snapshot: snapshot)
        command = entry
    }

    /// Runs a command line; what it cannot do is said in the footer.
    mutating func run(_ line: String, snapshot: ClusterSnapshot) -> Effect? {
        let words = line.split(separator: " ").map(String.init)
        guard let first = words.first else { return nil }
        guard let spec = CommandSpec.named(first) else {
            message = "no command '\(first)': tab lists them (:help shows the keys)"
            return nil
        }
        let argument = words.dropFirst().joined(separator: " ")
        switch spec.name {
        case "services": return reduce(.showPane(.services), snapshot: snapshot)
        case "nodes": return reduce(.showPane(.nodes), snapshot: snapshot)
        case "locks": return reduce(.showPane(.locks), snapshot: snapshot)
        case "alerts": return reduce(.showPane(.alerts), snapshot: snapshot)
        case "logs": return reduce(.showPane(.logs), snapshot: snapshot)
        case "capacity": return reduce(.showPane(.capacity), snapshot: snapshot)
        case "active", "history", "silences":
            _ = reduce(.showPane(.alerts), snapshot: snapshot)
            alertView = AlertView(rawValue: spec.name) ?? .active
            selection[.alerts] = nil
            scrollTop[.alerts] = 0
        case "node":
            guard !argument.isEmpty else {
                message = ":node NAME opens a node's view (tab completes the name)"
                return nil
            }
            guard let node = snapshot.nodes.first(where: { $0.name == argument }) ?? uniqueNode(startingWith: argument, in: snapshot) else {
                message = "no node named '\(argument)'"
                return nil
            }
            detail = node.name
            detailScroll = 0
        case "sort":
            return sortCommand(words.dropFirst().map { $0.lowercased() })
        case "filter":
            filter = argument
            clampSelection(snapshot: snapshot)
            if let problem = RowFilter(argument).problem { message = problem }
        case "theme":
            guard !argument.isEmpty else {
                message = "themes: " + themeNames.joined(separator: ", ")
                return nil
            }
            guard themeNames.isEmpty || themeNames.contains(argument) else {
                message = "no theme '\(argument)': " + themeNames.joined(separator: ", ")
                return nil
            }
            return .setTheme(argument)
        case "overview": return reduce(.toggleOverview, snapshot: snapshot)
        case "worst": return reduce(.toggleWorstFirst, snapshot: snapshot)
        case "pause": return reduce(.togglePause, snapshot: snapshot)
        case "reload": return reduce(.reload, snapshot: snapshot)
        case "help": overlay = .help
        case "quit": return .quit
        default: break
        }
        return nil
    }

    private func uniqueNode(startingWith prefix: String, in snapshot: ClusterSnapshot) -> NodeSnapshot? {
        let found = snapshot.nodes.filter { $0.name.hasPrefix(prefix) }
        return found.count == 1 ? found.first : nil
    }

    /// `:sort COLUMN [asc|desc]`, `:sort off`.
    private mutating func sortCommand(_ words: [String]) -> Effect? {
        let columns = Rows.sortColumns(for: pane, alertView: alertView).filter { !$0.title.isEmpty }
        guard detail == nil, !columns.isEmpty else {
            message = "the Logs pane is in time order; :sort works on Services, Nodes, Locks and Alerts"
            return nil
        }
        guard let name = words.first else {
            message = "sort by: " + columns.map { $0.title.lowercased() }.joined(separator: " ") + " (or off)"
            return nil
        }
        if name == "off" || name == "none" {
            sort[pane] = nil
            message = "in the file's order"
            return nil
        }
        let matching = columns.filter { $0.title.lowercased() == name } + columns.filter { $0.title.lowercased().hasPrefix(name) }
        guard let column = matching.first else {
            message = "no column '\(name)' here: " + columns.map { $0.title.lowercased() }.joined(separator: " ")
            return nil
        }
        var descending = column.descending
        if words.count > 1 {
            switch words[1] {
            case "asc", "ascending", "up": descending = false
            case "desc", "descending", "down": descending = true
            default:
                message = "asc or desc, not '\(words[1])'"
                return nil
            }
        }
        setSort(Table.SortMark(column: column.title, descending: descending))
        return nil
    }

    mutating func setSort(_ mark: Table.SortMark?) {
        sort[pane] = mark
        scrollTop[pane] = 0
        message = mark.map { "sorted by \($0.column) \($0.descending ? "▼ highest first" : "▲ lowest first") · I reverses · < > another column" }
            ?? "in the file's order"
    }

    /// `<` `>`: the column left or right of the sorted one; past either end, the file's order.
    mutating func moveSort(by step: Int) {
        let columns = Rows.sortColumns(for: pane, alertView: alertView).filter { !$0.title.isEmpty }
        guard detail == nil, !columns.isEmpty else { return }
        let current = sort[pane].flatMap { mark in columns.firstIndex { $0.title == mark.column } }
        let next: Int? = switch current {
        case nil: step > 0 ? 0 : columns.count - 1
        case let index?: columns.indices.contains(index + step) ? index + step : nil
        }
        setSort(next.map { Table.SortMark(column: columns[$0].title, descending: columns[$0].descending) })
    }
}
