import Foundation
import Prometheus

/// The metrics of the monitoring guide ("Custom Metrics"), registered on one swift-prometheus registry.
///
/// Model and GPU metrics belong to the model API (where inference happens); both roles export the
/// HTTP metrics. Extra series, all documented in the README: `gpu_memory_total_mb` (so "% GPU memory
/// available" can be computed), `process_resident_memory_bytes` (as every Prometheus client library
/// exports it) and `workload_sim_leaked_bytes` (the memory the leak fault holds).
public final class WorkloadMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let role: WorkloadRole

    /// Models the stand-in serves; their series exist from the start so dashboards are never empty.
    public static let models = ["rag-llm", "clip-vit-embedder"]
    /// The `model` label of every model not in `models`: label values stay a fixed set whatever
    /// names clients send (each distinct value would be a new series, forever).
    public static let otherModel = "other"
    /// Methods that get their own `method` label; any other is counted as `other`.
    public static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

    /// The `model` label value for a requested model name.
    public static func modelLabel(_ model: String) -> String {
        models.contains(model) ? model : otherModel
    }

    /// The `method` label value for a request method.
    static func methodLabel(_ method: String) -> String {
        methods.contains(method) ? method : "other"
    }

    /// `type` values of `model_errors_total`.
    public static let errorTypes = ["injected", "invalid_input", "gpu_out_of_memory", "upstream"]
    /// Buckets chosen so that the guide's alert threshold (p95 > 5 s) falls on a bucket boundary.
    public static let latencyBuckets: [Double] = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 7.5, 10, 15, 30, 60]
    public static let sizeBuckets: [Double] = [64, 256, 1024, 4096, 16384, 65536, 262_144, 1_048_576]

    /// allocated, reserved, total: only on the model API.
    let gpu: (allocated: Gauge, reserved: Gauge, total: Gauge)?
    let residentMemory: Gauge
    let leakedBytes: Gauge

    public init(role: WorkloadRole, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.role = role
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
            registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: help), labels: labels)
        }
        if role == .modelAPI {
            let device = [("gpu", "0")]
            gpu = (
                gauge("gpu_memory_allocated_mb", "GPU memory allocated by tensors, in MB (simulated by workload-sim: no GPU)", device),
                gauge("gpu_memory_reserved_mb", "GPU memory reserved by the caching allocator, in MB (simulated by workload-sim: no GPU)", device),
                gauge("gpu_memory_total_mb", "Total GPU memory, in MB (simulated by workload-sim: no GPU)", device)
            )
        } else {
            gpu = nil
        }
        residentMemory = gauge("process_resident_memory_bytes", "Resident memory size in bytes.")
        leakedBytes = gauge("workload_sim_leaked_bytes", "Memory held by the leak fault of workload-sim, in bytes.")

        if role == .modelAPI {
            for model in Self.models {
                _ = inferenceLatency(model: model)
                for status in ["success", "error"] { _ = inferences(model: model, status: status) }
                for direction in ["input", "output"] { _ = tokens(model: model, direction: direction) }
                _ = tokensPerSecond(model: model)
                for type in Self.errorTypes { _ = errors(model: model, type: type) }
            }
        }
        let main = role == .api ? ("POST", "/v1/query") : ("POST", "/v1/infer")
        for status in ["200", "500"] { _ = httpRequests(method: main.0, route: main.1, status: status) }
        _ = httpDuration(method: main.0, route: main.1, status: "200")
        _ = httpRequestSize(method: main.0, route: main.1, status: "200")
        _ = httpResponseSize(method: main.0, route: main.1, status: "200")
    }

    // MARK: model metrics (model API)

    func inferenceLatency(model: String) -> ValueHistogram {
        registry.makeValueHistogram(
            descriptor: .init(metricName: "model_inference_latency_seconds", unitName: "", helpText: "Time taken for model inference, in seconds."),
            labels: [("model", Self.modelLabel(model))], buckets: Self.latencyBuckets)
    }

    func inferences(model: String, status: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(metricName: "model_inference_total", unitName: "", helpText: "Total inferences, by model and outcome."),
            labels: [("model", Self.modelLabel(model)), ("status", status)])
    }

    func tokens(model: String, direction: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(metricName: "model_tokens_total", unitName: "", helpText: "Total tokens processed, by model and direction (input|output)."),
            labels: [("model", Self.modelLabel(model)), ("direction", direction)])
    }

    func tokensPerSecond(model: String) -> Gauge {
        registry.makeGauge(
            descriptor: .init(metricName: "model_tokens_per_second", unitName: "", helpText: "Output tokens per second of the latest inference."),
            labels: [("model", Self.modelLabel(model))])
    }

    func errors(model: String, type: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(metricName: "model_errors_total", unitName: "", helpText: "Inference errors, by model and error type."),
            labels: [("model", Self.modelLabel(model)), ("type", type)])
    }

    // MARK: HTTP metrics (both roles)

    func httpRequests(method: String, route: String, status: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(metricName: "http_requests_total", unitName: "", helpText: "Total HTTP requests, by method, route and status."),
            labels: [("method", Self.methodLabel(method)), ("route", route), ("status", status)])
    }

    func httpDuration(method: String, route: String, status: String) -> ValueHistogram {
        registry.makeValueHistogram(
            descriptor: .init(metricName: "http_request_duration_seconds", unitName: "", helpText: "HTTP request duration, in seconds."),
            labels: [("method", Self.methodLabel(method)), ("route", route), ("status", status)], buckets: Self.latencyBuckets)
    }

    func httpRequestSize(method: String, route: String, status: String) -> ValueHistogram {
        registry.makeValueHistogram(
            descriptor: .init(metricName: "http_request_size_bytes", unitName: "", helpText: "HTTP request body size, in bytes."),
            labels: [("method", Self.methodLabel(method)), ("route", route), ("status", status)], buckets: Self.sizeBuckets)
    }

    func httpResponseSize(method: String, route: String, status: String) -> ValueHistogram {
        registry.makeValueHistogram(
            descriptor: .init(metricName: "http_response_size_bytes", unitName: "", helpText: "HTTP response body size, in bytes."),
            labels: [("method", Self.methodLabel(method)), ("route", route), ("status", status)], buckets: Self.sizeBuckets)
    }

    func recordHTTP(method: String, route: String, status: Int, seconds: Double, requestBytes: Int, responseBytes: Int) {
        let code = String(status)
        httpRequests(method: method, route: route, status: code).increment()
        httpDuration(method: method, route: route, status: code).record(seconds)
        httpRequestSize(method: method, route: route, status: code).record(Double(requestBytes))
        httpResponseSize(method: method, route: route, status: code).record(Double(responseBytes))
    }

    // MARK: GPU and process

    func setGPU(allocatedMB: Double, reservedMB: Double, totalMB: Double) {
        guard let gpu else { return }
        gpu.allocated.set(allocatedMB)
        gpu.reserved.set(reservedMB)
        gpu.total.set(totalMB)
    }

    /// The exposition text, after refreshing the process gauges.
    public func exposition(leakedBytes leaked: Int) -> String {
        if let rss = Self.residentMemoryBytes() { residentMemory.set(Double(rss)) }
        leakedBytes.set(Double(leaked))
        return registry.emitToString()
    }

    /// Resident set size from /proc/self/statm (Linux).
    static func residentMemoryBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
