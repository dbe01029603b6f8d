import JSONDocument
import Testing

@testable import Grafana

/// How Grafana's `for` durations (Prometheus' grammar, `Durations.PrometheusDuration`) reach the
/// sync's comparison and the guide's alerts.
@Suite("Grafana `for` durations")
struct ForDurationTests {
    static func rule(for text: String?) -> JSONValue {
        var fields: [String: JSONValue] = ["uid": .string("r")]
        if let text { fields["for"] = .string(text) }
        return .object(fields)
    }

    @Test(
        "a desired `for` matches Grafana's answer when both are the same length",
        arguments: [
            ("5m", "5m0s", true), ("5m0s", "5m", true), ("90s", "1m30s", true), ("1d", "24h", true), ("0", "0s", true),
            ("5m", "10m", false), ("0s", "1ms", false),
            // Not durations at all: equal only as text (before, any two malformed values compared equal).
            ("soon", "soon", true), ("soon", "later", false), ("soon", "5m", false), ("1s1m", "61s", false),
        ])
    func subset(_ desired: String, _ stored: String, _ same: Bool) {
        #expect(Self.rule(for: desired).isSubset(of: Self.rule(for: stored)) == same)
    }

    static func guideRule(for text: String?) -> JSONValue {
        var rule = Self.rule(for: text)
        guard case .object(var fields) = rule else { return rule }
        fields["data"] = .array([
            .object(["refId": .string("A"), "datasourceUid": .string("prometheus"), "model": .object(["expr": .string("up")])]),
            .object([
                "refId": .string("C"), "datasourceUid": .string("__expr__"),
                "model": .object([
                    "type": .string("threshold"),
                    "conditions": .array([.object(["evaluator": .object(["type": .string("lt"), "params": .array([.int(1)])])])]),
                ]),
            ]),
        ])
        rule = .object(fields)
        return rule
    }

    @Test(
        "a guide alert holds for its `for`, written back in Prometheus' form in the held expression",
        arguments: [
            ("5m", Duration.seconds(300), "max_over_time((up)[5m:15s])"),
            ("5m0s", .seconds(300), "max_over_time((up)[5m:15s])"),
            ("1h30m", .seconds(5400), "max_over_time((up)[1h30m:15s])"),
            ("90s", .seconds(90), "max_over_time((up)[1m30s:15s])"),
        ])
    func held(_ text: String, _ holdFor: Duration, _ expression: String) throws {
        let alert = try #require(GuideAlert(rule: Self.guideRule(for: text)))
        #expect(alert.holdFor == holdFor)
        #expect(alert.heldExpression == expression)
    }

    @Test("no `for`, an empty or a malformed one: no hold, the plain expression", arguments: [nil, "", "0s", "0", "five minutes", "1.5m"] as [String?])
    func noHold(_ text: String?) throws {
        let alert = try #require(GuideAlert(rule: Self.guideRule(for: text)))
        #expect(alert.holdFor == .zero)
        #expect(alert.heldExpression == "up")
    }
}
