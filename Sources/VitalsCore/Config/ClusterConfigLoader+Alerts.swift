import Yams

extension ClusterReader {
    static let alertKeys = ["name", "expr", "for", "keep_firing_for", "severity", "labels", "summary", "enabled"]

    /// `alerts:` (rules; an entry naming a built-in rule without `expr` configures it),
    /// `alertmanager:` and `webhooks:`.
    func alerting(_ fields: YAMLFields.Fields) -> AlertingConfig {
        var rules = AlertRule.builtIn
        var seen = Set<String>()
        for item in fields.sequence("alerts") ?? [] {
            guard let rule = alertFields(item) else { continue }
            guard let name = rule.string("name", required: true) else { continue }
            if !seen.insert(name).inserted {
                reader.error(at: rule.value("name"), "duplicate alert rule name '\(name)'")
                continue
            }
            if let why = AlertRule.plannedBuiltIns[name] {
                reader.warning(at: rule.value("name"), "built-in rule '\(name)' has nothing to watch yet (\(why)); it is ignored")
                continue
            }
            if let index = rules.firstIndex(where: { $0.name == name && $0.isBuiltIn }) {
                if rule.has("expr") {
                    reader.error(at: rule.keyNode("expr"), "'\(name)' is a built-in rule: leave out 'expr' to configure it, or give your rule another name")
                    continue
                }
                if rule.bool("enabled") == false {
                    rules.remove(at: index)
                } else if let configured = configure(rules[index], rule) {
                    rules[index] = configured
                }
                continue
            }
            guard let text = rule.string("expr", required: true), let exprNode = rule.value("expr") else {
                if !rule.has("expr") {
                    let builtIns = AlertRule.builtIn.map(\.name)
                    if let guess = didYouMean(name, among: builtIns) {
                        reader.error(at: rule.value("name"), "no built-in rule '\(name)'; did you mean '\(guess)'? (a rule of your own needs 'expr')")
                    }
                }
                continue
            }
            let expression: AlertExpression
            do {
                expression = try AlertExpression(parsing: text)
            } catch {
                reader.error(at: exprNode, offset: error.offset, "alert '\(name)': \(error.message)")
                continue
            }
            guard expression.isVector else {
                reader.error(at: exprNode, "alert '\(name)': the expression is a plain number; it needs a series such as node_cpu")
                continue
            }
            checkNames(expression, at: exprNode, rule: name)
            guard var made = try? AlertRule(name: name, expression: text) else { continue }
            made.severity = .warning
            if rule.bool("enabled") == false { continue }
            if let configured = configure(made, rule) { rules.append(configured) }
        }
        var config = AlertingConfig(rules: rules)
        if let url = fields.string("alertmanager") {
            if HTTPTarget(url) == nil {
                reader.error(at: fields.value("alertmanager"), "alertmanager '\(url)' is not an http:// or https:// URL with a host")
            } else {
                config.alertmanager = url
            }
        }
        for (url, node) in fields.stringList("webhooks") ?? [] {
            if HTTPTarget(url) == nil {
                reader.error(at: node, "webhook '\(url)' is not an http:// or https:// URL with a host")
            } else {
                config.webhooks.append(url)
            }
        }
        return config
    }

    private func alertFields(_ item: Node) -> YAMLFields.Fields? {
        reader.mapping(item, "an alert rule", allowed: Self.alertKeys)
    }

    /// Applies `for`, `keep_firing_for`, `severity`, `labels` and `summary` to `rule`.
    private func configure(_ rule: AlertRule, _ fields: YAMLFields.Fields) -> AlertRule? {
        var result = rule
        let what = "alert '\(rule.name)'"
        if let value = fields.duration("for", allowZero: true) { result.forDuration = value }
        if let value = fields.duration("keep_firing_for", allowZero: true) { result.keepFiringFor = value }
        if let text = fields.string("severity") {
            if let severity = AlertSeverity(rawValue: text) {
                result.severity = severity
            } else {
                reader.error(at: fields.value("severity"), "severity '\(text)' of \(what) must be one of critical, warning, info")
            }
        }
        if let labels = fields.value("labels") {
            for (key, keyNode, valueNode) in reader.pairs(labels, "labels of \(what)") ?? [] {
                guard let value = reader.scalar(valueNode, "label '\(key)' of \(what)") else { continue }
                if !Self.isLabelName(key) {
                    reader.error(at: keyNode, "label name '\(key)' of \(what) must be letters, digits and _ (not starting with a digit)")
                } else if ["alertname", "node", "service", "check", "type"].contains(key) {
                    reader.error(at: keyNode, "label '\(key)' of \(what) is set by Vitals and cannot be overridden")
                } else {
                    result.labels[key] = value
                }
            }
        }
        if let text = fields.string("summary"), let node = fields.value("summary") {
            do {
                result.summary = try AlertTemplate(text)
            } catch {
                reader.error(at: node, offset: error.offset, "summary of \(what): \(error.message)")
            }
        }
        return result
    }

    /// Warns about names that are not Vitals' own (they are read from scraped metrics) and
    /// about matchers on labels a built-in series does not have.
    private func checkNames(_ expression: AlertExpression, at node: Node, rule: String) {
        let known = SnapshotSeries.catalogue
        for (name, matchers) in expression.selectors {
            guard let entry = known.first(where: { $0.name == name }) else {
                var message = "alert '\(rule)': '\(name)' is not one of Vitals' series; it is read from each node's scraped metrics"
                if let guess = didYouMean(name, among: known.map(\.name)) { message += " (did you mean '\(guess)'?)" }
                reader.warning(at: node, message)
                continue
            }
            for matcher in matchers where !entry.labels.contains(matcher.label) {
                reader.warning(at: node, "alert '\(rule)': \(name) has no label '\(matcher.label)' (it has \(entry.labels.joined(separator: ", ")))")
            }
        }
    }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.first, !first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}

extension YAMLFields {
    /// Records an error `offset` characters into the text of the scalar `node` (after its quote).
    func error(at node: Node, offset: Int, _ message: String) {
        var location = location(node.mark)
        if let scalar = node.scalar, !scalar.string.contains("\n") {
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            if scalar.style != .literal, scalar.style != .folded { location.column += offset + (quoted ? 1 : 0) }
        }
        add(Diagnostic(location, message))
    }
}
