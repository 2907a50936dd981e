/// How bad an alert is; the Alerts pane sorts by it.
public enum AlertSeverity: String, Sendable, Codable, CaseIterable, Comparable {
    case info, warning, critical

    public var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .critical: 2
        }
    }

    public static func < (lhs: AlertSeverity, rhs: AlertSeverity) -> Bool { lhs.rank < rhs.rank }
}

/// One alert rule: a condition that must hold for `for` before the alert fires.
public struct AlertRule: Sendable, Equatable {
    public var name: String
    public var expression: AlertExpression
    /// The expression as written, for messages and the history.
    public var expressionText: String
    /// How long the condition must hold before pending turns firing (0: fire at once).
    public var forDuration: Duration
    /// How long a firing alert stays firing after its condition clears.
    public var keepFiringFor: Duration
    public var severity: AlertSeverity
    /// Labels added to every alert of the rule.
    public var labels: [String: String]
    public var summary: AlertTemplate
    /// Whether this is one of Vitals' own rules.
    public var isBuiltIn: Bool

    public init(
        name: String, expression: String, forDuration: Duration = .zero, keepFiringFor: Duration = .zero,
        severity: AlertSeverity = .warning, labels: [String: String] = [:], summary: String = "", isBuiltIn: Bool = false
    ) throws(AlertExpressionError) {
        self.name = name
        self.expression = try AlertExpression(parsing: expression)
        self.expressionText = expression
        self.forDuration = forDuration
        self.keepFiringFor = keepFiringFor
        self.severity = severity
        self.labels = labels
        self.summary = try AlertTemplate(summary)
        self.isBuiltIn = isBuiltIn
    }

    /// Vitals' own rules, on unless a cluster file turns them off.
    public static let builtIn: [AlertRule] = {
        let table: [(String, String, Duration, AlertSeverity, String)] = [
            ("NodeDown", "node_reachable == 0", .seconds(10), .critical, "{{ $labels.node }} does not answer: every check fails ({{ $output }})"),
            ("ServiceDown", "service_status == critical", .seconds(10), .critical, "{{ $labels.service }} on {{ $labels.node }} is critical: {{ $output }}"),
            ("ServiceDegraded", "service_status == warning", .seconds(20), .warning, "{{ $labels.service }} on {{ $labels.node }} is degraded: {{ $output }}"),
            ("ScrapeFailing", "node_scrape_ok == 0", .seconds(60), .warning, "metrics of {{ $labels.node }} cannot be scraped: {{ $output }}"),
            ("StaleLockHolder", "lock_stale == 1", .zero, .critical, "{{ $output }}"),
            // One steady alert for a check that keeps changing, instead of one alert per change.
            ("CheckFlapping", "check_flapping == 1", .zero, .warning, "check {{ $labels.check }} on {{ $labels.node }} is flapping: {{ $output }}"),
        ]
        return table.compactMap { name, expression, forDuration, severity, summary in
            try? AlertRule(name: name, expression: expression, forDuration: forDuration, severity: severity, summary: summary, isBuiltIn: true)
        }
    }()

    /// Built-in rule names that come with issues not done yet: accepted, with a warning.
    public static let plannedBuiltIns: [String: String] = [:]
}

/// A cluster file's alerting: the rules and where alerts are sent.
public struct AlertingConfig: Sendable, Equatable {
    public var rules: [AlertRule]
    /// An Alertmanager to forward alerts to (`POST /api/v2/alerts`); acks become silences there.
    public var alertmanager: String?
    /// Receivers of Alertmanager's webhook JSON.
    public var webhooks: [String]

    public init(rules: [AlertRule] = AlertRule.builtIn, alertmanager: String? = nil, webhooks: [String] = []) {
        self.rules = rules
        self.alertmanager = alertmanager
        self.webhooks = webhooks
    }
}
