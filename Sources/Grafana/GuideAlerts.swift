/// The six alert conditions of the monitoring guide, defined once: Grafana's alert rules are built
/// from them and `doctor` evaluates them now through Prometheus' query API.
public struct GuideAlert: Sendable, Equatable {
    public enum Comparison: String, Sendable { case above, below }

    /// Stable: the Grafana alert rule uid and the doctor check name.
    public var uid: String
    public var title: String
    /// PromQL giving one value in `unit`.
    public var expression: String
    public var comparison: Comparison
    public var threshold: Double
    /// How long the condition must hold (Grafana's `for`).
    public var holdFor: Duration
    public var unit: String
    /// A metric without which the condition cannot be evaluated (e.g. GPU metrics on a host with no GPU).
    public var requiredMetric: String
    public var summary: String
    /// The guide's troubleshooting hints for this alert.
    public var remedies: [String]

    /// True when `value` breaks the threshold.
    public func fires(_ value: Double) -> Bool {
        switch comparison {
        case .above: value > threshold
        case .below: value < threshold
        }
    }

    /// The expression held over `holdFor`: the least favourable value must still break the
    /// threshold for the whole window, as Grafana's `for` demands.
    public var heldExpression: String {
        guard holdFor > .zero else { return expression }
        let minutes = Int(holdFor.components.seconds / 60)
        let reducer = comparison == .above ? "min_over_time" : "max_over_time"
        return "\(reducer)((\(expression))[\(minutes)m:15s])"
    }

    public var conditionDescription: String {
        "\(comparison == .above ? ">" : "<") \(Self.format(threshold))\(unit == "%" ? " %" : " \(unit)")\(holdFor > .zero ? " for \(holdFor.components.seconds / 60) min" : "")"
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    static let nodeFilesystems = #"fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs""#

    public static let all: [GuideAlert] = [
        GuideAlert(
            uid: "high-inference-latency", title: "High inference latency",
            expression: "histogram_quantile(0.95, sum by (le) (rate(model_inference_latency_seconds_bucket[5m])))",
            comparison: .above, threshold: 5, holdFor: .zero, unit: "s",
            requiredMetric: "model_inference_latency_seconds_bucket",
            summary: "p95 inference latency is above 5 s",
            remedies: ["check GPU utilisation", "check the model cache configuration",
                       "consider scaling the service or optimising the models"]),
        GuideAlert(
            uid: "high-error-rate", title: "High error rate",
            expression: #"100 * sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))"#,
            comparison: .above, threshold: 5, holdFor: .zero, unit: "%",
            requiredMetric: "http_requests_total",
            summary: "more than 5 % of requests fail",
            remedies: ["see which errors: model_errors_total by type on the Model Performance dashboard",
                       "read the logs of the api and model-api services"]),
        GuideAlert(
            uid: "low-gpu-memory", title: "Low GPU memory",
            expression: "100 * (1 - sum(gpu_memory_reserved_mb) / sum(gpu_memory_total_mb))",
            comparison: .below, threshold: 10, holdFor: .zero, unit: "%",
            requiredMetric: "gpu_memory_total_mb",
            summary: "less than 10 % of GPU memory is available",
            remedies: ["check GPU utilisation and what else holds GPU memory",
                       "reduce the model cache size or batch size", "consider scaling the service"]),
        GuideAlert(
            uid: "high-cpu-usage", title: "High CPU usage",
            expression: #"100 * (1 - avg(rate(node_cpu_seconds_total{mode="idle"}[1m])))"#,
            comparison: .above, threshold: 90, holdFor: .seconds(300), unit: "%",
            requiredMetric: "node_cpu_seconds_total",
            summary: "CPU usage above 90 % for 5 minutes",
            remedies: ["find the container holding the CPU: stackpilot stats",
                       "consider scaling the service"]),
        GuideAlert(
            uid: "high-memory-usage", title: "High memory usage",
            expression: "100 * (1 - sum(node_memory_MemAvailable_bytes) / sum(node_memory_MemTotal_bytes))",
            comparison: .above, threshold: 90, holdFor: .seconds(300), unit: "%",
            requiredMetric: "node_memory_MemAvailable_bytes",
            summary: "memory usage above 90 % for 5 minutes",
            remedies: ["check for memory leaks: a working set that grows steadily (stackpilot stats, container_memory_working_set_bytes)",
                       "adjust the model cache size", "consider scaling the service"]),
        GuideAlert(
            uid: "low-disk-space", title: "Low disk space",
            expression: "100 * min(node_filesystem_avail_bytes{\(nodeFilesystems)} / node_filesystem_size_bytes{\(nodeFilesystems)})",
            comparison: .below, threshold: 10, holdFor: .zero, unit: "%",
            requiredMetric: "node_filesystem_avail_bytes",
            summary: "less than 10 % disk space available",
            remedies: ["free space: `docker system prune`, old images and logs",
                       "lower Prometheus' retention (--storage.tsdb.retention.time)"]),
    ]
}
