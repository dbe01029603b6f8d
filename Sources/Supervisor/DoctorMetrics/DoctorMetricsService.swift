import Doctor
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// Runs doctor every interval and exports each check as
/// `stackpilot_check_status{group,check}` (0 ok or not applicable, 1 warning, 2 failure), so what
/// doctor finds can be alerted on and shown on a dashboard panel.
public final class DoctorMetricsService: Service, Sendable {
    private let interval: Duration
    private let makeChecks: @Sendable () -> [Doctor.Check]
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let gauges = Mutex<[String: Gauge]>([:])
    private let lastStatus = Mutex<[String: Doctor.Status]>([:])
    private let runs: Counter
    private let lastRun: Gauge

    public init(interval: Duration, registry: PrometheusCollectorRegistry, logger: Logger, makeChecks: @escaping @Sendable () -> [Doctor.Check]) {
        self.interval = interval
        self.makeChecks = makeChecks
        self.registry = registry
        self.logger = logger
        runs = registry.makeCounter(descriptor: .init(metricName: "stackpilot_doctor_runs_total", unitName: "", helpText: "Doctor runs by the supervisor."))
        lastRun = registry.makeGauge(
            descriptor: .init(
                metricName: "stackpilot_doctor_last_run_timestamp_seconds", unitName: "", helpText: "When doctor last finished, in seconds since 1970."))
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await runOnce()
            try? await Task.sleep(for: interval)
        }
    }

    /// One doctor run, published.
    @discardableResult
    public func runOnce() async -> Doctor.Report {
        let report = await Doctor.Runner().run(makeChecks())
        publish(report)
        runs.increment()
        lastRun.set(Date().timeIntervalSince1970)
        // Log changes only: a problem is said when it appears and when it goes away, not every run.
        let changed = lastStatus.withLock { last in
            report.results.filter { result in
                let key = "\(result.group.rawValue)/\(result.check)"
                defer { last[key] = result.finding.status }
                return last[key] != result.finding.status && (last[key] != nil || result.finding.status >= .warning)
            }
        }
        for result in changed {
            let message = "doctor: \(result.group.rawValue)/\(result.check): \(result.finding.summary)"
            if result.finding.status >= .warning {
                logger.warning("\(message)", metadata: ["status": "\(result.finding.status.rawValue)"])
            } else {
                logger.info("\(message)", metadata: ["status": "\(result.finding.status.rawValue)"])
            }
        }
        return report
    }

    func publish(_ report: Doctor.Report) {
        let registry = self.registry
        gauges.withLock { gauges in
            var current: Set<String> = []
            for result in report.results {
                let key = "\(result.group.rawValue)\u{0}\(result.check)"
                current.insert(key)
                let gauge =
                    gauges[key]
                    ?? registry.makeGauge(
                        descriptor: .init(
                            metricName: "stackpilot_check_status", unitName: "",
                            helpText: "Doctor's verdict per check: 0 ok or not applicable, 1 warning, 2 failure."),
                        labels: [("group", result.group.rawValue), ("check", result.check)])
                gauge.set(Double(result.finding.status.metricValue))
                gauges[key] = gauge
            }
            for (key, gauge) in gauges where !current.contains(key) {
                registry.unregisterGauge(gauge)
                gauges[key] = nil
            }
        }
    }
}
