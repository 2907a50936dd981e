import Yams

/// Reads typed fields out of a YAML document while collecting every problem with its position,
/// so a file reports all of its mistakes at once instead of the first one.
///
/// Shared by the cluster file and theme loaders.
public final class YAMLFields {
    public let file: String
    public private(set) var diagnostics: [Diagnostic] = []

    public init(file: String) { self.file = file }

    /// Parses `text`; on a YAML syntax error records it and returns `nil`.
    public func parse(_ text: String) -> Node? {
        if let key = Self.aliasUsedAsKey(in: text) {
            // Checking keys for duplicates hashes each key expanded: a few nested aliases as a key
            // would take minutes. No cluster file needs one.
            diagnostics.append(Diagnostic(
                SourceLocation(file: file, line: key.line, column: key.column),
                "an alias (\(key.alias.sanitizedForTerminal)) may not be a mapping key: write the key out"
            ))
            return nil
        }
        do {
            // The basic resolver: every field is read as text and typed by its reader, so no tag needs
            // resolving, and no regular expression (ICU) runs for each of a fleet's 100,000 scalars.
            guard let node = try Yams.compose(yaml: text, .basic) else {
                error(at: nil, "the file is empty")
                return nil
            }
            return node
        } catch let yamlError as YamlError {
            switch yamlError {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                .composer(_, let problem, let mark, _):
                diagnostics.append(Diagnostic(location(mark), "YAML syntax: \(problem)"))
            case .duplicatedKeysInMapping(let keys, let context):
                let key = keys.first ?? "?"
                let first = location(context.mark)
                let again = Self.repeatedKey(key, after: context.mark, in: text)
                    .map { SourceLocation(file: file, line: $0.line, column: $0.column) } ?? first
                diagnostics.append(Diagnostic(again, "duplicate key '\(key.sanitizedForTerminal)' (first at line \(first.line), column \(first.column)): each key may appear once in a mapping"))
            default:
                error(at: nil, "YAML: \(yamlError)")
            }
            return nil
        } catch {
            self.error(at: nil, "YAML: \(error)")
            return nil
        }
    }

    /// The first alias used as a mapping key (`*a : value`, `? *a`, `{*a : value}`), outside
    /// quotes, comments and block scalars, with its position; nil when there is none.
    static func aliasUsedAsKey(in text: String) -> (alias: String, line: Int, column: Int)? {
        guard text.utf8.contains(UInt8(ascii: "*")) else { return nil }
        var blockIndent: Int?
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let characters = Array(line)
            let indent = characters.prefix { $0 == " " }.count
            if let block = blockIndent {
                if indent > block || characters.allSatisfy({ $0 == " " || $0 == "\r" }) { continue }
                blockIndent = nil
            }
            var index = indent
            var quote: Character?
            while index < characters.count {
                let character = characters[index]
                if let open = quote {
                    if character == open { quote = nil }
                    index += 1
                    continue
                }
                if character == "#", index == 0 || characters[index - 1] == " " { break }
                if character == "\"" || character == "'", index == indent || " \t[{,:-?".contains(characters[index - 1]) {
                    quote = character
                } else if character == "*", index == 0 || " \t[{,?:-".contains(characters[index - 1]) {
                    var end = index + 1
                    while end < characters.count, !" \t,[]{}".contains(characters[end]) { end += 1 }
                    var after = end
                    while after < characters.count, characters[after] == " " { after += 1 }
                    let before = characters[..<index].last { $0 != " " }
                    if (after < characters.count && characters[after] == ":") || before == "?" {
                        return (String(characters[index..<end]), number + 1, index + 1)
                    }
                    index = end
                    continue
                }
                index += 1
            }
            // `key: |` or `- >-`: the lines indented deeper are text, not YAML.
            if quote == nil, let last = characters[..<index].split(separator: " ").last, let first = last.first, "|>".contains(first),
               last.dropFirst().allSatisfy({ "+-0123456789".contains($0) }) {
                blockIndent = indent
            }
        }
        return nil
    }

    /// Where `key` appears again at the same indentation after its first place, as a position.
    static func repeatedKey(_ key: String, after mark: Mark, in text: String) -> (line: Int, column: Int)? {
        let indent = String(repeating: " ", count: max(0, mark.column - 1))
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where index + 1 > mark.line {
            var rest = Substring(line)
            guard rest.hasPrefix(indent) else { continue }
            rest = rest.dropFirst(indent.count)
            if rest.hasPrefix("- ") { rest = rest.dropFirst(2) }
            for quote in ["", "\"", "'"] where rest.hasPrefix("\(quote)\(key)\(quote):") {
                return (index + 1, line.count - rest.count + 1)
            }
        }
        return nil
    }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public func location(_ mark: Mark?) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    public func error(at node: Node?, _ message: String) {
        add(Diagnostic(location(node?.mark), message))
    }

    public func warning(at node: Node?, _ message: String) {
        add(Diagnostic(location(node?.mark), message, severity: .warning))
    }

    /// Records `diagnostic` once: a field read twice (to build a value and to check names, say)
    /// reports its mistake once.
    func add(_ diagnostic: Diagnostic) {
        guard reported.insert(diagnostic).inserted else { return }
        diagnostics.append(diagnostic)
    }

    private var reported: Set<Diagnostic> = []

    /// The entries of a mapping whose keys are free names (a palette, say), in file order.
    public func pairs(_ node: Node, _ what: String) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            error(at: node, "\(what) must be a mapping (key: value)")
            return nil
        }
        return mapping.compactMap { key, value in
            guard let name = key.scalar?.string else {
                error(at: key, "keys in \(what) must be plain words")
                return nil
            }
            return (name, key, value)
        }
    }

    /// The text of a scalar node, or `nil` (with an error) for a list or mapping.
    public func scalar(_ node: Node, _ what: String) -> String? {
        guard let text = node.scalar?.string else {
            error(at: node, "\(what) must be a single value")
            return nil
        }
        return text
    }

    /// The node as a mapping from key text to (key node, value node), reporting keys not in `allowed`
    /// (with a did-you-mean) and keys in `unsupported` as not implemented yet.
    public func mapping(
        _ node: Node, _ what: String, allowed: [String], unsupported: [String: String] = [:]
    ) -> Fields? {
        guard case .mapping(let mapping) = node else {
            error(at: node, "\(what) must be a mapping (key: value)")
            return nil
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        var suggested = Set<String>()
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                error(at: key, "keys in \(what) must be plain words")
                continue
            }
            let name = scalar.string
            if let why = unsupported[name] {
                warning(at: key, "'\(name)' in \(what) is not supported yet (\(why)); it is ignored")
                continue
            }
            guard allowed.contains(name) else {
                var message = "unknown key '\(name)' in \(what)"
                if let suggestion = didYouMean(name, among: allowed) {
                    suggested.insert(suggestion)
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += " (expected one of: \(allowed.joined(separator: ", ")))"
                }
                error(at: key, message)
                continue
            }
            entries[name] = (key, value)
        }
        return Fields(reader: self, node: node, what: what, entries: entries, suggested: suggested)
    }

    /// A mapping's fields, read one at a time with type checks.
    public struct Fields {
        let reader: YAMLFields
        /// The mapping node itself, for messages about missing keys.
        public let node: Node
        public let what: String
        let entries: [String: (key: Node, value: Node)]
        /// Keys offered as a did-you-mean for a misspelt key: not reported again as missing.
        let suggested: Set<String>

        /// Reads a `true`/`false` field.
        public func bool(_ key: String) -> Bool? {
            guard let value = entries[key]?.value else { return nil }
            switch value.scalar?.string.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default:
                reader.error(at: value, "'\(key)' in \(what) must be true or false")
                return nil
            }
        }

        public func has(_ key: String) -> Bool { entries[key] != nil }

        public func value(_ key: String) -> Node? { entries[key]?.value }

        public func keyNode(_ key: String) -> Node? { entries[key]?.key }

        /// Records that a required key is missing.
        public func missing(_ key: String) {
            guard !suggested.contains(key) else { return }
            reader.error(at: node, "\(what) is missing '\(key)'")
        }

        public func string(_ key: String, required: Bool = false) -> String? {
            guard let value = entries[key]?.value else {
                if required { missing(key) }
                return nil
            }
            guard case .scalar(let scalar) = value, !scalar.string.isEmpty else {
                reader.error(at: value, "'\(key)' in \(what) must be a non-empty string")
                return nil
            }
            return scalar.string
        }

        public func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
            guard let value = entries[key]?.value else { return nil }
            guard case .scalar(let scalar) = value, let number = Int(scalar.string), range.contains(number) else {
                reader.error(at: value, "'\(key)' in \(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
                return nil
            }
            return number
        }

        /// - Parameter floor: the shortest taken (an `interval` of 1ns would run a check every
        ///   millisecond); shorter is an error that says the floor.
        public func duration(_ key: String, allowZero: Bool = false, floor: Duration? = nil) -> Duration? {
            guard let value = entries[key]?.value else { return nil }
            guard case .scalar(let scalar) = value else {
                reader.error(at: value, "'\(key)' in \(what) must be a duration like 500ms, 5s or 1m")
                return nil
            }
            let text = scalar.string
            guard let duration = Duration(goString: text), duration > .zero || (allowZero && duration == .zero) else {
                if Duration.isTooLong(text) {
                    reader.error(at: value, "duration '\(text.sanitizedForTerminal)' for '\(key)' in \(what) is too long (at most \(Duration.longest.goString))")
                    return nil
                }
                let hint = Double(text) != nil ? "give a unit, like \(text)s" : "use a number and a unit (ms, s, m, h), like 500ms or 5s"
                reader.error(at: value, "bad duration '\(text)' for '\(key)' in \(what): \(hint)")
                return nil
            }
            if let floor, duration < floor {
                reader.error(at: value, "'\(key)' in \(what) is \(text.sanitizedForTerminal), shorter than the shortest taken, \(floor.goString)")
                return nil
            }
            return duration
        }

        public func sequence(_ key: String) -> [Node]? {
            guard let value = entries[key]?.value else { return nil }
            guard case .sequence(let sequence) = value else {
                reader.error(at: value, "'\(key)' in \(what) must be a list")
                return nil
            }
            return Array(sequence)
        }

        public func stringList(_ key: String) -> [(String, Node)]? {
            guard let items = sequence(key) else { return nil }
            return items.compactMap { item in
                guard case .scalar(let scalar) = item, !scalar.string.isEmpty else {
                    reader.error(at: item, "items of '\(key)' in \(what) must be strings")
                    return nil
                }
                return (scalar.string, item)
            }
        }

        public func intList(_ key: String, in range: ClosedRange<Int>) -> [Int]? {
            guard let items = sequence(key) else { return nil }
            return items.compactMap { item in
                guard case .scalar(let scalar) = item, let number = Int(scalar.string), range.contains(number) else {
                    reader.error(at: item, "items of '\(key)' in \(what) must be whole numbers from \(range.lowerBound) to \(range.upperBound)")
                    return nil
                }
                return number
            }
        }
    }
}

/// A YAML node, as the readers above take it; named here so that modules using `YAMLFields`
/// need not import Yams themselves.
public typealias YAMLNode = Node
