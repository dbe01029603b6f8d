import Durations
import Foundation
import JSONDocument

/// An alert rule of the repository (stacks/grafana/provisioning/alerting), read as a condition
/// that can be evaluated now: the one definition both Grafana's alerting and `doctor` use.
///
/// Understands Grafana's rule model as provisioned here: a Prometheus query (refId A), a reduce,
/// and a threshold expression whose evaluator is `gt` or `lt` with one parameter.
public struct GuideAlert: Sendable, Equatable {
    public enum Comparison: String, Sendable { case above, below }

    /// The rule's uid; also the doctor check name.
    public var uid: String
    public var title: String
    /// The PromQL of the rule's query.
    public var expression: String
    public var comparison: Comparison
    public var threshold: Double
    /// How long the condition must hold (Grafana's `for`).
    public var holdFor: Duration
    public var summary: String
    /// The description annotation: the guide's troubleshooting hints for this alert.
    public var hints: String

    public init(uid: String, title: String, expression: String, comparison: Comparison, threshold: Double, holdFor: Duration, summary: String, hints: String) {
        self.uid = uid
        self.title = title
        self.expression = expression
        self.comparison = comparison
        self.threshold = threshold
        self.holdFor = holdFor
        self.summary = summary
        self.hints = hints
    }

    /// Reads a provisioned rule; nil when it is not of the query → reduce → threshold shape.
    public init?(rule: JSONValue) {
        guard let uid = rule["uid"]?.stringValue, let data = rule["data"]?.arrayValue else { return nil }
        let query = data.first { $0["datasourceUid"]?.stringValue != "__expr__" && $0["model"]?["expr"]?.stringValue != nil }
        let threshold = data.first { $0["model"]?["type"]?.stringValue == "threshold" }
        guard let expression = query?["model"]?["expr"]?.stringValue,
            let evaluator = threshold?["model"]?["conditions"]?.arrayValue?.first?["evaluator"],
            let type = evaluator["type"]?.stringValue,
            let value = evaluator["params"]?.arrayValue?.first?.doubleValue
        else { return nil }
        switch type {
        case "gt": comparison = .above
        case "lt": comparison = .below
        default: return nil
        }
        self.uid = uid
        self.title = rule["title"]?.stringValue ?? uid
        self.expression = expression
        self.threshold = value
        // Grafana reads `for` as a Prometheus duration; absent, empty or malformed: no hold.
        self.holdFor = rule["for"]?.stringValue.flatMap(PrometheusDuration.parse) ?? .zero
        self.summary = rule["annotations"]?["summary"]?.stringValue ?? self.title
        self.hints = rule["annotations"]?["description"]?.stringValue ?? ""
    }

    /// True when `value` breaks the threshold.
    public func fires(_ value: Double) -> Bool {
        switch comparison {
        case .above: value > threshold
        case .below: value < threshold
        }
    }

    /// The expression held over `holdFor`: the least alarming value over the window must still
    /// break the threshold, as Grafana's `for` demands.
    public var heldExpression: String {
        guard holdFor > .zero else { return expression }
        let reducer = comparison == .above ? "min_over_time" : "max_over_time"
        return "\(reducer)((\(expression))[\(PrometheusDuration.format(holdFor)):15s])"
    }

    public var conditionDescription: String {
        let minutes = holdFor.components.seconds / 60
        return "\(comparison == .above ? ">" : "<") \(threshold == threshold.rounded() ? String(Int(threshold)) : String(threshold))"
            + (holdFor > .zero ? " for \(minutes) min" : "")
    }
}
