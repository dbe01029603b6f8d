import Foundation
import HTTPTransport
import Logging
import PrometheusAPI
import TestSupport
import Testing

@testable import WorkloadSim

/// A workload-sim server running in this process on a free 127.0.0.1 port, with a real
/// CurlTransport to talk to it.
struct RunningWorkload: Sendable {
    let port: Int
    let server: WorkloadServer
    let transport: CurlTransport

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func get(_ path: String) async throws -> HTTPResponse {
        try await transport.send(HTTPRequest(path: path))
    }

    func post(_ path: String, json: String, timeout: Duration = .seconds(60)) async throws -> HTTPResponse {
        try await transport.send(
            HTTPRequest(
                method: .post, path: path, headers: [("Content-Type", "application/json")], body: Data(json.utf8), timeout: timeout))
    }

    /// `/admin/<path>` with the test token (or `token`, or none).
    func admin(_ method: HTTPMethod, _ path: String, json: String? = nil, token: String? = Workload.adminToken) async throws -> HTTPResponse {
        var headers: [(String, String)] = json == nil ? [] : [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try await transport.send(HTTPRequest(method: method, path: "/admin/" + path, headers: headers, body: json.map { Data($0.utf8) }))
    }

    /// `/metrics`, parsed by the PrometheusAPI module's parser.
    func families() async throws -> [MetricFamily] {
        let response = try await get("/metrics")
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        return try ExpositionParser().parse(bytes: Array(response.body))
    }

    /// Value of the sample `name` whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) async throws -> Double? {
        let families = try await families()
        for family in families {
            for sample in family.samples where sample.name == name {
                if labels.allSatisfy({ sample.label($0.key) == $0.value }) { return sample.value }
            }
        }
        return nil
    }
}

enum Workload {
    static let adminToken = "test-admin-token-0123456789abcdef"

    static func configuration(_ role: WorkloadRole, modelAPIURL: String = "http://127.0.0.1:9", faults: Faults = .none) -> WorkloadConfiguration {
        WorkloadConfiguration(
            role: role, host: "127.0.0.1", port: 0, modelAPIURL: modelAPIURL, loadRate: 0, faults: faults,
            adminToken: try? AdminToken(adminToken))
    }

    /// Runs a server for the duration of `body`, then cancels it (and waits until it stopped).
    static func with<T: Sendable>(_ configuration: WorkloadConfiguration, _ body: @Sendable (RunningWorkload) async throws -> T) async throws -> T {
        // Cancelling a test server makes Hummingbird log errors about closed channels: keep tests quiet.
        var logger = Logger(label: "workload-test")
        logger.logLevel = .critical
        let server = WorkloadServer(configuration: configuration, logger: logger, makeTransport: defaultTransportFactory)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        return try await TestServers.with({
            defer { continuation.finish() }
            try await server.run(shutdownSignals: []) { port in continuation.yield(port) }
        }) {
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next(), "workload-sim did not start")
            let running = RunningWorkload(
                port: port, server: server, transport: try CurlTransport(endpoint: HTTPEndpoint(address: .url("http://127.0.0.1:\(port)"))))
            return try await body(running)
        }
    }
}
