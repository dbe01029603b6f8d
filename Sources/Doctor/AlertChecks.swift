import Foundation
import Grafana
import PrometheusAPI

extension Doctor {
    /// The guide's alert conditions, evaluated now through Prometheus, so a problem shows up in
    /// doctor before (or without) Grafana's alerting.
    static func alertChecks(_ prometheus: PrometheusAPI.Client, alerts: [GuideAlert] = GuideAlert.all) -> [Check] {
        alerts.map { alert in
            Check(.alerts, alert.uid) { try await alertFinding(prometheus, alert) }
        }
    }

    static func alertFinding(_ prometheus: PrometheusAPI.Client, _ alert: GuideAlert) async throws -> Finding {
        let present = try await prometheus.query("count(\(alert.requiredMetric))").vector.first?.value ?? 0
        guard present > 0 else {
            if alert.uid == "low-gpu-memory" {
                return .notApplicable("GPU memory: not available (no \(alert.requiredMetric) series: no GPU, or the app does not report it)")
            }
            return .notApplicable("cannot evaluate: Prometheus has no \(alert.requiredMetric) series",
                                  evidence: ["the metrics checks and Prometheus targets above say why"])
        }
        let now = try await prometheus.query(alert.expression).vector.first?.value
        let held = alert.holdFor > .zero ? try await prometheus.query(alert.heldExpression).vector.first?.value : now
        guard let now, !now.isNaN else {
            return .notApplicable("no value yet for \(alert.title.lowercased()) (no traffic in the last 5 minutes?)",
                                  evidence: ["query: \(alert.expression)"])
        }
        let evidence = ["now \(format(now, alert.unit))\(alert.holdFor > .zero ? ", least favourable over \(alert.holdFor.components.seconds / 60) min \(held.map { format($0, alert.unit) } ?? "n/a")" : "") (threshold \(alert.conditionDescription))",
                        "query: \(alert.expression)"]
        if let held, !held.isNaN, alert.fires(held) {
            return .failure("\(alert.summary): \(format(held, alert.unit))", evidence: evidence, remedy: alert.remedies)
        }
        if alert.fires(now) {
            return .warning("\(alert.title.lowercased()) now (\(format(now, alert.unit))), not yet for \(alert.holdFor.components.seconds / 60) min",
                            evidence: evidence, remedy: alert.remedies)
        }
        return .ok("\(alert.title.lowercased()): no (\(format(now, alert.unit)))", evidence: evidence)
    }

    static func format(_ value: Double, _ unit: String) -> String {
        unit == "%" ? String(format: "%.1f %%", value) : String(format: "%.2f %@", value, unit)
    }
}
