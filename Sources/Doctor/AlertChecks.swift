import Foundation
import Grafana
import PrometheusAPI

extension Doctor {
    /// The guide's alert conditions, evaluated now through Prometheus from the very rules Grafana
    /// is provisioned with, so a problem shows up in doctor before (or without) Grafana's alerting.
    static func alertChecks(_ prometheus: PrometheusAPI.Client, alerts: [GuideAlert]) -> [Check] {
        alerts.map { alert in
            Check(.alerts, alert.uid) {
                do {
                    return try await alertFinding(prometheus, alert)
                } catch let error as PrometheusAPI.Error {
                    // Said once by the Prometheus checks; not repeated as six more failures.
                    guard case .transport = error else { throw error }
                    return .notApplicable("cannot evaluate: Prometheus does not answer (see the Prometheus checks)")
                }
            }
        }
    }

    static func alertFinding(_ prometheus: PrometheusAPI.Client, _ alert: GuideAlert) async throws(PrometheusAPI.Error) -> Finding {
        let now = worst(try await prometheus.query(alert.expression).vector.map(\.value), alert)
        guard let now else {
            if alert.expression.contains("gpu_") {
                return .notApplicable(
                    "GPU memory: not available (no GPU metrics: no GPU here, or the app does not report them)",
                    evidence: ["query returned no series: \(alert.expression)"])
            }
            return .notApplicable(
                "cannot evaluate \(alert.title.lowercased()) yet: no data",
                evidence: [
                    "query returned no series: \(alert.expression)",
                    "the metrics and Prometheus checks above say whether the metrics are scraped; rates need a few minutes of samples and some traffic",
                ])
        }
        let held = alert.holdFor > .zero ? worst(try await prometheus.query(alert.heldExpression).vector.map(\.value), alert) : now
        let minutes = alert.holdFor.components.seconds / 60
        var evidence = ["now \(format(now)) (alert when \(alert.conditionDescription))"]
        if alert.holdFor > .zero { evidence.append("least alarming value over the last \(minutes) min: \(held.map(format) ?? "no data")") }
        evidence.append("query: \(alert.expression)")
        let hints = renderTemplate(alert.hints, value: held ?? now)
        let remedy = hints.isEmpty ? [] : [hints]
        if let held, alert.fires(held) {
            // `for: 5m` is a claim about five minutes of evaluations. When Prometheus has fewer (a
            // deployment that started two minutes ago), the rule would be pending in Grafana, not
            // firing: say what is known, as a warning.
            if alert.holdFor > .zero {
                let steps = Int(alert.holdFor.components.seconds / GuideAlert.heldStepSeconds)
                let seen = Int(try await prometheus.query(alert.coverageExpression).vector.map(\.value).filter { !$0.isNaN }.max() ?? 0)
                if seen < max(1, steps - 1) {
                    let observed = seen * Int(GuideAlert.heldStepSeconds)
                    evidence.insert("Prometheus has \(seen) of the \(steps) evaluations of the last \(minutes) min (\(observed) s of data)", at: 1)
                    return .warning(
                        "\(alert.title.lowercased()) for all \(observed) s of data so far (\(format(held))), not yet for \(minutes) min",
                        evidence: evidence, remedy: remedy)
                }
            }
            return .failure("\(alert.summary) (\(format(held)))", evidence: evidence, remedy: remedy)
        }
        if alert.fires(now) {
            return .warning("\(alert.title.lowercased()) now (\(format(now))), not yet for \(minutes) min", evidence: evidence, remedy: remedy)
        }
        return .ok("no \(alert.title.lowercased()) (\(format(now)))", evidence: evidence)
    }

    /// The rule's description is a Grafana template: `{{ $values.B }}` becomes the value doctor saw,
    /// `{{ $labels.instance }}` the word "instance", so the remedy reads as a sentence.
    static func renderTemplate(_ text: String, value: Double) -> String {
        var result = text.trimmingCharacters(in: .whitespacesAndNewlines)
        while let open = result.range(of: "{{"), let close = result.range(of: "}}", range: open.upperBound..<result.endIndex) {
            let inner = result[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let replacement: String
            if inner.hasPrefix("$values") || inner.hasPrefix("$value") {
                replacement = format(value)
            } else if inner.hasPrefix("$labels.") {
                replacement = "the " + inner.dropFirst("$labels.".count)
            } else {
                replacement = "…"
            }
            result.replaceSubrange(open.lowerBound..<close.upperBound, with: replacement)
        }
        return result.prefix(1).uppercased() + result.dropFirst()
    }

    /// The most alarming of several series (e.g. one per instance or mount point).
    static func worst(_ values: [Double], _ alert: GuideAlert) -> Double? {
        let numbers = values.filter { !$0.isNaN }
        return alert.comparison == .above ? numbers.max() : numbers.min()
    }

    static func format(_ value: Double) -> String {
        abs(value) >= 100 || value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }
}

extension GuideAlert {
    /// The step of `heldExpression`'s subquery (`[300s:15s]`).
    static let heldStepSeconds: Int64 = 15

    /// How many of the hold window's evaluations have a value, per series: fewer than the window
    /// holds means Prometheus has not seen the condition for the whole window (yet).
    var coverageExpression: String {
        "count_over_time((\(expression))[\(holdFor.components.seconds)s:\(Self.heldStepSeconds)s])"
    }
}
