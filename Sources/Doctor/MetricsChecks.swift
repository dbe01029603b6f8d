import Compose
import Foundation
import HTTPTransport
import PrometheusAPI

extension Doctor {
    /// Metrics exposed: "Check if the services are exposing metrics: curl http://localhost:5000/metrics",
    /// for every scrape target of the manifest — status 200, a body in Prometheus text format, and
    /// every metric name the guide documents for that target.
    static func metricsChecks(_ targets: [Manifest.Target]) -> [Check] {
        targets.map { target in
            Check(.metrics, target.job) { try await metricsFinding(target) }
        }
    }

    /// - Parameter timeout: for the whole request; the check's own time limit is the runner's.
    static func metricsFinding(_ target: Manifest.Target, timeout: Duration = .seconds(5)) async throws -> Finding {
        guard let url = URL(string: target.metricsURL), let scheme = url.scheme, let host = url.host else {
            return .failure(
                "the manifest's metrics URL for \(target.job) is not a URL: \(target.metricsURL)",
                remedy: ["fix targets[].metrics_url in the manifest"], code: "metrics.url.invalid")
        }
        let base = "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
        let path = url.path.isEmpty ? "/metrics" : url.path
        let transport = try CurlTransport(
            endpoint: HTTPEndpoint(address: .url(base)),
            options: .init(connectTimeout: min(.seconds(2), timeout), timeout: timeout))
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(path: path, headers: [("Accept", "text/plain")]))
        } catch {
            return .failure(
                "\(target.metricsURL) does not answer", evidence: ["\(error)"],
                remedy: [
                    "is \(target.service) running? stackpilot ps",
                    "is its port published on the host? check ports: in the compose file of \(target.project)",
                ], code: "metrics.unreachable")
        }
        guard response.status == 200 else {
            return .failure(
                "\(target.metricsURL) answers \(response.status), not 200",
                evidence: ["body: \(String(decoding: response.body.prefix(200), as: UTF8.self))"],
                remedy: ["the service must serve Prometheus metrics at \(path); is this the right service and port?"],
                code: "metrics.status")
        }
        let text = String(decoding: response.body, as: UTF8.self)
        let families: [MetricFamily]
        do {
            families = try ExpositionParser().parse(text)
        } catch {
            return .failure(
                "\(target.metricsURL) does not answer in Prometheus text format",
                evidence: [
                    "\(error)",
                    "content type: \(response.header("Content-Type") ?? "none")",
                ],
                remedy: ["expose metrics with a Prometheus client library (see the guide's 'Adding Custom Metrics')"],
                code: "metrics.format")
        }
        let present = Set(families.filter { !$0.samples.isEmpty }.map(\.name))
        let declared = Set(families.map(\.name))
        let missing = target.metrics.filter { !declared.contains($0) }
        let empty = target.metrics.filter { declared.contains($0) && !present.contains($0) }
        let evidence = ["\(families.count) metric families, \(families.reduce(0) { $0 + $1.samples.count }) samples"]
        if !missing.isEmpty {
            return .failure(
                "\(target.job) does not expose \(missing.joined(separator: ", "))", evidence: evidence,
                remedy: [
                    "the monitoring guide documents these metrics for \(target.job); the dashboards and alerts need them",
                    "instrument the service (prometheus_client in Python) or fix the metric names",
                ], code: "metrics.missing")
        }
        if !empty.isEmpty {
            return .warning(
                "\(target.job) declares \(empty.joined(separator: ", ")) but has no samples yet",
                evidence: evidence + ["labelled metrics appear with their first observation"],
                remedy: ["send it some traffic; the panels stay empty until then"], code: "metrics.noSamples")
        }
        return .ok("\(target.job) exposes all \(target.metrics.count) expected metrics", evidence: evidence)
    }
}
