import Foundation
import HTTPTransport
import Logging
import PrometheusAPI
import Testing

extension StubPrometheus {
    static func withClient<T: Sendable>(_ body: @Sendable (PrometheusAPI.Client) async throws -> T) async throws -> T {
        try await with { url in
            let client = PrometheusAPI.Client(
                transport: try CurlTransport(endpoint: HTTPEndpoint(address: .url(url))), endpoint: url, logger: Logger(label: "test"))
            return try await body(client)
        }
    }
}

@Suite("PrometheusAPI.Client")
struct PrometheusClientTests {
    @Test("an instant query is form-encoded and its vector decodes, NaN included")
    func vector() async throws {
        try await StubPrometheus.withClient { client in
            let result = try await client.query("up{job=\"api\"} + 1")
            let samples = result.vector
            #expect(samples.count == 2)
            #expect(samples[0].metric["instance"] == "api:5000")
            #expect(samples[0].value == 2)
            #expect(samples[0].point.timestamp == 1435781451.781)
            #expect(samples[1].value.isNaN)
        }
    }

    @Test("scalar and string results decode")
    func scalarAndString() async throws {
        try await StubPrometheus.withClient { client in
            let scalar = try await client.query("scalar(1)")
            let text = try await client.query("\"text\"")
            #expect(scalar.singleValue == .infinity)
            #expect(text == .string(timestamp: 1435781451.781, value: "text"))
        }
    }

    @Test("a range query sends start, end and step and decodes the matrix")
    func matrix() async throws {
        try await StubPrometheus.withClient { client in
            let result = try await client.queryRange(
                "up", start: Date(timeIntervalSince1970: 1435781430.781), end: Date(timeIntervalSince1970: 1435781460.781), step: .seconds(15))
            let series = result.matrix
            #expect(series.count == 2)
            #expect(series[1].metric["job"] == "node")
            #expect(series[1].values.map(\.value) == [0, 0, 1])
        }
    }

    @Test("a Prometheus error body becomes .http with its status, errorType and message")
    func errorBody() async throws {
        try await StubPrometheus.withClient { client in
            let error = try await #require(throws: PrometheusAPI.Error.self) { _ = try await client.query("sum(") }
            guard case .http(let status, let errorType, let message, let path) = error else {
                Issue.record("expected .http, got \(error)")
                return
            }
            #expect(status == 400)
            #expect(errorType == "bad_data")
            #expect(message.contains("unclosed left parenthesis"))
            #expect(path == "/api/v1/query")
        }
    }

    @Test("a non-JSON non-2xx answer is .http, not .decoding")
    func nonJSONError() async throws {
        try await StubPrometheus.withClient { client in
            let error = try await #require(throws: PrometheusAPI.Error.self) { _ = try await client.buildInfo() }
            guard case .http(503, nil, let message, _) = error else {
                Issue.record("expected .http(503), got \(error)")
                return
            }
            #expect(message.contains("upstream connect error"))
        }
    }

    @Test("a 2xx answer with a malformed value is .decoding with the body")
    func decodingError() async throws {
        try await StubPrometheus.withClient { client in
            let error = try await #require(throws: PrometheusAPI.Error.self) { _ = try await client.query("garbage") }
            guard case .decoding(_, let path, let body) = error else {
                Issue.record("expected .decoding, got \(error)")
                return
            }
            #expect(path == "/api/v1/query")
            #expect(body.contains("not a number"))
        }
    }

    @Test("targets decode with health, lastError, scrapeUrl and labels")
    func targets() async throws {
        try await StubPrometheus.withClient { client in
            let targets = try await client.targets()
            #expect(targets.activeTargets.count == 2)
            #expect(targets.droppedTargets.count == 1)
            let api = try #require(targets.active(job: "api").first)
            #expect(api.health == .down)
            #expect(api.lastError.contains("no such host"))
            #expect(api.scrapeUrl == "http://api:5000/metrics")
            #expect(api.instance == "api:5000")
            #expect(targets.active(job: "prometheus").first?.health == .up)
            #expect(targets.active(job: "prometheus").first?.lastScrapeDuration == 0.050688943)
        }
    }

    @Test("status/config gives the global and per-job scrape intervals")
    func config() async throws {
        try await StubPrometheus.withClient { client in
            let config = try await client.config()
            #expect(config.globalScrapeInterval == .seconds(15))
            #expect(config.globalEvaluationInterval == .seconds(30))
            #expect(config.job("prometheus")?.scrapeInterval == .seconds(15))
            #expect(config.job("api")?.scrapeInterval == .seconds(5))
            #expect(config.job("api")?.staticTargets == ["api:5000"])
            #expect(config.job("api")?.scrapeTimeout == .seconds(10))
        }
    }

    @Test("status/flags decode; ready is false on 503 and healthy true on 200")
    func flagsAndProbes() async throws {
        try await StubPrometheus.withClient { client in
            let flags = try await client.flags()
            let ready = try await client.ready()
            let healthy = try await client.healthy()
            #expect(flags["storage.tsdb.retention.time"] == "15d")
            #expect(ready == false)
            #expect(healthy == true)
        }
    }

    @Test("a refused connection is .transport naming the endpoint")
    func refused() async throws {
        // Port 9 (discard) on loopback: nothing listens there on the test machines.
        let url = "http://127.0.0.1:9"
        let client = PrometheusAPI.Client(
            transport: try CurlTransport(endpoint: HTTPEndpoint(address: .url(url))), endpoint: url, logger: Logger(label: "test"))
        let error = try await #require(throws: PrometheusAPI.Error.self) { _ = try await client.ready() }
        guard case .transport(let endpoint, let path, _) = error else {
            Issue.record("expected .transport, got \(error)")
            return
        }
        #expect(endpoint == url)
        #expect(path == "/-/ready")
        #expect(error.description.contains("cannot reach Prometheus at http://127.0.0.1:9"))
    }
}

@Suite("PrometheusAPI.parseDuration")
struct DurationTests {
    @Test(
        "Prometheus durations parse",
        arguments: [
            ("15s", Duration.seconds(15)), ("1m30s", .seconds(90)), ("500ms", .milliseconds(500)), ("2h", .seconds(7200)),
            ("1d", .seconds(86400)), ("1w", .seconds(604_800)), ("0", .zero), ("1h1m1s1ms", .milliseconds(3_661_001)),
        ])
    func valid(_ text: String, _ expected: Duration) {
        #expect(PrometheusAPI.parseDuration(text) == expected)
    }

    @Test("malformed durations are rejected", arguments: ["", "15", "s", "1.5s", "1s1m", "1x", "-1s", "1s1s"])
    func invalid(_ text: String) {
        #expect(PrometheusAPI.parseDuration(text) == nil)
    }
}
