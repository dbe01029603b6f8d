import Foundation
import Hummingbird
import Logging
import TestSupport
import Testing

/// A small HTTP server answering as Prometheus does (bodies taken from the API documentation's
/// examples), so the client's mapping of statuses, error bodies and result types is tested over a
/// real socket with the real CurlTransport. Real Prometheus: Tests/IntegrationTests/PrometheusIntegrationTests.swift.
enum StubPrometheus {
    static func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/-/ready") { _, _ in Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "Service Unavailable"))) }
        router.get("/-/healthy") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "Prometheus Server is Healthy.\n"))) }
        router.post("/api/v1/query") { request, _ in
            let form = try await formFields(request)
            switch form["query"] {
            case "up{job=\"api\"} + 1":
                return json(
                    .ok,
                    #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"api","instance":"api:5000"},"value":[1435781451.781,"2"]},{"metric":{"job":"api","instance":"b"},"value":[1435781451.781,"NaN"]}]}}"#
                )
            case "scalar(1)":
                return json(.ok, #"{"status":"success","data":{"resultType":"scalar","result":[1435781451.781,"+Inf"]}}"#)
            case "\"text\"":
                return json(.ok, #"{"status":"success","data":{"resultType":"string","result":[1435781451.781,"text"]}}"#)
            case "garbage":
                return json(.ok, #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"not a number"]}]}}"#)
            default:
                return json(
                    .badRequest,
                    #"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"}"#)
            }
        }
        router.post("/api/v1/query_range") { request, _ in
            let form = try await formFields(request)
            guard form["start"] == "1435781430.781", form["end"] == "1435781460.781", form["step"] == "15.000" else {
                return json(.badRequest, #"{"status":"error","errorType":"bad_data","error":"unexpected start/end/step: \#(form)"}"#)
            }
            return json(
                .ok,
                #"""
                {"status":"success","data":{"resultType":"matrix","result":[
                {"metric":{"__name__":"up","job":"prometheus","instance":"localhost:9090"},"values":[[1435781430.781,"1"],[1435781445.781,"1"],[1435781460.781,"1"]]},
                {"metric":{"__name__":"up","job":"node","instance":"localhost:9091"},"values":[[1435781430.781,"0"],[1435781445.781,"0"],[1435781460.781,"1"]]}]}}
                """#)
        }
        router.get("/api/v1/targets") { _, _ in
            json(
                .ok,
                #"""
                {"status":"success","data":{"activeTargets":[
                {"discoveredLabels":{"__address__":"127.0.0.1:9090","job":"prometheus"},"labels":{"instance":"127.0.0.1:9090","job":"prometheus"},
                 "scrapePool":"prometheus","scrapeUrl":"http://127.0.0.1:9090/metrics","globalUrl":"http://example-prometheus:9090/metrics",
                 "lastError":"","lastScrape":"2017-01-17T15:07:44.723715405+01:00","lastScrapeDuration":0.050688943,"health":"up","scrapeInterval":"1m","scrapeTimeout":"10s"},
                {"labels":{"instance":"api:5000","job":"api"},"scrapePool":"api","scrapeUrl":"http://api:5000/metrics",
                 "lastError":"Get \"http://api:5000/metrics\": dial tcp: lookup api: no such host","health":"down"}],
                "droppedTargets":[{"discoveredLabels":{"__address__":"127.0.0.1:9100","job":"node"}}]}}
                """#)
        }
        router.get("/api/v1/status/config") { _, _ in
            json(
                .ok,
                #"{"status":"success","data":{"yaml":"global:\n  scrape_interval: 15s\n  scrape_timeout: 10s\n  evaluation_interval: 30s\nscrape_configs:\n- job_name: prometheus\n  static_configs:\n  - targets:\n    - localhost:9090\n- job_name: api\n  scrape_interval: 5s\n  metrics_path: /metrics\n  static_configs:\n  - targets:\n    - api:5000\n"}}"#
            )
        }
        router.get("/api/v1/status/flags") { _, _ in
            json(.ok, #"{"status":"success","data":{"storage.tsdb.retention.time":"15d","web.enable-lifecycle":"true"}}"#)
        }
        router.get("/api/v1/status/buildinfo") { _, _ in
            json(.serviceUnavailable, "upstream connect error or disconnect/reset before headers")
        }
        return router
    }

    static func formFields(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: 1 << 20)
        var components = URLComponents()
        components.percentEncodedQuery = String(buffer: body).replacingOccurrences(of: "+", with: "%20")
        var fields: [String: String] = [:]
        for item in components.queryItems ?? [] { fields[item.name] = item.value ?? "" }
        return fields
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Runs the stub on a free loopback port for the duration of `body`, which gets its base URL.
    static func with<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: {
                var logger = Logger(label: "stub-prometheus")
                logger.logLevel = .critical
                return logger
            }())
        return try await TestServers.with({ try await app.run() }) {
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            return try await body("http://127.0.0.1:\(port)")
        }
    }
}
