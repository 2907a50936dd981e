import Foundation

/// Where an alert stands, as Prometheus defines it: its condition holds but not yet for long
/// enough (`pending`), it does (`firing`), or it no longer does (`resolved`).
public enum AlertState: String, Sendable, Codable {
    case pending, firing, resolved
}

/// An alert: which rule, about what (its labels), since when, and what people did about it.
public struct AlertSnapshot: Sendable, Equatable, Codable {
    /// The fingerprint of the labels: the same alert has the same id across restarts.
    public var id: String
    public var name: String
    public var severity: AlertSeverity
    public var state: AlertState
    public var node: String?
    public var service: String?
    /// When the condition began to hold.
    public var since: Date
    /// When it turned firing.
    public var firedAt: Date?
    public var resolvedAt: Date?
    public var acknowledgedBy: String?
    public var acknowledgedAt: Date?
    /// The acknowledgement's comment.
    public var comment: String?
    /// The silence that mutes the alert, if one does.
    public var silencedBy: String?
    /// The id of the alert upstream (through `depends_on`, or the node being down) whose failure
    /// explains this one; nil for a root.
    public var rootCause: String?
    public var summary: String
    public var labels: [String: String]
    public var value: Double?

    public init(
        id: String, name: String, severity: AlertSeverity, state: AlertState, node: String? = nil, service: String? = nil,
        since: Date, firedAt: Date? = nil, resolvedAt: Date? = nil, acknowledgedBy: String? = nil, acknowledgedAt: Date? = nil,
        comment: String? = nil, silencedBy: String? = nil, rootCause: String? = nil, summary: String = "",
        labels: [String: String] = [:], value: Double? = nil
    ) {
        self.id = id
        self.name = name
        self.severity = severity
        self.state = state
        self.node = node
        self.service = service
        self.since = since
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
        self.acknowledgedBy = acknowledgedBy
        self.acknowledgedAt = acknowledgedAt
        self.comment = comment
        self.silencedBy = silencedBy
        self.rootCause = rootCause
        self.summary = summary
        self.labels = labels
        self.value = value
    }

    public var isAcknowledged: Bool { acknowledgedBy != nil }
    public var isSilenced: Bool { silencedBy != nil }
    /// Whether a person still has to look at it: firing, not acknowledged, not silenced.
    public var needsAttention: Bool { state == .firing && !isAcknowledged && !isSilenced }

    enum CodingKeys: String, CodingKey {
        case id, name, severity, state, node, service, since, comment, summary, labels, value
        case firedAt = "fired_at"
        case resolvedAt = "resolved_at"
        case acknowledgedBy = "acknowledged_by"
        case acknowledgedAt = "acknowledged_at"
        case silencedBy = "silenced_by"
        case rootCause = "root_cause"
    }

    /// Writes `acknowledged_by` and `comment` as null when absent (the documented contract), and
    /// a value that is not finite as absent.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(severity, forKey: .severity)
        try container.encode(state, forKey: .state)
        try container.encode(node, forKey: .node)
        try container.encode(service, forKey: .service)
        try container.encode(since, forKey: .since)
        try container.encodeIfPresent(firedAt, forKey: .firedAt)
        try container.encodeIfPresent(resolvedAt, forKey: .resolvedAt)
        try container.encode(acknowledgedBy, forKey: .acknowledgedBy)
        try container.encodeIfPresent(acknowledgedAt, forKey: .acknowledgedAt)
        try container.encode(comment, forKey: .comment)
        try container.encodeIfPresent(silencedBy, forKey: .silencedBy)
        try container.encodeIfPresent(rootCause, forKey: .rootCause)
        try container.encode(summary, forKey: .summary)
        try container.encode(labels, forKey: .labels)
        try container.encodeIfPresent(value.flatMap { $0.isFinite ? $0 : nil }, forKey: .value)
    }
}

/// A silence: alerts whose labels match every matcher are muted until `endsAt`.
public struct SilenceSnapshot: Sendable, Equatable, Codable {
    public var id: String
    /// `label=value` pairs, all of which must match.
    public var matchers: [String: String]
    public var startsAt: Date
    public var endsAt: Date
    public var createdBy: String
    public var comment: String

    public init(id: String, matchers: [String: String], startsAt: Date, endsAt: Date, createdBy: String, comment: String) {
        self.id = id
        self.matchers = matchers
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdBy = createdBy
        self.comment = comment
    }

    public func isActive(at time: Date) -> Bool { startsAt <= time && time < endsAt }

    /// Whether the silence mutes an alert with `labels`.
    public func matches(_ labels: [String: String]) -> Bool {
        !matchers.isEmpty && matchers.allSatisfy { labels[$0.key] == $0.value }
    }

    /// `alertname=ServiceDown service=orders`, in a fixed order.
    public var matcherText: String {
        matchers.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    enum CodingKeys: String, CodingKey {
        case id, matchers, comment
        case startsAt = "starts_at"
        case endsAt = "ends_at"
        case createdBy = "created_by"
    }
}
